"""Reminders before an order's codes expire (issue 13; services/vouchers/expiry_reminders.py):
which reminder is due on which day, once per order and threshold, only with codes left
unused and unassigned, only to a coordinator who wants them; and the profile's setting in
access that turns them off."""
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select


from services.access import audit
from services.access.profiles import update_profile
from services.vouchers import expiry_reminders as reminders
from services.vouchers.codes import generate_codes
from services.vouchers.models import ExpiryReminder, Voucher, VoucherAssignment
from tests.unit import test_access_profiles
from tests.unit.test_access_profiles import PROFILE, profile_events
from tests.unit.test_generation import events
from tests.unit.test_redemption import make_batch

DAYS = (30, 7)


def at_noon(day):
    """The program's `day` (New York), at noon."""
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("today, due", [
    # an order expiring on March 2, 2027: 30 days before is January 31 (a month end)
    (date(2027, 1, 30), None),        # 31 days left: not yet
    (date(2027, 1, 31), 30),          # the month's reminder
    (date(2027, 2, 1), 30),           # still the month's (a day late: a timer that was down)
    (date(2027, 2, 22), 30),          # 8 days left
    (date(2027, 2, 23), 7),           # the week's: 7 days left, across February's end
    (date(2027, 3, 1), 7),
    (date(2027, 3, 2), 7),            # the last day the codes can be used
    (date(2027, 3, 3), None),         # expired yesterday
    (date(2027, 7, 1), None),         # long past
])
def test_the_tightest_threshold_reached_is_due(today, due):
    assert reminders.due_threshold(date(2027, 3, 2), today, DAYS) == due


def test_an_order_expiring_on_december_31_is_reminded_on_december_1_and_24():
    assert reminders.due_threshold(date(2026, 12, 31), date(2026, 11, 30), DAYS) is None
    assert reminders.due_threshold(date(2026, 12, 31), date(2026, 12, 1), DAYS) == 30
    assert reminders.due_threshold(date(2026, 12, 31), date(2026, 12, 24), DAYS) == 7


@pytest.mark.parametrize("setting, thresholds", [
    (None, (30, 7)), ("", (30, 7)), ("30,7", (30, 7)), ("7, 30", (30, 7)), (14, (14,)),
    ("60,30,7,7", (60, 30, 7)),
])
def test_the_thresholds_setting(setting, thresholds):
    assert reminders.thresholds_from(setting) == thresholds


@pytest.mark.parametrize("setting", ["0", "30,-7", "a month", "30;7", "7.5"])
def test_a_threshold_that_is_not_whole_days_is_refused(setting):
    with pytest.raises(ValueError, match="EXPIRY_REMINDER_DAYS"):
        reminders.thresholds_from(setting)


def thresholds_provider(setting):
    provider = reminders.Thresholds()
    provider.container = SimpleNamespace(config={"EXPIRY_REMINDER_DAYS": setting})
    return provider


def test_the_setting_is_read_once_when_the_process_starts():
    provider = thresholds_provider("7, 30")
    provider.setup()
    provider.container.config["EXPIRY_REMINDER_DAYS"] = "a month"  # read no more
    assert provider.get_dependency(None) == (30, 7)


def test_a_bad_setting_stops_the_start():
    with pytest.raises(ValueError, match=r"CLEP_EXPIRY_REMINDER_DAYS.*'a month'"):
        thresholds_provider("a month").setup()


def test_the_vouchers_service_reads_the_setting_at_start():
    from services.vouchers.service import VouchersService
    assert isinstance(VouchersService.reminder_days, reminders.Thresholds)


# on a vouchers database

ORG = 7


def keep(store, clock, wants=True, org=ORG, name="Dana Smith", email="dana@cass.example.org"):
    event = {"organization_id": org, "coordinator": {"name": name, "email": email}}
    if wants is not None:
        event["expiry_reminders"] = wants
    with store.transaction() as work:
        reminders.keep_coordinator(work.session, clock.now(), event)


def claim(store, clock):
    with store.transaction() as work:
        return reminders.claim_due(work, clock, DAYS)


def give_out(store, clock, codes):
    with store.transaction() as work:
        for code in codes:
            batch_id = work.session.get(Voucher, code).batch_id
            work.session.add(VoucherAssignment(
                voucher_code=code, batch_id=batch_id, student_name="Ada Lovelace",
                given_out_on=clock.today(), assigned_at=clock.now()))


def set_status(store, code, status):
    with store.transaction() as work:
        work.session.get(Voucher, code).status = status


def recorded(store):
    with store.reader() as session:
        return sorted(session.execute(select(ExpiryReminder.order_id,
                                             ExpiryReminder.threshold_days,
                                             ExpiryReminder.unused)).all())


def due_events(store):
    return events(store, "expiry_reminder_due")


def to_send(store, clock, event):
    """What the handler of `expiry_reminder_due` would mail now (its unit of work)."""
    with store.transaction() as work:
        return reminders.reminder_to_send(work, clock, event)


def sent(store, clock, reminder):
    with store.transaction() as work:
        reminders.record_sent(work, clock, reminder)


def sent_rows(store):
    with store.reader() as session:
        return sorted(session.execute(select(
            ExpiryReminder.order_id, ExpiryReminder.threshold_days, ExpiryReminder.unused,
            ExpiryReminder.sent_to, ExpiryReminder.sent_at.is_not(None))).all())


@pytest.fixture
def order_of_five(vouchers_store, clock):
    """Order 41 of organization 7: five codes expiring on March 2, 2027; one redeemed, one
    given to a student: three unused and unassigned."""
    codes = generate_codes(5)
    make_batch(vouchers_store, clock, codes, expiration=date(2027, 3, 2))
    set_status(vouchers_store, codes[0], "redeemed")
    give_out(vouchers_store, clock, codes[1:2])
    keep(vouchers_store, clock)
    return codes


def test_each_reminder_is_decided_once_with_the_codes_left(vouchers_store, clock,
                                                           order_of_five):
    clock.frozen_at = at_noon(date(2027, 1, 30))
    assert claim(vouchers_store, clock) == []
    clock.frozen_at = at_noon(date(2027, 1, 31))
    [month] = claim(vouchers_store, clock)
    assert (month.order_id, month.threshold, month.unused, month.days_left) == (41, 30, 3, 30)
    assert month.to == "dana@cass.example.org"
    assert claim(vouchers_store, clock) == []  # a second check, or another replica
    clock.frozen_at = at_noon(date(2027, 2, 10))
    assert claim(vouchers_store, clock) == []
    give_out(vouchers_store, clock, order_of_five[2:3])
    clock.frozen_at = at_noon(date(2027, 2, 23))
    [week] = claim(vouchers_store, clock)
    assert (week.threshold, week.unused, week.days_left) == (7, 2, 7)
    clock.frozen_at = at_noon(date(2027, 3, 2))
    assert claim(vouchers_store, clock) == []
    assert recorded(vouchers_store) == [(41, 7, 2), (41, 30, 3)]


def test_each_reminder_decided_is_one_event_to_mail_it(vouchers_store, clock):
    """The transaction that decides the reminders writes one `expiry_reminder_due` each:
    the mails go out one per event, each on its own, so a process stopped while mailing
    June 30's hundreds leaves the rest to the others (they were all lost before)."""
    keep(vouchers_store, clock)
    for order_id in (41, 42, 43):
        make_batch(vouchers_store, clock, generate_codes(2), expiration=date(2027, 6, 30),
                   order_id=order_id)
    clock.frozen_at = at_noon(date(2027, 5, 31))
    assert len(claim(vouchers_store, clock)) == 3
    assert claim(vouchers_store, clock) == []  # another replica: no second event either
    events = due_events(vouchers_store)
    assert [{key: event[key] for key in ("order_id", "organization_id", "threshold_days")}
            for event in events] == [
        {"order_id": order_id, "organization_id": ORG, "threshold_days": 30}
        for order_id in (41, 42, 43)]
    assert len({event["event_id"] for event in events}) == 3


def test_the_event_mails_the_reminder_once_with_the_codes_left_then(vouchers_store, clock,
                                                                    order_of_five):
    clock.frozen_at = at_noon(date(2027, 1, 31))
    claim(vouchers_store, clock)
    [event] = due_events(vouchers_store)
    give_out(vouchers_store, clock, order_of_five[2:3])  # between the decision and the mail
    keep(vouchers_store, clock, name="Lee Jones", email="lee@cass.example.org")
    clock.frozen_at = at_noon(date(2027, 2, 1))
    reminder = to_send(vouchers_store, clock, event)
    assert (reminder.order_id, reminder.organization_id, reminder.threshold,
            reminder.unused, reminder.days_left, reminder.to, reminder.name) == (
        41, ORG, 30, 2, 29, "lee@cass.example.org", "Lee Jones")
    sent(vouchers_store, clock, reminder)
    assert sent_rows(vouchers_store) == [(41, 30, 2, "lee@cass.example.org", True)]
    assert to_send(vouchers_store, clock, event) is None  # sent: never again


def test_a_reminder_no_longer_wanted_is_not_mailed_and_decided_again_later(
        vouchers_store, clock, order_of_five):
    clock.frozen_at = at_noon(date(2027, 1, 31))
    claim(vouchers_store, clock)
    [event] = due_events(vouchers_store)
    keep(vouchers_store, clock, wants=False)  # before the handler took the event
    assert to_send(vouchers_store, clock, event) is None
    assert recorded(vouchers_store) == []  # forgotten, as if never decided
    assert claim(vouchers_store, clock) == []
    keep(vouchers_store, clock, wants=True)
    [again] = claim(vouchers_store, clock)
    assert again.threshold == 30
    second = due_events(vouchers_store)[1]
    give_out(vouchers_store, clock, order_of_five[2:])  # nothing left by the time it is sent
    assert to_send(vouchers_store, clock, second) is None
    assert recorded(vouchers_store) == []


def test_a_reminder_is_not_mailed_past_the_expiration_date(vouchers_store, clock,
                                                          order_of_five):
    clock.frozen_at = at_noon(date(2027, 3, 2))
    claim(vouchers_store, clock)
    [event] = due_events(vouchers_store)
    clock.frozen_at = at_noon(date(2027, 3, 3))  # the event waited a day in the queue
    assert to_send(vouchers_store, clock, event) is None


def test_an_order_placed_inside_the_week_gets_only_the_week_s_reminder(vouchers_store, clock,
                                                                       order_of_five):
    clock.frozen_at = at_noon(date(2027, 2, 26))
    [week] = claim(vouchers_store, clock)
    assert week.threshold == 7
    assert recorded(vouchers_store) == [(41, 7, 3)]


def test_nothing_left_unused_and_unassigned_sends_nothing_until_a_code_comes_back(
        vouchers_store, clock, order_of_five):
    give_out(vouchers_store, clock, order_of_five[2:])
    clock.frozen_at = at_noon(date(2027, 1, 31))
    assert claim(vouchers_store, clock) == []
    assert recorded(vouchers_store) == []
    with vouchers_store.transaction() as work:  # a code taken back from its student
        work.session.delete(work.session.get(VoucherAssignment, order_of_five[4]))
    clock.frozen_at = at_noon(date(2027, 2, 1))
    [month] = claim(vouchers_store, clock)
    assert (month.threshold, month.unused) == (30, 1)


def test_a_coordinator_who_turned_reminders_off_gets_none(vouchers_store, clock,
                                                           order_of_five):
    keep(vouchers_store, clock, wants=False)
    clock.frozen_at = at_noon(date(2027, 1, 31))
    assert claim(vouchers_store, clock) == []
    keep(vouchers_store, clock, wants=None)  # an event from before the setting: on
    [month] = claim(vouchers_store, clock)
    assert month.threshold == 30


def test_no_coordinator_on_file_no_reminder(vouchers_store, clock):
    make_batch(vouchers_store, clock, generate_codes(2), expiration=date(2027, 3, 2),
               organization_id=8, order_id=50)
    clock.frozen_at = at_noon(date(2027, 1, 31))
    assert claim(vouchers_store, clock) == []


def test_expired_orders_and_legacy_codes_get_no_reminder(vouchers_store, clock):
    keep(vouchers_store, clock)
    make_batch(vouchers_store, clock, generate_codes(2), expiration=date(2027, 1, 1),
               order_id=42)
    make_batch(vouchers_store, clock, ["OLD0001"], expiration=date(2027, 2, 1),
               order_id=None, legacy=True)
    clock.frozen_at = at_noon(date(2027, 1, 15))
    assert claim(vouchers_store, clock) == []


def test_each_order_of_an_organization_is_reminded_on_its_own(vouchers_store, clock):
    keep(vouchers_store, clock)
    make_batch(vouchers_store, clock, generate_codes(2), expiration=date(2027, 3, 2),
               order_id=41)
    make_batch(vouchers_store, clock, generate_codes(4), expiration=date(2027, 2, 20),
               order_id=43)
    clock.frozen_at = at_noon(date(2027, 2, 13))
    assert sorted((r.order_id, r.threshold, r.unused) for r in claim(vouchers_store, clock)) \
        == [(41, 30, 2), (43, 7, 4)]


def test_the_mail_counts_links_and_keeps_typed_text_on_one_line():
    reminder = reminders.Reminder(41, 7, 30, date(2027, 3, 2), 30, 1234,
                                  "dana@cass.example.org", "Dana\r\nBcc: x@evil.example\x00")
    to, subject, body = reminders.mail(reminder, "https://portal.example.org")
    assert to == "dana@cass.example.org"
    assert subject == "CLEP voucher order 41: 1,234 unused, expiring March 2, 2027"
    assert "Hello Dana Bcc: x@evil.example,\n" in body
    assert "\nBcc" not in body and "\x00" not in body
    assert "1,234 voucher codes of your CLEP voucher order 41 are still unused" in body
    assert "(in 30 days)" in body
    assert "\nhttps://portal.example.org/organizations/7/orders/41\n" in body
    last_day = reminder._replace(days_left=0, unused=1, threshold=7)
    body = reminders.mail(last_day, "https://portal.example.org")[2]
    assert "1 voucher code of your CLEP voucher order 41 is still unused" in body
    assert "today is their last day" in body


# the setting in the profile (access)

school = test_access_profiles.school  # the fixture: a registered school

def save(store, clock, school, **extra):
    with store.transaction() as work:
        return update_profile(work, clock, None, school, dict(PROFILE, **extra))


def test_reminders_are_on_for_a_new_profile_and_announced(access_store, clock, school):
    assert save(access_store, clock, school)["expiry_reminders"] is True
    [event] = profile_events(access_store)
    assert event["expiry_reminders"] is True


def test_turning_reminders_off_is_kept_announced_and_audited(access_store, clock, school):
    save(access_store, clock, school)
    assert save(access_store, clock, school, expiry_reminders=False)["expiry_reminders"] \
        is False
    # a client that does not know the field leaves it as it is
    assert save(access_store, clock, school)["expiry_reminders"] is False
    assert [event["expiry_reminders"] for event in profile_events(access_store)] == \
        [True, False, False]
    with access_store.reader() as session:
        entries = audit.list_entries(session, organization_id=school["id"],
                                     action="profile_updated")
    assert [entry["detail"]["changed"] for entry in entries][:2] == [[], ["expiry_reminders"]]


def test_the_portal_form_s_checkbox_is_the_setting():
    from gateway.portal.organization_pages import profile_from_form
    assert profile_from_form({"expiry_reminders": "yes"})["expiry_reminders"] is True
    assert profile_from_form({})["expiry_reminders"] is False  # an unticked box is not sent
