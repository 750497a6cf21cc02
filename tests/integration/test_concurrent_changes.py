"""Two changes of one row at once on PostgreSQL: the later one waits for the earlier to
commit, then works from what it committed, so the event it emits carries the row as it is
at the version it names (and nothing the earlier one changed is undone unseen).

The earlier change is held open by another process (this one blocks while it waits on
the lock, as a service worker would)."""
import subprocess
import sys
import textwrap

import pytest

from services.access import organizations
from services.access.models import Organization
from services.common.clock import Clock
from services.orders import ordering
from services.orders.models import Order
from tests.conftest import Databases, migrated_store
from tests.unit.conftest import DEFAULT_NOW
from tests.unit.test_access_organizations_admin import SCHOOL, events as access_events
from tests.unit.test_ordering import events as order_events, place, set_fees

HOLD_SECONDS = 1.5  # how long the other process keeps its change uncommitted

HOLDER = textwrap.dedent("""
    import sys, time
    from sqlalchemy import create_engine, text
    with create_engine(sys.argv[1]).begin() as connection:
        connection.execute(text(sys.argv[2]))
        print("holding", flush=True)
        time.sleep(float(sys.argv[3]))
""")


@pytest.fixture
def clock():
    return Clock("America/New_York", frozen_at=DEFAULT_NOW)


@pytest.fixture
def postgres(tmp_path):
    made = Databases("postgresql", tmp_path)
    yield made
    made.drop_all()


def store_of(postgres, service, clock):
    return migrated_store(service, postgres.new_url(service), clock)


def while_held(store, statement, change):
    """Run `change` while another process holds `statement` uncommitted."""
    url = store.engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, statement, str(HOLD_SECONDS)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        return change()
    finally:
        assert holder.wait(timeout=30) == 0


def test_organization_updated_carries_what_was_committed_at_its_version(postgres, clock):
    store = store_of(postgres, "access", clock)
    with store.transaction() as work:
        school = organizations.register_organization(work, clock, dict(SCHOOL))

    def fund():
        with store.transaction() as work:
            return organizations.update_organization(work, clock, school["id"],
                                                     {"state_funded": True})

    after = while_held(store, "UPDATE organizations SET name = 'Renamed High School', "
                              "version = version + 1 WHERE id = {}".format(school["id"]), fund)
    assert after["name"] == "Renamed High School" and after["state_funded"] is True
    [event] = access_events(store, "organization_updated")
    assert (event["version"], event["name"], event["state_funded"]) == (
        3, "Renamed High School", True)
    with store.reader() as session:
        assert session.get(Organization, school["id"]).version == 3
    store.dispose()


def test_a_po_number_changed_meanwhile_is_seen_before_deciding_nothing_changed(postgres,
                                                                               clock):
    store = store_of(postgres, "orders", clock)
    set_fees(store, clock)
    order, _ = place(store, clock)  # PO-1

    def back_to_po_1():
        with store.transaction() as work:
            return ordering.change_po_number(work, 7, order["id"], "PO-1")

    changed = while_held(store, "UPDATE orders SET po_number = 'PO-2', version = version + 1 "
                                "WHERE id = {}".format(order["id"]), back_to_po_1)
    assert changed["po_number"] == "PO-1"
    [(_, event)] = order_events(store, "po_number_changed")
    assert (event["po_number"], event["version"]) == ("PO-1", 3)
    with store.reader() as session:
        assert session.get(Order, order["id"]).po_number == "PO-1"
    store.dispose()
