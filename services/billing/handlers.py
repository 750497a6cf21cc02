"""Applying incoming events once: every consumer of the billing service is named here with
the function that applies its event (once per event id; an exam is billed once per result
whatever the event id).
"""
from services.billing import billable, copies
from services.billing.event_fields import field

APPLY = {
    "keep_organization": copies.keep_organization,
    "keep_updated_organization": copies.keep_organization,
    "keep_billing_contact": copies.keep_billing_contact,
    "keep_fees": copies.keep_fees,
    "keep_order": copies.keep_order,
    "keep_po_number": copies.keep_po_number,
    "keep_registration": copies.keep_registration,
    "cancel_registration": copies.cancel_registration,
    "record_exam": billable.record_exam,
}


def apply_once(store, clock, consumer, event):
    """Apply `event` as `consumer` in one unit of work, unless it was applied before."""
    with store.transaction() as work:
        if work.first_delivery(field(event, "event_id", "key"), consumer):
            APPLY[consumer](work.session, event, clock.now())
