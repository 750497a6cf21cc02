"""Accounts, sessions and the portal terms."""
from werkzeug.wrappers import Response

from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import accounts as s


class AccountRoutes:
    @route("POST", "/api/accounts", auth="none", tag="accounts", body=s.AccountIn,
           response=s.AccountOut, status=201, errors=(400, 409, 503),
           summary="Create an account.")
    def create_account(self, call):
        body = call.body
        return json_response(self.access.create_account(body["email"], body["name"],
                                                        body["password"]), 201)

    @route("POST", "/api/sessions", auth="none", tag="accounts", body=s.SessionIn,
           response=s.SessionOut, status=201, errors=(400, 401, 429, 503),
           summary="Sign in; 429 with Retry-After while this client is held off for failing "
                   "(5 failures in a row for the email, then longer waits).")
    def sign_in(self, call):
        return json_response(self.access.sign_in(
            call.body["email"], call.body["password"], self.client_address(call.request)), 201)

    @route("DELETE", "/api/sessions/current", auth="session", tag="accounts", status=204,
           errors=(401,), summary="Sign out: the token stops working.")
    def sign_out(self, call):
        self.access.sign_out(call.token)
        return Response(status=204)

    @route("GET", "/api/me", auth="session", tag="accounts", response=s.MeOut, errors=(401,),
           summary="The account and its organizations for the current academic year "
                   "(answers before the portal terms are accepted).")
    def me(self, call):
        return json_response(self.access.me(call.token))

    @route("GET", "/api/terms/portal", auth="none", tag="accounts", response=s.TermsOut,
           summary="The portal's user terms.")
    def portal_terms(self, call):
        return json_response(self.access.portal_terms())

    @route("POST", "/api/terms/portal/acceptances", auth="session", tag="accounts",
           body=s.TermsAcceptanceIn, status=201, errors=(400, 401),
           summary="Accept the portal terms (once per version).")
    def accept_portal_terms(self, call):
        return json_response(self.access.accept_portal_terms(call.token, call.body["version"]), 201)
