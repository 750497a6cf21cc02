"""Every order rule of issue 4 through the HTTP API, with the real services running:
fees and the quote, the order's limits, who may order, Idempotency-Key, what may change
after placing, the confirmation mail, and the order history.
"""
import concurrent.futures
import csv
import io
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.common.academic_year import AcademicYear
from services.common.clock import Clock
from tests.e2e import service_db
from tests.e2e.portal import TERMS_VERSION, Browser
from tests.e2e.checks import error_of, wait_for


def history(portal, account, organization_id, **params):
    response = portal.get(f"/api/organizations/{organization_id}/orders", account.headers,
                          params=params)
    assert response.status_code == 200, response.text
    return response.json()["orders"]


@pytest.fixture
def coordinator(portal):
    portal.set_fees()
    return portal.coordinator_of()


def today():
    return Clock().today()


# --- fees and the quote -------------------------------------------------------------------


def test_fees_show_in_the_quote_and_each_order_keeps_its_own(portal, system_env, coordinator):
    account, school = coordinator
    portal.set_fees(exam_fee_cents=8700, remote_proctoring_fee_cents=2100)
    quote = portal.get(f"/api/organizations/{school['id']}/order-quote", account.headers).json()
    assert (quote["exam_fee_cents"], quote["remote_proctoring_fee_cents"]) == (8700, 2100)
    assert quote["academic_year"] == portal.academic_year
    year = AcademicYear.parse(portal.academic_year)
    assert quote["default_expiration_date"] == quote["latest_expiration_date"] == \
        year.last_day.isoformat()
    assert quote["max_quantity"] == 10_000
    assert quote["terms"]["version"] == TERMS_VERSION

    first = portal.place_order(account, school["id"], quantity=2,
                               covers_remote_proctoring=True).json()
    portal.set_fees(exam_fee_cents=9900, remote_proctoring_fee_cents=2500)
    second = portal.place_order(account, school["id"], quantity=2,
                                covers_remote_proctoring=True).json()
    assert (first["exam_fee_cents"], first["remote_proctoring_fee_cents"]) == (8700, 2100)
    assert (second["exam_fee_cents"], second["remote_proctoring_fee_cents"]) == (9900, 2500)
    kept = portal.order(account, school["id"], first["id"]).json()
    assert (kept["exam_fee_cents"], kept["remote_proctoring_fee_cents"]) == (8700, 2100)
    announced = service_db.events(system_env, "orders", "fees_set")
    assert {"academic_year": portal.academic_year, "exam_fee_cents": 9900,
            "remote_proctoring_fee_cents": 2500}.items() <= announced[-1].items()
    portal.set_fees()  # back to the module's usual fees


def test_an_order_without_remote_proctoring_shows_no_remote_proctoring_fee(
        portal, system_env, coordinator):
    account, school = coordinator
    placed = portal.place_order(account, school["id"], quantity=2,
                                covers_remote_proctoring=False).json()
    assert placed["remote_proctoring_fee_cents"] is None
    assert portal.order(account, school["id"], placed["id"]).json()[
        "remote_proctoring_fee_cents"] is None
    listed = portal.get(f"/api/organizations/{school['id']}/orders", account.headers).json()
    assert [order["remote_proctoring_fee_cents"] for order in listed["orders"]
            if order["id"] == placed["id"]] == [None]
    # billing still learns the fee in force (it charges none for an uncovered order)
    [announced] = [event for event in service_db.events(system_env, "orders", "order_placed")
                   if event["id"] == placed["id"]]
    assert announced["remote_proctoring_fee_cents"] == 3000
    browser = Browser(portal.base_url, account.token)
    page = browser.get(f"/organizations/{school['id']}/orders/{placed['id']}")
    assert page.status_code == 200
    assert "Not covered" in page.text and "$30.00" not in page.text
    for covers, shown in (("", "Not covered"), ("yes", "Covered: $30.00")):
        review = browser.post(f"/organizations/{school['id']}/orders/new/details", {
            "key": "r" * 24, "quantity": "3", "covers_remote_proctoring": covers})
        assert review.status_code == 200, review.text[:500]
        assert shown in review.text
        assert ("$30.00" in review.text) == bool(covers)


# --- the order's limits -------------------------------------------------------------------


def test_quantity_from_1_to_10000(portal, coordinator):
    account, school = coordinator
    for quantity in (1, 10_000):
        placed = portal.place_order(account, school["id"], quantity=quantity)
        assert placed.status_code == 201, placed.text
        assert placed.json()["quantity"] == quantity
    for quantity in (0, -1, 10_001, "5", 5.5, 5.0, None, True, [5]):
        error = error_of(portal.place_order(account, school["id"], quantity=quantity), 400)
        assert "quantity" in error["fields"], quantity
    assert sorted(order["quantity"] for order in history(portal, account, school["id"])) == \
        [1, 10_000]


def test_expiration_defaults_to_june_30_earlier_allowed_never_later_or_past(portal, coordinator):
    account, school = coordinator
    last_day = AcademicYear.parse(portal.academic_year).last_day
    default = portal.place_order(account, school["id"]).json()
    assert default["expiration_date"] == last_day.isoformat()
    for allowed in (today(), today() + timedelta(days=1), last_day):
        placed = portal.place_order(account, school["id"], expiration_date=allowed.isoformat())
        assert placed.status_code == 201, placed.text
        assert placed.json()["expiration_date"] == allowed.isoformat()
    for refused in (last_day + timedelta(days=1), today() - timedelta(days=1),
                    date(2020, 1, 1), "2026-02-30", "tomorrow", 20270630):
        error = error_of(portal.place_order(account, school["id"],
                                            expiration_date=str(refused) if not isinstance(
                                                refused, int) else refused), 400)
        assert "expiration_date" in error["fields"], refused
    assert len(history(portal, account, school["id"])) == 4


def test_remote_proctoring_and_po_number(portal, coordinator):
    account, school = coordinator
    covered = portal.place_order(account, school["id"], covers_remote_proctoring=True,
                                 po_number="P" * 50).json()
    assert covered["covers_remote_proctoring"] is True and covered["po_number"] == "P" * 50
    plain = portal.place_order(account, school["id"], po_number="Bestellung Ä-7 #3").json()
    assert plain["covers_remote_proctoring"] is False
    assert plain["po_number"] == "Bestellung Ä-7 #3"
    assert portal.place_order(account, school["id"]).json()["po_number"] is None
    for bad in ("P" * 51, "PO\n1", "PO\x001", "PO\x7f", "PO\u0085", 12345):
        error = error_of(portal.place_order(account, school["id"], po_number=bad), 400)
        assert "po_number" in error["fields"], bad
    for bad in ("yes", 1, None):
        error = error_of(portal.place_order(account, school["id"],
                                            covers_remote_proctoring=bad), 400)
        assert "covers_remote_proctoring" in error["fields"]
    assert len(history(portal, account, school["id"])) == 3


def test_the_bulk_purchase_terms_version_is_required_and_kept(portal, system_env, coordinator):
    account, school = coordinator
    terms = portal.get("/api/terms/bulk_purchase").json()
    assert terms["version"] == TERMS_VERSION and terms["text"]
    for wrong in ("1999-01", "", None):
        error = error_of(portal.place_order(account, school["id"], terms_version=wrong), 400)
        assert "terms_version" in error["fields"]
    order = portal.place_order(account, school["id"]).json()
    assert order["terms_version"] == TERMS_VERSION
    assert service_db.scalar(system_env, "orders", "SELECT terms_version FROM orders "
                             "WHERE id = :id", id=order["id"]) == TERMS_VERSION


# --- who may order --------------------------------------------------------------------------


def test_only_managers_order_a_districts_read_only_view_of_a_school_may_not(portal):
    portal.set_fees()
    district = portal.register_organization(kind="district")
    school = portal.register_organization(kind="school", district_id=district["id"])
    account, _ = portal.coordinator_of(district)
    me = portal.get("/api/me", account.headers).json()
    assert {org["id"]: org["access"] for org in me["organizations"]} == {
        district["id"]: "manage", school["id"]: "read_only"}

    quote = portal.get(f"/api/organizations/{school['id']}/order-quote", account.headers)
    assert quote.status_code == 200  # reading is allowed
    error = error_of(portal.place_order(account, school["id"]), 403)
    assert error["code"] == "read_only_access"
    assert history(portal, account, school["id"]) == []
    assert portal.place_order(account, district["id"]).status_code == 201  # as the district

    stranger, _ = portal.coordinator_of()
    assert error_of(portal.place_order(stranger, school["id"]), 404)["code"] == \
        "organization_not_found"
    assert error_of(portal.post(f"/api/organizations/{school['id']}/orders", portal.partner,
                                json={}), 403)["code"] == "wrong_token_kind"
    assert error_of(portal.post(f"/api/organizations/{school['id']}/orders", {},
                                json={}), 401)["code"] == "not_authenticated"
    newcomer = portal.new_account()  # signed in, no access to anything
    assert error_of(portal.place_order(newcomer, district["id"]), 404)
    assert len(history(portal, account, district["id"])) == 1


# --- Idempotency-Key ----------------------------------------------------------------------


def test_same_key_and_body_is_the_same_order_another_body_is_422(portal, coordinator):
    account, school = coordinator
    key = uuid.uuid4().hex
    first = portal.place_order(account, school["id"], quantity=3, key=key, po_number="A")
    again = portal.place_order(account, school["id"], quantity=3, key=key, po_number="A")
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.json()["id"] == first.json()["id"]
    for changes in ({"quantity": 4}, {"po_number": "B"}, {"covers_remote_proctoring": True}):
        fields = dict({"quantity": 3, "po_number": "A"}, **changes)
        error = error_of(portal.place_order(account, school["id"], key=key, **fields), 422)
        assert error["code"] == "idempotency_key_reused"
    assert [order["id"] for order in history(portal, account, school["id"])] == \
        [first.json()["id"]]


def test_an_idempotency_key_counts_characters_not_bytes(portal, coordinator):
    """A UTF-8 key of 200 characters is 400 bytes: accepted, and the same order again."""
    account, school = coordinator
    body = {"quantity": 1, "covers_remote_proctoring": False, "terms_version": "2026-07"}
    path = f"/api/organizations/{school['id']}/orders"

    def place(key):
        return portal.post(path, dict(account.headers, **{"Idempotency-Key": key}), json=body)

    first, again = place(("é" * 200).encode("utf-8")), place(("é" * 200).encode("utf-8"))
    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert "Idempotency-Key" in error_of(place(("é" * 256).encode("utf-8")), 400)["fields"]


def test_concurrent_retries_of_one_request_place_one_order(portal, coordinator):
    account, school = coordinator
    key = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: portal.place_order(
            account, school["id"], quantity=7, key=key), range(10)))
    assert all(answer.status_code in (200, 201) for answer in answers), \
        [answer.text for answer in answers]
    assert [answer.status_code for answer in answers].count(201) == 1
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert len(history(portal, account, school["id"])) == 1


# --- after placing ---------------------------------------------------------------------------


def test_after_placing_only_the_po_number_changes_and_is_announced(portal, system_env,
                                                                   coordinator):
    account, school = coordinator
    order = portal.place_order(account, school["id"], quantity=2, po_number="PO-1").json()
    path = f"/api/organizations/{school['id']}/orders/{order['id']}"
    for body in ({"quantity": 5}, {"po_number": "PO-2", "quantity": 5},
                 {"expiration_date": "2020-01-01"}, {"status": "fulfilled"}, {}):
        error = error_of(portal.patch(path, account.headers, json=body), 400)
        assert error["code"] == "only_po_number_can_change", body
    for bad in ("X" * 51, "PO\t2", 7):
        assert "po_number" in error_of(portal.patch(path, account.headers,
                                                    json={"po_number": bad}), 400)["fields"]
    cancel = portal.request("DELETE", path, account.headers)
    assert error_of(cancel, 405)["code"] == "orders_cannot_be_cancelled"
    assert "cannot be cancelled" in cancel.json()["error"]["message"]
    assert cancel.headers["Allow"] == "GET, HEAD, PATCH"
    for method in ("PUT", "POST"):
        error = error_of(portal.request(method, path, account.headers, json={}), 405)
        assert error["code"] == "method_not_allowed"
    assert portal.order(account, school["id"], order["id"]).json()["po_number"] == "PO-1"

    changed = portal.patch(path, account.headers, json={"po_number": "PO-2"})
    assert changed.status_code == 200 and changed.json()["po_number"] == "PO-2"
    cleared = portal.patch(path, account.headers, json={"po_number": None})
    assert cleared.status_code == 200 and cleared.json()["po_number"] is None
    after = portal.order(account, school["id"], order["id"]).json()
    assert {key: after[key] for key in ("quantity", "expiration_date", "exam_fee_cents")} == \
        {key: order[key] for key in ("quantity", "expiration_date", "exam_fee_cents")}
    announced = [event for event in service_db.events(system_env, "orders", "po_number_changed")
                 if event["order_id"] == order["id"]]
    assert [(event["po_number"], event["organization_id"]) for event in announced] == [
        ("PO-2", school["id"]), (None, school["id"])]


def test_confirmation_goes_to_orderer_and_coordinator_with_details_and_no_codes(
        portal, system_env):
    portal.set_fees(exam_fee_cents=9300, remote_proctoring_fee_cents=3000)
    school = portal.register_organization()
    account = portal.new_account()
    assert portal.redeem(account, school, portal.issue_access_code(school["id"])).status_code \
        == 201
    coordinator_email = f"coordinator-{uuid.uuid4().hex[:8]}@example.org"
    profile = portal.put(f"/api/organizations/{school['id']}/profile", account.headers, json={
        "coordinator": {"name": "Casey Coordinator", "email": coordinator_email,
                        "phone": "313-555-0100"},
        "second_contact": {"role": "alternate", "name": "Alex Alternate",
                           "email": "alex@example.org", "phone": "313-555-0102"},
        "billing_contact": {"same_as_coordinator": True}})
    assert profile.status_code == 200, profile.text
    order = portal.place_order(account, school["id"], quantity=12, po_number="PO-MAIL-1",
                               covers_remote_proctoring=True).json()

    mail_dir = Path(system_env["CLEP_DATA_DIR"]) / "mail"
    subject = f"CLEP voucher order {order['id']} confirmed"

    def confirmations():
        return [path.read_text() for path in mail_dir.glob("*.eml")
                if subject in path.read_text()]
    [mail] = wait_for(confirmations)
    to_line = next(line for line in mail.splitlines() if line.startswith("To:"))
    assert account.email in to_line and coordinator_email in to_line
    for detail in ("Vouchers: 12", "PO number: PO-MAIL-1", school["name"],
                   "Expiration date: " + order["expiration_date"], "$93.00", "$30.00"):
        assert detail in mail, detail
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    for code in portal.voucher_codes(account, school["id"], order["id"]):
        assert code not in mail and code.replace("-", "") not in mail
    time.sleep(0.5)
    assert len(confirmations()) == 1  # exactly one confirmation


# --- order history ---------------------------------------------------------------------------


def test_history_newest_first_with_status_fees_expiration_po_and_link(portal, coordinator):
    account, school = coordinator
    placed = [portal.place_order(account, school["id"], quantity=quantity,
                                 po_number=f"PO-{quantity}").json() for quantity in (1, 2, 3)]
    for order in placed:  # so that no status changes between the two reads below
        portal.wait_until_fulfilled(account, school["id"], order["id"])
    listed = history(portal, account, school["id"])
    assert [order["id"] for order in listed] == [order["id"] for order in reversed(placed)]
    assert history(portal, account, school["id"], academic_year=portal.academic_year) == listed
    for order in listed:
        assert {"status", "exam_fee_cents", "remote_proctoring_fee_cents", "expiration_date",
                "po_number", "vouchers_csv_url", "placed_at", "quantity"} <= set(order)
        assert order["status"] in ("generating_vouchers", "fulfilled")
        assert order["po_number"] == f"PO-{order['quantity']}"
    oldest = listed[-1]
    download = portal.get(oldest["vouchers_csv_url"], account.headers)
    assert download.status_code == 200
    assert list(csv.reader(io.StringIO(download.text)))[0][0] == "voucher_code"


def test_history_covers_this_year_and_the_four_before_it(portal, coordinator):
    account, school = coordinator
    current = AcademicYear.parse(portal.academic_year)
    for back in range(0, 5):
        assert history(portal, account, school["id"],
                       academic_year=str(current.previous(back))) == []
    for refused in (str(current.previous(5)), str(current.next()), "2026-28", "last year"):
        error = error_of(portal.get(f"/api/organizations/{school['id']}/orders",
                                    account.headers, params={"academic_year": refused}), 400)
        assert "academic_year" in error["fields"]


# --- the vouchers of a new order ------------------------------------------------------------


def test_csv_is_409_while_generating_then_every_code_once(portal, coordinator):
    account, school = coordinator
    order = portal.place_order(account, school["id"], quantity=10_000).json()
    path = f"/api/organizations/{school['id']}/orders/{order['id']}/vouchers.csv"
    early = portal.get(path, account.headers)
    assert error_of(early, 409)["code"] == "vouchers_generating"
    assert early.headers["Retry-After"] == "2"
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    rows = list(csv.reader(io.StringIO(portal.get(path, account.headers).text)))
    assert rows[0] == ["voucher_code", "order_id", "expiration_date",
                       "remote_proctoring_covered", "status", "student_name", "date_given_out",
                       "student_email"]
    assert len({row[0] for row in rows[1:]}) == len(rows) - 1 == 10_000
    usage = portal.voucher_usage(account, school["id"], order["id"])
    assert usage["counts"] == {"unused": 10_000, "assigned": 0,
                               "redeemed": 0, "used": 0, "cancelled": 0,
                               "expired": 0}
