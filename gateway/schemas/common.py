"""Shared input rules of the HTTP API's schemas."""
import re

from marshmallow import Schema, ValidationError, fields, validate

from services.common.academic_year import PATTERN as ACADEMIC_YEAR_PATTERN
from services.common.academic_year import AcademicYear


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


ZIP = validate.Regexp(r"^\d{5}(-\d{4})?$", error="A US zip code: 5 digits.")
PHONE = validate.Regexp(r"^\+?[0-9 ().-]{7,25}$", error="A phone number, like 313-555-0100.")
# ids fit every database's INTEGER, and match the 9 digits an id in a path may have
ID = validate.Range(min=1, max=999_999_999, error="An id: a whole number from 1 to 999999999.")
PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


class Printable(validate.Validator):
    """No control characters; `regex` is what the OpenAPI document shows."""
    regex = PRINTABLE

    def __call__(self, value):
        if not PRINTABLE.fullmatch(value):  # match would let a final newline through
            raise ValidationError("Only printable characters.")
        return value


printable = Printable()


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


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)
