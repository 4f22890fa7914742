"""workspace_admin/directory_settings.py: every variable documented, blanks mean defaults."""

import re
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from workspace_admin.directory_settings import directory_settings

ROOT = Path(__file__).resolve().parents[2]


def settings_from(values: dict[str, str]) -> dict:
    env = environ.Env()
    env.ENVIRON = values
    return directory_settings(env)


def example_values() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


def test_every_variable_is_in_env_example_with_a_comment():
    source = (ROOT / "workspace_admin" / "directory_settings.py").read_text()
    names = set(re.findall(r'(?:env\.\w+\(|_text\(env, )"([A-Z_]+)"', source))
    assert len(names) > 20
    lines = (ROOT / ".env.example").read_text().splitlines()
    for name in names:
        [index] = [i for i, line in enumerate(lines) if line.startswith(f"{name}=")]
        assert lines[index - 1].startswith("# "), name


def test_env_example_as_it_stands_means_local_accounts_only():
    values = settings_from(example_values())
    assert values["AUTH_LDAP_SERVER_URI"] == ""
    assert values["OIDC_ENABLED"] is False
    assert values["LOCAL_LOGIN_FOR"] == "all"
    assert values["DIRECTORY_RECHECK_MINUTES"] == 15


def test_a_configured_directory_limits_local_sign_in_to_staff():
    assert settings_from({"LDAP_SERVER_URI": "ldaps://dc1"})["LOCAL_LOGIN_FOR"] == "staff"
    sso = settings_from({"OIDC_ISSUER": "https://idp", "OIDC_CLIENT_ID": "c"})
    assert sso["LOCAL_LOGIN_FOR"] == "staff"
    [app] = sso["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"]
    assert app["settings"]["oauth_pkce_enabled"] is True


@pytest.mark.parametrize(
    "values",
    [
        {"LOCAL_LOGIN_FOR": "nobody"},
        {"LDAP_GROUP_TYPE": "novell"},
        {"LDAP_HELPDESK_GROUP": "cn=helpdesk,dc=x"},
        {"OIDC_ISSUER": "https://idp"},
    ],
)
def test_mistakes_are_refused_at_start(values):
    with pytest.raises(ImproperlyConfigured):
        settings_from(values)
