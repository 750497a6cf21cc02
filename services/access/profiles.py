"""Organization profiles: who coordinates, who is the second contact, who gets invoices."""
from sqlalchemy import select

from services.access import audit, changes
from services.access.models import Organization, Profile
from services.access.schemas import ProfileIn
from services.common.validation import load


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
                "billing_contact": dict(empty, same_as_coordinator=False),
                "expiry_reminders": True, "complete": False}
    return {
        "coordinator": {"name": profile.coordinator_name, "email": profile.coordinator_email,
                        "phone": profile.coordinator_phone},
        "second_contact": {"role": profile.second_role, "name": profile.second_name,
                           "email": profile.second_email, "phone": profile.second_phone},
        "billing_contact": dict(billing_contact(profile),
                                same_as_coordinator=profile.billing_same_as_coordinator),
        "expiry_reminders": profile.expiry_reminders is not False,
        "complete": is_complete(profile),
    }


def changed_fields(before, after):
    """Which parts of a profile view changed: ["coordinator.email", ...]."""
    changed = []
    for part in ("coordinator", "second_contact", "billing_contact"):
        for field in sorted(set(before[part]) | set(after[part])):
            if before[part].get(field) != after[part].get(field):
                changed.append("{}.{}".format(part, field))
    if before["expiry_reminders"] != after["expiry_reminders"]:
        changed.append("expiry_reminders")
    return sorted(changed)


def save_profile(session, clock, organization_id, account_id, data):
    """Replace the profile with `data`, checked by ProfileIn here, whoever calls."""
    data = load(ProfileIn, data)
    profile = session.get(Profile, organization_id) or Profile(organization_id=organization_id)
    coordinator, second = data["coordinator"], data["second_contact"]
    billing = data["billing_contact"]
    profile.coordinator_name = coordinator["name"]
    profile.coordinator_email = coordinator["email"]
    profile.coordinator_phone = coordinator["phone"]
    profile.second_role = second["role"]
    profile.second_name = second["name"]
    profile.second_email = second["email"]
    profile.second_phone = second["phone"]
    profile.billing_same_as_coordinator = billing["same_as_coordinator"]
    if profile.billing_same_as_coordinator:
        profile.billing_name = profile.billing_email = profile.billing_phone = None
    else:
        profile.billing_name = billing["name"]
        profile.billing_email = billing["email"]
        profile.billing_phone = billing["phone"]
    if data.get("expiry_reminders") is not None:  # left out (an older client): unchanged
        profile.expiry_reminders = data["expiry_reminders"]
    elif profile.expiry_reminders is None:
        profile.expiry_reminders = True
    profile.updated_at = clock.now()
    profile.updated_by = account_id
    session.add(profile)
    session.flush()
    return profile


def profile_updated(organization, profile, view):
    """The `profile_updated` event of a complete profile."""
    return {"organization_id": organization["id"],
            "organization_name": organization["name"],
            "billing_contact": billing_contact(profile),
            "coordinator": view["coordinator"],
            "expiry_reminders": view["expiry_reminders"]}


def announce_complete_profiles(work):
    """`profile_updated` again for every complete profile, so that a consumer that came
    after them (vouchers' expiry reminders keep the coordinator) learns them; the others
    apply it as the same profile saved once more. Returns how many were announced."""
    events = []
    for profile, organization in work.session.execute(
            select(Profile, Organization).join(
                Organization, Organization.id == Profile.organization_id)
            .order_by(Profile.organization_id)):
        view = profile_view(profile)
        if view["complete"]:
            events.append(profile_updated(
                {"id": organization.id, "name": organization.name}, profile, view))
    work.emit_many("profile_updated", events)
    return len(events)


def update_profile(work, clock, account_id, organization, data):
    """Save the profile of `organization` (an authorized {"id", "name"}); audit who changed
    what; emit `profile_updated` once it is complete (billing keeps the billing contact)."""
    before = profile_view(work.session.get(Profile, organization["id"]))
    profile = save_profile(work.session, clock, organization["id"], account_id, data)
    view = profile_view(profile)
    if view["complete"]:
        work.emit("profile_updated", profile_updated(organization, profile, view))
    changes.organization_changed(work, organization["id"], "profile_updated")
    audit.record(work.session, clock, "profile_updated", account_id=account_id,
                 organization_id=organization["id"], changed=changed_fields(before, view),
                 complete=view["complete"])
    return view
