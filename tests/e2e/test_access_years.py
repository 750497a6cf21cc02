"""A year passes: access codes are yearly, access is for one academic year, and the
yearly run mails next year's codes (issue 3; docs/DOMAIN.md "Access codes and yearly
access", "Time and the academic year").

The system runs with a frozen clock (CLEP_CLOCK_NOW) and sends its mail to a real SMTP
server on loopback. It starts on October 15, 2021 (academic year 2021-22, older than the
five years the portal shows), where the school gets a coordinator, and is restarted on
June 20, 2026 (academic year 2025-26): a coordinator gets access to the school with that
year's code, orders vouchers, and operations run the yearly issue of 2026-27's codes. Then every process is restarted on October 15, 2026
(2026-27): the code mailed in June opens the school to its new coordinator, while the
access of 2025-26 opens nothing any more. On that, the authorization matrix of every
organization-scoped endpoint: no access, read-only (a district's code), access for
another academic year only, and manage access.
"""
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from scripts.sandbox import Sandbox
from scripts.system import PROJECT_ROOT, System
from tests.access_mail import access_code_in
from tests.mail import SmtpServer, body_of, sent_to
from tests.e2e.checks import error_of
from tests.e2e.portal import Browser, Portal

def code_mail(year):
    """The subject of the mail that carries an access code for `year`."""
    return lambda message: str(message["Subject"]) == "Your CLEP access code for " + year


LONG_AGO = "2021-10-15T15:00:00+00:00"  # academic year 2021-22: not among the five shown
JUNE = "2026-06-20T15:00:00+00:00"     # academic year 2025-26
OCTOBER = "2026-10-15T15:00:00+00:00"  # academic year 2026-27
LAST_YEAR, THIS_YEAR, NEXT_YEAR = "2025-26", "2026-27", "2027-28"
LONG_AGO_YEAR = "2021-22"


@dataclass
class Timeline:
    portal: Portal
    system: System
    smtp: SmtpServer
    env: dict
    school: dict            # a school of the district; ordered in both years
    quiet_school: dict      # never ordered
    district: dict
    june_run: dict          # the yearly run of 2026-27, made in June
    june_order: dict        # ordered in 2025-26 by last year's coordinator
    order: dict             # ordered in 2026-27 by this year's coordinator
    last_years: object      # access to the school for 2025-26 only
    manager: object         # redeemed the code mailed in June: manage, 2026-27
    district_reader: object  # the district's 2026-27 code: read-only on the school
    outsider: object        # signed in, terms accepted, no access at all
    long_ago: object        # access to the school for 2021-22 only


def start(system):
    system.start()
    system.wait_healthy(timeout=90)


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("years")
    with SmtpServer() as smtp, Sandbox("sqlite", data_dir=data_dir) as sandbox_env:
        env = dict(sandbox_env, CLEP_CLOCK_NOW=LONG_AGO, CLEP_SMTP_HOST=smtp.host,
                   CLEP_SMTP_PORT=str(smtp.port))
        system = System(env=env, log_dir=os.path.join(data_dir, "log"))
        portal = Portal(system.base_url, env["CLEP_OPERATIONS_TOKEN"],
                        env["CLEP_PARTNER_TOKEN"])
        try:
            start(system)
            yield _live_through_a_year(portal, system, smtp, env)
        finally:
            system.stop()


def restart_on(system, now):
    system.stop()
    system.env["CLEP_CLOCK_NOW"] = now
    start(system)


def signed_in_again(portal, account):
    """The account with a new session: the one it had expired as the years passed."""
    account.headers = {"Authorization": "Bearer " + portal.sign_in(
        account.email, account.password).json()["token"]}
    return account


def _live_through_a_year(portal, system, smtp, env):
    # October 15, 2021: academic year 2021-22, the school's coordinator of that year
    portal.academic_year = LONG_AGO_YEAR
    district = portal.register_organization(kind="district", name="Years District")
    school = portal.register_organization(district_id=district["id"], name="Years School")
    quiet_school = portal.register_organization(name="Quiet School")
    long_ago, _ = portal.coordinator_of(school)

    # June 20, 2026: academic year 2025-26
    restart_on(system, JUNE)
    portal.academic_year = LAST_YEAR
    portal.set_fees(year=LAST_YEAR)
    last_years, _ = portal.coordinator_of(school)
    portal.coordinator_of(quiet_school)
    june_order = portal.place_order(last_years, school["id"], quantity=2).json()
    portal.wait_until_fulfilled(last_years, school["id"], june_order["id"])
    june_run = portal.finished_access_code_run(THIS_YEAR)

    # every process restarts: October 15, 2026, academic year 2026-27
    restart_on(system, OCTOBER)
    portal.academic_year = THIS_YEAR
    portal.set_fees(year=THIS_YEAR)
    [mailed] = smtp.wait_for(lambda m: sent_to(last_years.email)(m)
                             and code_mail(THIS_YEAR)(m))
    manager = portal.new_account()
    assert portal.redeem(manager, school, access_code_in(mailed)).status_code == 201
    district_reader = portal.new_account()
    district_code = portal.issue_access_code(district["id"], year=THIS_YEAR)
    assert portal.redeem(district_reader, district, district_code).status_code == 201
    portal.complete_profile(district_reader, district["id"])
    order = portal.place_order(manager, school["id"], quantity=3).json()
    portal.wait_until_fulfilled(manager, school["id"], order["id"])
    return Timeline(portal, system, smtp, env, school, quiet_school, district, june_run,
                    june_order, order, signed_in_again(portal, last_years), manager,
                    district_reader, portal.new_account(), signed_in_again(portal, long_ago))


# --- the yearly run and a year's access ---------------------------------------------------


def test_the_june_run_mailed_2026_27s_code_to_the_coordinator_on_file(timeline):
    run = timeline.june_run
    assert (run["status"], run["academic_year"], run["ordered_in"]) == (
        "finished", THIS_YEAR, [LAST_YEAR, "2024-25"])
    assert (run["organizations"], run["codes_issued"], run["mailed"]) == (1, 1, 1)
    [mail] = timeline.smtp.wait_for(lambda m: sent_to(timeline.last_years.email)(m)
                                    and code_mail(THIS_YEAR)(m))
    assert timeline.school["name"] in body_of(mail)
    # the school that never ordered got no code, and nothing was mailed about it
    issued = timeline.portal.audit(organization_id=timeline.quiet_school["id"],
                                   action="access_code_issued")
    assert [entry["detail"]["academic_year"] for entry in issued] == [LAST_YEAR]
    assert not [m for m in timeline.smtp.messages() if "Quiet School" in body_of(m)]


def test_last_years_access_opens_nothing_this_year(timeline):
    portal, last_years = timeline.portal, timeline.last_years
    assert portal.get("/api/me", last_years.headers).json()["organizations"] == []
    old_code = [entry for entry in portal.audit(organization_id=timeline.school["id"],
                                                action="access_code_redeemed")
                if entry["detail"]["academic_year"] == LAST_YEAR][0]["detail"]["access_code"]
    retried = portal.redeem(last_years, timeline.school, old_code)
    assert retried.status_code == 400
    assert retried.json()["error"]["code"] == "invalid_access_code"


def test_this_years_code_gives_access_for_this_year(timeline):
    me = timeline.portal.get("/api/me", timeline.manager.headers).json()
    assert [(o["id"], o["access"], o["academic_year"]) for o in me["organizations"]] == [
        (timeline.school["id"], "manage", THIS_YEAR)]


def test_the_cli_issues_next_years_codes_and_mails_nobody_twice(timeline):
    portal, manager, school = timeline.portal, timeline.manager, timeline.school
    assert portal.put_profile(manager, school["id"],
                              portal.profile_body(manager)).status_code == 200
    command = [sys.executable, "-m", "services.access.cli", "access-code-run", NEXT_YEAR]
    env = dict(os.environ, **timeline.system.env)
    first = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "organizations that ordered in 2026-27 or 2025-26" in first.stdout
    assert "finished: 1 organizations, 1 new codes, 1 mailed" in first.stdout
    [mail] = timeline.smtp.wait_for(lambda m: sent_to(manager.email)(m)
                                    and code_mail(NEXT_YEAR)(m))
    assert access_code_in(mail)
    again = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert "finished: 0 organizations, 0 new codes, 0 mailed" in again.stdout
    assert len([m for m in timeline.smtp.messages() if code_mail(NEXT_YEAR)(m)]) == 1
    # a code for next year does not open anything this year
    early = portal.redeem(portal.new_account(), school, access_code_in(mail))
    assert early.status_code == 400


def test_a_run_is_for_this_year_or_the_next(timeline):
    for year in (LAST_YEAR, "2028-29", "2026"):
        refused = timeline.portal.start_access_code_run(year)
        assert refused.status_code == 400 and "academic_year" in refused.json()["error"][
            "fields"]


# --- the authorization matrix -------------------------------------------------------------

READ, CHANGE = "read", "change"


def endpoints(t):
    """(name, kind, request) of every organization-scoped endpoint, on the school."""
    base = f"/api/organizations/{t.school['id']}"
    order = f"{base}/orders/{t.order['id']}"
    portal = t.portal
    return {
        "profile GET": (READ, lambda who: portal.get(f"{base}/profile", who.headers)),
        "profile PUT": (CHANGE, lambda who: portal.put_profile(
            who, t.school["id"], portal.profile_body(t.manager))),
        "order-quote": (READ, lambda who: portal.get(f"{base}/order-quote", who.headers)),
        "orders list": (READ, lambda who: portal.get(f"{base}/orders", who.headers)),
        "orders POST": (CHANGE, lambda who: portal.place_order(who, t.school["id"], 1)),
        "order GET": (READ, lambda who: portal.get(order, who.headers)),
        "order PATCH": (CHANGE, lambda who: portal.patch(order, who.headers,
                                                          json={"po_number": "PO-9"})),
        "vouchers.csv": (READ, lambda who: portal.get(f"{order}/vouchers.csv", who.headers)),
        "vouchers usage": (READ, lambda who: portal.get(f"{order}/vouchers", who.headers)),
        "scores": (READ, lambda who: portal.get(f"{base}/scores", who.headers)),
        "scores.csv": (READ, lambda who: portal.get(f"{base}/scores.csv", who.headers)),
        "invoices": (READ, lambda who: portal.get(f"{base}/invoices", who.headers)),
    }


OPTIONAL = {"scores": "/api/organizations/{org_id}/scores",
            "scores.csv": "/api/organizations/{org_id}/scores.csv",
            "invoices": "/api/organizations/{org_id}/invoices"}
ENDPOINTS = ["profile GET", "profile PUT", "order-quote", "orders list", "orders POST",
             "order GET", "order PATCH", "vouchers.csv", "vouchers usage", "scores",
             "scores.csv", "invoices"]
CALLERS = {
    "no access": lambda t: t.outsider,
    "read-only": lambda t: t.district_reader,
    "another year only": lambda t: t.last_years,
    "manage": lambda t: t.manager,
}


def expected(caller, kind):
    if caller == "no access":
        return 404, "organization_not_found"
    if caller == "another year only":  # this year's data: this year's code is needed
        return 403, "access_code_needed"
    if caller == "read-only" and kind == CHANGE:
        return 403, "read_only_access"
    return "ok", None


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("caller", list(CALLERS))
def test_authorization_matrix(timeline, caller, endpoint):
    if endpoint in OPTIONAL and not timeline.portal.has_route("GET", OPTIONAL[endpoint]):
        pytest.skip(f"{endpoint} is not built yet")
    kind, call = endpoints(timeline)[endpoint]
    response = call(CALLERS[caller](timeline))
    status, code = expected(caller, kind)
    if status == "ok":
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code


# --- last year's data, after the year is over -----------------------------------------


def test_last_years_coordinator_is_told_this_years_code_is_needed(timeline):
    refused = error_of(timeline.portal.get(f"/api/organizations/{timeline.school['id']}/orders",
                                           timeline.last_years.headers), 403)
    assert refused["code"] == "access_code_needed"
    assert THIS_YEAR in refused["message"] and LAST_YEAR in refused["message"]


def test_last_years_orders_vouchers_and_scores_stay_readable_to_last_years_coordinator(
        timeline):
    portal, reader, june_order = timeline.portal, timeline.last_years, timeline.june_order
    base = f"/api/organizations/{timeline.school['id']}"
    order = f"{base}/orders/{june_order['id']}"
    listed = portal.get(f"{base}/orders", reader.headers, params={"academic_year": LAST_YEAR})
    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["orders"]] == [june_order["id"]]
    assert portal.get(order, reader.headers).json()["id"] == june_order["id"]
    usage = portal.get(f"{order}/vouchers", reader.headers)
    assert usage.status_code == 200 and usage.json()["total"] == 2, usage.text
    csv = portal.get(f"{order}/vouchers.csv", reader.headers)
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 3
    summary = portal.get(f"{base}/voucher-summary", reader.headers,
                         params={"academic_year": LAST_YEAR})
    assert summary.status_code == 200 and summary.json()["orders"] == 1, summary.text
    scores = portal.get(f"{base}/scores", reader.headers, params={"academic_year": LAST_YEAR})
    assert scores.status_code == 200 and scores.json()["access"] == "read_only", scores.text


def test_last_years_access_reads_only_last_year(timeline):
    portal, reader = timeline.portal, timeline.last_years
    base = f"/api/organizations/{timeline.school['id']}"
    this_years_order = error_of(portal.get(f"{base}/orders/{timeline.order['id']}",
                                           reader.headers), 403)
    assert this_years_order["code"] == "access_code_needed"
    changed = error_of(portal.patch(f"{base}/orders/{timeline.june_order['id']}",
                                    reader.headers, json={"po_number": "PO-LATE"}), 403)
    assert changed["code"] == "access_code_needed"
    older = error_of(portal.get(f"{base}/orders", reader.headers,
                                params={"academic_year": "2024-25"}), 403)
    assert older["code"] == "access_code_needed"
    # someone who never had access still learns nothing
    assert error_of(portal.get(f"{base}/orders/{timeline.june_order['id']}",
                               timeline.outsider.headers), 404)["code"] == \
        "organization_not_found"


def test_this_years_access_reads_last_years_orders_too(timeline):
    response = timeline.portal.get(
        f"/api/organizations/{timeline.school['id']}/orders/{timeline.june_order['id']}",
        timeline.manager.headers)
    assert response.status_code == 200, response.text


def test_last_years_pages_open_in_the_portal_without_this_years_access(timeline):
    token = timeline.last_years.headers["Authorization"].split(" ", 1)[1]
    browser = Browser(timeline.portal.base_url, token)
    school_id, june_order = timeline.school["id"], timeline.june_order
    history = browser.get(f"/organizations/{school_id}/orders?academic_year={LAST_YEAR}")
    assert history.status_code == 200, history.text[:500]
    assert f'<option value="{school_id}" selected>' in history.text  # in the switcher
    assert f"/organizations/{school_id}/orders/{june_order['id']}" in history.text
    order = browser.get(f"/organizations/{school_id}/orders/{june_order['id']}")
    assert order.status_code == 200, order.text[:500]
    scores = browser.get(f"/organizations/{school_id}/scores?academic_year={LAST_YEAR}")
    assert scores.status_code == 200, scores.text[:500]
    this_year = browser.get(f"/organizations/{school_id}/orders")
    assert this_year.status_code == 403
    assert "access code" in this_year.text and THIS_YEAR in this_year.text
    # where to find it: /api/me and the welcome page list what was held before
    me = timeline.portal.get("/api/me", timeline.last_years.headers).json()
    assert me["previous_years"] == [{"id": school_id, "name": timeline.school["name"],
                                     "academic_year": LAST_YEAR}]
    welcome = browser.get("/welcome")
    assert f"/organizations/{school_id}/orders?academic_year={LAST_YEAR}" in welcome.text


def browser_of(timeline, account):
    return Browser(timeline.portal.base_url, account.headers["Authorization"].split(" ", 1)[1])


def test_last_years_access_does_not_open_this_years_order_in_the_portal(timeline):
    """Whatever year the URL asks for, one order's page takes access for the order's year."""
    school_id, order = timeline.school["id"], timeline.order
    codes = timeline.portal.voucher_codes(timeline.manager, school_id, order["id"])
    browser = browser_of(timeline, timeline.last_years)
    for path in (f"/organizations/{school_id}/orders/{order['id']}",
                 f"/organizations/{school_id}/orders/{order['id']}/received"):
        for query in ("", f"?academic_year={LAST_YEAR}"):
            page = browser.get(path + query)
            assert page.status_code == 403, (path + query, page.text[:300])
            assert "access code" in page.text and THIS_YEAR in page.text
            assert not any(code in page.text for code in codes)
    june_order = f"/organizations/{school_id}/orders/{timeline.june_order['id']}/received"
    assert browser.get(june_order + f"?academic_year={THIS_YEAR}").status_code == 200


def test_a_year_the_portal_does_not_show_lists_nothing_to_who_held_access_then(timeline):
    """The tabs show the current year for a year outside the five they offer: reading
    them takes this year's access, even from someone who held access in the year asked."""
    school_id, portal, long_ago = timeline.school["id"], timeline.portal, timeline.long_ago
    # the access of 2021-22 is real: the API lists that year's (no) scores with it
    held = portal.get(f"/api/organizations/{school_id}/scores", long_ago.headers,
                      params={"academic_year": LONG_AGO_YEAR})
    assert held.status_code == 200 and held.json()["access"] == "read_only", held.text
    browser = browser_of(timeline, long_ago)
    for tab in ("", "/orders", "/scores", "/invoices"):
        page = browser.get(f"/organizations/{school_id}{tab}?academic_year={LONG_AGO_YEAR}")
        assert page.status_code == 403, (tab, page.text[:300])
        assert "access code" in page.text and THIS_YEAR in page.text


def test_last_years_legacy_codes_stay_readable_to_last_years_coordinator(timeline):
    base = f"/api/organizations/{timeline.school['id']}/legacy-vouchers"
    portal, reader = timeline.portal, timeline.last_years
    last_year = portal.get(base, reader.headers, params={"academic_year": LAST_YEAR})
    assert last_year.status_code == 200, last_year.text
    this_year = error_of(portal.get(base, reader.headers), 403)
    assert this_year["code"] == "access_code_needed"
