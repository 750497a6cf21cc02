"""Organization profiles: who coordinates, who is the second contact, who gets invoices."""
import re

from services.access import audit
from services.access.models import Profile
from services.common.errors import InvalidInput

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PHONE = re.compile(r"\+?[0-9 ().-]{7,25}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SECOND_ROLES = ("principal", "alternate")


def is_complete(profile):
    if profile is None:
        return False
    coordinator = (profile.coordinator_name, profile.coordinator_email, profile.coordinator_phone)
    second = (profile.second_role, profile.second_name, profile.second_email, profile.second_phone)
    billing = (profile.billing_name, profile.billing_email, profile.billing_phone)
    return all(coordinator) and all(second) and (
        profile.billing_same_as_coordinator or all(billing))


def billing_contact(profile):
    if profile.billing_same_as_coordinator:
        return {"name": profile.coordinator_name, "email": profile.coordinator_email,
                "phone": profile.coordinator_phone}
    return {"name": profile.billing_name, "email": profile.billing_email,
            "phone": profile.billing_phone}


def profile_view(profile):
    if profile is None:
        empty = {"name": None, "email": None, "phone": None}
        return {"coordinator": dict(empty), "second_contact": dict(empty, role=None),
                "billing_contact": dict(empty, same_as_coordinator=False), "complete": False}
    return {
        "coordinator": {"name": profile.coordinator_name, "email": profile.coordinator_email,
                        "phone": profile.coordinator_phone},
        "second_contact": {"role": profile.second_role, "name": profile.second_name,
                           "email": profile.second_email, "phone": profile.second_phone},
        "billing_contact": dict(billing_contact(profile),
                                same_as_coordinator=profile.billing_same_as_coordinator),
        "complete": is_complete(profile),
    }


def _contact_problems(prefix, contact, wrong):
    if not isinstance(contact, dict):
        wrong[prefix] = ["Name, email and phone."]
        return
    name, email, phone = contact.get("name"), contact.get("email"), contact.get("phone")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or CONTROL.search(name):
        wrong[prefix + ".name"] = ["A name of 1 to 200 printable characters."]
    if not isinstance(email, str) or len(email) > 254 or not EMAIL.fullmatch(email.strip()):
        wrong[prefix + ".email"] = ["An email address, like name@school.org."]
    if not valid_phone(phone):
        wrong[prefix + ".phone"] = ["A phone number of 7 to 15 digits, like 313-555-0100."]


def valid_phone(phone):
    """Digits with the usual separators; 7 to 15 digits (E.164 allows 15)."""
    if not isinstance(phone, str) or not PHONE.fullmatch(phone.strip()):
        return False
    return 7 <= sum(symbol.isdigit() for symbol in phone) <= 15


def check_profile(data):
    """InvalidInput naming every wrong field (`coordinator.email`, ...), else None."""
    wrong = {}
    if not isinstance(data, dict):
        raise InvalidInput(fields={"_": ["A profile object."]})
    _contact_problems("coordinator", data.get("coordinator"), wrong)
    second = data.get("second_contact")
    _contact_problems("second_contact", second, wrong)
    if isinstance(second, dict) and second.get("role") not in SECOND_ROLES:
        wrong["second_contact.role"] = ["principal or alternate."]
    billing = data.get("billing_contact")
    # a billing contact of its own needs no "same_as_coordinator": false (absent is false)
    same = billing.get("same_as_coordinator", False) if isinstance(billing, dict) else None
    if not isinstance(same, bool):
        wrong["billing_contact.same_as_coordinator"] = ["true or false."]
    elif not same:
        _contact_problems("billing_contact", billing, wrong)
    if wrong:
        raise InvalidInput(fields=wrong)


def changed_fields(before, after):
    """Which parts of a profile view changed: ["coordinator.email", ...]."""
    changed = []
    for part in ("coordinator", "second_contact", "billing_contact"):
        for field in sorted(set(before[part]) | set(after[part])):
            if before[part].get(field) != after[part].get(field):
                changed.append("{}.{}".format(part, field))
    return sorted(changed)


def save_profile(session, clock, organization_id, account_id, data):
    """Replace the profile with `data`, checked here (whoever calls) after the gateway."""
    check_profile(data)
    profile = session.get(Profile, organization_id) or Profile(organization_id=organization_id)
    coordinator, second = data["coordinator"], data["second_contact"]
    billing = data["billing_contact"]
    profile.coordinator_name = coordinator["name"].strip()
    profile.coordinator_email = coordinator["email"].strip().lower()
    profile.coordinator_phone = coordinator["phone"].strip()
    profile.second_role = second["role"]
    profile.second_name = second["name"].strip()
    profile.second_email = second["email"].strip().lower()
    profile.second_phone = second["phone"].strip()
    profile.billing_same_as_coordinator = bool(billing.get("same_as_coordinator"))
    if profile.billing_same_as_coordinator:
        profile.billing_name = profile.billing_email = profile.billing_phone = None
    else:
        profile.billing_name = billing["name"].strip()
        profile.billing_email = billing["email"].strip().lower()
        profile.billing_phone = billing["phone"].strip()
    profile.updated_at = clock.now()
    profile.updated_by = account_id
    session.add(profile)
    session.flush()
    return profile


def update_profile(work, clock, account_id, organization, data):
    """Save the profile of `organization` (an authorized {"id", "name"}); audit who changed
    what; emit `profile_updated` once it is complete (billing keeps the billing contact)."""
    before = profile_view(work.session.get(Profile, organization["id"]))
    profile = save_profile(work.session, clock, organization["id"], account_id, data)
    view = profile_view(profile)
    if view["complete"]:
        work.emit("profile_updated", {
            "organization_id": organization["id"],
            "organization_name": organization["name"],
            "billing_contact": billing_contact(profile),
            "coordinator": view["coordinator"]})
    audit.record(work.session, clock, "profile_updated", account_id=account_id,
                 organization_id=organization["id"], changed=changed_fields(before, view),
                 complete=view["complete"])
    return view
