"""The confidentiality record: every view and export of scores (who, when, which
organization and academic year, what), and operations' reading of it."""
from datetime import timezone

from sqlalchemy import func, select

from services.common.clock import as_utc
from services.scores.models import ScoreAccess

ACTIONS = ("list", "detail", "export")
MAX_PER_PAGE = 500


def record_access(session, clock, principal, organization_id, academic_year, action,
                  detail=None, row_count=None):
    """Write down one look at scores, in the unit of work that answers it.

    `principal` is what the access service's `authorize` returned for the caller.
    """
    assert action in ACTIONS
    session.add(_access(clock.now(), principal["account"], principal.get("access"),
                        organization_id, academic_year, action, detail, row_count))


def record_views(session, looks):
    """Write down looks at the scores list that a gateway answered from what it kept
    (`scores_viewed` events, as their schema loads them), each at the moment it was seen."""
    session.add_all(_access(
        look["viewed_at"], look["account"], look.get("access"), look["organization_id"],
        look["academic_year"], "list",
        describe(exam=look.get("exam"), sort=look.get("sort"), page=look.get("page")),
        look["row_count"]) for look in looks)


def _access(at, account, access, organization_id, academic_year, action, detail, row_count):
    return ScoreAccess(
        at=at, account_id=account["id"], account_email=account["email"][:254],
        account_name=(account.get("name") or "")[:200], organization_id=organization_id,
        academic_year=str(academic_year), access=access or "manage", action=action,
        detail=detail, row_count=row_count)


def describe(**details):
    """A short, stable text of what was looked at, for the access record."""
    return " ".join("{}={}".format(key, value) for key, value in details.items()
                    if value not in (None, ""))[:500] or None


def access_view(entry):
    return {"id": entry.id, "at": as_utc(entry.at).astimezone(timezone.utc).isoformat(),
            "account": {"id": entry.account_id, "email": entry.account_email,
                        "name": entry.account_name},
            "organization_id": entry.organization_id, "academic_year": entry.academic_year,
            "access": entry.access, "action": entry.action, "detail": entry.detail,
            "row_count": entry.row_count}


def access_log(session, organization_id=None, account_id=None, academic_year=None, page=1,
               per_page=100):
    """The record, newest first, optionally of one organization, account or year."""
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = max(int(page), 1)
    conditions = []
    if organization_id is not None:
        conditions.append(ScoreAccess.organization_id == organization_id)
    if account_id is not None:
        conditions.append(ScoreAccess.account_id == account_id)
    if academic_year is not None:
        conditions.append(ScoreAccess.academic_year == str(academic_year))
    entries = session.scalars(select(ScoreAccess).where(*conditions)
                              .order_by(ScoreAccess.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    total = session.scalar(select(func.count()).select_from(ScoreAccess).where(*conditions))
    return {"entries": [access_view(entry) for entry in entries], "page": page,
            "per_page": per_page, "total": total}
