"""The gateway's kept answers of the access service: what keeps them, what ends them."""
from datetime import datetime, timedelta, timezone

import pytest

from gateway.access_cache import AuthorizationCache, CachedAccessProxy
from services.common.clock import Clock

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


class FakeAccess:
    """The access service's side of the RPC: counts calls, answers like it."""

    def __init__(self):
        self.calls = []
        self.orgs = {5: "Cass Tech", 6: "Detroit Public Schools"}

    def principal(self, token, org_id, ends=NOW + timedelta(hours=12), year="2026-27"):
        return {"account": {"id": 1 if token == "t1" else 2}, "access": "manage",
                "organization": {"id": org_id, "name": self.orgs[org_id]},
                "academic_year": year, "session_expires_at": ends.isoformat()}

    def authorize(self, token, org_id, need="read", require_profile=True, year=None):
        self.calls.append(("authorize", token, org_id, need))
        return self.principal(token, org_id)

    def authorize_page(self, token, org_id, need="read", require_profile=True, year=None):
        self.calls.append(("authorize_page", token, org_id, need))
        return {"principal": self.principal(token, org_id),
                "me": {"organizations": [{"id": 6}], "previous_years": []}}

    def sign_out(self, token):
        self.calls.append(("sign_out", token))

    def update_profile(self, token, org_id, data):
        self.calls.append(("update_profile", token, org_id))

    def set_score_visibility(self, token, org_id, data):
        self.calls.append(("set_score_visibility", token, org_id))
        return {"scores_contacts_only": True, "organization_ids": [org_id, 5]}


class Ticking:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def setting():
    access, ticking = FakeAccess(), Ticking()
    cache = AuthorizationCache(Clock(frozen_at=NOW), max_age=30, monotonic=ticking)
    cache.set_listening(True)
    return access, CachedAccessProxy(access, cache), cache, ticking


def asked(access):
    return len([call for call in access.calls if call[0].startswith("authorize")])


def test_the_same_question_is_asked_once(setting):
    access, proxy, _, _ = setting
    first = proxy.authorize("t1", 5)
    assert proxy.authorize("t1", 5, "read", True, None) == first
    assert asked(access) == 1
    proxy.authorize("t1", 5, need="manage")  # another question
    proxy.authorize("t2", 5)  # another session
    assert asked(access) == 3


def test_signing_out_here_forgets_that_session_at_once(setting):
    access, proxy, _, _ = setting
    proxy.authorize("t1", 5)
    proxy.authorize("t2", 5)
    proxy.sign_out("t1")
    proxy.authorize("t1", 5)
    proxy.authorize("t2", 5)
    assert asked(access) == 3  # t1 asked again, t2 still kept


def test_a_notice_forgets_the_account_or_the_organizations_it_names(setting):
    access, proxy, cache, _ = setting
    proxy.authorize("t1", 5)
    proxy.authorize("t2", 6)
    cache.forget_about(account_id=1)
    proxy.authorize("t1", 5)
    proxy.authorize("t2", 6)
    assert asked(access) == 3
    cache.forget_about(organization_ids=[6])
    proxy.authorize("t2", 6)
    assert asked(access) == 4


def test_a_page_depends_on_every_organization_in_its_menu(setting):
    access, proxy, cache, _ = setting
    proxy.authorize_page("t1", 5)
    cache.forget_about(organization_ids=[6])  # the menu's other organization was renamed
    proxy.authorize_page("t1", 5)
    assert asked(access) == 2


def test_an_answer_asked_before_a_notice_is_not_kept(setting):
    access, proxy, cache, _ = setting
    original = access.authorize

    def notice_while_asking(*args):
        answer = original(*args)
        cache.forget_about(account_id=1)  # the change committed while the answer travelled
        return answer
    access.authorize = notice_while_asking
    proxy.authorize("t1", 5)
    access.authorize = original
    proxy.authorize("t1", 5)
    assert asked(access) == 2


def test_nothing_is_kept_or_used_while_not_listening(setting):
    access, proxy, cache, _ = setting
    proxy.authorize("t1", 5)
    cache.set_listening(False)  # the broker connection broke: notices may be missed
    proxy.authorize("t1", 5)
    proxy.authorize("t1", 5)
    cache.set_listening(True)
    proxy.authorize("t1", 5)
    proxy.authorize("t1", 5)
    assert asked(access) == 4


def test_answers_end_with_their_age_their_session_and_their_academic_year(setting):
    access, proxy, cache, ticking = setting
    proxy.authorize("t1", 5)
    ticking.now = 31  # older than max_age
    proxy.authorize("t1", 5)
    assert asked(access) == 2

    ending = dict(access.principal("t1", 6, ends=NOW + timedelta(seconds=1)))
    cache.keep_answer(("authorize", b"k", 6), ending, cache.generation, 1, [6], ending)
    assert cache.lookup(("authorize", b"k", 6)) == ending
    cache.clock = Clock(frozen_at=NOW + timedelta(seconds=1))  # the session has ended
    assert cache.lookup(("authorize", b"k", 6)) is None

    cache.clock = Clock(frozen_at=NOW)
    past_year = access.principal("t1", 6, year="2025-26")  # asked just before July 1
    cache.keep_answer(("authorize", b"k", 6), past_year, cache.generation, 1, [6], past_year)
    assert cache.lookup(("authorize", b"k", 6)) is None


def test_refusals_are_not_kept(setting):
    access, proxy, _, _ = setting

    def refuse(*args):
        access.calls.append(("authorize",))
        raise PermissionError("read_only_access")
    access.authorize = refuse
    for _ in range(2):
        with pytest.raises(PermissionError):
            proxy.authorize("t1", 5, need="manage")
    assert asked(access) == 2


def test_a_profile_saved_here_is_forgotten_here(setting):
    access, proxy, _, _ = setting
    proxy.authorize("t1", 5, require_profile=False)
    proxy.authorize("t2", 5)
    proxy.update_profile("t1", 5, {})
    proxy.authorize("t1", 5, require_profile=False)
    proxy.authorize("t2", 5)
    assert asked(access) == 4


def test_a_districts_score_rule_set_here_forgets_its_schools_here(setting):
    access, proxy, _, _ = setting  # 6, a district; 5, its school
    proxy.authorize("t2", 5, need="scores")  # a district person's answer on the school
    proxy.authorize("t2", 6, need="scores")

    answer = proxy.set_score_visibility("t1", 6, {"scores_contacts_only": True})

    assert answer == {"scores_contacts_only": True}  # the ids are the gateway's only
    proxy.authorize("t2", 5, need="scores")
    proxy.authorize("t2", 6, need="scores")
    assert asked(access) == 4


def test_the_cache_holds_at_most_its_size():
    cache = AuthorizationCache(Clock(frozen_at=NOW), max_entries=2)
    cache.set_listening(True)
    principal = FakeAccess().principal("t1", 5)
    for org_id in range(3):
        cache.keep_answer(("authorize", b"k", org_id), principal, cache.generation, 1, [org_id],
                   principal)
    assert len(cache.entries) == 2 and cache.lookup(("authorize", b"k", 0)) is None
    cache.forget_about(account_id=1)
    assert cache.entries == {} and cache.owners == {}
