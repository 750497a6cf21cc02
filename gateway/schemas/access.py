"""Schemas of getting access, profiles and organizations."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import (ID, PHONE, ZIP, StrictBoolean, StrictInteger, printable,
                                    text)

_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class PhoneNumber(validate.Regexp):
    """The shared PHONE shape (which the OpenAPI document shows), with 7 to 15 actual
    digits (not "(---) ---")."""

    def __init__(self):
        super().__init__(PHONE.regex, error=PHONE.error)

    def __call__(self, value):
        super().__call__(value)
        if not 7 <= sum(symbol.isdigit() for symbol in value) <= 15:
            raise ValidationError("A phone number of 7 to 15 digits, like 313-555-0100.")
        return value


phone_number = PhoneNumber()


def letter(value):
    """Free text of several lines: no control characters but line breaks and tabs."""
    if _CONTROL_BUT_NEWLINES.search(value):
        raise ValidationError("Only printable characters and line breaks.")

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
    zip = fields.String(required=True, validate=[validate.Length(min=1, max=20), printable])
    organization_name = text(200)
    access_code = fields.String(required=True,
                                validate=[validate.Length(min=1, max=40), printable])


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
    phone = fields.String(required=True, validate=phone_number)


class SecondContact(Contact):
    role = fields.String(required=True, validate=validate.OneOf(["principal", "alternate"]))


class BillingContact(Schema):
    same_as_coordinator = StrictBoolean(load_default=False)  # absent: a contact of its own
    name = text(200, required=False, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=phone_number)

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


class OrganizationIn(Schema):
    name = text(200)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["school", "district", "college", "other"]))
    zip = fields.String(required=True, validate=ZIP)
    city = text(100)
    state = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z]{2}$", error="A two-letter state code."))
    district_id = StrictInteger(load_default=None, allow_none=True, validate=ID)
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


class OrganizationPatchIn(Schema):
    """Any of these; the kind of an organization cannot change."""
    name = text(200, required=False)
    zip = fields.String(validate=ZIP)
    city = text(100, required=False)
    state = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$",
                                                   error="A two-letter state code."))
    district_id = StrictInteger(allow_none=True, validate=ID)
    state_funded = StrictBoolean()


class AccessCodeOut(Schema):
    access_code = fields.String()
    academic_year = fields.String()
    emailed_to = fields.String(allow_none=True)


class AccessCodeRunOut(Schema):
    id = fields.Integer()
    academic_year = fields.String()
    status = fields.String(metadata={"enum": ["running", "finished", "failed"]})
    requested_at = fields.String()
    finished_at = fields.String(allow_none=True)
    ordered_in = fields.List(fields.String())
    organizations = fields.Integer()
    codes_issued = fields.Integer()
    mailed = fields.Integer()
    no_contact = fields.List(fields.Integer())
    mail_failed = fields.List(fields.Integer())
    error = fields.String(allow_none=True)


class AccessCodeRequestIn(Schema):
    organization_name = text(200)
    zip = fields.String(required=True, validate=ZIP)
    requester_role = fields.String(required=True, validate=validate.OneOf(
        ["coordinator", "alternate", "other"]))
    message = fields.String(required=True, validate=[validate.Length(min=1, max=2000), letter])


class AccessCodeRequestAccepted(Schema):
    id = fields.Integer()
    routed_to = fields.String(metadata={"enum": ["operations", "coordinator"]})
    status = fields.String(metadata={"enum": ["pending", "referred"]})


class AccessCodeRequestsQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["pending", "approved", "declined", "referred"]))


class AccessCodeRequestOut(Schema):
    id = fields.Integer()
    routed_to = fields.String()
    status = fields.String()
    organization_id = fields.Integer(allow_none=True)
    organization_name = fields.String()
    zip = fields.String()
    requester_role = fields.String()
    message = fields.String()
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)
    academic_year = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    requester = fields.Dict()
    emailed_to = fields.String(allow_none=True)


class AccessCodeRequestsOut(Schema):
    requests = fields.List(fields.Nested(AccessCodeRequestOut))


class ApproveIn(Schema):
    organization_id = StrictInteger(load_default=None, allow_none=True, validate=ID)


class DeclineIn(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), letter])


class AuditQuery(Schema):
    organization_id = fields.Integer(load_default=None, validate=ID)
    account_id = fields.Integer(load_default=None, validate=ID)
    action = fields.String(load_default=None, validate=validate.Length(max=40))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.String()
    action = fields.String()
    organization_id = fields.Integer(allow_none=True)
    account = fields.Dict(allow_none=True)
    detail = fields.Dict()


class AuditOut(Schema):
    entries = fields.List(fields.Nested(AuditEntryOut))
