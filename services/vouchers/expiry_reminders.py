"""Reminders before an order's codes expire (issue 13).

A month and a week before an order's expiration date (`EXPIRY_REMINDER_DAYS`, days before
it), the organization's coordinator on file is mailed how many of the order's codes are
still unused and given to nobody, with a link to the order's page in the portal.

- **Which reminder is due.** On a day with `days_left` until the expiration date (0 on the
  date itself, the codes' last usable day), the due reminder is the tightest threshold
  reached: the smallest threshold >= days_left. An order placed 20 days before it expires
  gets the month's reminder at once and the week's 13 days later; one that missed the
  month's window (placed 5 days before, or the system down) gets only the week's. Past
  the expiration date, nothing.
- **Once per order and threshold**, whatever the replicas: the `expiry_reminders` row of
  (order, threshold) is the guard, inserted by the one transaction that decides the mail
  (as the June 30 close's `year_closures` row). That transaction also writes one
  `expiry_reminder_due` event per reminder to the outbox; this service's own handler of
  it (`reminder_to_send`, then `record_sent`) mails it, one reminder per event, as
  `voucher_email_requested` mails a code. The handler records the event as handled before
  it sends: a crash, a stop or a redelivery loses at most the one mail in flight (logged,
  `sent_at` stays empty), never sends it twice; the reminders decided with it are still
  in the queue for the next process.
- **Not sent, and not recorded** (so a later check may still send it) while nothing of
  the order is left unused and unassigned, while the organization has no coordinator on
  file, or while its profile turns reminders off: checked when the reminder is decided,
  and again by the handler, which forgets the row (rather than sending) if that changed
  in between.
"""
import re
from collections import namedtuple
from datetime import timedelta

from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from sqlalchemy import and_, delete, func, select, update

from services.common.database import insert_ignoring_duplicates
from services.common.queues import TypedEventHandler
from services.vouchers.models import (ExpiryReminder, OrganizationContact, Voucher,
                                      VoucherAssignment, VoucherBatch)

DEFAULT_DAYS = (30, 7)
EXPIRY_REMINDER_DUE = "expiry_reminder_due"

Reminder = namedtuple("Reminder", "order_id organization_id threshold expiration_date "
                                  "days_left unused to name")


def thresholds_from(setting):
    """The thresholds (days before expiry) of the `EXPIRY_REMINDER_DAYS` setting ("30,7"),
    largest first; an empty setting is the default. Anything but positive whole days is
    refused rather than read as something else (`Thresholds`: the process does not
    start)."""
    if setting is None or str(setting).strip() == "":
        return DEFAULT_DAYS
    parts = [part.strip() for part in str(setting).split(",") if part.strip()]
    if not parts or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError("EXPIRY_REMINDER_DAYS (CLEP_EXPIRY_REMINDER_DAYS): positive whole "
                         "days, comma-separated (like 30,7), not {!r}".format(setting))
    return tuple(sorted({int(part) for part in parts}, reverse=True))


class Thresholds(DependencyProvider):
    """The reminders' thresholds, read from the config once, when the process starts: a
    setting that is not whole days stops the start (ValueError) instead of failing every
    check."""

    def setup(self):
        self.thresholds = thresholds_from(self.container.config.get("EXPIRY_REMINDER_DAYS"))

    def get_dependency(self, worker_ctx):
        return self.thresholds


class OneReminderAtATime(QueueConsumer):
    """The consumer of `expiry_reminder_due` (a connection of its own, as the chunk
    queue's): a process holds one reminder at a time, not `max_workers` (10) of them. The
    mails of a June 30 spread over every process, SMTP gets one connection per process, and
    a process killed while mailing loses the one mail it was sending; the reminders it had
    not started go back to the queue for the others."""

    @property
    def prefetch_count(self):
        return 1


class ReminderEventHandler(TypedEventHandler):
    queue_consumer = OneReminderAtATime()


reminder_handler = ReminderEventHandler.decorator


def due_threshold(expiration_date, today, thresholds):
    """The reminder due on `today` for codes expiring on `expiration_date`: the tightest
    threshold reached, or None (not yet within any, or past the expiration date)."""
    days_left = (expiration_date - today).days
    if days_left < 0:
        return None
    reached = [days for days in thresholds if days_left <= days]
    return min(reached) if reached else None


def keep_coordinator(session, now, event):
    """`profile_updated`: the coordinator on file and whether they want reminders (absent
    from events of an access service before the setting existed: on)."""
    contact = session.get(OrganizationContact, event["organization_id"]) or \
        OrganizationContact(organization_id=event["organization_id"])
    contact.coordinator_name = event["coordinator"]["name"]
    contact.coordinator_email = event["coordinator"]["email"]
    contact.expiry_reminders = event.get("expiry_reminders", True) is not False
    contact.updated_at = now
    session.add(contact)


def due_reminders(session, today, thresholds):
    """[(batch row, threshold, codes left)] of the reminders due today and not recorded yet,
    for coordinators who want them, of orders with codes left unused and unassigned."""
    candidates = session.execute(
        select(VoucherBatch.id, VoucherBatch.order_id, VoucherBatch.organization_id,
               VoucherBatch.expiration_date, OrganizationContact.coordinator_name,
               OrganizationContact.coordinator_email)
        .join(OrganizationContact,
              OrganizationContact.organization_id == VoucherBatch.organization_id)
        .where(VoucherBatch.legacy.is_(False), VoucherBatch.order_id.is_not(None),
               VoucherBatch.expiration_date >= today,
               VoucherBatch.expiration_date <= today + timedelta(days=max(thresholds)),
               OrganizationContact.expiry_reminders.is_(True))
        .order_by(VoucherBatch.order_id)).all()
    due = [(row, due_threshold(row.expiration_date, today, thresholds)) for row in candidates]
    due = [(row, threshold) for row, threshold in due if threshold is not None]
    if not due:
        return []
    recorded = set(session.execute(
        select(ExpiryReminder.order_id, ExpiryReminder.threshold_days)
        .where(ExpiryReminder.order_id.in_([row.order_id for row, _ in due]))).all())
    due = [(row, threshold) for row, threshold in due
           if (row.order_id, threshold) not in recorded]
    left = unused_unassigned(session, [row.id for row, _ in due])
    # nothing left to remind of: not recorded, so a later check sends it if codes come back
    return [(row, threshold, left[row.id]) for row, threshold in due if left.get(row.id)]


def claim_due(work, clock, thresholds):
    """Decide the reminders due today: record each (the guard: its row) and write its
    `expiry_reminder_due` event, mailed by this service's handler once this commits.
    Returns the reminders this transaction recorded."""
    session, today = work.session, clock.today()
    claimed = []
    for row, threshold, left in due_reminders(session, today, thresholds):
        if insert_ignoring_duplicates(session, ExpiryReminder.__table__, [{
                "order_id": row.order_id, "threshold_days": threshold,
                "organization_id": row.organization_id, "unused": left,
                "sent_to": row.coordinator_email, "decided_at": clock.now()}]) != 1:
            continue  # another replica's transaction recorded it first
        work.emit(EXPIRY_REMINDER_DUE, {"order_id": row.order_id,
                                        "organization_id": row.organization_id,
                                        "threshold_days": threshold})
        claimed.append(Reminder(row.order_id, row.organization_id, threshold,
                                row.expiration_date, (row.expiration_date - today).days,
                                left, row.coordinator_email, row.coordinator_name))
    return claimed


def reminder_to_send(work, clock, event):
    """The Reminder an `expiry_reminder_due` event is to mail, now: to the coordinator on
    file, with the codes left now. None when it is no longer to be sent: already sent
    (`sent_at`), or the order is past its expiration date; and None, its row forgotten so
    that a later check decides it again, when the coordinator turned reminders off or is
    no longer on file, or nothing is left unused and unassigned."""
    session, today = work.session, clock.today()
    this = (ExpiryReminder.order_id == event["order_id"],
            ExpiryReminder.threshold_days == event["threshold_days"])
    recorded = session.execute(select(ExpiryReminder.sent_at).where(*this)).first()
    if recorded is None or recorded.sent_at is not None:
        return None
    batch = session.execute(
        select(VoucherBatch.id, VoucherBatch.organization_id, VoucherBatch.expiration_date)
        .where(VoucherBatch.order_id == event["order_id"])).first()
    if batch is None or batch.expiration_date < today:
        return None
    contact = session.get(OrganizationContact, batch.organization_id)
    left = unused_unassigned(session, [batch.id]).get(batch.id)
    if contact is None or not contact.expiry_reminders or not left:
        session.execute(delete(ExpiryReminder).where(*this))
        return None
    return Reminder(event["order_id"], batch.organization_id, event["threshold_days"],
                    batch.expiration_date, (batch.expiration_date - today).days, left,
                    contact.coordinator_email, contact.coordinator_name)


def unused_unassigned(session, batch_ids):
    """{batch_id: codes still unused and given to nobody} of the batches."""
    if not batch_ids:
        return {}
    return dict(session.execute(
        select(Voucher.batch_id, func.count())
        .outerjoin(VoucherAssignment, VoucherAssignment.voucher_code == Voucher.code)
        .where(Voucher.batch_id.in_(batch_ids), Voucher.status == "unused",
               VoucherAssignment.voucher_code.is_(None))
        .group_by(Voucher.batch_id)).all())


def record_sent(work, clock, reminder):
    """The reminder went out: when, to whom, with which count."""
    work.session.execute(update(ExpiryReminder).where(and_(
        ExpiryReminder.order_id == reminder.order_id,
        ExpiryReminder.threshold_days == reminder.threshold)).values(
            sent_at=clock.now(), sent_to=reminder.to, unused=reminder.unused))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def plain(text):
    """What someone typed (a name), as one line of a plain-text mail: control characters
    and line breaks become a space, so it cannot add lines or headers."""
    return _CONTROL.sub(" ", text or "").strip()


def mail(reminder, portal_url):
    """(to, subject, body) of a reminder. The subject holds only numbers and dates; what
    people typed (the coordinator's name) goes only into the body, as one plain line."""
    when = reminder.expiration_date.strftime("%B %-d, %Y")
    left = ("today is their last day" if reminder.days_left == 0 else
            "in 1 day" if reminder.days_left == 1 else
            "in {} days".format(reminder.days_left))
    codes = "1 voucher code" if reminder.unused == 1 else \
        "{:,} voucher codes".format(reminder.unused)
    body = "\n".join([
        "Hello {},".format(plain(reminder.name) or "CLEP coordinator"),
        "",
        "{} of your CLEP voucher order {} {} still unused and given to no student.".format(
            codes, reminder.order_id, "is" if reminder.unused == 1 else "are"),
        "The order's codes expire on {} ({}); a code not redeemed by then cannot be "
        "used.".format(when, left),
        "",
        "Give them to students from the order's page in the portal:",
        "{}/organizations/{}/orders/{}".format(portal_url, reminder.organization_id,
                                               reminder.order_id),
        "",
        "You get this reminder {} days before the codes expire. To stop these reminders,"
        .format(reminder.threshold),
        "turn them off in your organization's profile in the portal.",
    ])
    subject = "CLEP voucher order {}: {} unused, expiring {}".format(
        reminder.order_id, "{:,}".format(reminder.unused), when)
    return reminder.to, subject, body
