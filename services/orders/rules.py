"""Order rules as plain functions: quantity, expiration, PO numbers, request fingerprints."""
import hashlib
import json
from datetime import date

from services.common.academic_year import AcademicYear

MAX_QUANTITY = 10_000
MAX_PO_LENGTH = 50


def expiration_bounds(today):
    """(earliest, latest) allowed expiration dates for an order placed today."""
    return today, AcademicYear.containing(today).last_day


def check_expiration(expiration, today):
    """None when allowed, else the reason."""
    earliest, latest = expiration_bounds(today)
    if expiration < earliest:
        return "The expiration date cannot be in the past."
    if expiration > latest:
        return "The expiration date cannot be later than June 30, {} ({}).".format(
            latest.year, latest.isoformat())
    return None


def check_quantity(quantity):
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "Must be a whole number."
    if not 1 <= quantity <= MAX_QUANTITY:
        return "Must be between 1 and {:,}.".format(MAX_QUANTITY)
    return None


def check_po_number(po_number):
    if po_number is None:
        return None
    if not isinstance(po_number, str) or len(po_number) > MAX_PO_LENGTH:
        return "At most {} characters.".format(MAX_PO_LENGTH)
    if not all(character.isprintable() for character in po_number):
        return "Only printable characters."
    return None


def request_fingerprint(organization_id, request):
    """Identifies an order request, so a reused Idempotency-Key with another body is caught."""
    canonical = json.dumps({"organization_id": organization_id, **request},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_date(text):
    return text if isinstance(text, date) else date.fromisoformat(text)
