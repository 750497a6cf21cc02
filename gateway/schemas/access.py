"""Schemas of getting access, profiles and organizations."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import (PHONE, ZIP, StrictBoolean, StrictInteger,
                                    text)

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


class AccessCodeOut(Schema):
    access_code = fields.String()
    academic_year = fields.String()
