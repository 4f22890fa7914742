"""A real OpenID provider (the npm package oidc-provider) on a free loopback port.

Its configuration is oidc_provider/server.mjs with the people in oidc_provider/accounts.json.
`npm ci` installs its packages the first time (or .ci/run does).
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.directory.slapd import free_port

HERE = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID, CLIENT_SECRET = "workspace-admin", "test-client-secret"
CALLBACK_PATH = "/accounts/oidc/sso/login/callback/"
ACCOUNTS = json.loads((HERE / "accounts.json").read_text())


@dataclass
class OpenIDProvider:
    issuer: str

    def env(self, **overrides: str) -> dict[str, str]:
        """The dashboard's environment for this provider, with role groups set."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_PROVIDER_NAME": "Test IdP",
            "OIDC_HELPDESK_GROUP": "helpdesk-staff",
            "OIDC_AUDITOR_GROUP": "auditors",
            "OIDC_END_USER_GROUP": "desktop-users",
            **overrides,
        }


def npm_ci() -> None:
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=HERE,
            check=True,
            timeout=300,
        )


@contextlib.contextmanager
def running_oidc_provider(redirect_uri: str) -> Iterator[OpenIDProvider]:
    """Start the provider for one client whose callback is `redirect_uri`; stop it after."""
    npm_ci()
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("node") or "node", "server.mjs"],
        cwd=HERE,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PORT": str(port),
            "REDIRECT_URI": redirect_uri,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        issuer = _wait_until_ready(process)
        yield OpenIDProvider(issuer=issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 20
    line = process.stdout.readline()  # "ready <issuer>", or nothing if it died
    if not line.startswith("ready "):
        process.kill()
        raise RuntimeError(f"the OpenID provider did not start: {process.stderr.read()[-2000:]}")
    issuer = line.split()[1]
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.ConnectionError):
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            return issuer
        time.sleep(0.05)
    raise RuntimeError("the OpenID provider did not answer")


def sign_in_at_provider(authorize_url: str, login: str, password: str) -> str:
    """Play the person at the provider: follow redirects, fill its form; return where it sends
    the browser back to (the dashboard's callback URL, with code and state)."""
    http = requests.Session()
    url, issuer_host = authorize_url, urlsplit(authorize_url).netloc
    response = http.get(url, allow_redirects=False, timeout=5)
    while response.is_redirect:
        url = requests.compat.urljoin(url, response.headers["Location"])
        if urlsplit(url).netloc != issuer_host:
            return url
        response = http.get(url, allow_redirects=False, timeout=5)
    form_action = url.rstrip("/") + "/login"
    response = http.post(
        form_action, data={"login": login, "password": password}, allow_redirects=False, timeout=5
    )
    while response.is_redirect:
        url = requests.compat.urljoin(form_action, response.headers["Location"])
        if urlsplit(url).netloc != issuer_host:
            return url
        response = http.get(url, allow_redirects=False, timeout=5)
    raise AssertionError(f"the provider did not send the browser back: {response.text[:300]}")
