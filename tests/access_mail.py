"""Access codes in mail, for the access tests (the mail helpers are in tests/mail.py)."""
import re

from tests.mail import body_of

ACCESS_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def access_code_in(message):
    """The access code (XXXX-XXXX-XXXX) a message carries, or None."""
    found = ACCESS_CODE.search(body_of(message))
    return found.group(0) if found else None
