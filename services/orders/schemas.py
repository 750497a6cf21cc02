"""What the orders service takes: an order, a PO number, a year's fees.

The service loads these itself (services.common.validation.load), whoever calls it; the
gateway loads the same classes for the JSON API and the portal's forms, and its OpenAPI
document is generated from them. Rules that need today's date (the expiration date's
bounds) are the service's (services.orders.rules).
"""
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from services.common.errors import InvalidInput
from services.common.validation import (StrictBoolean, StrictInteger, Trimmed, printable,
                                        text)
from services.orders.terms import BULK_PURCHASE_TERMS

MAX_QUANTITY = 10_000
MAX_PO_LENGTH = 50


def current_terms(version):
    if version != BULK_PURCHASE_TERMS["version"]:
        raise ValidationError("Accept the current bulk-purchase terms (version {}).".format(
            BULK_PURCHASE_TERMS["version"]))


class PoNumber(Trimmed):
    """A purchase-order number, trimmed; blank is none."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, validate=[validate.Length(
            max=MAX_PO_LENGTH, error="At most {} characters.".format(MAX_PO_LENGTH)),
            printable], **kwargs)

    def deserialize(self, *args, **kwargs):
        return super().deserialize(*args, **kwargs) or None


class OrderIn(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(
        min=1, max=MAX_QUANTITY, error="From 1 to {:,} vouchers.".format(MAX_QUANTITY)))
    covers_remote_proctoring = StrictBoolean(required=True)
    expiration_date = fields.Date(load_default=None, allow_none=True)
    po_number = PoNumber(load_default=None)
    terms_version = text(40, validate=[current_terms], metadata={
        "enum": [BULK_PURCHASE_TERMS["version"]],
        "description": "the version of the bulk-purchase terms accepted "
                       "(GET /api/terms/bulk_purchase); only the current one is taken"})


class OrderReviewIn(OrderIn):
    """An order before its terms are accepted (the review step shows them)."""
    terms_version = text(40, required=False, allow_none=True, validate=[current_terms])


class PoNumberIn(Schema):
    """The body of PATCH on an order: the PO number is all that can change after placing."""
    po_number = PoNumber(required=True)

    @pre_load
    def only_the_po_number(self, data, **kwargs):
        if isinstance(data, dict) and set(data) != {"po_number"}:
            raise InvalidInput("only_po_number_can_change",
                               "Only the PO number of an order can be changed.",
                               fields={name: ["Cannot be changed."]
                                       for name in data if name != "po_number"} or None)
        return data


class FeesIn(Schema):
    exam_fee_cents = StrictInteger(required=True, validate=validate.Range(min=0, max=1_000_000))
    remote_proctoring_fee_cents = StrictInteger(required=True,
                                                validate=validate.Range(min=0, max=1_000_000))
    # true: set them only if the year has none yet (409 fees_already_set otherwise), so that
    # a script such as the demo seed never overwrites what operations set
    only_if_unset = StrictBoolean(load_default=False, load_only=True)
