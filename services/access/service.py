"""The access service: who may get into the portal, and into which organization.

RPC for the gateway and the CLI (`python -m services.access.cli`); emits
`organization_registered`, `organization_updated`, `profile_updated`, the gateways' notice
`access_changed` and its own work item `access_code_run_requested`; consumes `order_placed`
(orders) to know who ordered.
Every method that acts for a person takes their session token. Rules live in the domain
modules; these methods only open the unit of work and send the mail after it commits.
"""
import logging
import traceback

from nameko.dependency_providers import Config

from services.access import (accounts, audit, changes, code_requests, members, notifications,
                             org_import, organizations, sign_in_limits, yearly_run)
from services.access import event_schemas as events_in
from services.access.accounts import current_account
from services.access.models import Profile
from services.access.passwords import PasswordsProvider
from services.access.profiles import announce_complete_profiles, profile_view, update_profile
from services.access.schemas import ScoreVisibilityIn
from services.access.years import organization_years
from services.access.terms import PORTAL_TERMS
from services.common import failed_events  # not the class: nameko would run it too
from services.common.academic_year import AcademicYear
from services.common.clock import ClockProvider
from services.common.config import public_url
from services.common.database import Database
from services.common.metrics import WorkerMetrics
from services.common.worker_log import WorkerLog
from services.common.probes import Probes
from services.common.errors import InvalidInput
from services.common.events import consumes
from services.common.gc_tuning import RareFullCollections
from services.common.mailer import MailerProvider
from services.common.rpc import rpc
from services.common.validation import load
from services.common.service_health import check_database
from services.common.scheduled import ConfiguredTimer

log = logging.getLogger(__name__)

SIGN_IN_PRUNE_CHECK_SECONDS = 3600


class AccessService(failed_events.FailedEventsRpc):
    name = "access"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request

    db = Database("access", notices=(changes.ACCESS_CHANGED,))
    probes = Probes()  # PROBE_ADDRESS: /health/live, /health/ready, /metrics
    metrics = WorkerMetrics()
    worker_log = WorkerLog(quiet=("health",))  # correlation ids, a line per worker
    clock = ClockProvider()
    mailer = MailerProvider()
    config = Config()
    passwords = PasswordsProvider()

    @rpc
    def health(self):
        """"ok" when the service and its database answer."""
        return check_database(self.db)

    # accounts and sessions

    @rpc
    def create_account(self, email, name, password):
        """A new professional account; `email_taken` when the email has one."""
        return accounts.create_account(self.db, self.clock, email, name, password,
                                       self.passwords)

    @rpc
    def sign_in(self, email, password, client=None):
        """A session token, valid for 12 hours; `invalid_credentials` otherwise; 429
        `too_many_sign_in_attempts` (with retry_after) while `client` (the caller's
        address) is held off for failing; 503 `sign_in_busy` when too many hash at once."""
        return accounts.sign_in(self.db, self.clock, email, password, client, self.passwords)

    @rpc
    def prune_sign_in_attempts(self):
        """Operations' run of the daily pruning of sign-in attempts no limit reads any more
        (the timer does it too); once a day, `already_done` after that."""
        with self.db.transaction() as work:
            return sign_in_limits.prune_sign_in_attempts(work, self.clock)

    @ConfiguredTimer.decorator("SIGN_IN_PRUNE_CHECK_SECONDS", SIGN_IN_PRUNE_CHECK_SECONDS)
    def prune_sign_in_attempts_daily(self):
        """Every hour or so on every replica: prune once a day (the day's scheduled_runs
        row makes it happen once)."""
        with self.db.reader() as session:
            if sign_in_limits.pruned_today(session, self.clock):
                return
        with self.db.transaction() as work:
            run = sign_in_limits.prune_sign_in_attempts(work, self.clock)
        if not run["already_done"]:
            log.info("pruned %s sign-in attempts", run["deleted"])

    @rpc
    def sign_out(self, token):
        """End the session: the token stops working."""
        accounts.sign_out(self.db, self.clock, token)

    @rpc
    def authenticate(self, token, require_terms=True):
        """The signed-in account (401 if none; 403 `terms_not_accepted` before the terms,
        unless `require_terms` is False: the get-access page's lookup)."""
        with self.db.reader() as session:
            return accounts.account_view(
                current_account(session, self.clock, token, require_terms))

    @rpc
    def me(self, token):
        """The account, whether it accepted the terms, and its organizations this year
        (works before the terms are accepted)."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token, require_terms=False)
            return self._me_view(session, account)

    def _me_view(self, session, account):
        return dict(accounts.account_view(account),
                    terms_accepted=accounts.has_accepted_terms(session, account.id),
                    organizations=organizations.organizations_of(
                        session, account.id, str(self.clock.academic_year())),
                    previous_years=organizations.past_access(
                        session, account.id, str(self.clock.academic_year())))

    @rpc
    def portal_terms(self):
        """The current portal terms: {document, version, text}."""
        return dict(PORTAL_TERMS)

    @rpc
    def accept_portal_terms(self, token, version):
        """Record the account's acceptance of the current terms version (once)."""
        return accounts.accept_terms(self.db, self.clock, token, version)

    # organizations (operations)

    @rpc
    def register_organization(self, data):
        """Operations registers an organization; emits `organization_registered`; 409
        `organization_exists` when its zip and name are taken."""
        with self.db.transaction() as work:
            return organizations.register_organization(work, self.clock, data)

    @rpc
    def get_organization(self, organization_id):
        """One organization, as operations sees it."""
        with self.db.reader() as session:
            return organizations.organization_view(
                organizations.get_organization(session, organization_id))

    @rpc
    def update_organization(self, organization_id, changes):
        """Operations changes an organization (e.g. state_funded); emits
        `organization_updated` when something changed."""
        with self.db.transaction() as work:
            return organizations.update_organization(work, self.clock, organization_id, changes)

    @rpc
    def import_organizations(self, rows):
        """Bulk import (the CLI sends a file's rows, a batch per call): one outcome per row,
        imported / already_registered / rejected with its errors. Idempotent."""
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise InvalidInput(fields={"rows": ["A list of rows."]})
        with self.db.transaction() as work:
            return org_import.import_rows(work, self.clock, rows)

    @rpc
    def organizations_in_zip(self, zip_code):
        """The organizations of a zip code, for the get-access page."""
        with self.db.reader() as session:
            return organizations.organizations_in_zip(session, zip_code)

    # access codes

    @rpc
    def issue_access_code(self, organization_id, academic_year):
        """The organization's code for that year (made once), mailed to its coordinator on
        file; `emailed_to` says to whom (None: nobody on file, or the mail failed)."""
        year = AcademicYear.parse(academic_year)
        with self.db.transaction() as work:
            issued, contact = organizations.issue_access_code(
                work, self.clock, organization_id, year)
        sent = bool(contact) and notifications.send_access_code(
            self.mailer, contact, issued, public_url(self.config))
        return dict(issued, emailed_to=contact if sent else None)

    @rpc
    def redeem_access_code(self, token, zip_code, organization_name, access_code, client=None):
        """Access to an organization for the current year, when zip, name and code match
        (before the portal terms too: the code comes first, then the terms); 429 while the
        account or `client` (the caller's address) is held off for wrong codes."""
        with self.db.transaction() as work:
            account = current_account(work.session, self.clock, token, require_terms=False)
            result, error = organizations.redeem_access_code(
                work, self.clock, account, zip_code, organization_name, access_code, client)
        if error is not None:  # raised after the commit: the attempt and audit are kept
            raise error
        return result

    @rpc
    def authorize(self, token, organization_id, need="read", require_profile=True,
                  academic_year=None):
        """Who is calling and what access they hold to this organization's data of
        `academic_year` (default: the current one), or the error (404 none, 403
        `access_code_needed` with only a past year's access, 403 read-only for
        `need="manage"`, 409 profile). `access_year` says which year's access it is;
        `session_expires_at` when the session ends (no answer outlives it)."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token)
            return dict(organizations.authorize(session, self.clock, account, organization_id,
                                                need, require_profile, academic_year),
                        session_expires_at=accounts.session_expires_at(session, token))

    @rpc
    def authorize_page(self, token, organization_id, need="read", require_profile=True,
                       academic_year=None):
        """`authorize` and `me` in one answer, for a portal page of an organization:
        {"principal": what authorize answers, "me": what me answers (the menu bar's
        organizations)}, or authorize's error. One call where a page would make two."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token)
            principal = organizations.authorize(session, self.clock, account, organization_id,
                                                need, require_profile, academic_year)
            principal["session_expires_at"] = accounts.session_expires_at(session, token)
            return {"principal": principal, "me": self._me_view(session, account)}

    # the yearly run

    @rpc
    def start_access_code_run(self, academic_year):
        """Start issuing the year's codes to every organization that ordered in the two
        years before it; returns the run (the running one if the year is already going)."""
        with self.db.transaction() as work:
            run, _started = yearly_run.start_run(work, self.clock, academic_year)
        return run

    @rpc
    def access_code_run(self, run_id):
        """A run and how far it got: organizations, codes issued, mailed, no_contact."""
        with self.db.reader() as session:
            return yearly_run.get_run(session, run_id)

    @consumes("access", "access_code_run_requested", schema=events_in.AccessCodeRunRequested)
    def carry_out_access_code_run(self, event):
        """The run's work item: issue and mail in batches; a run that cannot go on is marked
        failed (its year may be started again), a database that is away requeues it."""
        try:
            yearly_run.carry_out(self.db, self.clock, self.mailer, event["run_id"],
                                 public_url(self.config))
        except Exception as error:
            if yearly_run.is_transient(error):
                raise  # requeued: the run goes on where it stopped
            yearly_run.fail_run(self.db, self.clock, event["run_id"], traceback.format_exc())
            raise

    @consumes("orders", "order_placed", schema=events_in.OrderPlaced)
    def remember_ordering_organization(self, event):
        """Who ordered in which academic year, for the yearly run (once per event)."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "remember_ordering_organization"):
                yearly_run.record_order(work, event)

    # access-code requests

    @rpc
    def request_access_code(self, token, data):
        """"Don't have an access code": returns {id, routed_to, status}; a request from
        anyone but a coordinator or alternate is referred to the coordinator on file.
        Works before the portal terms are accepted, like redeeming a code."""
        with self.db.transaction() as work:
            account = current_account(work.session, self.clock, token, require_terms=False)
            requester = accounts.account_view(account)
            request, referral = code_requests.create_request(work, self.clock, account, data)
        if referral:
            notifications.send_referral(self.mailer, referral, request["organization_name"],
                                        requester, request["message"], public_url(self.config))
        return {"id": request["id"], "routed_to": request["routed_to"],
                "status": request["status"]}

    @rpc
    def access_code_requests(self, status=None):
        """Operations' list of requests, newest first (optionally of one status)."""
        with self.db.reader() as session:
            return code_requests.list_requests(session, status)

    @rpc
    def approve_access_code_request(self, request_id, organization_id=None):
        """Approve: issue the organization's code for this year and mail it to the
        requester. `organization_id` names the organization when none matched."""
        with self.db.transaction() as work:
            request, account = code_requests.approve(work, self.clock, request_id,
                                                     organization_id)
            issued, _contact = organizations.issue_access_code(
                work, self.clock, request.organization_id, self.clock.academic_year())
            view = code_requests.request_view(request, account)
        sent = notifications.send_access_code(self.mailer, account.email, issued,
                                              public_url(self.config))
        return dict(view, emailed_to=account.email if sent else None)

    @rpc
    def decline_access_code_request(self, request_id, reason):
        """Decline with a reason, which is mailed to the requester."""
        with self.db.transaction() as work:
            request, account = code_requests.decline(work, self.clock, request_id, reason)
            view = code_requests.request_view(request, account)
        sent = notifications.send_request_declined(self.mailer, account.email,
                                                   request.organization_name, reason)
        return dict(view, emailed_to=account.email if sent else None)

    # profiles

    @rpc
    def get_profile(self, token, organization_id):
        """The profile (any access this year; before it is complete too)."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token)
            organizations.authorize(session, self.clock, account, organization_id,
                                    require_profile=False)
            return profile_view(session.get(Profile, organization_id))

    @rpc
    def announce_profiles(self):
        """Operations (the CLI's `announce-profiles`): `profile_updated` again for every
        complete profile, e.g. once after a new consumer of it is deployed."""
        with self.db.transaction() as work:
            return {"announced": announce_complete_profiles(work)}

    @rpc
    def update_profile(self, token, organization_id, data):
        """Replace the profile (manage access only); emits `profile_updated` once complete."""
        with self.db.transaction() as work:
            account = current_account(work.session, self.clock, token)
            allowed = organizations.authorize(work.session, self.clock, account,
                                              organization_id, need="manage",
                                              require_profile=False)
            return update_profile(work, self.clock, account.id, allowed["organization"], data)

    # people with access

    @rpc
    def organization_members(self, token, organization_id):
        """Who holds access to the organization this academic year (manage access): name,
        email, since when, manage or read-only, how they got it, whether the profile
        names them; and whether scores are for the profile's contacts only."""
        with self.db.reader() as session:
            account, org = self._managed(session, token, organization_id)
            return members.list_members(session, org, str(self.clock.academic_year()),
                                        account.id)

    def _managed(self, session, token, organization_id):
        """The caller and the organization, when the caller manages it this year."""
        account = current_account(session, self.clock, token)
        organizations.authorize(session, self.clock, account, organization_id,
                                need="manage", require_profile=False)
        return account, organizations.get_organization(session, organization_id)

    @rpc
    def remove_member(self, token, organization_id, account_id):
        """End an account's access to the organization for this academic year (manage
        access); 404 `member_not_found`, 403 `profile_contact_protected` (the profile's
        coordinator or second contact, removed by someone who is neither), 409
        `last_manager` (removing the only one who manages it), 409
        `access_through_district`. Audited; gateways forget at once (`access_changed`)."""
        with self.db.transaction() as work:
            account, org = self._managed(work.session, token, organization_id)
            return members.remove_member(work, self.clock, account, org,
                                         str(self.clock.academic_year()), account_id)

    @rpc
    def restore_member(self, organization_id, account_id, academic_year=None):
        """Operations' undo of a removal from `academic_year` (default: the current one):
        the account may redeem the year's code again (404 `removal_not_found`). Audited
        (`member_restored`)."""
        year = str(AcademicYear.parse(academic_year) if academic_year is not None
                   else self.clock.academic_year())
        with self.db.transaction() as work:
            return members.restore_member(work, self.clock, organization_id, account_id, year)

    @rpc
    def set_score_visibility(self, token, organization_id, data):
        """{"scores_contacts_only": bool} (manage access): when true, scores answer 403
        `scores_restricted` to anyone the profile does not name as coordinator or second
        contact. Audited; gateways forget at once."""
        data = load(ScoreVisibilityIn, data)
        with self.db.transaction() as work:
            account, org = self._managed(work.session, token, organization_id)
            return members.set_scores_contacts_only(work, self.clock, account, org,
                                                    data["scores_contacts_only"])

    @rpc
    def academic_years(self, organization_id):
        """The academic years access has data of for the organization (memberships, access
        codes, orders it heard of), newest first; the gateway authorizes the caller."""
        with self.db.reader() as session:
            return organization_years(session, organization_id)

    # audit

    @rpc
    def audit_entries(self, organization_id=None, account_id=None, action=None, limit=500):
        """Operations' view of the audit, newest first: redemptions (and failed ones),
        codes issued, profile and organization changes, requests."""
        with self.db.reader() as session:
            return audit.list_entries(session, organization_id, account_id, action, limit)
