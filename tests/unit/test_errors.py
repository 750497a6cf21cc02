"""Domain errors cross an RPC call as themselves (services/common/errors.py).

nameko serialises a raised exception to JSON in the service and rebuilds it in the caller;
the gateway maps the rebuilt class to an HTTP status, so the class, code, message, fields
and Retry-After must all survive the trip.
"""
import json

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from services.common import errors
from services.common.errors import ClepError


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


ERROR_CLASSES = sorted(set(all_subclasses(ClepError)), key=lambda cls: cls.__name__)


def over_the_wire(exc):
    return deserialize(json.loads(json.dumps(serialize(exc))))


def test_every_error_the_gateway_maps_is_covered():
    expected = {errors.InvalidInput, errors.NotAuthenticated, errors.Forbidden,
                errors.NotFound, errors.Conflict, errors.Gone, errors.IdempotencyKeyReused,
                errors.TooManyAttempts, errors.ServiceUnavailable}
    assert expected <= set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_defaults_survive_the_round_trip(cls):
    back = over_the_wire(cls())
    assert type(back) is cls
    assert back.code == cls.code
    assert back.message == cls.message
    assert back.fields is None
    assert back.retry_after is None


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_code_message_fields_survive_the_round_trip(cls):
    fields = {"coordinator.email": ["Not a valid email address."],
              "quantity": ["Must be between 1 and 10,000.", "Must be a whole number."]}
    back = over_the_wire(cls("some_code", "A sentence for a person.", fields=fields))
    assert type(back) is cls
    assert back.code == "some_code"
    assert back.message == "A sentence for a person."
    assert back.fields == fields
    assert back.retry_after is None


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_integer_retry_after_survives_the_round_trip(cls):
    back = over_the_wire(cls("slow_down", "Wait.", retry_after=901))
    assert type(back) is cls
    assert back.retry_after == 901
    assert isinstance(back.retry_after, int)
    assert (back.code, back.message, back.fields) == ("slow_down", "Wait.", None)


def test_retry_after_zero_is_kept():
    # "retry now" is still an answer; it must not turn into "no Retry-After"
    back = over_the_wire(errors.TooManyAttempts(retry_after=0))
    assert back.retry_after == 0


def test_round_trip_is_stable_when_repeated():
    # a service that re-raises an error it got from another service sends it on again
    error = errors.TooManyAttempts("too_many_attempts", "Later.", {"zip": ["x"]}, 30)
    back = over_the_wire(over_the_wire(error))
    assert (type(back), back.code, back.message, back.fields, back.retry_after) == \
        (errors.TooManyAttempts, "too_many_attempts", "Later.", {"zip": ["x"]}, 30)


def test_str_names_the_code_and_message():
    assert str(errors.NotFound("order_not_found", "No such order.")) == \
        "order_not_found: No such order."


def test_an_unregistered_exception_becomes_a_remote_error():
    class Private(Exception):
        pass

    assert isinstance(over_the_wire(Private("x")), RemoteError)


def test_details_survive_the_round_trip_with_their_types():
    details = {"profile": {"organization_id": 12, "organization_name": "Wayne County",
                           "url": "/api/organizations/12/profile"}}
    back = over_the_wire(errors.Conflict("profile_incomplete", "Complete it.", details=details))
    assert back.details == details
    assert over_the_wire(errors.Conflict("plain", "No details.")).details is None
