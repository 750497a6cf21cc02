"""Reminders before an order's codes expire, from two vouchers containers sharing one
database (two replicas), on SQLite and PostgreSQL, through a real SMTP server: one mail
per order and threshold with the codes left unused and unassigned, none for an order with
nothing left, none for a coordinator who turned them off (issue 13); a process killed
while mailing a day's reminders loses only the one it was sending."""
import uuid

import eventlet
import pytest
from nameko.testing.utils import get_extension
from sqlalchemy import select

from services.common.mailer import MailerProvider

from services.vouchers.models import ExpiryReminder
from services.vouchers.service import VouchersService
from tests.integration.test_vouchers_generation import ORGANIZATION_ID, order_placed
from tests.mail import SmtpServer

# 16:00 UTC on June 23, 2027: seven days before the orders' June 30 expiration
A_WEEK_BEFORE = "2027-06-23T16:00:00+00:00"
OTHER_ORGANIZATION = 43


def profile_updated(organization_id, email, reminders):
    return {"event_id": str(uuid.uuid4()), "organization_id": organization_id,
            "organization_name": "School {}".format(organization_id),
            "coordinator": {"name": "Dana <b>Smith</b>\nBcc: x@evil.example", "email": email,
                            "phone": "313-555-0100"},
            "billing_contact": {"name": "AP", "email": "ap@example.org",
                                "phone": "313-555-0101"},
            "expiry_reminders": reminders}


def test_two_replicas_send_each_reminder_once(start_service, listen, dispatch, rpc, stores,
                                              wait_for, stays):
    with SmtpServer() as smtp:
        generated = listen("vouchers", "vouchers_generated", name="generated")
        for _ in range(2):
            start_service(VouchersService, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port,
                          CLOCK_NOW=A_WEEK_BEFORE, EXPIRY_REMINDER_CHECK_SECONDS=0.1,
                          PUBLIC_URL="https://portal.example.org/")
        dispatch("orders", "order_placed", order_placed(701, 4))
        dispatch("orders", "order_placed", order_placed(702, 1))
        dispatch("orders", "order_placed", dict(order_placed(703, 2),
                                                organization_id=OTHER_ORGANIZATION))
        generated.wait("vouchers_generated", 3, timeout=30)
        first = rpc.vouchers.csv_page(ORGANIZATION_ID, 701)["codes"][0]
        rpc.vouchers.assign_voucher(ORGANIZATION_ID, 701, first, {"student_name": "Ada"})
        [only] = rpc.vouchers.csv_page(ORGANIZATION_ID, 702)["codes"]
        rpc.vouchers.assign_voucher(ORGANIZATION_ID, 702, only, {"student_name": "Alan"})

        # the coordinators reach vouchers only now: the timers had nobody to mail before
        dispatch("access", "profile_updated", profile_updated(
            OTHER_ORGANIZATION, "off@example.org", False))
        dispatch("access", "profile_updated", profile_updated(
            ORGANIZATION_ID, "dana@example.org", True))
        [mail] = smtp.wait_for(lambda message: message["To"] == "dana@example.org")
        assert stays(lambda: len(smtp.messages()) == 1, duration=2)  # 20 checks, two replicas
        assert mail["Subject"] == "CLEP voucher order 701: 3 unused, expiring June 30, 2027"
        body = mail.get_content()
        assert "3 voucher codes of your CLEP voucher order 701 are still unused" in body
        assert "in 7 days" in body
        assert "\nhttps://portal.example.org/organizations/{}/orders/701\n".format(
            ORGANIZATION_ID) in body
        assert "Hello Dana <b>Smith</b> Bcc: x@evil.example," in body  # one line, as typed
        assert mail["Bcc"] is None

        store = stores("vouchers")
        with store.reader() as session:
            [row] = session.scalars(select(ExpiryReminder)).all()
        assert (row.order_id, row.threshold_days, row.unused, row.sent_to) == (
            701, 7, 3, "dana@example.org")
        wait_for(lambda: reader_sent_at(store))

        # the other coordinator turns reminders back on: their order's goes out, once
        dispatch("access", "profile_updated", profile_updated(
            OTHER_ORGANIZATION, "off@example.org", True))
        smtp.wait_for(lambda message: message["To"] == "off@example.org")
        assert stays(lambda: len(smtp.messages()) == 2, duration=1.5)


def reader_sent_at(store):
    with store.reader() as session:
        return session.scalar(select(ExpiryReminder.sent_at))


def test_a_process_killed_while_mailing_loses_only_the_mail_in_flight(
        start_service, listen, dispatch, stores, wait_for, stays):
    """June 30's reminders come due together. The timer that decides them used to mail
    them one after another: a process stopped or killed in that loop left every reminder
    it had not mailed yet recorded, and never sent. Each is now an event of its own."""
    orders = [711, 712, 713, 714, 715]
    with SmtpServer() as smtp:
        generated = listen("vouchers", "vouchers_generated", name="generated")
        settings = dict(SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, CLOCK_NOW=A_WEEK_BEFORE,
                        EXPIRY_REMINDER_CHECK_SECONDS=0.1)
        first = start_service(VouchersService, **settings)
        stuck = StuckMailer()
        get_extension(first, MailerProvider).mailer = stuck  # its SMTP never answers
        for order_id in orders:
            dispatch("orders", "order_placed", order_placed(order_id, 1))
        generated.wait("vouchers_generated", len(orders), timeout=30)
        dispatch("access", "profile_updated", profile_updated(
            ORGANIZATION_ID, "dana@example.org", True))
        wait_for(lambda: stuck.sending, timeout=20, message="no reminder was being mailed")
        store = stores("vouchers")
        assert len(decided(store)) == len(orders)  # all due at once, decided at once
        first.kill()  # the process dies while it mails (its worker does not go on)

        start_service(VouchersService, **settings)
        mails = smtp.wait_for(lambda message: message["To"] == "dana@example.org",
                              count=len(orders) - 1, timeout=30)
        assert stays(lambda: len(smtp.messages()) == len(orders) - 1, duration=2)
        mailed = {int(mail["Subject"].split()[3].rstrip(":")) for mail in mails}
        wait_for(lambda: sum(sent for _, sent in decided(store)) == len(orders) - 1)
        [lost] = [order_id for order_id, sent in decided(store) if not sent]
        assert stuck.sending == [lost]  # the one in flight: logged, never sent twice
        assert mailed == set(orders) - {lost}


def test_a_bad_reminder_days_setting_stops_the_start(start_service):
    with pytest.raises(ValueError, match=r"CLEP_EXPIRY_REMINDER_DAYS.*'a month'"):
        start_service(VouchersService, EXPIRY_REMINDER_DAYS="a month")


class StuckMailer:
    """A mailer whose send never returns (an SMTP server that stopped answering)."""

    def __init__(self):
        self.sending = []

    def send(self, to, subject, body):
        self.sending.append(int(subject.split()[3].rstrip(":")))
        eventlet.Event().wait()


def decided(store):
    with store.reader() as session:
        return session.execute(select(ExpiryReminder.order_id,
                                      ExpiryReminder.sent_at.is_not(None))).all()
