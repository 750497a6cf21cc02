"""What the access service takes: accounts, organizations, profiles, access-code requests.

The service loads these itself (services.common.validation.load), whoever calls it; the
gateway loads the same classes for the JSON API and the portal's forms, and its OpenAPI
document is generated from them.
"""
import re

from marshmallow import (Schema, ValidationError, fields, pre_load, validate,
                         validates_schema)

from services.common.validation import (ID, StrictBoolean, StrictInteger, Trimmed,
                                        printable, text)

KINDS = ("school", "district", "college", "other")
STATE_FUNDED_KINDS = ("school", "district")  # the FAQ: eligible schools and districts
SECOND_ROLES = ("principal", "alternate")
REQUESTER_ROLES = ("coordinator", "alternate", "other")
ZIP = validate.Regexp(r"^\d{5}(-\d{4})?$", error="A US zip code: 5 digits.")
PHONE = validate.Regexp(r"^\+?[0-9 ().-]{7,25}$", error="A phone number, like 313-555-0100.")
STATE = validate.Regexp(r"^[A-Za-z]{2}$", error="A two-letter state code.")
NOT_AN_EMAIL = "Not a valid email address."
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def phone_digits(value):
    """A phone number of the PHONE shape has 7 to 15 actual digits (E.164 allows 15;
    not "(---) ---"). Checked after PHONE, which the OpenAPI document shows as a pattern."""
    if PHONE.regex.match(value) and not 7 <= sum(symbol.isdigit() for symbol in value) <= 15:
        raise ValidationError("A phone number of 7 to 15 digits, like 313-555-0100.")


def letter(value):
    """Free text of several lines: no control characters but line breaks and tabs."""
    if _CONTROL_BUT_NEWLINES.search(value):
        raise ValidationError("Only printable characters and line breaks.")


def mail_domain(value):
    """An address mail can reach: not `name@localhost`, which marshmallow's Email takes."""
    if value.rpartition("@")[2] == "localhost":
        raise ValidationError(NOT_AN_EMAIL)


def state_funding_problem(kind, state_funded):
    """Why `state_funded` cannot be set on an organization of `kind`, or None."""
    if state_funded and kind not in STATE_FUNDED_KINDS:
        return "Only schools and districts can be state funded, not a {}.".format(kind)
    return None


class EmailAddress(fields.Email):
    """An email address, trimmed and in lower case (how accounts and contacts are kept)."""

    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(max=254), mail_domain], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip(" ").lower()


class Zip(Trimmed):
    """A 5-digit zip code or ZIP+4, kept as the 5 digits people type."""

    def __init__(self, **kwargs):
        super().__init__(validate=ZIP, **kwargs)

    def deserialize(self, *args, **kwargs):  # checked whole, then cut to 5 digits
        value = super().deserialize(*args, **kwargs)
        return value[:5] if isinstance(value, str) else value


class StateCode(Trimmed):
    def __init__(self, **kwargs):
        super().__init__(validate=STATE, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).upper()


def phone(**kwargs):
    return Trimmed(validate=[PHONE, phone_digits], **kwargs)


# accounts


class AccountIn(Schema):
    email = EmailAddress(required=True)
    name = text(200)
    password = fields.String(required=True, validate=validate.Length(
        min=10, max=200, error="Use 10 to 200 characters."))


# profiles


class Contact(Schema):
    name = text(200)
    email = EmailAddress(required=True)
    phone = phone(required=True)


class SecondContact(Contact):
    role = fields.String(required=True, validate=validate.OneOf(SECOND_ROLES))


class BillingContact(Schema):
    same_as_coordinator = StrictBoolean(load_default=False)  # absent: a contact of its own
    name = text(200, required=False, allow_none=True)
    email = EmailAddress(allow_none=True)
    phone = phone(allow_none=True)

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
    expiry_reminders = StrictBoolean(load_default=None, metadata={
        "description": "mail the coordinator a month and a week before an order's codes "
                       "expire, with how many are unused and unassigned; left out: unchanged "
                       "(on for a new profile)"})
    complete = fields.Boolean(load_only=True)  # echoed back from a GET: ignored


# organizations


class OrganizationIn(Schema):
    name = text(200, collapse=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    zip = Zip(required=True)
    city = text(100, collapse=True)
    state = StateCode(required=True)
    district_id = StrictInteger(load_default=None, allow_none=True, validate=ID)
    state_funded = StrictBoolean(load_default=False, metadata={
        "description": "only for schools and districts"})

    @validates_schema
    def funding_for_its_kind(self, data, **kwargs):
        problem = state_funding_problem(data.get("kind"), data.get("state_funded"))
        if problem and data.get("kind") in KINDS:
            raise ValidationError({"state_funded": [problem]})


class OrganizationPatchIn(Schema):
    """Any of these; the kind of an organization cannot change."""
    name = text(200, required=False, collapse=True)
    zip = Zip()
    city = text(100, required=False, collapse=True)
    state = StateCode()
    district_id = StrictInteger(allow_none=True, validate=ID)
    state_funded = StrictBoolean(metadata={"description": "only for schools and districts"})

    @pre_load
    def kind_stays(self, data, **kwargs):
        if isinstance(data, dict) and "kind" in data:
            raise ValidationError({"kind": ["The kind of an organization cannot change."]})
        return data


# getting access


class ZipQuery(Schema):
    zip = Zip(required=True)


class RedemptionIn(Schema):
    zip = fields.String(required=True, validate=[validate.Length(min=1, max=20), printable])
    organization_name = text(200)
    access_code = fields.String(required=True,
                                validate=[validate.Length(min=1, max=40), printable])


class AccessCodeRequestIn(Schema):
    organization_name = text(200, collapse=True)
    zip = Zip(required=True)
    requester_role = fields.String(required=True, validate=validate.OneOf(REQUESTER_ROLES))
    message = Trimmed(required=True, validate=[validate.Length(min=1, max=2000), letter])


class DeclineIn(Schema):
    reason = Trimmed(required=True, validate=[validate.Length(min=1, max=2000), letter])


class ScoreVisibilityIn(Schema):
    """The organization's rule on who sees its scores (People with access)."""
    scores_contacts_only = StrictBoolean(required=True, metadata={
        "description": "true: only the CLEP coordinator and the second contact named in "
                       "the profile see scores; false: everyone with access"})
