"""The order confirmation: the order's details, never its codes."""
import logging

log = logging.getLogger(__name__)


def send_order_confirmation(mailer, order, principal, contact):
    recipients = {principal["account"]["email"]}
    if contact is not None and contact.coordinator_email:
        recipients.add(contact.coordinator_email)
    fee_line = "Exam fee: ${:,.2f} per exam taken".format(order["exam_fee_cents"] / 100)
    if order["covers_remote_proctoring"]:
        fee_line += ", plus ${:,.2f} remote proctoring when taken remotely".format(
            order["remote_proctoring_fee_cents"] / 100)
    body = "\n".join([
        "Thank you for your CLEP voucher order.",
        "",
        "Order: {}".format(order["id"]),
        "Organization: {}".format(principal["organization"]["name"]),
        "Academic year: {}".format(order["academic_year"]),
        "Placed by: {}".format(principal["account"]["name"]),
        "Vouchers: {:,}".format(order["quantity"]),
        "Expiration date: {}".format(order["expiration_date"]),
        "Remote proctoring covered: {}".format("yes" if order["covers_remote_proctoring"] else "no"),
        "PO number: {}".format(order["po_number"] or "none"),
        fee_line,
        "",
        "You are billed only for exams taken with these vouchers. Download the codes from",
        "the portal's order history once the order shows as fulfilled.",
    ])
    try:
        mailer.send(sorted(recipients), "CLEP voucher order {} confirmed".format(order["id"]), body)
    except Exception:  # the order stands; a lost confirmation must not undo it
        log.exception("order confirmation for order %s not sent", order["id"])
