"""An organization in the portal: the menu bar every tab shares (organization switcher,
academic year selector, tabs), the profile, and the Summary tab."""
import re

import eventlet

from gateway.past_years import authorize_item
from gateway.portal.assignment_pages import portal_counts
from gateway.portal.forms import checked, errors_of, nested, typed
from gateway.portal.pages import page, redirect
from gateway.portal.render import render
from gateway.schemas import access as access_schemas
from services.common.academic_year import AcademicYear
from services.common.errors import ClepError, InvalidInput

ACADEMIC_YEAR = re.compile(r"[0-9]{4}-[0-9]{2}")
YEARS_SHOWN = 5  # the current academic year and the four before it, as the FAQ promises
TABS = {"summary": "", "orders": "/orders", "scores": "/scores", "invoices": "/invoices",
        "profile": "/profile", "people": "/people"}
CONTACT_FIELDS = ("name", "email", "phone")
PROFILE_FIELDS = tuple("{}.{}".format(group, field)
                       for group in ("coordinator", "second_contact", "billing_contact")
                       for field in CONTACT_FIELDS) + ("second_contact.role",)
PROFILE_LABELS = {
    "coordinator.name": "the coordinator's name", "coordinator.email": "the coordinator's email",
    "coordinator.phone": "the coordinator's phone number",
    "second_contact.role": "Select whether this is the principal or the alternate "
                           "coordinator.",
    "second_contact.name": "their name", "second_contact.email": "their email",
    "second_contact.phone": "their phone number",
    "billing_contact.name": "the billing contact's name",
    "billing_contact.email": "the billing contact's email",
    "billing_contact.phone": "the billing contact's phone number"}


def academic_years(current):
    return [str(current.previous(back)) for back in range(YEARS_SHOWN)]


def chosen_year(visit, current):
    """The academic year asked for in the query, if the portal shows it; else the current."""
    years = academic_years(current)
    asked = visit.query.get("academic_year", "")
    return asked if asked in years else years[0]


def tab_url(org_id, tab, year=None):
    url = "/organizations/{}{}".format(org_id, TABS[tab])
    return url + ("?academic_year=" + year if year else "")


def profile_values(profile):
    """The profile as the form's flat field values."""
    values = {}
    for group in ("coordinator", "second_contact", "billing_contact"):
        for field, value in (profile.get(group) or {}).items():
            if value is not None and field != "same_as_coordinator":
                values["{}.{}".format(group, field)] = value
    return values


def profile_from_form(form):
    data = nested(typed(form, PROFILE_FIELDS))
    same = form.get("billing_contact.same_as_coordinator") == "yes"
    billing = data.get("billing_contact", {}) if not same else {}
    data["billing_contact"] = dict(billing, same_as_coordinator=same)
    data["expiry_reminders"] = form.get("expiry_reminders") == "yes"
    data.setdefault("coordinator", {})
    data.setdefault("second_contact", {})
    return data


def portal_summary(summary):
    """The year's voucher summary with its counts as the portal shows them."""
    return dict(summary, counts=portal_counts(summary["counts"]))


class OrganizationPages:

    def _organization(self, visit, org_id, need="read", require_profile=True, year_of=None):
        """The menu bar's context: this organization as access's `authorize` allows it, and
        the account with its organizations (`me`), in one call.

        This year's access opens every year. Without it, a past year's access opens the
        data of that year only: a page listing a year's data (`year_of` None) is
        authorized for exactly the year it shows, and a page of one thing (`year_of`: its
        year, an order's) for that thing's own year, never the year in the URL, which the
        caller chooses."""
        asked = visit.query.get("academic_year", "")
        asked = asked if ACADEMIC_YEAR.fullmatch(asked) else None

        def authorize(year):
            return self.access.authorize_page(visit.token, org_id, need, require_profile,
                                              year)

        allowed = authorize_item(authorize, year_of or (lambda: asked))
        current = AcademicYear.parse(allowed["principal"]["academic_year"])
        year = chosen_year(visit, current)
        if year_of is None and allowed["principal"]["access_year"] not in (str(current), year):
            # the year asked for is not one the portal shows, so the page lists this
            # year's data: it takes this year's access (access answers 403 without it)
            allowed = authorize(year)
        principal, me = allowed["principal"], allowed["me"]
        org, organizations = principal["organization"], me["organizations"]
        if not any(other["id"] == org["id"] for other in organizations):
            # read with a past year's access: this year's list does not hold it
            organizations = organizations + [dict(org, access=principal["access"])]
        return {"account": me, "csrf": visit.csrf, "organizations": organizations,
                "org": org, "access": principal["access"],
                "principal": principal, "current_year": str(current), "year": year,
                "years": academic_years(current), "is_current_year": year == str(current),
                # the selector marks the years the organization has no data in
                "data_years": self.organization_years(self, org["id"]),
                "tab_url": tab_url, "here": visit.here}

    @page("GET", "/switch-organization")
    def switch_organization(self, visit):
        """The organization switcher's form: the same tab and year of another organization."""
        tab = visit.query.get("tab", "summary")
        try:
            org_id = int(visit.query.get("organization", ""))
        except ValueError:
            return redirect("/")
        year = visit.query.get("academic_year", "")
        year = year if ACADEMIC_YEAR.fullmatch(year) else None  # the page itself checks it
        return redirect(tab_url(org_id, tab if tab in TABS else "summary", year))

    # the profile

    def _profile_page(self, visit, org_id, values=None, errors=None, same=None):
        context = self._organization(visit, org_id, require_profile=False)
        profile = self.access.get_profile(visit.token, org_id)
        if values is None:
            values = profile_values(profile)
            same = profile["billing_contact"].get("same_as_coordinator")
            values["expiry_reminders"] = profile.get("expiry_reminders", True)
        needed_for = next((other for other in context["organizations"]
                           if str(other["id"]) == visit.query.get("needed_for")), None)
        return render("profile.html", status=400 if errors else 200, tab="profile",
                      page_is_tab=True, needed_for=needed_for,
                      title="Organization profile", profile=profile, values=values,
                      errors=errors or {}, same_as_coordinator=same,
                      saved=visit.query.get("saved") == "1", **context)

    @page("GET", "/organizations/<int:org_id>/profile")
    def profile_page(self, visit, org_id):
        return self._profile_page(visit, org_id)

    @page("POST", "/organizations/<int:org_id>/profile")
    def save_profile(self, visit, org_id):
        self.access.authorize(visit.token, org_id, "manage", require_profile=False)
        data = profile_from_form(visit.form)
        try:
            profile = checked(access_schemas.ProfileIn, data, PROFILE_LABELS)
            self.access.update_profile(visit.token, org_id, profile)
        except InvalidInput as refusal:
            return self._profile_page(
                visit, org_id, values=dict(typed(visit.form, PROFILE_FIELDS),
                                           expiry_reminders=data["expiry_reminders"]),
                errors=errors_of(refusal, "coordinator.name", PROFILE_LABELS),
                same=data["billing_contact"]["same_as_coordinator"])
        return redirect("/organizations/{}/profile?saved=1".format(org_id))

    # the Summary tab

    @page("GET", "/organizations/<int:org_id>")
    def summary_page(self, visit, org_id):
        context = self._organization(visit, org_id)
        year = context["year"]
        pool = eventlet.GreenPool()
        quote = pool.spawn(self.orders.quote, context["org"])
        vouchers = pool.spawn(self.vouchers.usage_summary, org_id, year)
        try:
            fees = quote.wait()
        except ClepError as refusal:  # fees of the year not set yet: the page says so
            fees = {"unavailable": refusal.message}
        return render("summary.html", tab="summary", page_is_tab=True, title="Summary",
                      quote=fees,
                      vouchers=portal_summary(vouchers.wait()),
                      can_order=context["access"] == "manage" and context["is_current_year"],
                      **context)
