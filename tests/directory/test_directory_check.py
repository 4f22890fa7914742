"""manage.py directory_check: what the settings make of one person."""

import pytest
from django.core.management import CommandError, call_command

from tests.directory import slapd as tree
from tests.directory.conftest import apply_directory_env, ldap_env
from tests.directory.slapd import free_port


def check(username: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("directory_check", username, stdout=out)
    return out.getvalue()


def test_it_shows_the_dn_groups_roles_and_desktops(ldap_directory, desktops):
    out = check("CORP\\carl.both")
    assert "user name: carl.both" in out
    assert f"DN: {tree.dn_of('carl.both')}" in out
    assert tree.HELPDESK_GROUP in out and tree.AUDITOR_GROUP in out
    assert "roles: auditor, helpdesk" in out
    assert tree.READER_PASSWORD not in out
    out = check("alice.wong")
    assert "roles: end_user" in out
    assert "desktops: 2" in out and "ALICE-PC-01" in out and "BOB-PC-01" not in out


def test_an_unknown_or_disabled_user_is_an_error(ldap_directory):
    for username in ("nobody.here", "dan.disabled", "*"):
        with pytest.raises(CommandError, match="has no user"):
            check(username)


def test_a_directory_that_does_not_answer_is_an_error(slapd, settings, db):
    apply_directory_env(settings, ldap_env(f"ldap://127.0.0.1:{free_port()}"))
    with pytest.raises(CommandError, match="not answering"):
        check("alice.wong")


def test_it_checks_the_openid_providers_discovery(sso):
    out = check("alice.wong")
    assert f"token_endpoint: {sso.issuer}/token" in out
    assert "LDAP: not configured" in out
