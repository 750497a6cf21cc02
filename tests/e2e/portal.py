"""A small client of the HTTP API for end-to-end tests: the steps people take, by name."""
import csv
import io
import time
import uuid

import requests

from gateway.browser_session import COOKIE_NAME, csrf_token
from services.common.clock import Clock

TERMS_VERSION = "2026-07"


class Portal:
    def __init__(self, base_url, operations_token, partner_token):
        self.base_url = base_url
        self.ops = {"Authorization": "Bearer " + operations_token}
        self.partner = {"Authorization": "Bearer " + partner_token}
        self.academic_year = str(Clock().academic_year())

    def url(self, path):
        return self.base_url + path

    def request(self, method, path, headers=None, **kwargs):
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.url(path), headers=headers, **kwargs)

    def get(self, path, headers=None, **kwargs):
        return self.request("GET", path, headers, **kwargs)

    def post(self, path, headers=None, **kwargs):
        return self.request("POST", path, headers, **kwargs)

    def put(self, path, headers=None, **kwargs):
        return self.request("PUT", path, headers, **kwargs)

    def patch(self, path, headers=None, **kwargs):
        return self.request("PATCH", path, headers, **kwargs)

    # operations

    def set_fees(self, exam_fee_cents=9300, remote_proctoring_fee_cents=3000, year=None):
        response = self.put("/api/admin/fees/" + (year or self.academic_year), self.ops,
                            json={"exam_fee_cents": exam_fee_cents,
                                  "remote_proctoring_fee_cents": remote_proctoring_fee_cents})
        assert response.status_code == 200, response.text
        return response.json()

    def register_organization(self, kind="school", **fields):
        body = {"name": f"Org {uuid.uuid4().hex[:8]}", "kind": kind, "zip": "48201",
                "city": "Detroit", "state": "MI"}
        body.update(fields)
        response = self.post("/api/admin/organizations", self.ops, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def issue_access_code(self, organization_id, year=None):
        response = self.post(f"/api/admin/organizations/{organization_id}/access-codes",
                             self.ops, json={"academic_year": year or self.academic_year})
        assert response.status_code == 201, response.text
        return response.json()["access_code"]

    # coordinators

    def new_account(self, accept_terms=True):
        email = f"coordinator-{uuid.uuid4().hex[:10]}@example.org"
        password = f"a long password {uuid.uuid4().hex[:6]}"
        response = self.post("/api/accounts", json={"email": email, "name": "Pat Coordinator",
                                                    "password": password})
        assert response.status_code == 201, response.text
        session = self.post("/api/sessions", json={"email": email, "password": password})
        assert session.status_code == 201, session.text
        account = Account(email, password, session.json()["token"])
        if accept_terms:
            accepted = self.post("/api/terms/portal/acceptances", account.headers,
                                 json={"version": TERMS_VERSION})
            assert accepted.status_code == 201, accepted.text
        return account

    def redeem(self, account, organization, code):
        return self.post("/api/access-codes/redemptions", account.headers, json={
            "zip": organization["zip"], "organization_name": organization["name"],
            "access_code": code})

    def complete_profile(self, account, organization_id):
        contact = {"name": "Pat Coordinator", "email": account.email, "phone": "313-555-0100"}
        response = self.put(f"/api/organizations/{organization_id}/profile",
                            account.headers, json={
                                "coordinator": contact,
                                "second_contact": {"role": "principal", "name": "Dana Principal",
                                                   "email": "principal@example.org",
                                                   "phone": "313-555-0101"},
                                "billing_contact": {"same_as_coordinator": True}})
        assert response.status_code == 200, response.text
        return response.json()

    def coordinator_of(self, organization=None, **org_fields):
        """A signed-in coordinator with manage access and a complete profile."""
        organization = organization or self.register_organization(**org_fields)
        code = self.issue_access_code(organization["id"])
        account = self.new_account()
        redeemed = self.redeem(account, organization, code)
        assert redeemed.status_code == 201, redeemed.text
        self.complete_profile(account, organization["id"])
        return account, organization

    # getting access, and operations' side of it (issue 3)

    def sign_in(self, email, password):
        return self.post("/api/sessions", json={"email": email, "password": password})

    def accept_terms(self, account):
        accepted = self.post("/api/terms/portal/acceptances", account.headers,
                             json={"version": TERMS_VERSION})
        assert accepted.status_code == 201, accepted.text

    def profile_body(self, account, **parts):
        """A complete profile with the account as coordinator; `parts` replace sections."""
        body = {"coordinator": {"name": "Pat Coordinator", "email": account.email,
                                "phone": "313-555-0100"},
                "second_contact": {"role": "principal", "name": "Dana Principal",
                                   "email": "principal@example.org", "phone": "313-555-0101"},
                "billing_contact": {"same_as_coordinator": True}}
        body.update(parts)
        return body

    def put_profile(self, account, organization_id, body):
        return self.put(f"/api/organizations/{organization_id}/profile", account.headers,
                        json=body)

    def organization(self, organization_id):
        return self.get(f"/api/admin/organizations/{organization_id}", self.ops)

    def update_organization(self, organization_id, **changes):
        return self.patch(f"/api/admin/organizations/{organization_id}", self.ops, json=changes)

    def start_access_code_run(self, year):
        return self.post("/api/admin/access-code-runs", self.ops, json={"academic_year": year})

    def finished_access_code_run(self, year, timeout=30):
        """Start the year's run and wait until it has finished; returns the run."""
        started = self.start_access_code_run(year)
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + timeout
        run = started.json()
        while run["status"] == "running":
            assert time.monotonic() < deadline, f"run {run['id']} still running"
            time.sleep(0.1)
            run = self.get(f"/api/admin/access-code-runs/{run['id']}", self.ops).json()
        return run

    def request_access_code(self, account, organization, role="coordinator",
                            message="I am the new CLEP coordinator here."):
        return self.post("/api/access-code-requests", account.headers, json={
            "organization_name": organization["name"], "zip": organization["zip"],
            "requester_role": role, "message": message})

    def access_code_requests(self, **params):
        response = self.get("/api/admin/access-code-requests", self.ops, params=params)
        assert response.status_code == 200, response.text
        return response.json()["requests"]

    def approve_access_code_request(self, request_id, **body):
        return self.post(f"/api/admin/access-code-requests/{request_id}/approve", self.ops,
                         json=body or None)

    def decline_access_code_request(self, request_id, reason):
        return self.post(f"/api/admin/access-code-requests/{request_id}/decline", self.ops,
                         json={"reason": reason})

    def audit(self, **params):
        response = self.get("/api/admin/audit", self.ops, params=params)
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    # orders

    def place_order(self, account, organization_id, quantity=10, key=None, **fields):
        body = {"quantity": quantity, "covers_remote_proctoring": False,
                "terms_version": TERMS_VERSION}
        body.update(fields)
        headers = dict(account.headers, **{"Idempotency-Key": key or uuid.uuid4().hex})
        return self.post(f"/api/organizations/{organization_id}/orders", headers,
                         json=body)

    def order(self, account, organization_id, order_id):
        return self.get(f"/api/organizations/{organization_id}/orders/{order_id}",
                        account.headers)

    def wait_until_fulfilled(self, account, organization_id, order_id, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            order = self.order(account, organization_id, order_id).json()
            if order["status"] == "fulfilled":
                return order
            if time.monotonic() > deadline:
                raise AssertionError("order {} still {} after {}s".format(
                    order_id, order["status"], timeout))
            time.sleep(0.05)

    def has_route(self, method, path):
        """Whether the running gateway publishes this route (for features still being built)."""
        paths = self.get("/api/openapi.json").json()["paths"]
        return method.lower() in paths.get(path, {})

    def voucher_codes(self, account, organization_id, order_id):
        """The order's codes, as the coordinator downloads them (XXXX-XXXX-XXXX-XXXX)."""
        response = self.get(f"/api/organizations/{organization_id}/orders/{order_id}/vouchers.csv",
                            account.headers)
        assert response.status_code == 200, response.text
        return [line.split(",")[0] for line in response.text.splitlines()[1:]]

    # partner systems and scores

    def redeem_voucher(self, code, student=None, exam="College Algebra"):
        """The registration system redeems a code (POST /api/voucher-redemptions)."""
        student = student or {"id": f"S-{uuid.uuid4().hex[:8]}", "name": "Ada Lovelace",
                              "email": "ada@example.org"}
        return self.post("/api/voucher-redemptions", self.partner,
                         json={"voucher_code": code, "student": student, "exam": exam})

    def post_exam_results(self, results, headers=None):
        return self.post("/api/exam-results", self.partner if headers is None else headers,
                         json={"results": results})

    def record_exam_results(self, results, timeout=15):
        """Post results until those refused or parked only for a fact not yet known here
        (an organization, or a redemption whose event is still on its way) are recorded;
        returns the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.post_exam_results(results)
            assert response.status_code == 202, response.text
            answer = response.json()
            waiting = answer["parked"] or any(r["code"] == "unknown_institution"
                                              for r in answer["rejected"])
            if not waiting or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)

    def scores(self, account, organization_id, **params):
        return self.get(f"/api/organizations/{organization_id}/scores", account.headers,
                        params=params)

    def score(self, account, organization_id, result_id):
        return self.get(f"/api/organizations/{organization_id}/scores/{result_id}",
                        account.headers)

    def scores_csv(self, account, organization_id, **params):
        return self.get(f"/api/organizations/{organization_id}/scores.csv", account.headers,
                        params=params)

    def score_access_log(self, **params):
        response = self.get("/api/admin/score-access-log", self.ops, params=params)
        assert response.status_code == 200, response.text
        return response.json()


    # vouchers: usage, legacy codes, the June 30 close, redemption from a given address

    def voucher_usage(self, account, organization_id, order_id, **params):
        """The order's codes by status (GET .../vouchers); asserts 200."""
        response = self.get(f"/api/organizations/{organization_id}/orders/{order_id}/vouchers",
                            account.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def voucher_summary(self, account, organization_id, **params):
        """The organization's codes of a year by status (GET .../voucher-summary); asserts 200."""
        response = self.get(f"/api/organizations/{organization_id}/voucher-summary",
                            account.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    # giving codes to students

    def assign_voucher(self, account, organization_id, order_id, code, **student):
        return self.put(f"/api/organizations/{organization_id}/orders/{order_id}/vouchers/"
                        f"{code}/assignment", account.headers, json=student)

    def unassign_voucher(self, account, organization_id, order_id, code):
        return self.request("DELETE", f"/api/organizations/{organization_id}/orders/"
                            f"{order_id}/vouchers/{code}/assignment", account.headers)

    def assign_next_vouchers(self, account, organization_id, order_id, students, **fields):
        return self.post(f"/api/organizations/{organization_id}/orders/{order_id}/"
                         "voucher-assignments", account.headers,
                         json=dict(fields, students=students))

    def vouchers_csv(self, account, organization_id, order_id):
        """The order's CSV as rows of cells (the header first); asserts 200."""
        response = self.get(f"/api/organizations/{organization_id}/orders/{order_id}/"
                            "vouchers.csv", account.headers)
        assert response.status_code == 200, response.text
        return list(csv.reader(io.StringIO(response.text)))

    def upload_vouchers_csv(self, account, organization_id, order_id, text):
        return self.post(f"/api/organizations/{organization_id}/orders/{order_id}/"
                         "vouchers.csv", dict(account.headers, **{"Content-Type": "text/csv"}),
                         data=text.encode("utf-8"))

    def import_legacy_vouchers(self, organization_id, codes, year=None, **fields):
        body = {"organization_id": organization_id, "academic_year": year or self.academic_year,
                "voucher_codes": codes}
        body.update(fields)
        return self.post("/api/admin/legacy-vouchers", self.ops, json=body)

    def close_academic_year(self, year=None):
        return self.post(f"/api/admin/academic-years/{year or self.academic_year}/close",
                         self.ops)

    def partner_at(self, source_address):
        """The partner API as seen from another client address (127.0.0.x all reach the
        gateway on Linux), for the per-client throttle on unknown codes."""
        return PartnerClient(self, source_address)

class Account:
    def __init__(self, email, password, token):
        self.email = email
        self.password = password
        self.token = token
        self.headers = {"Authorization": "Bearer " + token}


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source_address, **kwargs):
        self._source_address = source_address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._source_address, 0)
        return super().init_poolmanager(*args, **kwargs)


class PartnerClient:
    """Redeems codes from one source address, over one keep-alive connection pool."""

    def __init__(self, portal, source_address):
        self.portal = portal
        self.session = requests.Session()
        adapter = _SourceAddressAdapter(source_address)
        self.session.mount("http://", adapter)

    def redeem_voucher(self, code, student=None, exam="College Algebra"):
        student = student or {"id": f"S-{uuid.uuid4().hex[:8]}", "name": "Ada Lovelace",
                              "email": "ada@example.org"}
        return self.session.post(self.portal.url("/api/voucher-redemptions"),
                                 headers=self.portal.partner, timeout=30,
                                 json={"voucher_code": code, "student": student, "exam": exam})


class Browser:
    """A signed-in browser without a browser: the session cookie, the site's Origin and
    the CSRF token every form of ours carries."""

    def __init__(self, base_url, token):
        self.base_url, self.token = base_url, token
        self.session = requests.Session()
        self.session.cookies.set(COOKIE_NAME, token)

    def get(self, path, **kwargs):
        return self.session.get(self.base_url + path, allow_redirects=False, timeout=30,
                                **kwargs)

    def post(self, path, data):
        return self.session.post(self.base_url + path, allow_redirects=False, timeout=30,
                                 headers={"Origin": self.base_url},
                                 data=dict(data, csrf_token=csrf_token(self.token)))
