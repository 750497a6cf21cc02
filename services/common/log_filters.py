"""Logging of refusals: one line, not a traceback.

nameko logs every exception a worker raises with its traceback, the deliberate refusals
(a wrong password, a taken email, a 404) as loudly as real failures; a client could fill
the logs with them. A `ClepError` is a refusal the code chose to make: the handler that
carries this filter writes it as one INFO line. Anything else keeps its traceback.
"""
import logging

from services.common.errors import ClepError, ServiceUnavailable


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        # a service that did not answer is worth a warning, still without a traceback
        if isinstance(error, ClepError):
            level = logging.WARNING if isinstance(error, ServiceUnavailable) else logging.INFO
            record.levelno, record.levelname = level, logging.getLevelName(level)
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True

