"""The yearly issue of access codes (docs/DOMAIN.md): next year's code to every
organization that ordered in the last two academic years, mailed to the coordinator on
file; who ordered is learnt from `order_placed` events. The clock is frozen in October
2026 (academic year 2026-27), so a run for 2027-28 reads orders of 2026-27 and 2025-26.
"""
import json
import uuid

import pytest
from sqlalchemy import select

from services.access import organizations, yearly_run
from services.access.models import AccessCode, AccessCodeRun, OrderingOrganization
from services.access.profiles import save_profile
from services.common.errors import InvalidInput, NotFound
from services.common.messaging_tables import outbox
from services.common.mailer import Mailer
from tests.mail import SmtpServer, body_of

PORTAL_URL = "https://portal.example"


class FakeMailer:
    """Records what would be sent; addresses in `refusing` make the server fail."""

    def __init__(self, refusing=()):
        self.sent = []
        self.refusing = set(refusing)

    def send(self, to, subject, body):
        if to in self.refusing:
            raise OSError("mail server said no")
        self.sent.append({"to": to, "subject": subject, "body": body})


def register(store, clock, name, kind="school"):
    with store.transaction() as work:
        return organizations.register_organization(work, clock, {
            "name": name, "kind": kind, "zip": "48201", "city": "Detroit", "state": "MI"})["id"]


def give_coordinator(store, clock, org_id, email):
    contact = {"name": "Coordinator", "email": email, "phone": "313-555-0100"}
    with store.transaction() as work:
        save_profile(work.session, clock, org_id, None, {
            "coordinator": contact,
            "second_contact": dict(contact, role="principal", email="principal@example.org"),
            "billing_contact": {"same_as_coordinator": True}})


def order_placed(org_id, year, order_id=None):
    return {"event_id": str(uuid.uuid4()), "id": order_id or 1, "organization_id": org_id,
            "academic_year": year, "placed_at": "2026-09-01T14:00:00+00:00", "quantity": 10}


def ordered(store, org_id, year):
    with store.transaction() as work:
        yearly_run.record_order(work, order_placed(org_id, year))


def run(store, clock, mailer, year="2027-28"):
    with store.transaction() as work:
        started, _ = yearly_run.start_run(work, clock, year)
    yearly_run.carry_out(store, clock, mailer, started["id"], PORTAL_URL)
    with store.reader() as session:
        return yearly_run.get_run(session, started["id"])


def code_of(store, org_id, year="2027-28"):
    with store.reader() as session:
        return session.scalar(select(AccessCode.code).where(
            AccessCode.organization_id == org_id, AccessCode.academic_year == year))


class World:
    def __init__(self, store, clock):
        self.this_year = register(store, clock, "Ordered This Year")        # 2026-27
        self.last_year = register(store, clock, "Ordered Last Year")        # 2025-26
        self.long_ago = register(store, clock, "Ordered Three Years Ago")   # 2024-25
        self.never = register(store, clock, "Never Ordered")
        self.no_contact = register(store, clock, "Nobody On File")
        for org, email in ((self.this_year, "this@example.org"), (self.last_year,
                           "last@example.org"), (self.long_ago, "long@example.org"),
                           (self.never, "never@example.org")):
            give_coordinator(store, clock, org, email)
        ordered(store, self.this_year, "2026-27")
        ordered(store, self.last_year, "2025-26")
        ordered(store, self.long_ago, "2024-25")
        ordered(store, self.no_contact, "2026-27")


@pytest.fixture
def world(access_store, clock):
    return World(access_store, clock)


def test_codes_go_to_organizations_that_ordered_in_the_two_years_before(access_store, clock,
                                                                          world):
    mailer = FakeMailer()
    report = run(access_store, clock, mailer)
    assert report["status"] == "finished" and report["ordered_in"] == ["2026-27", "2025-26"]
    assert report["organizations"] == 3 and report["codes_issued"] == 3
    assert report["mailed"] == 2 and report["no_contact"] == [world.no_contact]
    assert {mail["to"] for mail in mailer.sent} == {"this@example.org", "last@example.org"}
    for org, email in ((world.this_year, "this@example.org"),
                       (world.last_year, "last@example.org")):
        [mail] = [m for m in mailer.sent if m["to"] == email]
        code = code_of(access_store, org)
        assert "{}-{}-{}".format(code[:4], code[4:8], code[8:]) in mail["body"]
        assert "2027-28" in mail["subject"]
        assert "https://portal.example/get-access\n" in mail["body"]
    assert code_of(access_store, world.no_contact) is not None  # issued, just not mailed
    assert code_of(access_store, world.long_ago) is None
    assert code_of(access_store, world.never) is None


def test_running_the_year_again_mails_nobody_twice(access_store, clock, world):
    first_mailer, again_mailer = FakeMailer(), FakeMailer()
    run(access_store, clock, first_mailer)
    codes = {org: code_of(access_store, org) for org in (world.this_year, world.last_year)}
    report = run(access_store, clock, again_mailer)
    assert again_mailer.sent == []
    assert report["organizations"] == 1 and report["no_contact"] == [world.no_contact]
    assert report["codes_issued"] == 0
    assert {org: code_of(access_store, org) for org in codes} == codes


def test_a_run_again_reaches_those_the_mail_server_refused_and_new_orderers(access_store,
                                                                            clock, world):
    first = run(access_store, clock, FakeMailer(refusing={"last@example.org"}))
    assert first["mail_failed"] == [world.last_year] and first["mailed"] == 1
    ordered(access_store, world.never, "2026-27")  # a new order since the first run
    give_coordinator(access_store, clock, world.no_contact, "found@example.org")
    mailer = FakeMailer()
    again = run(access_store, clock, mailer)
    assert sorted(mail["to"] for mail in mailer.sent) == [
        "found@example.org", "last@example.org", "never@example.org"]
    assert again["mailed"] == 3 and again["mail_failed"] == [] and again["no_contact"] == []


def test_an_order_event_delivered_twice_is_one_ordering_organization(access_store, clock,
                                                                     world):
    event = order_placed(world.never, "2026-27", order_id=7)
    for _ in range(2):
        with access_store.transaction() as work:
            yearly_run.record_order(work, event)
    ordered(access_store, world.never, "2026-27")  # a second order of the same year
    with access_store.reader() as session:
        rows = session.scalars(select(OrderingOrganization).where(
            OrderingOrganization.organization_id == world.never)).all()
    assert [(row.academic_year, row.first_order_id) for row in rows] == [("2026-27", 7)]


def test_while_a_year_runs_starting_it_again_returns_the_running_one(access_store, clock):
    with access_store.transaction() as work:
        first, started = yearly_run.start_run(work, clock, "2027-28")
    with access_store.transaction() as work:
        second, started_again = yearly_run.start_run(work, clock, "2027-28")
    assert (started, started_again) == (True, False) and second["id"] == first["id"]
    with access_store.reader() as session:
        requested = session.execute(select(outbox.c.payload).where(
            outbox.c.event_type == "access_code_run_requested")).scalars().all()
    assert [json.loads(p)["run_id"] for p in requested] == [first["id"]]
    yearly_run.carry_out(access_store, clock, FakeMailer(), first["id"], PORTAL_URL)
    with access_store.transaction() as work:
        third, started = yearly_run.start_run(work, clock, "2027-28")
    assert started and third["id"] != first["id"]  # once finished, the year may run again


def test_a_redelivered_run_that_finished_does_nothing(access_store, clock, world):
    report = run(access_store, clock, FakeMailer())
    mailer = FakeMailer()
    yearly_run.carry_out(access_store, clock, mailer, report["id"], PORTAL_URL)
    assert mailer.sent == []


def test_a_failed_run_gives_its_year_back(access_store, clock):
    with access_store.transaction() as work:
        first, _ = yearly_run.start_run(work, clock, "2027-28")
    yearly_run.fail_run(access_store, clock, first["id"], "boom")
    with access_store.reader() as session:
        assert session.get(AccessCodeRun, first["id"]).status == "failed"
    with access_store.transaction() as work:
        assert yearly_run.start_run(work, clock, "2027-28")[1] is True


@pytest.mark.parametrize("year", ["2025-26", "2028-29", "2027", "next year"])
def test_a_run_is_for_this_academic_year_or_the_next(access_store, clock, year):
    with pytest.raises(InvalidInput) as invalid:
        with access_store.transaction() as work:
            yearly_run.start_run(work, clock, year)
    assert "academic_year" in invalid.value.fields


def test_an_unknown_run_is_not_found(access_store):
    with access_store.reader() as session, pytest.raises(NotFound):
        yearly_run.get_run(session, 404)


def test_the_run_mails_through_a_real_smtp_server(access_store, clock, world, tmp_path):
    with SmtpServer() as smtp:
        mailer = Mailer({"SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port,
                         "MAIL_FROM": "CLEP Program <clep@example.org>",
                         "DATA_DIR": str(tmp_path)})
        report = run(access_store, clock, mailer)
        received = smtp.wait_for(lambda message: True, count=2)
    assert report["mailed"] == 2
    assert sorted(str(message["To"]) for message in received) == [
        "last@example.org", "this@example.org"]
    [to_this] = [m for m in received if str(m["To"]) == "this@example.org"]
    code = code_of(access_store, world.this_year)
    assert "{}-{}-{}".format(code[:4], code[4:8], code[8:]) in body_of(to_this)
    assert str(to_this["Subject"]) == "Your CLEP access code for 2027-28"
    assert "clep@example.org" in str(to_this["From"])
    assert not (tmp_path / "mail").exists()  # nothing went to files instead
