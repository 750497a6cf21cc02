"""What end-to-end tests check again and again: the API's error shape, and waiting for
something the system does in the background."""
import time


def error_of(response, status):
    """The `error` of an error response, after checking its status and shape
    (`{"error": {"code", "message", "fields"?}}`, docs/API.md)."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return body["error"]


def wait_for_status(get, status, timeout=60):
    """Poll `get()` until its response has `status`, and return that response (a 4xx or
    5xx response is falsy, so `wait_for` alone would not return it)."""
    return wait_for(lambda: [response for response in [get()]
                             if response.status_code == status], timeout=timeout)[0]


def wait_for(predicate, timeout=60, interval=0.05, message=None):
    """Poll `predicate` until it returns something truthy, and return that. `message` (a
    string, or a function called on failure) says what was not met."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            if callable(message):
                message = message()
            raise AssertionError(message or "condition not met within {}s".format(timeout))
        time.sleep(interval)
