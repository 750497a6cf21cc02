"""Browser tests: the portal in Debian's Chromium driven by Playwright, through the real
processes (`System`, as `make run` starts them) in a sandbox of their own.

`make test` installs Chromium when it is missing (scripts/ensure_package.sh); Playwright
never downloads a browser. Each test gets a fresh browser context (no cookies), and
`coordinator` signs a new coordinator in through the pages. `checked(page)` runs axe-core
on the page shown and fails on any serious or critical violation: call it on every page
a flow visits.
"""
import itertools
import os
import re
import uuid
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import portal, system, system_env  # noqa: F401 - the same fixtures

CHROMIUM = os.environ.get("CLEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-gpu", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")

pytestmark = pytest.mark.browser
_SCHOOL_ZIPS = itertools.count(40001)
_axe = Axe()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/ensure_package.sh)")
    manager = sync_playwright()
    launched = manager.start().chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()
    stop_driver(manager)


def stop_driver(manager):
    """End Playwright's driver process without waiting for it. Playwright's own stop
    (`with sync_playwright()`) waits for the process through asyncio's child watcher, a
    thread that never runs under eventlet's monkey patching (tests/conftest.py): the test
    run would hang at its end. Closing the driver's pipe ends the driver."""
    manager._client._transport.request_stop()  # playwright 1.65's own first step of stop


@pytest.fixture
def context(browser, system):
    made = browser.new_context(base_url=system.base_url, accept_downloads=True,
                               viewport={"width": 1280, "height": 900})
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context):
    return context.new_page()


def checked(page):
    """axe-core on the page shown: no serious or critical violation. Returns the page."""
    violations = [violation for violation in _axe.run(page).response["violations"]
                  if violation["impact"] in BLOCKING_IMPACTS]
    assert not violations, "{}: {}".format(page.url, [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]])
        for violation in violations])
    return page


def screenshot(page, name):
    """A picture of the page for the README (docs/screenshots/<name>.png), taken when
    CLEP_SCREENSHOTS=1 (`CLEP_SCREENSHOTS=1 make test` refreshes them)."""
    if os.environ.get("CLEP_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class Coordinator:
    """A person at the keyboard: an account made through the pages, and the steps they take."""

    def __init__(self, page, email, password, name):
        self.page, self.email, self.password, self.name = page, email, password, name

    def sign_in(self):
        page = self.page
        page.goto("/sign-in")
        page.get_by_label("Email").fill(self.email)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    def get_access(self, organization, code):
        """Welcome -> Enter access code -> Get access to My CLEP."""
        page = self.page
        page.goto("/welcome")
        page.get_by_role("link", name="Enter access code").click()
        page.get_by_label("Zip code").fill(organization["zip"])
        page.get_by_role("button", name="Find organizations").click()
        page.get_by_label("Organization name").select_option(organization["name"])
        page.get_by_label("Access code").fill(code)
        page.get_by_role("button", name="Get access").click()

    def accept_terms_if_asked(self):
        page = self.page
        if re.search(r"/terms", page.url):
            page.get_by_label("I accept the portal terms of use").check()
            page.get_by_role("button", name="Accept and continue").click()

    def complete_profile(self):
        page = self.page
        coordinator = page.get_by_role("group", name="CLEP coordinator")
        coordinator.get_by_label("Name").fill(self.name)
        coordinator.get_by_label("Email").fill(self.email)
        coordinator.get_by_label("Phone").fill("313-555-0100")
        second = page.get_by_role("group", name="Principal or alternate coordinator")
        second.get_by_label("Principal").check()
        second.get_by_label("Name").fill("Dana Principal")
        second.get_by_label("Email").fill("principal@example.org")
        second.get_by_label("Phone").fill("313-555-0101")
        page.get_by_label("Same as coordinator").check()
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Profile saved.")).to_be_visible()


@pytest.fixture
def new_coordinator(page):
    """Make a coordinator through Create account (signed in afterwards)."""
    def make(name="Pat Coordinator"):
        email = f"coordinator-{uuid.uuid4().hex[:10]}@example.org"
        password = f"a long password {uuid.uuid4().hex[:6]}"
        page.goto("/create-account")
        page.get_by_label("Full name").fill(name)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Create account").click()
        expect(page).to_have_url(re.compile(r"/welcome$"))
        return Coordinator(page, email, password, name)
    return make


@pytest.fixture
def coordinator(new_coordinator, portal):  # noqa: F811 - the fixture imported above
    """A signed-in coordinator with access to a new school and its profile complete, in the
    browser: returns (Coordinator, organization)."""
    portal.set_fees()
    # a name people would read in the screenshots; zip codes keep each one unique
    school = portal.register_organization(name="Lincoln High School",
                                          zip=str(next(_SCHOOL_ZIPS)))
    code = portal.issue_access_code(school["id"])
    person = new_coordinator()
    person.get_access(school, code)
    person.accept_terms_if_asked()
    person.complete_profile()
    return person, school
