""""Don't have an access code": requests, where they go, and operations' decisions.

A coordinator or alternate coordinator is queued for operations, who approve (the code is
issued and mailed to the requester) or decline with a reason. Anyone else is referred to
the organization's coordinator on file, who is told by email and decides for themselves;
with nobody on file (or no such organization) the request goes to operations after all.
"""
from datetime import timedelta

from sqlalchemy import func, select

from services.access import audit
from services.access.models import Account, AccessCodeRequest, Profile
from services.access.organizations import find_by_zip_and_name, get_organization
from services.access.schemas import AccessCodeRequestIn, DeclineIn
from services.common.clock import as_utc
from services.common.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from services.common.validation import load

STATUSES = ("pending", "approved", "declined", "referred")
REQUESTS_PER_DAY = 5  # per account: each "other" request mails a coordinator
MAX_LISTED = 500


def request_view(request, account=None):
    view = {"id": request.id, "routed_to": request.routed_to, "status": request.status,
            "organization_id": request.organization_id,
            "organization_name": request.organization_name, "zip": request.zip,
            "requester_role": request.requester_role, "message": request.message,
            "created_at": as_utc(request.created_at).isoformat(),
            "decided_at": as_utc(request.decided_at).isoformat() if request.decided_at else None,
            "academic_year": request.academic_year, "decline_reason": request.decline_reason}
    if account is not None:
        view["requester"] = {"id": account.id, "email": account.email, "name": account.name}
    return view


def create_request(work, clock, account, data):
    """Returns (view, referral) where referral is the coordinator's email to tell, or None.

    The same pending request again (same account, organization and role) is the same
    request: a double click neither queues two nor mails the coordinator twice.
    """
    session = work.session
    data = load(AccessCodeRequestIn, data)
    org = find_by_zip_and_name(session, data["zip"], data["organization_name"])
    same = session.scalar(select(AccessCodeRequest).where(
        AccessCodeRequest.account_id == account.id,
        AccessCodeRequest.zip == data["zip"],
        AccessCodeRequest.organization_name == (org.name if org else data["organization_name"]),
        AccessCodeRequest.requester_role == data["requester_role"],
        AccessCodeRequest.status.in_(("pending", "referred"))))
    if same is not None:
        return request_view(same), None
    since = clock.now() - timedelta(days=1)
    recent = session.scalar(select(func.count()).select_from(AccessCodeRequest).where(
        AccessCodeRequest.account_id == account.id, AccessCodeRequest.created_at >= since))
    if recent >= REQUESTS_PER_DAY:
        raise TooManyAttempts("too_many_requests",
                              "You have sent several access-code requests today; wait for "
                              "an answer or try again tomorrow.", retry_after=3600)
    coordinator = None
    if org is not None and data["requester_role"] == "other":
        profile = session.get(Profile, org.id)
        coordinator = profile.coordinator_email if profile else None
    request = AccessCodeRequest(
        account_id=account.id, organization_id=org.id if org else None,
        organization_name=org.name if org else data["organization_name"], zip=data["zip"],
        requester_role=data["requester_role"], message=data["message"],
        routed_to="coordinator" if coordinator else "operations",
        status="referred" if coordinator else "pending", referred_to=coordinator,
        created_at=clock.now())
    session.add(request)
    session.flush()
    audit.record(session, clock, "access_code_requested", account_id=account.id,
                 organization_id=request.organization_id, request_id=request.id,
                 requester_role=request.requester_role, routed_to=request.routed_to,
                 organization_name=request.organization_name, zip=request.zip)
    return request_view(request), coordinator


def list_requests(session, status=None):
    query = select(AccessCodeRequest, Account).join(
        Account, Account.id == AccessCodeRequest.account_id)
    if status is not None:
        query = query.where(AccessCodeRequest.status == status)
    rows = session.execute(query.order_by(AccessCodeRequest.id.desc()).limit(MAX_LISTED)).all()
    return [request_view(request, account) for request, account in rows]


def _pending(session, request_id):
    request = session.get(AccessCodeRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        raise NotFound("request_not_found", "No such access-code request.")
    if request.status == "referred":
        raise Conflict("request_referred", "This request was referred to the "
                       "organization's coordinator on file; it is theirs to decide.")
    if request.status != "pending":
        raise Conflict("request_already_decided",
                       "This request was {} already.".format(request.status))
    return request


def approve(work, clock, request_id, organization_id=None):
    """Marks the request approved for the current academic year; returns (request, the
    requester's account, the organization id) — the caller issues and mails the code in
    the same unit of work."""
    session = work.session
    request = _pending(session, request_id)
    if organization_id is None:
        organization_id = request.organization_id
    if organization_id is None:
        raise InvalidInput("organization_required",
                           "No registered organization matched this request: say which "
                           "organization it is for.",
                           fields={"organization_id": ["Required for this request."]})
    org = get_organization(session, organization_id)
    request.organization_id = org.id
    request.status = "approved"
    request.decided_at = clock.now()
    request.academic_year = str(clock.academic_year())
    account = session.get(Account, request.account_id)
    audit.record(session, clock, "access_code_request_approved", account_id=account.id,
                 organization_id=org.id, request_id=request.id,
                 academic_year=request.academic_year)
    return request, account


def decline(work, clock, request_id, reason):
    session = work.session
    reason = load(DeclineIn, {"reason": reason})["reason"]
    request = _pending(session, request_id)
    request.status = "declined"
    request.decided_at = clock.now()
    request.decline_reason = reason
    account = session.get(Account, request.account_id)
    audit.record(session, clock, "access_code_request_declined", account_id=account.id,
                 organization_id=request.organization_id, request_id=request.id,
                 reason=request.decline_reason)
    return request, account

