"""The portal's page plumbing: every page is served (none shadowed by an API route of the
same name), redirects stay on this site, and forms become the API's input (issue 9)."""
import pytest
from nameko.web.handlers import HttpRequestHandler

from gateway.portal.forms import field_messages, nested, typed
from gateway.portal.organization_pages import academic_years, profile_from_form
from gateway.portal.pages import PAGES, local_path, with_flag
from gateway.routing import ROUTES
from gateway.service import GatewayService
from services.common.academic_year import AcademicYear


def test_every_page_and_route_is_an_entrypoint_of_the_gateway():
    entrypoints = set(http_entrypoints(GatewayService))
    for method, path, name in PAGES:
        assert (method, path, name) in entrypoints, "page {} {} is shadowed".format(method, path)
    served = {(method, url) for method, url, _ in entrypoints}
    for route in ROUTES:
        assert (route.method, route.path) in served, "{} {}".format(route.method, route.path)
    names = [name for _, _, name in PAGES]
    assert len(names) == len(set(names))


def http_entrypoints(service_class):
    """(method, url, method name) of each HTTP entrypoint the class really has."""
    for name in dir(service_class):
        for extension in getattr(getattr(service_class, name), "nameko_entrypoints", ()):
            if isinstance(extension, HttpRequestHandler):
                yield extension.method, extension.url, name


@pytest.mark.parametrize("value, expected", [
    ("/organizations/3/orders?academic_year=2025-26", "/organizations/3/orders?academic_year=2025-26"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
    (None, "/"),
])
def test_next_pages_stay_on_this_site(value, expected):
    assert local_path(value) == expected


def test_forms_become_the_apis_nested_input_without_blanks():
    form = {"coordinator.name": "  Pat  ", "coordinator.email": "", "second_contact.role": "alternate"}
    assert typed(form, ("coordinator.name", "coordinator.email", "second_contact.role")) == {
        "coordinator.name": "Pat", "second_contact.role": "alternate"}
    assert nested({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


def test_same_as_coordinator_drops_the_billing_fields():
    data = profile_from_form({"billing_contact.same_as_coordinator": "yes",
                              "billing_contact.name": "Someone", "coordinator.name": "Pat"})
    assert data["billing_contact"] == {"same_as_coordinator": True}
    data = profile_from_form({"billing_contact.name": "Lee"})
    assert data["billing_contact"] == {"same_as_coordinator": False, "name": "Lee"}


def test_missing_fields_are_asked_for_in_the_pages_words():
    messages = field_messages({"quantity": ["Missing data for required field."],
                               "email": ["Not a valid email address."],
                               "po_number": ["At most 50 characters."]},
                              {"quantity": "the number of vouchers", "email": "your email"})
    assert messages == {"quantity": "Enter the number of vouchers.",
                        "email": "Enter your email in the right format, like name@example.org.",
                        "po_number": "At most 50 characters."}


def test_the_year_selector_offers_the_current_year_and_the_four_before():
    assert academic_years(AcademicYear(2026)) == ["2026-27", "2025-26", "2024-25", "2023-24",
                                                  "2022-23"]


def test_a_flag_goes_into_the_query_before_the_fragment():
    assert with_flag("/organizations/5/orders/7", "saved") == "/organizations/5/orders/7?saved=1"
    assert with_flag("/organizations/5/orders?academic_year=2026-27&open=5#order-5", "saved") \
        == "/organizations/5/orders?academic_year=2026-27&open=5&saved=1#order-5"
