"""The correlation id: one id for everything a request (or a timer's run) causes.

The gateway takes a caller's `X-Request-Id` when it is sane, or makes one; a timer's
worker makes one. It travels in nameko's `context_data` (an AMQP header, `nameko.` +
KEY, on every RPC and event a worker sends), in each outbox row (so an event published
later by the relay carries the id of the work that wrote it) and, inside a packed message,
in each event (services/common/outbox_relay.py). Log records carry it
(services/common/log_format.py).

The current id is a context variable: eventlet runs each worker in a greenthread of its
own, and every greenthread starts with an empty context, so one worker never sees
another's id.
"""
import contextvars
import re
import secrets

from nameko.constants import HEADER_PREFIX

KEY = "correlation_id"  # in context_data
HEADER = "{}.{}".format(HEADER_PREFIX, KEY)  # on AMQP messages, as nameko names it
MAX_LENGTH = 128
# what a caller's id may be made of: enough for UUIDs, hex, base64 and most tracing ids;
# nothing that a log reader or a header could take for something else
_SANE = re.compile(r"[A-Za-z0-9._:+=/-]{8,%d}" % MAX_LENGTH)

_current = contextvars.ContextVar("correlation", default=None)  # (id, service) or None
_process = {"service": None}  # the service of this process, for lines outside a worker


def new_id():
    return secrets.token_hex(16)


def sane(value):
    """`value` if it is an id we can take as it is (a text of 8 to 128 characters among
    letters, digits and `._:+=/-`), else None."""
    if isinstance(value, str) and _SANE.fullmatch(value):
        return value
    return None


def bind(correlation_id, service=None):
    """Make `correlation_id` the current one (in this greenthread); returns the token
    `unbind` takes."""
    return _current.set((correlation_id, service))


def unbind(token):
    _current.reset(token)


def current_id():
    """The current worker's (or request's) id; None outside of one."""
    current = _current.get()
    return current[0] if current else None


def current_service():
    current = _current.get()
    return (current[1] if current else None) or _process["service"]


def set_process_service(service):
    """The service named on the lines of this process that no worker writes."""
    _process["service"] = service
