"""`vouchers_changed`: the notice that an organization's codes changed in a way no event of
their own announces (used by an exam, imported, expired at the close), for the gateways'
caches of the voucher counts (gateway/read_cache.py). Redemptions, cancellations and
generation are announced by their own events."""
VOUCHERS_CHANGED = "vouchers_changed"


def vouchers_changed(work, organization_id):
    """`organization_id` None: every organization's codes (the June 30 close)."""
    work.emit_once(VOUCHERS_CHANGED, {"organization_id": organization_id})
