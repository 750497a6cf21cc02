"""Getting access to an organization, its profile, and operations' side of access:
organizations, access codes and the yearly run, access-code requests, the audit."""
from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import access as s
from gateway.schemas.common import AcademicYearIn


class AccessRoutes:
    @route("GET", "/api/organizations", auth="session", tag="access", query=s.ZipQuery,
           response=s.OrganizationsOut, errors=(400, 401, 403),
           summary="Organizations of a zip code, for the get-access page (before the "
                   "portal terms too).")
    def organizations_in_zip(self, call):
        # getting access comes before the terms (access code, then terms, then profile)
        self.access.authenticate(call.token, require_terms=False)
        zip_code = call.query["zip"][:5]
        return json_response({"organizations": self.access.organizations_in_zip(zip_code)})

    @route("POST", "/api/access-codes/redemptions", auth="session", tag="access",
           body=s.RedemptionIn, response=s.RedemptionOut, status=201, errors=(400, 401, 403, 429),
           summary="Get access for this academic year with zip, organization name and code "
                   "(before the portal terms too).")
    def redeem_access_code(self, call):
        body = call.body
        return json_response(self.access.redeem_access_code(
            call.token, body["zip"], body["organization_name"], body["access_code"],
            self.client_address(call.request)), 201)

    @route("POST", "/api/access-code-requests", auth="session", tag="access",
           body=s.AccessCodeRequestIn, response=s.AccessCodeRequestAccepted, status=202,
           errors=(400, 401, 403, 429),
           summary="\"Don't have an access code\" (before the portal terms too): a "
                   "coordinator's or alternate's request goes to operations; anyone else's "
                   "to the coordinator on file.")
    def request_access_code(self, call):
        return json_response(self.access.request_access_code(call.token, call.body), 202)

    @route("GET", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           response=s.ProfileOut, errors=(401, 403, 404),
           summary="The organization's profile (after the portal terms).")
    def get_profile(self, call, org_id):
        return json_response(self.access.get_profile(call.token, org_id))

    @route("PUT", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           body=s.ProfileIn, response=s.ProfileOut, errors=(400, 401, 403, 404),
           summary="Replace the organization's profile (manage access).")
    def update_profile(self, call, org_id):
        call.body.pop("complete", None)
        return json_response(self.access.update_profile(call.token, org_id, call.body))

    @route("POST", "/api/admin/organizations", auth="operations", tag="operations",
           body=s.OrganizationIn, response=s.OrganizationOut, status=201,
           errors=(400, 401, 403, 409),
           summary="Register an organization (409 when its zip and name are taken).")
    def register_organization(self, call):
        return json_response(self.access.register_organization(call.body), 201)

    @route("POST", "/api/admin/organizations/<int:org_id>/access-codes", auth="operations",
           tag="operations", body=AcademicYearIn, response=s.AccessCodeOut, status=201,
           errors=(400, 401, 403, 404),
           summary="Issue the organization's access code for an academic year.")
    def issue_access_code(self, call, org_id):
        issued = self.access.issue_access_code(org_id, call.body["academic_year"])
        return json_response({"access_code": issued["access_code"],
                              "academic_year": issued["academic_year"],
                              "emailed_to": issued["emailed_to"]}, 201)

    @route("GET", "/api/admin/organizations/<int:org_id>", auth="operations", tag="operations",
           response=s.OrganizationOut, errors=(401, 403, 404), summary="One organization.")
    def get_organization(self, call, org_id):
        return json_response(self.access.get_organization(org_id))

    @route("PATCH", "/api/admin/organizations/<int:org_id>", auth="operations",
           tag="operations", body=s.OrganizationPatchIn, response=s.OrganizationOut,
           errors=(400, 401, 403, 404, 409),
           summary="Change an organization (name, zip, city, state, district, state funded); "
                   "emits organization_updated.")
    def update_organization(self, call, org_id):
        return json_response(self.access.update_organization(org_id, call.body))

    @route("POST", "/api/admin/access-code-runs", auth="operations", tag="operations",
           body=AcademicYearIn, response=s.AccessCodeRunOut, status=202,
           errors=(400, 401, 403, 409),
           summary="The yearly issue: the year's codes to every organization that ordered in "
                   "the two years before, mailed to the coordinator on file.")
    def start_access_code_run(self, call):
        return json_response(self.access.start_access_code_run(call.body["academic_year"]), 202)

    @route("GET", "/api/admin/access-code-runs/<int:run_id>", auth="operations",
           tag="operations", response=s.AccessCodeRunOut, errors=(401, 403, 404),
           summary="A yearly run and how far it got.")
    def access_code_run(self, call, run_id):
        return json_response(self.access.access_code_run(run_id))

    @route("GET", "/api/admin/access-code-requests", auth="operations", tag="operations",
           query=s.AccessCodeRequestsQuery, response=s.AccessCodeRequestsOut,
           errors=(400, 401, 403), summary="Access-code requests, newest first.")
    def access_code_requests(self, call):
        return json_response({"requests": self.access.access_code_requests(
            call.query["status"])})

    @route("POST", "/api/admin/access-code-requests/<int:request_id>/approve",
           auth="operations", tag="operations", body=s.ApproveIn, body_optional=True,
           response=s.AccessCodeRequestOut, errors=(400, 401, 403, 404, 409),
           summary="Approve: this year's code is issued and mailed to the requester. Body "
                   "(optional): {\"organization_id\"} when no registered organization matched.")
    def approve_access_code_request(self, call, request_id):
        return json_response(self.access.approve_access_code_request(
            request_id, call.body["organization_id"]))

    @route("POST", "/api/admin/access-code-requests/<int:request_id>/decline",
           auth="operations", tag="operations", body=s.DeclineIn,
           response=s.AccessCodeRequestOut, errors=(400, 401, 403, 404, 409),
           summary="Decline with a reason, mailed to the requester.")
    def decline_access_code_request(self, call, request_id):
        return json_response(self.access.decline_access_code_request(
            request_id, call.body["reason"]))

    @route("GET", "/api/admin/audit", auth="operations", tag="operations", query=s.AuditQuery,
           response=s.AuditOut, errors=(400, 401, 403),
           summary="The access audit, newest first: redemptions and failed ones, codes "
                   "issued, profile and organization changes, requests.")
    def audit(self, call):
        query = call.query
        return json_response({"entries": self.access.audit_entries(
            query["organization_id"], query["account_id"], query["action"], query["limit"])})
