"""People with access to an organization (its coordinator's view: list, remove, who sees
scores), and the academic years the organization has data in."""
from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import members as s
from gateway.schemas.common import AcademicYearQuery


class MemberRoutes:
    @route("GET", "/api/organizations/<int:org_id>/members", auth="session", tag="access",
           response=s.MembersOut, errors=(401, 403, 404),
           summary="People with access: every account holding access to the organization "
                   "this academic year, how and since when, flagged when the profile does not "
                   "name them (manage access).")
    def list_members(self, call, org_id):
        return json_response(self.access.organization_members(call.token, org_id))

    @route("DELETE", "/api/organizations/<int:org_id>/members/<int:account_id>",
           auth="session", tag="access", response=s.MemberRemovedOut,
           errors=(401, 403, 404, 409),
           summary="Remove someone's access for this academic year, at once; the year's code "
                   "does not bring it back (manage access; 409 `last_manager` for the only "
                   "coordinator removing themselves, `access_through_district`; 403 "
                   "`profile_contact_protected`: only the profile's coordinator or second "
                   "contact removes one of them; operations can undo it).")
    def remove_member(self, call, org_id, account_id):
        return json_response(self.access.remove_member(call.token, org_id, account_id))

    @route("DELETE", "/api/admin/organizations/<int:org_id>/member-removals/<int:account_id>",
           auth="operations", tag="operations", query=AcademicYearQuery,
           response=s.MemberRestoredOut, errors=(400, 401, 403, 404),
           summary="Undo a removal from the organization in an academic year (default: the "
                   "current one): the account's next redemption of the year's code gives "
                   "access again (404 `removal_not_found`). Audited as member_restored.")
    def restore_member(self, call, org_id, account_id):
        return json_response(self.access.restore_member(org_id, account_id,
                                                        call.query["academic_year"]))

    @route("PUT", "/api/organizations/<int:org_id>/score-visibility", auth="session",
           tag="access", body=s.ScoreVisibilityIn, response=s.ScoreVisibilityOut,
           errors=(400, 401, 403, 404),
           summary="Whether only the coordinator and second contact named in the profile see "
                   "scores (manage access); others then get 403 `scores_restricted`.")
    def set_score_visibility(self, call, org_id):
        return json_response(self.access.set_score_visibility(call.token, org_id, call.body))

    @route("GET", "/api/organizations/<int:org_id>/academic-years", auth="session",
           tag="access", response=s.AcademicYearsOut, errors=(401, 403, 404, 409),
           summary="The academic years the organization has data in (access, orders, "
                   "vouchers, scores, invoices), newest first, and the current one.")
    def academic_years(self, call, org_id):
        principal = self.access.authorize(call.token, org_id)
        return json_response({"academic_years": self.organization_years(self, org_id,
                                                                        strict=True),
                              "current": principal["academic_year"]})
