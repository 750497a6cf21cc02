"""What the vouchers service takes from a coordinator: the student a code is given to.

The service loads these itself (services.common.validation.load), whoever calls it; the
gateway loads the same classes for the JSON API and the portal's forms.
"""
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from services.common.validation import text

MAX_STUDENTS = 10_000  # an order's largest size


def reachable(address):
    """marshmallow's Email takes `name@localhost`, which no mail to a student can reach."""
    if address.rpartition("@")[2] == "localhost":
        raise ValidationError("Not a valid email address.")


class GivenToIn(Schema):
    """A student as the coordinator names them: a name, and an email if they have one
    (blank: none). Emails are kept trimmed and in lower case."""
    student_name = text(200, collapse=True)
    student_email = fields.Email(load_default=None, allow_none=True,
                                 validate=[validate.Length(max=254), reachable])

    @pre_load
    def blank_email_is_none(self, data, **kwargs):
        email = data.get("student_email") if isinstance(data, dict) else None
        if isinstance(email, str):
            data = dict(data, student_email=email.strip(" ").lower() or None)
        return data


class AssignmentIn(GivenToIn):
    """One code given to one student; the day it was given out defaults to today (or,
    for a code given to the same student before, the day recorded then)."""
    given_out_on = fields.Date(load_default=None, allow_none=True)


class AssignNextIn(Schema):
    """"Give the next N codes of this order to these students", in the order listed."""
    students = fields.List(fields.Nested(GivenToIn), required=True,
                           validate=validate.Length(min=1, max=MAX_STUDENTS))
    given_out_on = fields.Date(load_default=None, allow_none=True)
