"""A small client of the HTTP API for end-to-end tests: the steps people take, by name."""
import time
import uuid

import requests

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


class Account:
    def __init__(self, email, password, token):
        self.email = email
        self.password = password
        self.token = token
        self.headers = {"Authorization": "Bearer " + token}
