"""The audit of who got in: redemptions (and failed ones), codes issued, profile and
organization changes, access-code requests, members removed, the scores rule changed.
Kept in the access database, listed for operations."""
import json

from sqlalchemy import select

from services.access.models import Account, AuditEntry
from services.common.clock import as_utc

ACTIONS = ("access_code_issued", "access_code_redeemed", "access_code_rejected",
           "access_code_held_off", "profile_updated", "organization_updated",
           "access_code_requested", "access_code_request_approved",
           "access_code_request_declined", "member_removed", "member_restored",
           "score_visibility_changed")
MAX_ENTRIES = 500


def record(session, clock, action, account_id=None, organization_id=None, **detail):
    assert action in ACTIONS, action
    session.add(AuditEntry(at=clock.now(), account_id=account_id,
                           organization_id=organization_id, action=action,
                           detail=json.dumps(detail, default=str, sort_keys=True)
                           if detail else None))


def _detail(text):
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:  # entries written before details were JSON: a bare year
        return {"academic_year": text}
    return value if isinstance(value, dict) else {"value": value}


def list_entries(session, organization_id=None, account_id=None, action=None,
                 limit=MAX_ENTRIES):
    """Newest first, with the account's email and name beside its id."""
    query = (select(AuditEntry, Account.email, Account.name)
             .outerjoin(Account, Account.id == AuditEntry.account_id))
    if organization_id is not None:
        query = query.where(AuditEntry.organization_id == organization_id)
    if account_id is not None:
        query = query.where(AuditEntry.account_id == account_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    rows = session.execute(query.order_by(AuditEntry.id.desc())
                           .limit(min(limit, MAX_ENTRIES))).all()
    return [{"id": entry.id, "at": as_utc(entry.at).isoformat(),
             "action": entry.action, "organization_id": entry.organization_id,
             "account": ({"id": entry.account_id, "email": email, "name": name}
                         if entry.account_id is not None else None),
             "detail": _detail(entry.detail)}
            for entry, email, name in rows]
