"""Access codes: hard to guess (60 random bits), easy to type (Crockford base32, 4-4-4)."""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_access_code():
    """Canonical form, no dashes."""
    value = secrets.randbits(5 * LENGTH)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(LENGTH))


def format_access_code(canonical):
    return "-".join(canonical[i:i + 4] for i in range(0, LENGTH, 4))


def normalize_access_code(text):
    """What a person typed, in canonical form; None when it cannot be a code."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    canonical = re.sub(r"[\s-]", "", text).upper().translate(_CONFUSABLE)
    if len(canonical) != LENGTH or any(symbol not in ALPHABET for symbol in canonical):
        return None
    return canonical


def name_key(name):
    """Organization names match ignoring case and runs of spaces."""
    return " ".join(name.split()).casefold()
