"""Schemas of getting access, profiles and organizations: what the access service takes
(its own schemas, loaded by it too) and what the API answers."""
from marshmallow import Schema, fields, validate

from services.access.schemas import (  # noqa: F401 (the routes' and the portal's inputs)
    AccessCodeRequestIn, DeclineIn, OrganizationIn, OrganizationPatchIn, ProfileIn,
    RedemptionIn, ZipQuery)
from services.common.validation import ID, StrictInteger


class OrganizationSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    city = fields.String()
    state = fields.String()


class OrganizationsOut(Schema):
    organizations = fields.List(fields.Nested(OrganizationSummary))


class OrganizationRef(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class RedemptionOut(Schema):
    organization = fields.Nested(OrganizationRef)
    access = fields.String()
    academic_year = fields.String()


class ProfileOut(Schema):
    coordinator = fields.Dict()
    second_contact = fields.Dict()
    billing_contact = fields.Dict()
    expiry_reminders = fields.Boolean(metadata={
        "description": "the coordinator is mailed a month and a week before an order's codes "
                       "expire"})
    complete = fields.Boolean()


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
