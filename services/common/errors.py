"""Errors a service raises on purpose, rebuilt as the same type in the caller.

nameko serialises an exception as its import path and args; registering each class in
`nameko.exceptions.registry` makes the gateway receive a real `NotFound`, not a
`RemoteError` whose text it would have to parse.
"""
import json

from nameko.exceptions import registry


class ClepError(Exception):
    """A domain error with a stable snake_case code and a sentence for a person."""

    code = "error"
    message = "The request could not be completed."

    def __init__(self, code=None, message=None, fields=None, retry_after=None, details=None):
        code = code or self.code
        message = message or self.message
        # nameko stringifies every arg that is not a str, dict or list on the way: keep
        # args in that shape ("" for no Retry-After) and read them back the same way
        retry_after = str(retry_after) if retry_after not in (None, "", "None") else ""
        # details (more for a program to act on: {"profile": {...}}) travel as JSON text,
        # which keeps their numbers numbers
        if isinstance(details, str):
            details = json.loads(details) if details else None
        super().__init__(code, message, fields or {}, retry_after,
                         json.dumps(details) if details else "")
        self.code = code
        self.message = message
        self.fields = fields or None
        self.details = details or None
        self.retry_after = int(retry_after) if retry_after else None

    def __str__(self):
        return "{}: {}".format(self.code, self.message)


def _registered(cls):
    registry["{}.{}".format(cls.__module__, cls.__name__)] = cls
    return cls


@_registered
class InvalidInput(ClepError):
    code = "invalid_input"
    message = "Some fields are invalid."


@_registered
class NotAuthenticated(ClepError):
    code = "not_authenticated"
    message = "Sign in first: the token is missing, unknown or expired."


@_registered
class Forbidden(ClepError):
    code = "forbidden"
    message = "You are not allowed to do that."


@_registered
class NotFound(ClepError):
    code = "not_found"
    message = "No such thing."


@_registered
class Conflict(ClepError):
    code = "conflict"
    message = "That conflicts with the current state."


@_registered
class Gone(ClepError):
    code = "gone"
    message = "That is no longer available."


@_registered
class IdempotencyKeyReused(ClepError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


@_registered
class TooManyAttempts(ClepError):
    code = "too_many_attempts"
    message = "Too many attempts; try again later."


@_registered
class ServiceUnavailable(ClepError):
    code = "service_unavailable"
    message = "A service did not answer in time; try again shortly."
