"""Browser tests: Playwright driving Debian's chromium against a live server and the simulator.

Where chromium is not installed they are skipped with the reason, except when
REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest

from tests.browser import CHROMIUM

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told this is fine. Browser tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def e2e_settings(settings, workspace):
    """A live dashboard on the simulator, with quick polling so jobs are watched to the end."""
    settings.STATUS_FRAGMENT_POLL_SECONDS = 1
    settings.WORKSPACE_JOB_POLL_MAX_SECONDS = 1
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    return settings


# Any CSP violation is reported as a console error, so that the one check below sees it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def open_page(
    browser,
    base_url: str,
    width: int = 1280,
    height: int = 900,
    javascript: bool = True,
    locale: str | None = None,
):
    """A new page that records console errors, uncaught exceptions and CSP violations.

    `locale` ("zh-CN") sets the browser's language, and so its Accept-Language header.
    """
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        java_script_enabled=javascript,
        locale=locale,
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error" and page.console_errors.append(f"{message.text} [{page.url}]")
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(f"uncaught: {error}"))
    return page


@pytest.fixture
def new_page(browser, live_server, e2e_settings):
    """Make pages as needed; each must end the test with no console error (strict CSP)."""
    pages = []

    def make(**kwargs):
        page = open_page(browser, live_server.url, **kwargs)
        pages.append(page)
        return page

    yield make
    errors = [(page.url, error) for page in pages for error in page.console_errors]
    for page in pages:
        page.context.close()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def page(new_page):
    return new_page()


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(f"pw-{user.username}-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def follow(page, link) -> None:
    """Click a link and wait for the page it opens to load.

    A check that reads the page straight after click() can catch the old document being
    replaced and see an empty body.
    """
    with page.expect_navigation():
        link.click()


def assert_accessible(page, what: str) -> None:
    """Run axe-core on the page in the light and the dark theme: no WCAG 2.2 A/AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        results = Axe().run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, f"{what} ({scheme}):\n{results.generate_report()}"
    page.emulate_media(color_scheme="light")


# Every element of a data table must lie inside the phone's width: no clipped column and
# no scrolling inside a box. Returns the offenders.
CLIPPED_AT_PHONE_WIDTH = """
(width) => {
  const out = [];
  for (const el of document.querySelectorAll("main table th, main table td, .table-wrap")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.closest("details:not([open])") || el.closest(".visually-hidden")) continue;
    if (el.matches("thead th") && getComputedStyle(el.closest("thead")).position === "absolute") continue;
    if (box.right > width + 0.5 || box.left < -0.5 || el.scrollWidth > el.clientWidth + 1) {
      out.push(`${el.tagName.toLowerCase()}: ${(el.textContent || "").trim().slice(0, 40)}`);
    }
  }
  return out;
}
"""


def assert_fits_phone_width(page, what: str) -> None:
    """At 375 px: no sideways scroll, and no table cell cut off or scrolling in its box."""
    page.set_viewport_size({"width": 375, "height": 800})
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 375, f"{what} is {overflow}px wide at 375px"
        clipped = page.evaluate(CLIPPED_AT_PHONE_WIDTH, 375)
        assert not clipped, f"{what}: clipped at 375px: {clipped}"
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def screenshot(page, name: str, *, phone: bool = False) -> None:
    """Save light and dark screenshots for the README when SCREENSHOT_DIR is set."""
    if not SCREENSHOT_DIR:
        return
    Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
    if phone:
        page.set_viewport_size({"width": 375, "height": 800})
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            path = Path(SCREENSHOT_DIR) / f"{name}-{scheme}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 1280, "height": 900})
