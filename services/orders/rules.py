"""Order rules that need today's date or the whole request: expiration, fingerprints."""
import hashlib
import json

from services.common.academic_year import AcademicYear


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


def request_fingerprint(organization_id, request):
    """Identifies an order request, so a reused Idempotency-Key with another body is caught."""
    canonical = json.dumps({"organization_id": organization_id, **request},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
