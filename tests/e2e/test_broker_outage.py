"""The broker goes away under a running system: every request answers 503 with
Retry-After from the first one on (never a 500), and the system answers again once the
broker is back. The broker "going away" is this module's own vhost being deleted, which
closes every connection of the system and refuses new ones; the machine's RabbitMQ is
left alone."""
import requests

from scripts.sandbox import RABBIT_API
from tests.e2e.checks import error_of, wait_for, wait_for_status


def rabbit(method, path, **kwargs):
    response = requests.request(method, RABBIT_API + path, timeout=10, **kwargs)
    assert response.ok, response.text
    return response


def test_requests_while_the_broker_is_away_are_503_then_answered_again(system_env, portal):
    account = portal.new_account()
    assert portal.get("/api/me", account.headers).status_code == 200
    vhost = system_env["AMQP_URI"].rsplit("/", 1)[1]

    rabbit("DELETE", "/vhosts/" + vhost)
    try:
        for response in (portal.get("/api/me", account.headers),  # the first one after
                         portal.get("/api/me", account.headers),
                         portal.post("/api/sessions", json={"email": account.email,
                                                            "password": account.password}),
                         portal.get("/api/admin/audit", portal.ops)):
            error = error_of(response, 503)
            assert error["code"] == "service_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        health = wait_for_status(lambda: portal.get("/health"), 503)  # the next round
        assert set(health.json()["services"].values()) <= {"unavailable", "unknown"}
        assert portal.get("/health/live").status_code == 200
        page = requests.get(portal.url("/"), cookies={"clep_session": account.token},
                            allow_redirects=False, timeout=30)
        assert page.status_code == 503 and "Traceback" not in page.text
    finally:
        rabbit("PUT", "/vhosts/" + vhost)
        rabbit("PUT", f"/permissions/{vhost}/guest",
               json={"configure": ".*", "write": ".*", "read": ".*"})

    wait_for(lambda: portal.get("/health").status_code == 200, timeout=90)
    assert portal.get("/api/me", account.headers).status_code == 200
