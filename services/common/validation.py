"""Checking input with marshmallow schemas, one rule set per field.

A service checks what it is sent with its own schemas (whoever calls it: the gateway, a
CLI, another service), and the gateway loads the very same schemas, so an HTTP client,
the portal and an RPC caller get the same answer for the same value.
"""
import re
import unicodedata

from marshmallow import ValidationError, fields
from marshmallow import validate as validators

from services.common.errors import InvalidInput

# control characters (C0, DEL, C1), lone surrogates, line and paragraph separators
NOT_PRINTABLE = ("Cc", "Cs", "Zl", "Zp")


def printable(value):
    """One line of text people can read and a database can store."""
    if any(unicodedata.category(character) in NOT_PRINTABLE for character in value):
        raise ValidationError("Only printable characters.")


class Trimmed(fields.String):
    """A string trimmed of surrounding spaces before it is checked (spaces only: a control
    character at either end is still refused, not quietly dropped)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip(" ")


class Text(Trimmed):
    """One line of text, trimmed (with `collapse`, inner runs of spaces made one); blank
    is missing: "   " is not a name."""

    def __init__(self, max_length, collapse=False, validate_also=(), **kwargs):
        super().__init__(validate=[validators.Length(min=1, max=max_length), printable,
                                   *validate_also], **kwargs)
        self.collapse = collapse

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return re.sub(" {2,}", " ", value) if self.collapse else value


def text(max_length, required=True, collapse=False, validate=(), **kwargs):
    """A Text field; `validate`: rules of its own after the length and printable ones."""
    return Text(max_length, collapse=collapse, validate_also=validate, required=required,
                **kwargs)


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


def load(schema, data):
    """`data` loaded by `schema`, or InvalidInput naming each wrong field (dotted)."""
    try:
        return schema.load(data)
    except ValidationError as invalid:
        raise InvalidInput("invalid_input", "Some fields are invalid.",
                           fields=flatten(invalid.messages))


def flatten(messages, prefix=""):
    """{"coordinator": {"email": [...]}} -> {"coordinator.email": [...]}"""
    flat = {}
    for name, value in (messages.items() if isinstance(messages, dict) else [("_", messages)]):
        key = "{}{}".format(prefix, name)
        if isinstance(value, dict):
            flat.update(flatten(value, key + "."))
        else:
            flat[key] = value if isinstance(value, list) else [value]
    return flat
