"""Getting access to an organization, its profile, and operations' organization admin."""
from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import access as s
from gateway.schemas.common import AcademicYearIn


class AccessRoutes:
    @route("GET", "/api/organizations", auth="session", tag="access", query=s.ZipQuery,
           response=s.OrganizationsOut, errors=(400, 401, 403),
           summary="Organizations of a zip code, for the get-access page.")
    def organizations_in_zip(self, call):
        self.access.authenticate(call.token)
        zip_code = call.query["zip"][:5]
        return json_response({"organizations": self.access.organizations_in_zip(zip_code)})

    @route("POST", "/api/access-codes/redemptions", auth="session", tag="access",
           body=s.RedemptionIn, response=s.RedemptionOut, status=201, errors=(400, 401, 403, 429),
           summary="Get access for this academic year with zip, organization name and code.")
    def redeem_access_code(self, call):
        body = call.body
        return json_response(self.access.redeem_access_code(
            call.token, body["zip"], body["organization_name"], body["access_code"]), 201)

    @route("GET", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           response=s.ProfileOut, errors=(401, 403, 404), summary="The organization's profile.")
    def get_profile(self, call, org_id):
        return json_response(self.access.get_profile(call.token, org_id))

    @route("PUT", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           body=s.ProfileIn, response=s.ProfileOut, errors=(400, 401, 403, 404),
           summary="Replace the organization's profile (manage access).")
    def update_profile(self, call, org_id):
        call.body.pop("complete", None)
        return json_response(self.access.update_profile(call.token, org_id, call.body))

    @route("POST", "/api/admin/organizations", auth="operations", tag="operations",
           body=s.OrganizationIn, response=s.OrganizationOut, status=201, errors=(400, 401, 403),
           summary="Register an organization.")
    def register_organization(self, call):
        return json_response(self.access.register_organization(call.body), 201)

    @route("POST", "/api/admin/organizations/<int:org_id>/access-codes", auth="operations",
           tag="operations", body=AcademicYearIn, response=s.AccessCodeOut, status=201,
           errors=(400, 401, 403, 404),
           summary="Issue the organization's access code for an academic year.")
    def issue_access_code(self, call, org_id):
        issued = self.access.issue_access_code(org_id, call.body["academic_year"])
        return json_response({"access_code": issued["access_code"],
                              "academic_year": issued["academic_year"]}, 201)
