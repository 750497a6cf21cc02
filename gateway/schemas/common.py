"""Shared parts of the HTTP API's schemas: the academic year, health, the error body.
(The field types of input rules are the services': services.common.validation.)"""
from marshmallow import Schema, ValidationError, fields, validate

from services.common.academic_year import PATTERN as ACADEMIC_YEAR_PATTERN
from services.common.academic_year import AcademicYear
from services.common.strict_fields import StrictBoolean, StrictInteger  # noqa: F401


class AcademicYearText(validate.Validator):
    """`2026-27`: AcademicYear's own rule. Its `regex` is what the OpenAPI document shows
    (apispec reads a validator's `regex`); the years must follow each other too."""
    regex = ACADEMIC_YEAR_PATTERN

    def __call__(self, value):
        try:
            AcademicYear.parse(value)
        except ValueError as wrong:
            raise ValidationError(str(wrong))
        return value


academic_year_text = AcademicYearText()


class AcademicYearQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)


class AcademicYearIn(Schema):
    academic_year = fields.String(required=True, validate=academic_year_text)


class HealthOut(Schema):
    status = fields.String()
    services = fields.Dict()


class LiveOut(Schema):
    status = fields.String()


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String()
    invalid_fields = fields.Dict(data_key="fields")
    profile = fields.Dict(metadata={
        "description": "with profile_incomplete: the organization whose profile to complete "
                       "(a district's, for its schools): organization_id, "
                       "organization_name, url"})
    rows = fields.List(fields.Dict(), metadata={
        "description": "with invalid_rows: each row that cannot be applied, as {row, column, "
                       "message} (row 1 is a file's header)"})


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)
