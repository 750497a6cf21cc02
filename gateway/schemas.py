"""Input and output shapes of the HTTP API (marshmallow); OpenAPI is generated from them."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.academic_year import AcademicYear

def academic_year_text(value):
    try:
        AcademicYear.parse(value)
    except ValueError as wrong:
        raise ValidationError(str(wrong))

ZIP = validate.Regexp(r"^\d{5}(-\d{4})?$", error="A US zip code: 5 digits.")
PHONE = validate.Regexp(r"^\+?[0-9 ().-]{7,25}$", error="A phone number, like 313-555-0100.")
PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


def printable(value):
    if not PRINTABLE.match(value):
        raise ValidationError("Only printable characters.")


def text(max_length, required=True, **kwargs):
    return fields.String(required=required, validate=[validate.Length(min=1, max=max_length),
                                                      printable], **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, not "yes", 1 or "true"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


# accounts and terms

class AccountIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = text(200)
    password = fields.String(required=True, validate=validate.Length(min=10, max=200))


class AccountOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()


class SessionIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SessionOut(Schema):
    token = fields.String()
    expires_at = fields.String()


class MyOrganization(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    access = fields.String(metadata={"enum": ["manage", "read_only"]})
    academic_year = fields.String()


class MeOut(AccountOut):
    terms_accepted = fields.Boolean()
    organizations = fields.List(fields.Nested(MyOrganization))


class TermsOut(Schema):
    document = fields.String()
    version = fields.String()
    text = fields.String()


class TermsAcceptanceIn(Schema):
    version = text(40)


# organizations and access

class OrganizationSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    city = fields.String()
    state = fields.String()


class OrganizationsOut(Schema):
    organizations = fields.List(fields.Nested(OrganizationSummary))


class ZipQuery(Schema):
    zip = fields.String(required=True, validate=ZIP)


class RedemptionIn(Schema):
    zip = fields.String(required=True, validate=validate.Length(min=1, max=20))
    organization_name = text(200)
    access_code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class OrganizationRef(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class RedemptionOut(Schema):
    organization = fields.Nested(OrganizationRef)
    access = fields.String()
    academic_year = fields.String()


class Contact(Schema):
    name = text(200)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = fields.String(required=True, validate=PHONE)


class SecondContact(Contact):
    role = fields.String(required=True, validate=validate.OneOf(["principal", "alternate"]))


class BillingContact(Schema):
    same_as_coordinator = StrictBoolean(required=True)
    name = text(200, required=False, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=PHONE)

    @validates_schema
    def contact_unless_same(self, data, **kwargs):
        if not data.get("same_as_coordinator"):
            missing = {name: ["Required unless same_as_coordinator is true."]
                       for name in ("name", "email", "phone") if not data.get(name)}
            if missing:
                raise ValidationError(missing)


class ProfileIn(Schema):
    coordinator = fields.Nested(Contact, required=True)
    second_contact = fields.Nested(SecondContact, required=True)
    billing_contact = fields.Nested(BillingContact, required=True)
    complete = fields.Boolean(load_only=True)  # echoed back from a GET: ignored


class ProfileOut(Schema):
    coordinator = fields.Dict()
    second_contact = fields.Dict()
    billing_contact = fields.Dict()
    complete = fields.Boolean()


# orders and vouchers

class QuoteOut(Schema):
    organization = fields.Dict()
    academic_year = fields.String()
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer()
    default_expiration_date = fields.Date()
    latest_expiration_date = fields.Date()
    max_quantity = fields.Integer()


class OrderIn(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=10_000))
    covers_remote_proctoring = StrictBoolean(required=True)
    expiration_date = fields.Date(load_default=None, allow_none=True)
    po_number = fields.String(load_default=None, allow_none=True,
                              validate=[validate.Length(max=50), printable])
    terms_version = text(40)


class OrderOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    academic_year = fields.String()
    placed_at = fields.String()
    placed_by = fields.Dict()
    quantity = fields.Integer()
    covers_remote_proctoring = fields.Boolean()
    expiration_date = fields.String()
    po_number = fields.String(allow_none=True)
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer()
    status = fields.String(metadata={"enum": ["generating_vouchers", "fulfilled"]})
    vouchers_generated = fields.Integer()
    vouchers_csv_url = fields.String()


class OrdersOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))


class PoNumberIn(Schema):
    po_number = fields.String(required=True, allow_none=True,
                              validate=[validate.Length(max=50), printable])


class AcademicYearQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)


class VoucherUsageQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["unused", "redeemed", "used", "cancelled", "expired"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class VoucherUsageOut(Schema):
    counts = fields.Dict()
    vouchers = fields.List(fields.Dict())
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


# operations

class OrganizationIn(Schema):
    name = text(200)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["school", "district", "college", "other"]))
    zip = fields.String(required=True, validate=ZIP)
    city = text(100)
    state = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z]{2}$", error="A two-letter state code."))
    district_id = StrictInteger(load_default=None, allow_none=True)
    state_funded = StrictBoolean(load_default=False)


class OrganizationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    zip = fields.String()
    city = fields.String()
    state = fields.String()
    district_id = fields.Integer(allow_none=True)
    state_funded = fields.Boolean()


class AccessCodeIn(Schema):
    academic_year = fields.String(required=True, validate=academic_year_text)


class AccessCodeOut(Schema):
    access_code = fields.String()
    academic_year = fields.String()


class FeesIn(Schema):
    exam_fee_cents = StrictInteger(required=True, validate=validate.Range(min=0, max=1_000_000))
    remote_proctoring_fee_cents = StrictInteger(required=True,
                                                validate=validate.Range(min=0, max=1_000_000))


class FeesOut(FeesIn):
    academic_year = fields.String()


class HealthOut(Schema):
    status = fields.String()
    services = fields.Dict()


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String()
    invalid_fields = fields.Dict(data_key="fields")


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)
