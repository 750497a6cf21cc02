"""Organization profiles: who coordinates, who is the second contact, who gets invoices."""
from services.access.models import Profile


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


def save_profile(session, clock, organization_id, account_id, data):
    """Replace the profile with `data` (already validated by the gateway's schema)."""
    profile = session.get(Profile, organization_id) or Profile(organization_id=organization_id)
    coordinator, second, billing = data["coordinator"], data["second_contact"], data["billing_contact"]
    profile.coordinator_name = coordinator["name"]
    profile.coordinator_email = coordinator["email"].lower()
    profile.coordinator_phone = coordinator["phone"]
    profile.second_role = second["role"]
    profile.second_name = second["name"]
    profile.second_email = second["email"].lower()
    profile.second_phone = second["phone"]
    profile.billing_same_as_coordinator = bool(billing.get("same_as_coordinator"))
    if profile.billing_same_as_coordinator:
        profile.billing_name = profile.billing_email = profile.billing_phone = None
    else:
        profile.billing_name = billing.get("name")
        profile.billing_email = (billing.get("email") or "").lower() or None
        profile.billing_phone = billing.get("phone")
    profile.updated_at = clock.now()
    profile.updated_by = account_id
    session.add(profile)
    session.flush()
    return profile
