"""Shared parts of the HTTP API's schemas: the academic year, health, the error body.
(The field types of input rules are the services': services.common.validation.)"""
from marshmallow import Schema, ValidationError, fields

from services.common.academic_year import AcademicYear
from services.common.strict_fields import StrictBoolean, StrictInteger  # noqa: F401


def academic_year_text(value):
    try:
        AcademicYear.parse(value)
    except ValueError as wrong:
        raise ValidationError(str(wrong))


class AcademicYearQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)


class AcademicYearIn(Schema):
    academic_year = fields.String(required=True, validate=academic_year_text)


class HealthOut(Schema):
    status = fields.String()
    services = fields.Dict()


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String()
    invalid_fields = fields.Dict(data_key="fields")
    profile = fields.Dict(metadata={
        "description": "with profile_incomplete: the organization whose profile to complete "
                       "(a district's, for its schools): organization_id, "
                       "organization_name, url"})


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)
