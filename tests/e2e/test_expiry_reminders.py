"""Reminders before an order's codes expire (issue 13), with two vouchers processes on
PostgreSQL (replicas whose timers really run at once) and a real SMTP server: a month and
a week before the order's June 30 expiration the coordinator is mailed once how many codes
are unused and given to nobody, with the order's link; a coordinator who turned reminders
off in the profile (the portal's checkbox) gets none. The program clock starts on May 1,
2027; the vouchers processes are then restarted with their clock moved on, as if the time
had passed."""
import os
import re


from tests.e2e import service_db
from tests.e2e.billing_flow import order_codes, wait_until
from tests.e2e.portal import Browser

DATABASE = "postgresql"
VOUCHER_WORKERS = 2
MAY_1 = "2027-05-01T15:00:00+00:00"
MAY_31 = "2027-05-31T16:00:00+00:00"    # noon in New York, 30 days before June 30
JUNE_23 = "2027-06-23T16:00:00+00:00"   # 7 days before
VOUCHERS = ["vouchers-1", "vouchers-2"]
CHECKED = "timer decide_expiry_reminders: ok"  # the line each check of a process logs


MAIL = True
SETTINGS = {"CLEP_CLOCK_NOW": MAY_1, "CLEP_EXPIRY_REMINDER_CHECK_SECONDS": "1"}


def log_size(system, name):
    return os.path.getsize(system.log_path(name))


def checks_since(system, name, since):
    """How many checks for reminders the process finished after byte `since` of its log."""
    with open(system.log_path(name), "rb") as log:
        log.seek(since)
        return log.read().decode("utf-8", errors="replace").count(CHECKED)


def reminders_to(smtp, address):
    return [message for message in smtp.messages()
            if message["To"] == address and "unused, expiring" in message["Subject"]]


def test_a_reminder_a_month_and_a_week_before_once_each_on_two_replicas(
        system, system_env, portal, public_url, smtp):
    portal.academic_year = "2026-27"
    portal.set_fees(9300, 3000)
    account, school = portal.coordinator_of()
    order, codes = order_codes(portal, account, school["id"], 3)
    assert order["expiration_date"] == "2027-06-30"
    given = portal.assign_voucher(account, school["id"], order["id"], codes[0],
                                  student_name="Ada Lovelace")
    assert given.status_code == 200, given.text

    quiet, other = portal.coordinator_of()
    profile = portal.get(f"/api/organizations/{other['id']}/profile", quiet.headers).json()
    assert profile["expiry_reminders"] is True
    page = Browser(portal.base_url, quiet.token)
    path = f"/organizations/{other['id']}/profile"
    assert re.search(r'name="expiry_reminders"[^>]* checked', page.get(path).text)
    saved = page.post(path, {  # the box unticked: the browser does not send it
        "coordinator.name": "Quinn Coordinator", "coordinator.email": quiet.email,
        "coordinator.phone": "313-555-0100", "second_contact.role": "principal",
        "second_contact.name": "Dana Principal", "second_contact.email": "p@example.org",
        "second_contact.phone": "313-555-0101", "billing_contact.same_as_coordinator": "yes"})
    assert saved.status_code == 303, saved.text[:500]
    assert 'name="expiry_reminders"' in page.get(path).text
    assert not re.search(r'name="expiry_reminders"[^>]* checked', page.get(path).text)
    profile = portal.get(f"/api/organizations/{other['id']}/profile", quiet.headers).json()
    assert profile["expiry_reminders"] is False
    # a client that does not know the field leaves it as it is
    kept = portal.put_profile(quiet, other["id"], portal.profile_body(quiet))
    assert kept.status_code == 200 and kept.json()["expiry_reminders"] is False, kept.text
    order_codes(portal, quiet, other["id"], 2)

    system.restart(VOUCHERS, {"CLEP_CLOCK_NOW": MAY_31})
    [month] = wait_until(lambda: reminders_to(smtp, account.email), "the month's reminder")
    assert month["Subject"] == "CLEP voucher order {}: 2 unused, expiring June 30, 2027" \
        .format(order["id"])
    body = month.get_content()
    assert "2 voucher codes of your CLEP voucher order {} are still unused".format(
        order["id"]) in body and "(in 30 days)" in body
    assert "\n{}/organizations/{}/orders/{}\n".format(public_url, school["id"],
                                                      order["id"]) in body

    portal.assign_voucher(account, school["id"], order["id"], codes[1], student_name="Alan")
    system.restart(VOUCHERS, {"CLEP_CLOCK_NOW": JUNE_23})
    wait_until(lambda: len(reminders_to(smtp, account.email)) == 2, "the week's reminder")
    # both replicas check again, after the mail: a process's checks run one after another,
    # so the second to finish after this point began after it, with the week's row there
    marks = {name: log_size(system, name) for name in VOUCHERS}
    wait_until(lambda: all(checks_since(system, name, marks[name]) >= 2 for name in VOUCHERS),
               "both vouchers processes checking again")
    month_again, week = reminders_to(smtp, account.email)
    assert month_again["Message-ID"] == month["Message-ID"]
    assert week["Subject"].startswith("CLEP voucher order {}: 1 unused".format(order["id"]))
    assert "(in 7 days)" in week.get_content()
    assert reminders_to(smtp, quiet.email) == []  # turned off in the profile
    assert service_db.rows(system_env, "vouchers",
                           "SELECT order_id, threshold_days, unused FROM expiry_reminders "
                           "WHERE sent_at IS NOT NULL ORDER BY threshold_days") == [
        (order["id"], 7, 1), (order["id"], 30, 2)]
