"""The bulk-purchase terms, accepted with every order (the version is stored with it)."""
BULK_PURCHASE_TERMS = {
    "document": "bulk_purchase",
    "version": "2026-07",
    "text": ("CLEP bulk voucher purchase terms. Vouchers are billed only when an exam is "
             "taken with them; unused vouchers expire on their expiration date and are not "
             "billed. Orders cannot be cancelled. Keep voucher codes confidential."),
}
