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
- whatever happens to a notice, no answer is kept longer than AUTHORIZATION_CACHE_SECONDS
  (config, default 30; 0 turns the cache off), nor past its session's end, nor into a new
  academic year.

Only while the process is listening for notices are answers kept or used: before its
queue is bound, and from the moment its connection to the broker breaks until it is bound
again, every call goes to the access service (and what was kept is dropped). An answer
that arrives after a notice that came while it was being asked is not kept (it may
predate the change). Refusals are never kept: each one asks again.
"""
import hashlib
import time
from datetime import datetime

from services.common.clock import Clock
from gateway.access_changes import AccessChangesListener
from gateway.rpc import TimedRpc, TimedServiceProxy

DEFAULT_SECONDS = 30
MAX_ENTRIES = 100_000  # beyond: the oldest answer goes (a few hundred bytes each)


def token_key(token):
    """Answers are kept by a hash of the token: a process's memory holds no tokens."""
    return hashlib.sha256((token or "").encode()).digest()


class AuthorizationCache:
    """Kept answers, by (method, token, its arguments), indexed by account, token and the
    organizations they mention so that a notice finds them."""

    def __init__(self, clock, max_age=DEFAULT_SECONDS, max_entries=MAX_ENTRIES,
                 monotonic=time.monotonic):
        self.clock = clock
        self.max_age = max_age
        self.max_entries = max_entries
        self.monotonic = monotonic
        self.entries = {}  # key -> (answer, keep_until monotonic, ends_at, year, owners)
        self.owners = {}   # ("account", id) / ("token", hash) / ("organization", id) -> keys
        self.generation = 0  # one more per notice and per change of listening
        self.listening = False

    @property
    def enabled(self):
        return self.max_age > 0

    def lookup(self, key):
        entry = self.entries.get(key)
        if entry is None or not self.listening:
            return None
        answer, keep_until, ends_at, year, _ = entry
        if self.monotonic() >= keep_until or self.clock.now() >= ends_at \
                or year != str(self.clock.academic_year()):
            self._drop(key)
            return None
        return answer

    def keep(self, key, answer, asked_at_generation, account_id, organization_ids,
             principal):
        """Keep `answer` unless a notice came (or listening changed) since it was asked."""
        if not self.enabled or not self.listening or asked_at_generation != self.generation:
            return
        if len(self.entries) >= self.max_entries:
            self._drop(next(iter(self.entries)))
        owners = {("account", account_id), ("token", key[1])}
        owners.update(("organization", org_id) for org_id in organization_ids)
        self._drop(key)
        self.entries[key] = (answer, self.monotonic() + self.max_age,
                             datetime.fromisoformat(principal["session_expires_at"]),
                             principal["academic_year"], owners)
        for owner in owners:
            self.owners.setdefault(owner, set()).add(key)

    def forget(self, account_id=None, organization_ids=(), token=None):
        """A notice (or this process's own change): drop what it concerns."""
        self.generation += 1
        owners = [("organization", org_id) for org_id in organization_ids]
        if account_id is not None:
            owners.append(("account", account_id))
        if token is not None:
            owners.append(("token", token_key(token)))
        for owner in owners:
            for key in list(self.owners.get(owner, ())):
                self._drop(key)

    def set_listening(self, listening):
        """Listening or not, everything kept so far is dropped: while not listening a
        notice may have been missed."""
        self.generation += 1
        self.listening = listening
        self.entries.clear()
        self.owners.clear()

    def _drop(self, key):
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        for owner in entry[4]:
            keys = self.owners.get(owner)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.owners[owner]


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
        self._cache.keep(key, answer, asked_at, principal["account"]["id"],
                         mentioned_organizations(principal, me), principal)
        return answer

    def sign_out(self, token):
        try:
            return self._proxy.sign_out(token)
        finally:
            self._cache.forget(token=token)

    def accept_portal_terms(self, token, *args, **kwargs):
        try:
            return self._proxy.accept_portal_terms(token, *args, **kwargs)
        finally:
            self._cache.forget(token=token)

    def redeem_access_code(self, token, *args, **kwargs):
        try:
            return self._proxy.redeem_access_code(token, *args, **kwargs)
        finally:
            self._cache.forget(token=token)

    def update_profile(self, token, organization_id, *args, **kwargs):
        try:
            return self._proxy.update_profile(token, organization_id, *args, **kwargs)
        finally:
            self._cache.forget(organization_ids=(organization_id,), token=token)


class CachedAccessRpc(TimedRpc):
    """`access = CachedAccessRpc()` in the gateway: TimedRpc to the access service through
    this process's AuthorizationCache, kept current by its AccessChangesListener."""

    listener = AccessChangesListener()

    def __init__(self, **options):
        super().__init__("access", **options)

    def setup(self):
        super().setup()
        config = self.container.config
        seconds = config.get("AUTHORIZATION_CACHE_SECONDS")
        max_age = float(DEFAULT_SECONDS if seconds in (None, "") else seconds)
        self.cache = AuthorizationCache(Clock.from_config(config), max_age)
        if self.cache.enabled:
            self.listener.attach(self.cache)

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        assert isinstance(proxy, TimedServiceProxy)
        return CachedAccessProxy(proxy, self.cache) if self.cache.enabled else proxy
