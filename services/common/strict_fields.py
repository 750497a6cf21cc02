"""marshmallow fields that take JSON's types as they are: the HTTP API's schemas and the
services' event schemas both read numbers and booleans with them."""
from marshmallow import fields


class StrictInteger(fields.Integer):
    """A whole number, never a boolean or a numeric text."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, not "yes", 1 or "true"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
