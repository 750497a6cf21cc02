"""`vouchers_changed`: the notice that an organization's codes changed (redeemed, used by an
exam, given to students or taken back, imported, expired at the close), for the gateways'
caches of the voucher counts (gateway/read_cache.py): one per unit of work and organization,
where a burst of redemptions would make one `voucher_redeemed` per code. Cancellations and
generation are heard through their own events."""
VOUCHERS_CHANGED = "vouchers_changed"


def vouchers_changed(work, organization_id):
    """`organization_id` None: every organization's codes (the June 30 close)."""
    work.emit_once(VOUCHERS_CHANGED, {"organization_id": organization_id})
