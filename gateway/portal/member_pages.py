"""People with access: the coordinator's list of who holds access to the organization this
academic year, the remove button, and whether scores are for the profile's contacts only.
Every rule is the access service's (remove_member, set_score_visibility); the page shows
its answers and its refusals."""
from gateway.portal.pages import page, redirect
from gateway.portal.render import render
from services.common.errors import Conflict, NotFound

NOTICES = {"removed": "Their access was removed.", "saved": "Score visibility saved."}


class MemberPages:

    def _people_page(self, visit, org_id, problem=None):
        context = self._organization(visit, org_id, "manage", require_profile=False)
        listed = self.access.organization_members(visit.token, org_id)
        done = next((text for flag, text in NOTICES.items() if visit.query.get(flag) == "1"),
                    None)
        return render("people.html", status=409 if problem else 200, tab="people",
                      page_is_tab=True, title="People with access", listed=listed,
                      problem=problem, done=done, **context)

    @page("GET", "/organizations/<int:org_id>/people")
    def people_page(self, visit, org_id):
        return self._people_page(visit, org_id)

    @page("POST", "/organizations/<int:org_id>/people/<int:account_id>/remove")
    def remove_person(self, visit, org_id, account_id):
        try:
            removed = self.access.remove_member(visit.token, org_id, account_id)
        except (Conflict, NotFound) as refusal:  # the last coordinator; gone already
            return self._people_page(visit, org_id, problem=refusal.message)
        me = self.access.authenticate(visit.token)
        if removed["account_id"] == me["id"]:  # they left: nothing of it is theirs now
            return redirect("/")
        return redirect("/organizations/{}/people?removed=1".format(org_id))

    @page("POST", "/organizations/<int:org_id>/people/score-visibility")
    def save_score_visibility(self, visit, org_id):
        contacts_only = visit.form.get("scores_contacts_only") == "yes"
        self.access.set_score_visibility(visit.token, org_id,
                                         {"scores_contacts_only": contacts_only})
        return redirect("/organizations/{}/people?saved=1".format(org_id))
