"""How a log record is written: `plain` (people reading a terminal or `var/log/`) or
`json` (a log collector: one JSON object per line), chosen by CLEP_LOG_FORMAT.

Both carry the service and the correlation id (services/common/correlation.py): the
record's own, when the code that logged gave one (a batch logs each event with that
event's id), else the current worker's. A JSON line has `time` (UTC, ISO 8601),
`level`, `logger`, `message`, `service`, `correlation_id`, the fields a line adds
(`EXTRA_FIELDS`, e.g. a worker's `entrypoint` and `duration_ms`) and `exception` (the
traceback's text) when there is one. json.dumps escapes whatever a message holds (a
newline, a quote), so a line is always one line, one object.

Either way no broker password is written: AMQP_URI may list a cluster's nodes, and nameko
masks only the first one's when it says it cannot connect; the finished line (message,
arguments, traceback) is masked, for the cost of one substring test per line.
"""
import json
import logging
from datetime import datetime, timezone

from services.common import correlation
from services.common.broker import without_passwords

FORMATS = ("plain", "json")
# fields some lines add with `extra=`: written when present
EXTRA_FIELDS = ("kind", "entrypoint", "outcome", "duration_ms", "event_type", "event_id",
                "batch_correlation_id", "events")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


class UnknownLogFormat(ValueError):
    pass


def formatter(kind="plain"):
    """The formatter CLEP_LOG_FORMAT names (logging's dictConfig calls this)."""
    chosen = (kind or "plain").strip().lower()
    if chosen == "json":
        return JsonFormatter()
    if chosen == "plain":
        return PlainFormatter(PLAIN)
    raise UnknownLogFormat("CLEP_LOG_FORMAT must be one of {}, not {!r}".format(
        ", ".join(FORMATS), kind))


def masked(line):
    return without_passwords(line) if "amqp" in line else line


def correlation_of(record):
    """(service, correlation id) of a record: its own if it was given them, else the
    current worker's."""
    fields = record.__dict__
    service = fields.get("service") or correlation.current_service()
    return service, fields.get("correlation_id") or correlation.current_id()


class PlainFormatter(logging.Formatter):
    def format(self, record):
        return masked(super().format(record))

    def formatMessage(self, record):  # the record itself is left as it was
        return self._fmt % dict(record.__dict__,
                                correlation_id=correlation_of(record)[1] or "-")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        service, correlation_id = correlation_of(record)
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": service,
            "correlation_id": correlation_id,
        }
        fields = record.__dict__
        for name in EXTRA_FIELDS:
            if name in fields:
                line[name] = fields[name]
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ASCII: a lone surrogate from a client's input is escaped, not a failed write
        return masked(json.dumps(line, default=str))
