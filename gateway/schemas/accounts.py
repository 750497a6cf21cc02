"""Schemas of accounts, sessions and terms."""
from marshmallow import Schema, fields, validate

from services.access.schemas import AccountIn  # noqa: F401 (what the access service takes)
from services.common.validation import text
from services.access.terms import PORTAL_TERMS


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
    profile_complete = fields.Boolean(metadata={
        "description": "the profile access comes through (a district's for its schools)"})


class PastAccess(Schema):
    id = fields.Integer()
    name = fields.String()
    academic_year = fields.String()


class MeOut(AccountOut):
    terms_accepted = fields.Boolean()
    organizations = fields.List(fields.Nested(MyOrganization))
    previous_years = fields.List(fields.Nested(PastAccess), metadata={
        "description": "organizations the account had access to in the four academic years "
                       "before this one, newest first: their data of that year stays "
                       "readable"})


class TermsOut(Schema):
    document = fields.String()
    version = fields.String()
    text = fields.String()


class TermsAcceptanceIn(Schema):
    version = text(40, metadata={
        "enum": [PORTAL_TERMS["version"]],
        "description": "the version of the portal terms accepted (GET /api/terms/portal); "
                       "only the current one is taken"})
