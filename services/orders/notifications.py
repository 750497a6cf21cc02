"""The order confirmation: the order's details, never its codes."""


def order_confirmation(order, contact, portal_url):
    """(recipients, subject, body) for a placed order: the person who ordered and the
    organization's coordinator on file (once its profile has reached this service). The
    link opens the order's page in the portal (`portal_url`: PUBLIC_URL)."""
    recipients = {order.placed_by_email}
    if contact is not None and contact.coordinator_email:
        recipients.add(contact.coordinator_email)
    fee_line = "Exam fee: ${:,.2f} per exam taken".format(order.exam_fee_cents / 100)
    if order.covers_remote_proctoring:
        fee_line += ", plus ${:,.2f} remote proctoring when taken remotely".format(
            order.remote_proctoring_fee_cents / 100)
    body = "\n".join([
        "Thank you for your CLEP voucher order.",
        "",
        "Order: {}".format(order.id),
        "Organization: {}".format(order.organization_name),
        "Academic year: {}".format(order.academic_year),
        "Placed by: {}".format(order.placed_by_name),
        "Vouchers: {:,}".format(order.quantity),
        "Expiration date: {}".format(order.expiration_date.isoformat()),
        "Remote proctoring covered: {}".format("yes" if order.covers_remote_proctoring else "no"),
        "PO number: {}".format(order.po_number or "none"),
        "Bulk-purchase terms accepted: version {}".format(order.terms_version),
        fee_line,
        "",
        "You are billed only for exams taken with these vouchers. Download the codes from",
        "the order's page in the portal once the order shows as fulfilled:",
        "{}/organizations/{}/orders/{}".format(portal_url, order.organization_id, order.id),
    ])
    return sorted(recipients), "CLEP voucher order {} confirmed".format(order.id), body
