"""The portal's user terms; a new version must be accepted again."""
PORTAL_TERMS = {
    "document": "portal",
    "version": "2026-07",
    "text": ("CLEP Professional Portal terms of use. Access is granted to the named "
             "organization for one academic year. Keep access codes, voucher codes and "
             "student scores confidential; do not share your account."),
}
