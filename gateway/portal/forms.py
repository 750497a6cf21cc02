"""Forms: what a person typed, in the shape the API's schemas take, and their errors in
the words of the page.

Inputs are named like the API's fields, nested with dots (`coordinator.email`), so the
schemas that check the JSON API check the portal too: one place for every input rule.
"""
from gateway.routing import load
from services.common.errors import ClepError, InvalidInput

# the API's words for "nothing was given", in which a page asks for the field instead
NOTHING_GIVEN = ("Missing data for required field.", "Length must be between 1 and",
                 "Required unless same_as_coordinator is true.")


def typed(form, names):
    """The named fields as typed, trimmed; blank ones left out (a blank is not a value)."""
    values = {}
    for name in names:
        value = form.get(name, "").strip()
        if value:
            values[name] = value
    return values


def nested(flat):
    """{"coordinator.email": x} -> {"coordinator": {"email": x}}"""
    tree = {}
    for name, value in flat.items():
        *parents, leaf = name.split(".")
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return tree


def checked(schema, data, labels):
    """`data` loaded by the API's schema; InvalidInput with the page's messages otherwise."""
    try:
        return load(schema, data)
    except InvalidInput as invalid:
        raise InvalidInput(invalid.code, invalid.message,
                           fields=field_messages(invalid.fields, labels))


def field_messages(fields, labels):
    """The API's {field: [messages]} as {field: one sentence}, asking for what is missing:
    "Enter <label>.", or the label itself when it is a sentence ("Select your role.")."""
    messages = {}
    for name, problems in (fields or {}).items():
        problem = problems[0] if isinstance(problems, list) and problems else str(problems)
        if problem.startswith(NOTHING_GIVEN):
            label = labels.get(name, "a value")
            problem = label if label.endswith(".") else "Enter {}.".format(label)
        elif problem == "Not a valid email address.":
            problem = "Enter {} in the right format, like name@example.org.".format(
                labels.get(name, "an email address"))
        messages[name] = problem
    return messages


def errors_of(refusal, default_field, labels=None):
    """{field: message} for a refusal shown on a form: its own fields, or else its message
    against `default_field` (the field a person should look at first)."""
    if isinstance(refusal, ClepError) and refusal.fields:
        return field_messages(refusal.fields, labels or {})
    return {default_field: refusal.message}
