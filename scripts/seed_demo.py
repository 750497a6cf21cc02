"""Demo data for a newcomer, made through the HTTP API the way operations and a
coordinator would: a district with one of its schools, a college, this year's access
codes and fees, and a demo coordinator who has access to the school this year and has
ordered 25 vouchers for it.

    python -m scripts.seed_demo http://127.0.0.1:8000 <operations token>

Runs once per academic year of the program's clock (a marker file in the data directory
remembers the last one) and prints what there is. Each step makes only what is missing,
so a new year adds that year's fees, codes, access and order, and nothing operations set
is ever overwritten (fees are set with `only_if_unset`).
"""
import json
import sys
from pathlib import Path

import requests

from services.common.clock import Clock
from services.common.config import data_dir, load_config

DEMO_EMAIL = "coordinator@demo.example.org"
DEMO_PASSWORD = "demo-password-2026"
MARKER = "demo-seeded.json"
DISTRICT = {"name": "Detroit Public Schools Community District", "kind": "district",
            "zip": "48202", "city": "Detroit", "state": "MI", "state_funded": True}
SCHOOL = {"name": "Cass Technical High School", "kind": "school", "zip": "48201",
          "city": "Detroit", "state": "MI", "state_funded": True}
COLLEGE = {"name": "Wayne County Community College", "kind": "college", "zip": "48201",
           "city": "Detroit", "state": "MI"}


class Api:
    """The HTTP API; an answer in `accept` (status, error code) is taken as done."""

    def __init__(self, base_url):
        self.base_url = base_url

    def __call__(self, method, path, headers=None, accept=(), **kwargs):
        response = requests.request(method, self.base_url + path, headers=headers,
                                    timeout=30, **kwargs)
        if response.status_code >= 400:
            code = (response.json().get("error") or {}).get("code") if response.content \
                else None
            if (response.status_code, code) in accept:
                return None
            raise SystemExit(f"seeding failed: {method} {path} -> "
                             f"{response.status_code} {response.text}")
        return response.json() if response.content else None


def organization(call, ops, me, data):
    """The organization registered with these zip and name, registered now if missing."""
    made = call("POST", "/api/admin/organizations", ops, json=data,
                accept=[(409, "organization_exists")])
    if made is None:
        listed = call("GET", "/api/organizations", me, params={"zip": data["zip"]})
        made = next(org for org in listed["organizations"] if org["name"] == data["name"])
    return {"id": made["id"], "name": data["name"], "zip": data["zip"]}


def seed(base_url, operations_token, year):
    call = Api(base_url)
    ops = {"Authorization": "Bearer " + operations_token}
    call("PUT", "/api/admin/fees/" + year, ops, accept=[(409, "fees_already_set")],
         json={"exam_fee_cents": 9300, "remote_proctoring_fee_cents": 3000,
               "only_if_unset": True})

    call("POST", "/api/accounts", json={"email": DEMO_EMAIL, "name": "Demo Coordinator",
                                        "password": DEMO_PASSWORD},
         accept=[(409, "email_taken")])
    token = call("POST", "/api/sessions",
                 json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})["token"]
    me = {"Authorization": "Bearer " + token}
    terms = call("GET", "/api/terms/portal")
    call("POST", "/api/terms/portal/acceptances", me, json={"version": terms["version"]})

    district = organization(call, ops, me, DISTRICT)
    school = organization(call, ops, me, dict(SCHOOL, district_id=district["id"]))
    college = organization(call, ops, me, COLLEGE)
    codes = {org["name"]: call("POST", "/api/admin/organizations/{}/access-codes".format(
        org["id"]), ops, json={"academic_year": year})["access_code"]
        for org in (district, school, college)}

    held = {org["id"] for org in call("GET", "/api/me", me)["organizations"]}
    if school["id"] not in held:
        call("POST", "/api/access-codes/redemptions", me, json={
            "zip": school["zip"], "organization_name": school["name"],
            "access_code": codes[school["name"]]})
    profile_path = "/api/organizations/{}/profile".format(school["id"])
    if not call("GET", profile_path, me)["complete"]:
        contact = {"name": "Demo Coordinator", "email": DEMO_EMAIL, "phone": "313-555-0100"}
        call("PUT", profile_path, me, json={
            "coordinator": contact,
            "second_contact": {"role": "principal", "name": "Dana Principal",
                               "email": "principal@demo.example.org", "phone": "313-555-0101"},
            "billing_contact": {"same_as_coordinator": True}})
    orders_path = "/api/organizations/{}/orders".format(school["id"])
    if not call("GET", orders_path, me, params={"academic_year": year})["orders"]:
        bulk_terms = call("GET", "/api/terms/bulk_purchase")
        call("POST", orders_path, dict(me, **{"Idempotency-Key": "demo-order-" + year}),
             json={"quantity": 25, "covers_remote_proctoring": True, "po_number": "DEMO-PO-1",
                   "terms_version": bulk_terms["version"]})
    return {"academic_year": year, "email": DEMO_EMAIL, "password": DEMO_PASSWORD,
            "organizations": {org["name"]: {"id": org["id"], "zip": org["zip"],
                                            "access_code": codes[org["name"]]}
                              for org in (district, school, college)},
            "coordinator_has_access_to": school["name"]}


def main(base_url, operations_token):
    config = load_config()
    year = str(Clock.from_config(config).academic_year())
    marker = data_dir(config) / MARKER
    demo = json.loads(marker.read_text()) if marker.exists() else {}
    if demo.get("academic_year") == year:
        print("Demo data is already there (seeded for {}).".format(year))
    else:
        demo = seed(base_url, operations_token, year)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(demo, indent=2))
    print("Demo coordinator: {email} / {password} (has access to {coordinator_has_access_to} "
          "for {academic_year})".format(**demo))
    print("  sign in at {}/ ; to see a district's read-only view, get access with the "
          "district's code below".format(base_url))
    for name, org in demo["organizations"].items():
        print("  {}: id {}, zip {}, access code {} ({})".format(
            name, org["id"], org["zip"], org["access_code"], demo["academic_year"]))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(sys.argv[1], sys.argv[2])
