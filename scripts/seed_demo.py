"""Demo data for a newcomer, made through the HTTP API the way operations and a
coordinator would: a district with one of its schools, a college, this year's access
codes and fees, and a demo coordinator who already has access to the school and has
ordered 25 vouchers for it.

    python -m scripts.seed_demo http://127.0.0.1:8000 <operations token>

Runs once per data directory (a marker file remembers it) and prints what it made.
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


def seed(base_url, operations_token):
    ops = {"Authorization": "Bearer " + operations_token}
    year = str(Clock.from_config(load_config()).academic_year())

    def call(method, path, headers=None, **kwargs):
        response = requests.request(method, base_url + path, headers=headers, timeout=30,
                                    **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"seeding failed: {method} {path} -> "
                             f"{response.status_code} {response.text}")
        return response.json() if response.content else None

    call("PUT", "/api/admin/fees/" + year, ops,
         json={"exam_fee_cents": 9300, "remote_proctoring_fee_cents": 3000})
    district = call("POST", "/api/admin/organizations", ops, json={
        "name": "Detroit Public Schools Community District", "kind": "district",
        "zip": "48202", "city": "Detroit", "state": "MI", "state_funded": True})
    school = call("POST", "/api/admin/organizations", ops, json={
        "name": "Cass Technical High School", "kind": "school", "zip": "48201",
        "city": "Detroit", "state": "MI", "district_id": district["id"], "state_funded": True})
    college = call("POST", "/api/admin/organizations", ops, json={
        "name": "Wayne County Community College", "kind": "college", "zip": "48201",
        "city": "Detroit", "state": "MI"})
    codes = {org["name"]: call("POST", "/api/admin/organizations/{}/access-codes".format(
        org["id"]), ops, json={"academic_year": year})["access_code"]
        for org in (district, school, college)}

    call("POST", "/api/accounts", json={"email": DEMO_EMAIL, "name": "Demo Coordinator",
                                        "password": DEMO_PASSWORD})
    token = call("POST", "/api/sessions",
                 json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})["token"]
    me = {"Authorization": "Bearer " + token}
    terms = call("GET", "/api/terms/portal")
    call("POST", "/api/terms/portal/acceptances", me, json={"version": terms["version"]})
    call("POST", "/api/access-codes/redemptions", me, json={
        "zip": school["zip"], "organization_name": school["name"],
        "access_code": codes[school["name"]]})
    contact = {"name": "Demo Coordinator", "email": DEMO_EMAIL, "phone": "313-555-0100"}
    call("PUT", "/api/organizations/{}/profile".format(school["id"]), me, json={
        "coordinator": contact,
        "second_contact": {"role": "principal", "name": "Dana Principal",
                           "email": "principal@demo.example.org", "phone": "313-555-0101"},
        "billing_contact": {"same_as_coordinator": True}})
    bulk_terms = call("GET", "/api/terms/bulk_purchase")
    call("POST", "/api/organizations/{}/orders".format(school["id"]),
         dict(me, **{"Idempotency-Key": "demo-first-order"}),
         json={"quantity": 25, "covers_remote_proctoring": True, "po_number": "DEMO-PO-1",
               "terms_version": bulk_terms["version"]})
    return {"academic_year": year, "email": DEMO_EMAIL, "password": DEMO_PASSWORD,
            "organizations": {org["name"]: {"id": org["id"], "zip": org["zip"],
                                            "access_code": codes[org["name"]]}
                              for org in (district, school, college)},
            "coordinator_has_access_to": school["name"]}


def main(base_url, operations_token):
    marker = data_dir(load_config()) / MARKER
    if marker.exists():
        demo = json.loads(marker.read_text())
        print("Demo data is already there (from the first run).")
    else:
        demo = seed(base_url, operations_token)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(demo, indent=2))
    print("Demo coordinator: {email} / {password} (has access to {coordinator_has_access_to})"
          .format(**demo))
    print("  sign in at {}/ ; to see a district's read-only view, get access with the "
          "district's code below".format(base_url))
    for name, org in demo["organizations"].items():
        print("  {}: id {}, zip {}, access code {} ({})".format(
            name, org["id"], org["zip"], org["access_code"], demo["academic_year"]))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(sys.argv[1], sys.argv[2])
