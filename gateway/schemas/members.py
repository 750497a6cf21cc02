"""Schemas of People with access and of an organization's academic years."""
from marshmallow import Schema, fields

from services.access.schemas import ScoreVisibilityIn  # noqa: F401 (the route's input)


class MemberOut(Schema):
    account_id = fields.Integer()
    name = fields.String()
    email = fields.String()
    access = fields.String(metadata={"enum": ["manage", "read_only"]})
    granted_at = fields.String(metadata={"description": "since when (UTC, ISO 8601)"})
    granted_via = fields.String(metadata={
        "enum": ["access_code", "access_code_request", "district"],
        "description": "how they got access: redeemed the access code; redeemed the code "
                       "operations mailed on their approved request; through the district"})
    through_organization_id = fields.Integer(metadata={
        "description": "the organization whose membership gives the access (the district "
                       "for its people on a school)"})
    profile_contact = fields.Boolean(metadata={
        "description": "false: the profile names them neither as CLEP coordinator nor as "
                       "second contact (the FAQ: those two should be the only ones)"})
    removable = fields.Boolean(metadata={
        "description": "false for the district's people, removed at the district"})
    you = fields.Boolean()


class MembersOut(Schema):
    academic_year = fields.String()
    scores_contacts_only = fields.Boolean()
    members = fields.List(fields.Nested(MemberOut))


class MemberRemovedOut(Schema):
    account_id = fields.Integer()
    organization_id = fields.Integer()
    academic_year = fields.String()
    removed = fields.Boolean()


class MemberRestoredOut(Schema):
    account_id = fields.Integer()
    organization_id = fields.Integer()
    academic_year = fields.String()
    restored = fields.Boolean()


class ScoreVisibilityOut(Schema):
    scores_contacts_only = fields.Boolean()


class AcademicYearsOut(Schema):
    academic_years = fields.List(fields.String(), metadata={
        "description": "the years with data of the organization, newest first"})
    current = fields.String()
