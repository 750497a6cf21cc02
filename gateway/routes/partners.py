"""Partner systems: the registration system redeems voucher codes."""
from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import partners as s


def client_of(request):
    """Who is calling, for the throttle on unknown codes: the partner's address. (Behind a
    proxy, every partner would share the proxy's address: put the gateway first.)"""
    return (request.remote_addr or "unknown")[:64]


class PartnerRoutes:
    @route("POST", "/api/voucher-redemptions", auth="partner", tag="partners",
           body=s.VoucherRedemptionIn, response=s.VoucherRedemptionOut, status=201,
           errors=(400, 401, 403, 404, 409, 410, 429),
           summary="Redeem a voucher code for a student's registration: a registration ticket.")
    def redeem_voucher(self, call):
        body = call.body
        return json_response(self.vouchers.redeem_voucher(
            client_of(call.request), body["voucher_code"], body["student"], body["exam"]), 201)
