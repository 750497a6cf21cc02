"""The access service: who may get into the portal, and into which organization.

RPC only (the gateway and the CLI call it); emits `organization_registered`,
`profile_updated`. Every method that acts for a person takes their session token.
"""
from nameko.rpc import rpc

from services.access import accounts, organizations
from services.access.accounts import current_account
from services.access.models import AuditEntry, Profile
from services.access.profiles import billing_contact, profile_view, save_profile
from services.access.terms import PORTAL_TERMS
from services.common.academic_year import AcademicYear
from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.mailer import MailerProvider
from services.common.service_health import check_database


class AccessService:
    name = "access"

    db = Database("access")
    clock = ClockProvider()
    mailer = MailerProvider()

    @rpc
    def health(self):
        return check_database(self.db)

    # accounts and sessions

    @rpc
    def create_account(self, email, name, password):
        """A new professional account; `email_taken` when the email has one."""
        return accounts.create_account(self.db, self.clock, email, name, password)

    @rpc
    def sign_in(self, email, password):
        """A session token, valid for 12 hours; `invalid_credentials` otherwise."""
        return accounts.sign_in(self.db, self.clock, email, password)

    @rpc
    def sign_out(self, token):
        accounts.sign_out(self.db, self.clock, token)

    @rpc
    def authenticate(self, token, require_terms=True):
        """The signed-in account (401 if none, 403 `terms_not_accepted` before the terms)."""
        with self.db.reader() as session:
            return accounts.account_view(
                current_account(session, self.clock, token, require_terms))

    @rpc
    def me(self, token):
        """The account, whether it accepted the terms, and its organizations this year."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token, require_terms=False)
            return dict(accounts.account_view(account),
                        terms_accepted=accounts.has_accepted_terms(session, account.id),
                        organizations=organizations.organizations_of(
                            session, account.id, str(self.clock.academic_year())))

    @rpc
    def portal_terms(self):
        return dict(PORTAL_TERMS)

    @rpc
    def accept_portal_terms(self, token, version):
        return accounts.accept_terms(self.db, self.clock, token, version)

    # organizations and access codes

    @rpc
    def register_organization(self, data):
        """Operations registers an organization; emits `organization_registered`."""
        with self.db.transaction() as work:
            return organizations.register_organization(work, self.clock, data)

    @rpc
    def organizations_in_zip(self, zip_code):
        with self.db.reader() as session:
            return organizations.organizations_in_zip(session, zip_code)

    @rpc
    def issue_access_code(self, organization_id, academic_year):
        """The organization's code for that year (made once), emailed to its coordinator."""
        year = AcademicYear.parse(academic_year)
        with self.db.transaction() as work:
            issued, contact = organizations.issue_access_code(
                work, self.clock, organization_id, year)
        if contact:
            self.mailer.send(contact, "Your CLEP access code for {}".format(year), (
                "The access code of {name} for the {year} academic year is {code}.\n\n"
                "Sign in to the CLEP professional portal and enter it with your zip code "
                "and organization name to get access.\n").format(
                    name=issued["organization"]["name"], year=year, code=issued["access_code"]))
        return issued

    @rpc
    def redeem_access_code(self, token, zip_code, organization_name, access_code):
        """Access to an organization for the current year, when zip, name and code match."""
        with self.db.transaction() as work:
            account = current_account(work.session, self.clock, token)
            result, error = organizations.redeem_access_code(
                work, self.clock, account, zip_code, organization_name, access_code)
        if error is not None:
            raise error
        return result

    @rpc
    def authorize(self, token, organization_id, need="read", require_profile=True):
        """Who is calling and what access they hold to this organization, or the error."""
        with self.db.reader() as session:
            account = current_account(session, self.clock, token)
            return organizations.authorize(session, self.clock, account, organization_id,
                                           need, require_profile)

    # profiles

    @rpc
    def get_profile(self, token, organization_id):
        with self.db.reader() as session:
            account = current_account(session, self.clock, token)
            organizations.authorize(session, self.clock, account, organization_id,
                                    require_profile=False)
            return profile_view(session.get(Profile, organization_id))

    @rpc
    def update_profile(self, token, organization_id, data):
        """Replace the profile (manage access only); emits `profile_updated`."""
        with self.db.transaction() as work:
            account = current_account(work.session, self.clock, token)
            allowed = organizations.authorize(work.session, self.clock, account,
                                              organization_id, need="manage",
                                              require_profile=False)
            profile = save_profile(work.session, self.clock, organization_id, account.id, data)
            view = profile_view(profile)
            if view["complete"]:
                work.emit("profile_updated", {
                    "organization_id": organization_id,
                    "organization_name": allowed["organization"]["name"],
                    "billing_contact": billing_contact(profile),
                    "coordinator": view["coordinator"]})
            work.session.add(AuditEntry(at=self.clock.now(), account_id=account.id,
                                        organization_id=organization_id,
                                        action="profile_updated"))
            return view
