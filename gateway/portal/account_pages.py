"""Signing in and out, creating an account, and getting access in the FAQ's order: the
Welcome page, "Get access to My CLEP" with an access code (or "Don't have an access
code"), then the portal terms, then the organization's profile."""
from gateway.browser_session import clear_session_cookie, set_session_cookie
from gateway.portal.forms import checked, errors_of, typed
from gateway.portal.pages import local_path, page, redirect, with_next
from gateway.portal.render import render
from gateway.schemas import access as access_schemas
from gateway.schemas import accounts as account_schemas
from services.common.errors import ClepError, InvalidInput, NotAuthenticated, TooManyAttempts

ACCOUNT_LABELS = {"name": "your full name", "email": "your email address",
                  "password": "a password"}
ACCESS_LABELS = {"zip": "the zip code", "organization_name": "Choose your organization.",
                 "access_code": "the access code"}
REQUEST_LABELS = {"organization_name": "the organization's name", "zip": "the zip code",
                  "requester_role": "Select your role.", "message": "a message"}


def wait_in_words(seconds):
    minutes = max(1, -(-int(seconds or 60) // 60))
    return "{} minute{}".format(minutes, "" if minutes == 1 else "s")


def too_many(what, refusal):
    """Like "Too many wrong access codes. Try again in 15 minutes."."""
    return "Too many {}. Try again in {}.".format(what, wait_in_words(refusal.retry_after))


class AccountPages:

    def _me(self, visit):
        return self.access.me(visit.token)

    def _signed_in(self, response, request, token):
        set_session_cookie(response, self.config, request, token)
        return response

    @page("GET", "/", signed_in=False)
    def portal_home(self, visit):
        """Where a person belongs: signing in, getting access, or their organization."""
        if not visit.token:
            return redirect("/sign-in")
        me = self._me(visit)
        if not me["organizations"]:
            return redirect("/welcome")
        return redirect("/organizations/{}".format(me["organizations"][0]["id"]))

    # signing in and out

    @page("GET", "/sign-in", signed_in=False)
    def sign_in_page(self, visit):
        return render("sign_in.html", title="Sign in", values={}, errors={},
                      next=local_path(visit.query.get("next")),
                      signed_out=visit.query.get("signed_out") == "1")

    @page("POST", "/sign-in", signed_in=False)
    def submit_sign_in(self, visit):
        values = typed(visit.form, ("email",))
        next_path = local_path(visit.form.get("next"))
        try:
            credentials = checked(account_schemas.SessionIn, dict(
                values, password=visit.form.get("password", "")), ACCOUNT_LABELS)
            session = self.access.sign_in(credentials["email"], credentials["password"],
                                          self.client_address(visit.request))
        except TooManyAttempts as refusal:
            errors = {"email": too_many("failed sign-ins", refusal)}
        except NotAuthenticated:
            errors = {"email": "Enter the email address and password of your account. "
                               "One of them is not right."}
        except InvalidInput as refusal:
            errors = errors_of(refusal, "email", ACCOUNT_LABELS)
        else:
            if visit.token:  # someone signed in already on this browser: that session ends
                try:
                    self.access.sign_out(visit.token)
                except NotAuthenticated:
                    pass
            return self._signed_in(redirect(next_path), visit.request, session["token"])
        return render("sign_in.html", status=400, title="Sign in", values=values,
                      errors=errors, next=next_path)

    @page("POST", "/sign-out")
    def submit_sign_out(self, visit):
        """Ends the session in the access service: the cookie is worthless everywhere."""
        try:
            self.access.sign_out(visit.token)
        except NotAuthenticated:
            pass  # already over
        response = redirect("/sign-in?signed_out=1")
        clear_session_cookie(response, self.config, visit.request)
        return response

    @page("GET", "/create-account", signed_in=False)
    def create_account_page(self, visit):
        return render("create_account.html", title="Create a professional account",
                      values={}, errors={})

    @page("POST", "/create-account", signed_in=False)
    def submit_new_account(self, visit):
        values = typed(visit.form, ("name", "email"))
        password = visit.form.get("password", "")
        try:
            account = checked(account_schemas.AccountIn, dict(values, password=password),
                              ACCOUNT_LABELS)
            self.access.create_account(account["email"], account["name"], password)
            session = self.access.sign_in(account["email"], password,
                                          self.client_address(visit.request))
        except ClepError as refusal:
            return render("create_account.html", status=400,
                          title="Create a professional account", values=values,
                          errors=errors_of(refusal, "email", ACCOUNT_LABELS))
        return self._signed_in(redirect("/welcome"), visit.request, session["token"])

    # getting access

    @page("GET", "/welcome")
    def welcome(self, visit):
        me = self._me(visit)
        return render("welcome.html", title="Welcome", account=me, csrf=visit.csrf,
                      organizations=me["organizations"])

    def _get_access_page(self, visit, me, values, errors, status=200):
        zip_code = values.get("zip", "")
        organizations = None
        if zip_code and "zip" not in errors:
            try:
                checked(access_schemas.ZipQuery, {"zip": zip_code}, ACCESS_LABELS)
                organizations = self.access.organizations_in_zip(zip_code[:5])
            except InvalidInput as refusal:
                errors = dict(errors, **errors_of(refusal, "zip", ACCESS_LABELS))
        return render("get_access.html", status=status, title="Get access to My CLEP",
                      account=me, csrf=visit.csrf, values=values, errors=errors,
                      organizations=organizations)

    @page("GET", "/get-access")
    def get_access_page(self, visit):
        me = self._me(visit)
        return self._get_access_page(visit, me, typed(visit.query, ("zip",)), {})

    @page("POST", "/get-access")
    def get_access(self, visit):
        values = typed(visit.form, ("zip", "organization_name", "access_code"))
        me = self._me(visit)
        try:  # the organizations to choose from come from the zip: it must be right first
            checked(access_schemas.ZipQuery, {"zip": values.get("zip", "")}, ACCESS_LABELS)
        except InvalidInput as refusal:
            return self._get_access_page(visit, me, {"zip": values.get("zip", "")},
                                         errors_of(refusal, "zip", ACCESS_LABELS), status=400)
        try:
            found = checked(access_schemas.RedemptionIn, values, ACCESS_LABELS)
            granted = self.access.redeem_access_code(
                visit.token, found["zip"], found["organization_name"], found["access_code"],
                self.client_address(visit.request))
        except TooManyAttempts as refusal:
            errors = {"access_code": too_many("wrong access codes", refusal)}
        except InvalidInput as refusal:
            errors = errors_of(refusal, "access_code", ACCESS_LABELS)
        else:
            profile = "/organizations/{}/profile".format(granted["organization"]["id"])
            if not me["terms_accepted"]:
                return redirect(with_next("/terms", profile))
            return redirect(profile)
        return self._get_access_page(visit, me, values, errors, status=400)

    @page("GET", "/request-access-code")
    def request_access_code_page(self, visit):
        return render("request_access_code.html", title="Don't have an access code",
                      account=self._me(visit), csrf=visit.csrf, values={}, errors={})

    @page("POST", "/request-access-code")
    def submit_access_code_request(self, visit):
        values = typed(visit.form, ("organization_name", "zip", "requester_role", "message"))
        try:
            asked = checked(access_schemas.AccessCodeRequestIn, values, REQUEST_LABELS)
            sent = self.access.request_access_code(visit.token, asked)
        except ClepError as refusal:
            if isinstance(refusal, TooManyAttempts):
                refusal = InvalidInput(message=too_many("requests", refusal))
            return render("request_access_code.html", status=400,
                          title="Don't have an access code", account=self._me(visit),
                          csrf=visit.csrf, values=values,
                          errors=errors_of(refusal, "organization_name", REQUEST_LABELS))
        return render("request_sent.html", title="Your request was sent",
                      account=self._me(visit), csrf=visit.csrf, routed_to=sent["routed_to"],
                      organization_name=asked["organization_name"])

    # the portal terms

    @page("GET", "/terms")
    def terms_page(self, visit):
        me = self._me(visit)
        return render("terms.html", title="Portal terms of use", account=me, csrf=visit.csrf,
                      terms=self.access.portal_terms(), accepted=me["terms_accepted"],
                      next=local_path(visit.query.get("next")), errors={})

    @page("POST", "/terms")
    def accept_terms(self, visit):
        next_path = local_path(visit.form.get("next"))
        terms = self.access.portal_terms()
        if visit.form.get("accept") != "yes":
            return render("terms.html", status=400, title="Portal terms of use",
                          account=self._me(visit), csrf=visit.csrf, terms=terms,
                          accepted=False, next=next_path,
                          errors={"accept": "Select that you accept the terms to go on."})
        self.access.accept_portal_terms(visit.token, terms["version"])
        return redirect(next_path)

