"""What the access service answered about a session, kept in each gateway process.

Every request of a coordinator used to cost an `authorize` RPC (about a third of the
request's CPU across the processes). Answers now stay in the process that asked, and the
access service's `access_changed` notices (services/access/changes.py: a session ended,
terms accepted, access granted, a profile or an organization changed) make every gateway
process forget the answers they concern. How long a change can go unnoticed:

- on the process that handled it (sign out, terms, a code redeemed, a profile saved): not
  at all, it forgets before it answers;
- on every other: the time the notice takes to arrive, milliseconds after the commit (the
  outbox relay is woken by the commit; it polls every second if that wake was missed);
- whatever happens to a notice, no answer is kept longer than CACHE_SECONDS (config,
  default 30; 0 turns the caches off), nor past its session's end, nor into a new
  academic year.

What keeps answers honest beyond that is gateway/kept_answers.py: nothing is kept or
used while the process is not listening for notices, nor an answer asked while a notice
came. Refusals are never kept: each one asks again.
"""
import hashlib
from datetime import datetime

from gateway.kept_answers import KeptAnswers, configured_max_age
from gateway.notices import NoticeListener
from gateway.rpc import TimedRpc
from services.common.clock import Clock

DEFAULT_SECONDS = 30


def token_key(token):
    """Answers are kept by a hash of the token: a process's memory holds no tokens."""
    return hashlib.sha256((token or "").encode()).digest()


class AuthorizationCache(KeptAnswers):
    """Kept answers by (method, token hash, its arguments), owned by their account, their
    token and the organizations they mention; each also ends with its session and with
    its academic year."""

    def __init__(self, clock, max_age=DEFAULT_SECONDS, **options):
        super().__init__(max_age, **options)
        self.clock = clock

    @property
    def bindings(self):
        return {("access", "access_changed"): self.on_access_changed}

    def on_access_changed(self, notice):
        self.forget_about(account_id=notice.get("account_id"), organization_ids=[
            int(org_id) for org_id in notice["organization_ids"]])

    def keep_answer(self, key, answer, asked_at_generation, account_id, organization_ids,
                    principal):
        ends_at = datetime.fromisoformat(principal["session_expires_at"])
        year = principal["academic_year"]
        owners = {("account", account_id), ("token", key[1])}
        owners.update(("organization", org_id) for org_id in organization_ids)
        self.keep(key, answer, asked_at_generation, owners, lambda: (
            self.clock.now() < ends_at and str(self.clock.academic_year()) == year))

    def forget_about(self, account_id=None, organization_ids=(), token=None):
        """A notice (or this process's own change): drop what it concerns."""
        owners = [("organization", org_id) for org_id in organization_ids]
        if account_id is not None:
            owners.append(("account", account_id))
        if token is not None:
            owners.append(("token", token_key(token)))
        self.forget(owners)


def mentioned_organizations(principal, me=None):
    """The organizations an answer depends on: the one asked about, and for a page, every
    one in its menu (a profile or name change there changes the page)."""
    ids = {principal["organization"]["id"]}
    if me is not None:
        ids.update(org["id"] for org in me["organizations"])
        ids.update(org["id"] for org in me["previous_years"])
    return ids


def _arguments(token, organization_id, need="read", require_profile=True,
               academic_year=None):
    return token, organization_id, need, bool(require_profile), academic_year


class CachedAccessProxy:
    """The access service as the gateway's workers call it: `authorize` and
    `authorize_page` answered from the cache when they can be; the calls that change what
    a session may do forget, in this process, what they change; the rest passes through."""

    def __init__(self, proxy, cache):
        self._proxy = proxy
        self._cache = cache

    def __getattr__(self, method_name):
        return getattr(self._proxy, method_name)

    def authorize(self, *args, **kwargs):
        return self._cached("authorize", _arguments(*args, **kwargs),
                            lambda principal: (principal, None))

    def authorize_page(self, *args, **kwargs):
        return self._cached("authorize_page", _arguments(*args, **kwargs),
                            lambda page: (page["principal"], page["me"]))

    def _cached(self, method_name, arguments, parts):
        token = arguments[0]
        key = (method_name, token_key(token)) + arguments[1:]
        answer = self._cache.lookup(key)
        if answer is not None:
            return answer
        asked_at = self._cache.generation
        answer = getattr(self._proxy, method_name)(*arguments)
        principal, me = parts(answer)
        self._cache.keep_answer(key, answer, asked_at, principal["account"]["id"],
                                mentioned_organizations(principal, me), principal)
        return answer

    def _changing(self, method_name, forgets):
        """The RPC `method_name`, after which (even refused) this process forgets what
        `forgets(*args)` names (forget_about's arguments): it changed, or may have."""
        def change(*args, **kwargs):
            try:
                return getattr(self._proxy, method_name)(*args, **kwargs)
            finally:
                self._cache.forget_about(**forgets(*args))
        return change

    @property
    def sign_out(self):
        return self._changing("sign_out", lambda token: {"token": token})

    @property
    def accept_portal_terms(self):
        return self._changing("accept_portal_terms",
                              lambda token, *rest: {"token": token})

    @property
    def redeem_access_code(self):
        return self._changing("redeem_access_code",
                              lambda token, *rest: {"token": token})

    @property
    def remove_member(self):  # the removed account's answers, everywhere it had them
        return self._changing("remove_member", lambda token, organization_id, account_id: {
            "account_id": account_id, "organization_ids": (organization_id,)})

    def set_score_visibility(self, token, organization_id, *args, **kwargs):
        """Forgets here, before answering, the organization and (the answer names them) a
        district's schools, whose people through the district the rule also concerns."""
        forgotten = (organization_id,)
        try:
            answer = self._proxy.set_score_visibility(token, organization_id, *args, **kwargs)
            forgotten = tuple(answer.pop("organization_ids", None) or forgotten)
            return answer
        finally:
            self._cache.forget_about(organization_ids=forgotten)

    @property
    def update_profile(self):
        return self._changing("update_profile", lambda token, organization_id, *rest: {
            "token": token, "organization_ids": (organization_id,)})


class CachedAccessRpc(TimedRpc):
    """`access = CachedAccessRpc()` in the gateway: TimedRpc to the access service through
    this process's AuthorizationCache, kept current by the process's NoticeListener."""

    notices = NoticeListener()

    def __init__(self, **options):
        super().__init__("access", **options)

    def setup(self):
        super().setup()
        config = self.container.config
        self.cache = AuthorizationCache(Clock.from_config(config),
                                        configured_max_age(config, DEFAULT_SECONDS))
        if self.cache.enabled:
            self.notices.subscribe(self.cache)

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        return CachedAccessProxy(proxy, self.cache) if self.cache.enabled else proxy
