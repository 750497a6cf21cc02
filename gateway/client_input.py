"""What a client sent, checked for what no service can keep: JSON that cannot be parsed or
is nested without end, and values a database driver refuses (text with NUL characters or
unpaired surrogates, which `\\ud800` in JSON makes; integers past 64 bits).

Both come back as the client's mistake, a 400, before any service sees them.
"""
import json
import math

from services.common.errors import InvalidInput

MAX_JSON_DEPTH = 32  # our bodies nest three levels; this leaves room and bounds the walk
INT64 = 2 ** 63


def parse_json_object(raw):
    """The JSON object in `raw` (bytes); InvalidInput `malformed_json` for anything else."""
    if not raw.strip():
        raise InvalidInput("malformed_json", "Send a JSON object as the request body.")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput("malformed_json", "The request body is nested too deeply.")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("malformed_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise InvalidInput("malformed_json", "The request body must be a JSON object.")
    if _depth(data) > MAX_JSON_DEPTH:
        raise InvalidInput("malformed_json", "The request body is nested too deeply.")
    return data


def _no_constant(name):
    raise ValueError("{} is not a JSON number".format(name))


def _depth(value):
    deepest, pending = 0, [(value, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            pending.extend((item, depth + 1) for item in _children(value))
    return deepest


def _children(value):
    return value.values() if isinstance(value, dict) else value


def unstorable_fields(data):
    """{"field.path": [why]} for every value (or key) in `data` no database would take."""
    problems = {}
    pending = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                name = path + _readable(key)
                if isinstance(key, str) and _text_problem(key):
                    problems[name] = [_text_problem(key)]
                pending.append((name + ".", item))
        elif isinstance(value, list):
            pending.extend(("{}{}.".format(path, index), item)
                           for index, item in enumerate(value))
        else:
            problem = _value_problem(value)
            if problem:
                problems[path.rstrip(".") or "_"] = [problem]
    return problems


def _value_problem(value):
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not -INT64 <= value < INT64:
        return "A number this large cannot be stored."
    if isinstance(value, float) and not math.isfinite(value):
        return "A number this large cannot be stored."
    return None


def _text_problem(text):
    if "\x00" in text:
        return "Only printable characters (no NUL)."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # the only characters UTF-8 cannot take
        return "Not valid Unicode text (an unpaired surrogate)."
    return None


def _readable(key):
    """A key as a field name in an error: unpaired surrogates shown as escapes."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")
