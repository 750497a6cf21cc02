"""Partner systems: the registration system redeems voucher codes."""
import hashlib

from gateway.http import json_response
from gateway.routing import route
from gateway.schemas import partners as s


def partner_of(token):
    """Who is calling, for the throttle on unknown codes: the partner's token it
    authenticated with (a digest of it, never the token), not its network address, which
    every partner behind one proxy would share."""
    return "partner:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class PartnerRoutes:
    @route("POST", "/api/voucher-redemptions", auth="partner", tag="partners",
           body=s.VoucherRedemptionIn, response=s.VoucherRedemptionOut, status=201,
           errors=(400, 401, 403, 404, 409, 410, 429),
           summary="Redeem a voucher code for a student's registration: a registration "
                   "ticket. A valid, unused code is always redeemed; a partner that keeps "
                   "sending unknown codes gets 429 for them a while.")
    def redeem_voucher(self, call):
        body = call.body
        return json_response(self.redemptions.redeem(
            self.vouchers, partner_of(call.token), body["voucher_code"], body["student"],
            body["exam"]), 201)
