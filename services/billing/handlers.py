"""Applying incoming events once: every consumer of the billing service is named here with
the function that applies its event and the schema of what it reads of it (once per event
id; an exam is billed once per result whatever the event id).
"""
from services.billing import billable, copies
from services.billing import event_schemas as events_in
from services.common.event_schema import check_event

APPLY = {
    "keep_organization": (copies.keep_organization, events_in.Organization),
    "keep_updated_organization": (copies.keep_organization, events_in.Organization),
    "keep_billing_contact": (copies.keep_billing_contact, events_in.ProfileUpdated),
    "keep_fees": (copies.keep_fees, events_in.FeesSet),
    "keep_order": (copies.keep_order, events_in.OrderPlaced),
    "keep_po_number": (copies.keep_po_number, events_in.PoNumberChanged),
    "keep_registration": (copies.keep_registration, events_in.VoucherRedeemed),
    "cancel_registration": (copies.cancel_registration, events_in.RegistrationCancelled),
    "record_exam": (billable.record_exam, events_in.ExamRecorded),
}


def schema_of(consumer):
    """What `consumer` reads of its event: `consumes` checks it before the handler runs."""
    return APPLY[consumer][1]


def apply_once(store, clock, consumer, event):
    """Apply `event` as `consumer` in one unit of work, unless it was applied before; the
    function gets the event as its schema loads it."""
    apply, schema = APPLY[consumer]
    event = check_event(schema, event)
    with store.transaction() as work:
        if work.first_delivery(event["event_id"], consumer):
            apply(work.session, event, clock.now())
