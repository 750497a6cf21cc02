"""The access service in a real container on a fresh vhost: it learns who ordered from
`order_placed` events, carries out the yearly access-code run on its own work queue, takes
operations' CLI commands over RPC, and mails through a real SMTP server.
"""
import io
import uuid

import pytest

from services.access import cli
from services.access.service import AccessService
from tests.access_mail import access_code_in
from tests.mail import SmtpServer, body_of, mail_files, sent_to, wait_for_mail_file

FROZEN_NOW = "2026-10-15T15:00:00+00:00"  # academic year 2026-27
PROFILE = {
    "coordinator": {"name": "Casey Coordinator", "email": "casey@school.example",
                    "phone": "313-555-0100"},
    "second_contact": {"role": "principal", "name": "Pat Principal",
                       "email": "pat@school.example", "phone": "313-555-0101"},
    "billing_contact": {"same_as_coordinator": True},
}


def order_placed(org_id, year, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "id": 1, "organization_id": org_id,
            "academic_year": year, "placed_at": "2026-09-01T14:00:00+00:00", "quantity": 5,
            "state": "MI", "state_funded": False}


def coordinator_on_file(access, stores, org_id, email="casey@school.example"):
    """A coordinator with manage access saves the profile, as the gateway would have it."""
    account = access.create_account(email, "Casey", "correct horse battery")
    token = access.sign_in(email, "correct horse battery")["token"]
    access.accept_portal_terms(token, "2026-07")
    code = access.issue_access_code(org_id, "2026-27")["access_code"]
    org = access.get_organization(org_id)
    access.redeem_access_code(token, org["zip"], org["name"], code)
    access.update_profile(token, org_id, PROFILE)
    return account


@pytest.fixture
def access(start_service, rpc):
    start_service(AccessService, CLOCK_NOW=FROZEN_NOW)
    return rpc.access


def register(access, name):
    return access.register_organization({"name": name, "kind": "school", "zip": "48201",
                                         "city": "Detroit", "state": "MI"})["id"]


def test_the_yearly_run_mails_next_years_code_to_those_who_ordered(access, stores, dispatch,
                                                                  wait_for, tmp_path):
    ordered = register(access, "Ordered School")
    never = register(access, "Never Ordered School")
    coordinator_on_file(access, stores, ordered)
    coordinator_on_file(access, stores, never, email="never@school.example")
    event = order_placed(ordered, "2026-27")
    dispatch("orders", "order_placed", event)
    dispatch("orders", "order_placed", event)  # delivered twice: still one organization

    report = run_until(access, wait_for, "2027-28", lambda run: run["organizations"] == 1)
    assert (report["status"], report["codes_issued"], report["mailed"]) == ("finished", 1, 1)
    [mail] = wait_for_mail_file(tmp_path, lambda m: "2027-28" in str(m["Subject"]))
    assert sent_to("casey@school.example")(mail)
    code = access.issue_access_code(ordered, "2027-28")["access_code"]
    assert access_code_in(mail) == code
    assert not [m for m in mail_files(tmp_path) if sent_to("never@school.example")(m)
                and "2027-28" in str(m["Subject"])]


def run_until(access, wait_for, year, predicate):
    """Run the year (again) until a finished run satisfies `predicate`: the order events
    dispatched just before may still be on their way to the service."""
    def finished_run():
        run = access.start_access_code_run(year)
        return wait_for(lambda: (lambda r: r if r["status"] != "running" else None)(
            access.access_code_run(run["id"])), timeout=20)
    return wait_for(lambda: (lambda run: run if predicate(run) else None)(finished_run()),
                    timeout=20)

def test_the_cli_runs_the_year_and_reports_what_it_did(access, dispatch, wait_for, config,
                                                       monkeypatch, tmp_path):
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    no_contact = register(access, "Nobody On File School")
    dispatch("orders", "order_placed", order_placed(no_contact, "2025-26"))
    out = io.StringIO()

    def ran():
        out.seek(0)
        out.truncate()
        assert cli.main(["access-code-run", "2027-28"], out=out) == 0
        return "1 organizations" in out.getvalue() or None

    wait_for(ran, timeout=20)  # the event may still be on its way the first time
    report = out.getvalue()
    assert "organizations that ordered in 2026-27 or 2025-26" in report
    assert "finished: 1 organizations" in report
    assert "no coordinator on file (codes issued, not mailed; organization ids): {}".format(
        no_contact) in report


CSV = """name,kind,zip,city,state,state_funded,district_name,district_zip
Cass Technical High School,school,48201,Detroit,MI,yes,Detroit Public Schools,48202
Bad Zip School,school,4820,Detroit,MI,no,,
Detroit Public Schools,district,48202,Detroit,MI,yes,,
"""


def test_the_cli_imports_a_csv_file_once(access, config, monkeypatch, tmp_path):
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    path = tmp_path / "organizations.csv"
    path.write_text(CSV)
    out = io.StringIO()
    assert cli.main(["import-organizations", str(path)], out=out) == 1  # a row was rejected
    assert out.getvalue().splitlines() == [
        "line 3: zip: A US zip code: 5 digits.",
        "3 rows: 2 imported, 0 already registered, 1 rejected"]
    [school] = [org for org in access.organizations_in_zip("48201")]
    assert school["name"] == "Cass Technical High School"
    assert access.get_organization(school["id"])["district_id"] is not None
    again = io.StringIO()
    cli.main(["import-organizations", str(path)], out=again)
    assert again.getvalue().splitlines()[-1] == \
        "3 rows: 0 imported, 2 already registered, 1 rejected"
    assert len(access.organizations_in_zip("48201")) == 1


def test_the_cli_refuses_a_file_without_the_columns(access, config, monkeypatch, tmp_path,
                                                     capsys):
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    path = tmp_path / "wrong.csv"
    path.write_text("school,zip\nCass,48201\n")
    assert cli.main(["import-organizations", str(path)], out=io.StringIO()) == 2
    assert "missing: name, kind, city, state" in capsys.readouterr().err


def test_access_code_mail_goes_through_smtp_when_configured(start_service, rpc, tmp_path):
    with SmtpServer() as smtp:
        start_service(AccessService, CLOCK_NOW=FROZEN_NOW, SMTP_HOST=smtp.host,
                      SMTP_PORT=smtp.port, MAIL_FROM="CLEP Program <clep@example.org>",
                      PUBLIC_URL="https://portal.example/")
        access = rpc.access
        org = register(access, "Smtp School")
        coordinator_on_file(access, None, org)
        issued = access.issue_access_code(org, "2027-28")
        [message] = smtp.wait_for(lambda m: "2027-28" in str(m["Subject"]))
    assert issued["emailed_to"] == "casey@school.example"
    assert str(message["To"]) == "casey@school.example"
    assert access_code_in(message) == issued["access_code"]
    # the get-access page (PUBLIC_URL without its trailing slash)
    assert "https://portal.example/get-access\n" in body_of(message)
    assert mail_files(tmp_path) == []  # nothing written to files instead
