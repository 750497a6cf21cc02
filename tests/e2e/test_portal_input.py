"""The portal's pages under input a browser would never send but anyone can: every answer
is a page that says what happened (never a 500, never JSON), nothing half-done, and no
redirect anywhere but this site (issue 9). On PostgreSQL, which refuses NUL characters."""
import pytest

from tests.e2e.portal import Browser

DATABASE = "postgresql"


def is_page(response, status):
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.text
    return response.text


@pytest.fixture
def school_browser(portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    return Browser(portal.base_url, account.token), school, account


ORDER = {"key": "k" * 24, "quantity": "3", "expiration_date": "", "po_number": "",
         "terms_version": "2026-07", "accept_terms": "yes"}


@pytest.mark.parametrize("quantity", ["²", "①", "٣", "1e3", "-1", "99999999999999"])
def test_a_quantity_that_is_no_number_of_ours_is_asked_again(school_browser, quantity):
    browser, school, _ = school_browser
    text = is_page(browser.post(f"/organizations/{school['id']}/orders/new/details",
                                dict(ORDER, quantity=quantity)), 400)
    assert "There is a problem" in text and "Order Details" in text


@pytest.mark.parametrize("key", ["k" * 20 + "\x00", "short", "k" * 65, "ключ" * 5])
def test_an_order_form_with_a_key_we_never_made_starts_again(school_browser, portal, key):
    browser, school, account = school_browser
    placed = browser.post(f"/organizations/{school['id']}/orders/new/place",
                          dict(ORDER, key=key))
    assert placed.status_code == 303
    assert placed.headers["Location"].endswith(f"/organizations/{school['id']}/orders/new")
    assert portal.get(f"/api/organizations/{school['id']}/orders",
                      account.headers).json()["orders"] == []


def test_an_order_form_sent_again_with_other_details_places_nothing_more(school_browser,
                                                                          portal):
    browser, school, account = school_browser
    first = browser.post(f"/organizations/{school['id']}/orders/new/place", ORDER)
    assert first.status_code == 303 and first.headers["Location"].endswith("/received")
    again = browser.post(f"/organizations/{school['id']}/orders/new/place",
                         dict(ORDER, quantity="7"))
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/orders/new?already_placed=1")
    assert "already been placed" in is_page(browser.get(again.headers["Location"]), 200)
    orders = portal.get(f"/api/organizations/{school['id']}/orders",
                        account.headers).json()["orders"]
    assert [order["quantity"] for order in orders] == [3]


def test_terms_that_changed_since_the_review_are_shown_again(school_browser, portal):
    browser, school, account = school_browser
    text = is_page(browser.post(f"/organizations/{school['id']}/orders/new/place",
                                dict(ORDER, terms_version="2019-01")), 400)
    assert "The terms have changed since you read them" in text
    assert portal.get(f"/api/organizations/{school['id']}/orders",
                      account.headers).json()["orders"] == []


@pytest.mark.parametrize("next_path", ["/a\r\nSet-Cookie: x=1", "//evil.example/",
                                       "https://evil.example/", "/\\evil.example",
                                       "/caf\u00e9"])
def test_after_signing_in_the_next_page_is_always_on_this_site(portal, next_path):
    account = portal.new_account()
    browser = Browser(portal.base_url, "none-yet")
    browser.session.cookies.clear()
    signed_in = browser.session.post(portal.base_url + "/sign-in", allow_redirects=False,
                                     headers={"Origin": portal.base_url}, timeout=30,
                                     data={"email": account.email,
                                           "password": account.password, "next": next_path})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"


def test_the_switcher_keeps_only_a_year_of_the_right_shape(school_browser):
    browser, school, _ = school_browser
    switched = browser.get("/switch-organization", params={
        "organization": school["id"], "tab": "orders", "academic_year": "2026-27\r\nX: y"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == f"/organizations/{school['id']}/orders"


@pytest.mark.parametrize("path, params", [
    ("/get-access", {"zip": "482\x00"}),
    ("/organizations/{id}/scores", {"exam": "College\x00Algebra"}),
    ("/organizations/{id}/scores", {"page": "999999999999"}),
    ("/organizations/{id}/orders", {"academic_year": "\x00"}),
    ("/organizations/{id}/orders/999999", {}),
])
def test_strange_queries_get_a_page_not_a_crash(school_browser, path, params):
    browser, school, _ = school_browser
    response = browser.get(path.format(id=school["id"]), params=params)
    assert response.status_code in (200, 404), response.text[:300]
    is_page(response, response.status_code)


def test_a_nul_in_the_get_access_form_is_a_page_with_the_zip_asked_again(school_browser):
    browser, school, _ = school_browser
    text = is_page(browser.post("/get-access", {"zip": "482\x00",
                                                "organization_name": school["name"],
                                                "access_code": "ABCD\x00"}), 400)
    assert "There is a problem" in text and 'href="#zip"' in text


def test_read_only_access_cannot_change_a_profile_whatever_it_sends(portal):
    district = portal.register_organization(kind="district")
    school = portal.register_organization(district_id=district["id"])
    account, _ = portal.coordinator_of(district)
    browser = Browser(portal.base_url, account.token)
    before = portal.get(f"/api/organizations/{school['id']}/profile", account.headers).json()
    for form in ({"coordinator.email": "not an email"}, {"coordinator.name": "Mallory"}):
        is_page(browser.post(f"/organizations/{school['id']}/profile", form), 403)
    assert portal.get(f"/api/organizations/{school['id']}/profile",
                      account.headers).json() == before


def test_a_form_over_the_size_limit_is_a_page(school_browser):
    browser, school, _ = school_browser
    response = browser.post(f"/organizations/{school['id']}/profile",
                            {"coordinator.name": "x" * (3 * 1024 * 1024)})
    is_page(response, 413)
