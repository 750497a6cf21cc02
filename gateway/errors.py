"""The one error table: domain errors to HTTP statuses, and the API's error body."""
import json

from werkzeug.wrappers import Response

from services.common import errors

STATUS_BY_ERROR = {
    errors.InvalidInput: 400,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.IdempotencyKeyReused: 422,
    errors.TooManyAttempts: 429,
    errors.ServiceUnavailable: 503,
}


def status_of(error):
    for error_type, status in STATUS_BY_ERROR.items():
        if isinstance(error, error_type):
            return status
    return 500


def error_response(status, code, message, fields=None, retry_after=None, headers=None,
                   details=None):
    error = dict(details or {}, code=code, message=message)
    if fields:
        error["fields"] = fields
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return Response(json.dumps({"error": error}), status=status, headers=headers,
                    mimetype="application/json")


def response_for(error):
    retry_after = error.retry_after
    if isinstance(error, errors.ServiceUnavailable) and retry_after is None:
        retry_after = 5
    return error_response(status_of(error), error.code, error.message, error.fields, retry_after,
                          details=error.details)
