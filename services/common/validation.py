"""Checking input with marshmallow schemas, one rule set per field.

A service checks what it is sent with its own schemas (whoever calls it: the gateway, a
CLI, another service), and the gateway loads the very same schemas, so an HTTP client,
the portal and an RPC caller get the same answer for the same value.
"""
import re

from marshmallow import ValidationError, fields
from marshmallow import validate as validators

from services.common.errors import InvalidInput
from services.common.strict_fields import StrictBoolean, StrictInteger  # noqa: F401

# One line of text people can read and a database can store: no control characters (C0,
# DEL, C1), lone surrogates, or line and paragraph separators. A regex rather than
# unicodedata categories so that the OpenAPI document can show it (apispec reads `regex`).
PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]*$")
# ids fit every database's INTEGER, and the 9 digits an id in a path may have
ID = validators.Range(min=1, max=999_999_999,
                      error="An id: a whole number from 1 to 999999999.")


class Printable(validators.Validator):
    regex = PRINTABLE

    def __call__(self, value):
        if not PRINTABLE.fullmatch(value):  # match would let a final newline through
            raise ValidationError("Only printable characters.")
        return value


printable = Printable()


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


def load(schema, data):
    """`data` loaded by `schema` (a Schema class), or InvalidInput naming each wrong field
    (dotted)."""
    try:
        return instance_of(schema).load(data)
    except ValidationError as invalid:
        raise InvalidInput("invalid_input", "Some fields are invalid.",
                           fields=flatten(invalid.messages))


_INSTANCES = {}


def instance_of(schema):
    """One instance per Schema class: making one (its fields deep-copied) costs more than
    loading a request with it, and loading keeps no state in it."""
    if schema not in _INSTANCES:
        _INSTANCES[schema] = schema()
    return _INSTANCES[schema]


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
