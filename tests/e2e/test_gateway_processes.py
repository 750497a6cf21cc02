"""Several gateway processes on one port, each keeping the access service's answers about
sessions: what one process learns of a change, every other learns within a second, and
none serves an answer the change should have ended (issue 11)."""
import time

import pytest

from tests.e2e.gateway_processes import connections_per_process, get

GATEWAY_WORKERS = 2
GATEWAYS = ("gateway", "gateway-2")
WITHIN_SECONDS = 1.0


@pytest.fixture
def connections(system):
    held = connections_per_process(system, GATEWAYS)
    yield held
    for connections in held.values():
        for connection in connections:
            connection.close()


def every_connection(held):
    return [connection for connections in held.values() for connection in connections]


def seconds_until(held, path, token, accepted):
    """How long until every process answers `path` in a way `accepted(status, body)`
    likes; fails after twice the promised bound."""
    started = time.monotonic()
    waiting = every_connection(held)
    while waiting:
        waiting = [c for c in waiting if not accepted(*get(c, path, token))]
        if time.monotonic() - started > 2 * WITHIN_SECONDS:
            raise AssertionError("{} of the processes' connections still answer the old way"
                                 .format(len(waiting)))
        if waiting:
            time.sleep(0.02)
    return time.monotonic() - started


def test_sessions_are_answered_without_asking_access_each_time(system, portal, connections):
    account, school = portal.coordinator_of()
    path = "/api/organizations/{}/orders".format(school["id"])
    for connection in every_connection(connections):
        assert get(connection, path, account.token)[0] == 200
    system.stop_process("access")  # nobody to ask: only kept answers can authorize now
    try:
        for connection in every_connection(connections):
            assert get(connection, path, account.token)[0] == 200
    finally:
        system.start_process("access")
        system.wait_healthy(timeout=60)


def test_a_signed_out_token_is_refused_by_every_process_within_a_second(portal, connections):
    account, school = portal.coordinator_of()
    other_session = portal.sign_in(account.email, account.password).json()["token"]
    path = "/api/organizations/{}/orders".format(school["id"])
    for connection in every_connection(connections):  # each process keeps both sessions
        assert get(connection, path, account.token)[0] == 200
        assert get(connection, path, other_session)[0] == 200

    signing_out = connections["gateway"][0]
    signing_out.request("DELETE", "/api/sessions/current",
                        headers={"Authorization": "Bearer " + account.token})
    signed_out = signing_out.getresponse()
    signed_out.read()
    assert signed_out.status == 204
    signing_out_status, _ = get(connections["gateway"][1], path, account.token)
    assert signing_out_status == 401  # the process that handled it: at once

    took = seconds_until(connections, path, account.token,
                         lambda status, body: status == 401)
    assert took <= WITHIN_SECONDS
    for connection in every_connection(connections):  # the other session is untouched
        assert get(connection, path, other_session)[0] == 200


def test_access_lost_through_a_district_reaches_every_process(portal, connections):
    district = portal.register_organization(kind="district")
    school = portal.register_organization(district_id=district["id"])
    account, _ = portal.coordinator_of(district)
    path = "/api/organizations/{}/orders".format(school["id"])
    for connection in every_connection(connections):  # read-only through the district
        assert get(connection, path, account.token)[0] == 200

    assert portal.update_organization(school["id"], district_id=None).status_code == 200
    took = seconds_until(connections, path, account.token,
                         lambda status, body: status == 404)
    assert took <= WITHIN_SECONDS


def test_an_organization_renamed_shows_in_every_process_quote(portal, connections):
    portal.set_fees()
    account, school = portal.coordinator_of()
    path = "/api/organizations/{}/order-quote".format(school["id"])
    for connection in every_connection(connections):
        status, quote = get(connection, path, account.token)
        assert status == 200 and quote["organization"]["name"] == school["name"]

    renamed = school["name"] + " Early College"
    assert portal.update_organization(school["id"], name=renamed).status_code == 200
    took = seconds_until(connections, path, account.token,
                         lambda status, quote: quote["organization"]["name"] == renamed)
    assert took <= WITHIN_SECONDS
