"""The SSO flow in a real browser: the login page's button, the provider's own sign-in page,
and back to the portal with the person's own desktops (Debian's chromium, Playwright)."""

import os

import pytest

from tests.browser import CHROMIUM
from tests.directory.conftest import apply_directory_env, require
from tests.directory.oidc import CALLBACK_PATH, running_oidc_provider

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM and os.environ.get("REQUIRE_BROWSER") != "1",
        reason="chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def sso_live(live_server, settings, transactional_db):
    """A provider whose client calls back to the live server, and the dashboard using it."""
    require("node", "Node.js 20 or later")
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    with running_oidc_provider(f"{live_server.url}{CALLBACK_PATH}") as provider:
        apply_directory_env(settings, provider.env())
        yield live_server


def test_an_end_user_signs_in_through_the_provider_and_lands_on_their_portal(
    browser,
    sso_live,
    desktops,
):
    context = browser.new_context(base_url=sso_live.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []  # on the dashboard's pages (the test provider has no favicon, for one)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and message.location.get("url", "").startswith(sso_live.url)
            and errors.append(message.text)
        ),
    )
    try:
        page.goto("/portal/")
        page.get_by_role("button", name="Sign in with Test IdP").click()
        page.get_by_label("IdP username").fill("alice.wong")
        page.get_by_label("IdP password").fill("sso-pw-alice")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{sso_live.url}/portal/")
        text = page.content()
        assert "ALICE-PC-01" in text and "SHARED-PC-07" in text
        assert "BOB-PC-01" not in text
        assert errors == []
    finally:
        context.close()
