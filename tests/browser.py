"""Debian's chromium for the browser tests (tests/e2e, tests/directory/test_sso_browser.py).

One chromium for the whole run (the `browser` fixture in tests/conftest.py): Playwright's sync
API allows one instance per thread at a time, whatever order the test files run in.
"""

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
