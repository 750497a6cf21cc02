"""A coordinator's first voucher order, from operations' set-up to the CSV download."""
import csv
import io
import uuid

from services.vouchers.codes import normalize
from tests.mail import body_of, wait_for_mail_file

CSV_HEADER = ["voucher_code", "order_id", "expiration_date", "remote_proctoring_covered",
              "status", "student_name", "date_given_out", "student_email"]


def test_health_names_every_service(portal):
    response = portal.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "services": {
        name: "ok" for name in ("access", "orders", "vouchers", "scores", "billing")}}


def test_openapi_describes_the_api(portal):
    document = portal.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "post" in document["paths"]["/api/organizations/{org_id}/orders"]
    assert "OrderIn" in document["components"]["schemas"]
    # a coordinator's routes take the portal's session cookie as well as a bearer token
    assert document["paths"]["/api/me"]["get"]["security"] == [{"session": []},
                                                               {"portal_session": []}]
    assert document["components"]["securitySchemes"]["portal_session"]["in"] == "cookie"


def test_first_order_from_access_code_to_csv(portal):
    portal.set_fees(exam_fee_cents=9300, remote_proctoring_fee_cents=3000)
    school = portal.register_organization(name="Cass Technical High School", zip="48201")
    code = portal.issue_access_code(school["id"])

    account = portal.new_account(accept_terms=False)
    me = portal.get("/api/me", account.headers).json()
    assert me["terms_accepted"] is False and me["organizations"] == []
    # the access code comes first, before the portal terms
    redeemed = portal.post("/api/access-codes/redemptions", account.headers, json={
        "zip": "48201", "organization_name": "  cass technical HIGH school ",
        "access_code": code.lower().replace("-", " ")})
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json() == {"organization": {"id": school["id"], "name": school["name"],
                                                "kind": "school"},
                               "access": "manage", "academic_year": portal.academic_year}
    me = portal.get("/api/me", account.headers).json()
    assert [org["id"] for org in me["organizations"]] == [school["id"]]
    blocked = portal.get("/api/organizations/{}/profile".format(school["id"]), account.headers)
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "terms_not_accepted"
    terms = portal.get("/api/terms/portal").json()
    assert portal.post("/api/terms/portal/acceptances", account.headers,
                       json={"version": terms["version"]}).status_code == 201

    quote_path = "/api/organizations/{}/order-quote".format(school["id"])
    incomplete = portal.get(quote_path, account.headers)
    assert incomplete.status_code == 409
    assert incomplete.json()["error"]["code"] == "profile_incomplete"
    profile = portal.complete_profile(account, school["id"])
    assert profile["complete"] is True

    quote = portal.get(quote_path, account.headers).json()
    assert quote["exam_fee_cents"] == 9300 and quote["remote_proctoring_fee_cents"] == 3000
    assert quote["max_quantity"] == 10000
    assert quote["default_expiration_date"].endswith("-06-30")

    key = uuid.uuid4().hex
    placed = portal.place_order(account, school["id"], quantity=1200, key=key,
                                covers_remote_proctoring=True, po_number="PO-2026-17")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] in ("generating_vouchers", "fulfilled")
    assert order["quantity"] == 1200 and order["po_number"] == "PO-2026-17"
    assert order["exam_fee_cents"] == 9300 and order["academic_year"] == portal.academic_year
    again = portal.place_order(account, school["id"], quantity=1200, key=key,
                               covers_remote_proctoring=True, po_number="PO-2026-17")
    assert again.status_code in (200, 201) and again.json()["id"] == order["id"]

    fulfilled = portal.wait_until_fulfilled(account, school["id"], order["id"])
    assert fulfilled["vouchers_generated"] == 1200

    download = portal.get("/api/organizations/{}/orders/{}/vouchers.csv".format(
        school["id"], order["id"]), account.headers)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == CSV_HEADER
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 1200 == len(set(codes))
    assert all(normalize(code) is not None for code in codes)
    assert all(row[1:5] == [str(order["id"]), fulfilled["expiration_date"], "yes", "unused"]
               for row in rows[1:])
    assert not any(cell[:1] in "=+-@" for row in rows[1:] for cell in row if cell)

    history = portal.get("/api/organizations/{}/orders".format(school["id"]),
                         account.headers).json()["orders"]
    assert [entry["id"] for entry in history] == [order["id"]]


def test_order_confirmation_is_mailed_without_codes(portal, system_env, public_url):
    account, school = portal.coordinator_of()
    portal.set_fees()
    order = portal.place_order(account, school["id"], quantity=5).json()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    subject = "order {} confirmed".format(order["id"])
    [confirmation] = wait_for_mail_file(system_env["CLEP_DATA_DIR"],
                                        lambda mail: subject in mail["Subject"])
    assert account.email in confirmation["To"]
    assert body_of(confirmation).endswith("\n{}/organizations/{}/orders/{}\n".format(
        public_url, school["id"], order["id"]))  # the order's page in the portal
    csv_text = portal.get("/api/organizations/{}/orders/{}/vouchers.csv".format(
        school["id"], order["id"]), account.headers).text
    first_code = csv_text.splitlines()[1].split(",")[0]
    assert first_code not in body_of(confirmation)
