"""Fixtures for directory sign-in: a real slapd, a real OpenID provider, and desktops.

slapd and Node are needed; where they are missing the tests are skipped with the reason,
except in CI (REQUIRE_DIRECTORY_SERVERS=1, set by .ci/run), where that is a failure.
"""

import os
import shutil

import environ
import pytest

from tests.directory import slapd as slapd_tree

REQUIRED = os.environ.get("REQUIRE_DIRECTORY_SERVERS") == "1"


def require(tool: str, hint: str) -> None:
    if shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"):
        return
    if REQUIRED:
        pytest.fail(f"REQUIRE_DIRECTORY_SERVERS=1 but {tool} is not installed ({hint})")
    pytest.skip(f"{tool} is not installed ({hint})")


def apply_directory_env(settings, values: dict[str, str]) -> None:
    """Apply the settings directory_settings() makes of these environment values."""
    from workspace_admin.directory_settings import directory_settings

    env = environ.Env()
    env.ENVIRON = values
    for name, value in directory_settings(env).items():
        setattr(settings, name, value)


def ldap_env(uri: str, **overrides: str) -> dict[str, str]:
    return {
        "LDAP_SERVER_URI": uri,
        "LDAP_BIND_DN": slapd_tree.READER_DN,
        "LDAP_BIND_PASSWORD": slapd_tree.READER_PASSWORD,
        "LDAP_USER_SEARCH_BASE": slapd_tree.PEOPLE,
        "LDAP_USER_FILTER": slapd_tree.USER_FILTER,
        "LDAP_GROUP_SEARCH_BASE": slapd_tree.GROUPS,
        "LDAP_HELPDESK_GROUP": slapd_tree.HELPDESK_GROUP,
        "LDAP_AUDITOR_GROUP": slapd_tree.AUDITOR_GROUP,
        "LDAP_END_USER_GROUP": slapd_tree.END_USER_GROUP,
        "LDAP_TIMEOUT_SECONDS": "2",
        **overrides,
    }


@pytest.fixture(scope="session")
def slapd():
    require("slapd", "apt-get install slapd ldap-utils")
    with slapd_tree.running_slapd() as server:
        yield server


@pytest.fixture
def ldap_directory(slapd, settings, db):
    """The dashboard signing in against `slapd` (role groups set); yields the server."""
    apply_directory_env(settings, ldap_env(slapd.uri))
    return slapd


@pytest.fixture
def desktops(db):
    """Two desktops of alice.wong (one shared with bob), one of bob.martin."""
    from django.utils import timezone

    from disks.models import Desktop

    def desktop(desktop_id: str, name: str, *users: str) -> Desktop:
        row = Desktop.objects.create(
            desktop_id=desktop_id,
            computer_name=name,
            status="ACTIVE",
            user_name=users[0],
            synced_at=timezone.now(),
        )
        for user_name in users:
            row.users.create(user_name=user_name.casefold())
        return row

    return [
        desktop("d-alice-1", "ALICE-PC-01", "Alice.Wong"),
        desktop("d-alice-2", "SHARED-PC-07", "bob.martin", "alice.wong"),
        desktop("d-bob-1", "BOB-PC-01", "bob.martin"),
    ]


@pytest.fixture(scope="session")
def oidc_provider():
    """The OpenID provider, for the Django test client (callback on http://testserver)."""
    from tests.directory.oidc import CALLBACK_PATH, running_oidc_provider

    require("node", "Node.js 20 or later")
    with running_oidc_provider(f"http://testserver{CALLBACK_PATH}") as provider:
        yield provider


@pytest.fixture
def sso(oidc_provider, settings, db):
    """The dashboard with single sign-on through `oidc_provider`; yields the provider."""
    apply_directory_env(settings, oidc_provider.env())
    return oidc_provider
