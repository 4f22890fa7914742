"""Directory sign-in settings (LDAP / Active Directory, OpenID Connect) from the environment.

`directory_settings(env)` returns a dict of Django settings that settings.py merges in. With
neither LDAP_SERVER_URI nor OIDC_ISSUER set, nothing changes: local accounts only, as in
`make run`. The code that uses these lives in disks/directory/.
"""

import environ
import ldap
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import (
    GroupOfNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

# LDAP_GROUP_TYPE: the group object class and how membership is stored.
_GROUP_TYPES = {
    "group_of_names": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "active_directory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
    "posix": (PosixGroupType, "(objectClass=posixGroup)"),
}


def _text(env: environ.Env, name: str, default: str) -> str:
    """The variable's value; its default when unset or blank (.env.example lists it blank)."""
    return env.str(name, default="") or default


def directory_settings(env: environ.Env) -> dict:
    """Return the Django settings for directory sign-in, read from `env`."""
    ldap_settings, oidc_settings = _ldap_settings(env), _oidc_settings(env)
    configured = bool(ldap_settings["AUTH_LDAP_SERVER_URI"] or oidc_settings["OIDC_ENABLED"])
    local_login_for = _text(env, "LOCAL_LOGIN_FOR", "staff" if configured else "all")
    if local_login_for not in ("staff", "all"):
        raise ImproperlyConfigured("LOCAL_LOGIN_FOR is 'staff' or 'all'.")
    return {
        **ldap_settings,
        **oidc_settings,
        "LOCAL_LOGIN_FOR": local_login_for,
        "DIRECTORY_RECHECK_MINUTES": float(_text(env, "DIRECTORY_RECHECK_MINUTES", "15")),
        # Directory and SSO users have no password here; "DOMAIN\name" spellings count as one
        # name for the lock-out.
        "AXES_USERNAME_CALLABLE": "disks.directory.usernames.axes_username",
    }


def _ldap_settings(env: environ.Env) -> dict:
    group_type_name = _text(env, "LDAP_GROUP_TYPE", "group_of_names")
    if group_type_name not in _GROUP_TYPES:
        raise ImproperlyConfigured(
            f"LDAP_GROUP_TYPE is one of {', '.join(_GROUP_TYPES)}, not {group_type_name!r}."
        )
    group_type, group_filter = _GROUP_TYPES[group_type_name]
    role_groups = {
        "helpdesk": env.str("LDAP_HELPDESK_GROUP", default=""),
        "auditor": env.str("LDAP_AUDITOR_GROUP", default=""),
        "end_user": env.str("LDAP_END_USER_GROUP", default=""),
    }
    group_base = env.str("LDAP_GROUP_SEARCH_BASE", default="")
    if any(role_groups.values()) and not group_base:
        raise ImproperlyConfigured("LDAP_*_GROUP is set: set LDAP_GROUP_SEARCH_BASE as well.")
    timeout = int(_text(env, "LDAP_TIMEOUT_SECONDS", "5"))
    connection_options = {
        # Referrals off: Active Directory's referrals to other partitions hang searches.
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
    }
    if ca_file := env.str("LDAP_CA_CERT_FILE", default=""):
        # A private CA (typical for Active Directory); NEWCTX last, to apply it.
        connection_options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        connection_options[ldap.OPT_X_TLS_NEWCTX] = 0
    return {
        "AUTH_LDAP_SERVER_URI": env.str("LDAP_SERVER_URI", default=""),
        "AUTH_LDAP_BIND_DN": env.str("LDAP_BIND_DN", default=""),
        "AUTH_LDAP_BIND_PASSWORD": env.str("LDAP_BIND_PASSWORD", default=""),
        "AUTH_LDAP_START_TLS": env.bool("LDAP_START_TLS", default=False),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            env.str("LDAP_USER_SEARCH_BASE", default=""),
            ldap.SCOPE_SUBTREE,
            _text(env, "LDAP_USER_FILTER", "(uid=%(user)s)"),
        ),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(group_base, ldap.SCOPE_SUBTREE, group_filter),
        "AUTH_LDAP_GROUP_TYPE": group_type(),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": connection_options,
        "DIRECTORY_LDAP_ROLE_GROUPS": role_groups,
    }


def _oidc_settings(env: environ.Env) -> dict:
    issuer = env.str("OIDC_ISSUER", default="")
    client_id = env.str("OIDC_CLIENT_ID", default="")
    if issuer and not client_id:
        raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID (and the secret).")
    apps = []
    if issuer:
        apps = [
            {
                "provider_id": "sso",
                "name": _text(env, "OIDC_PROVIDER_NAME", "single sign-on"),
                "client_id": client_id,
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {
                    "server_url": issuer,
                    "oauth_pkce_enabled": True,
                    "scope": env.list("OIDC_SCOPES", default=[]) or ["openid", "profile", "email"],
                },
            }
        ]
    return {
        "OIDC_ENABLED": bool(issuer),
        "OIDC_ISSUER": issuer,
        "OIDC_PROVIDER_NAME": _text(env, "OIDC_PROVIDER_NAME", "single sign-on"),
        "OIDC_USERNAME_CLAIM": _text(env, "OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_GROUPS_CLAIM": _text(env, "OIDC_GROUPS_CLAIM", "groups"),
        "DIRECTORY_OIDC_ROLE_GROUPS": {
            "helpdesk": env.str("OIDC_HELPDESK_GROUP", default=""),
            "auditor": env.str("OIDC_AUDITOR_GROUP", default=""),
            "end_user": env.str("OIDC_END_USER_GROUP", default=""),
        },
        # django-allauth: only its OpenID Connect provider is used, never its own accounts.
        "SOCIALACCOUNT_PROVIDERS": {"openid_connect": {"APPS": apps}},
        "SOCIALACCOUNT_ADAPTER": "disks.directory.oidc.DirectorySocialAccountAdapter",
        "SOCIALACCOUNT_EMAIL_VERIFICATION": "none",
        "SOCIALACCOUNT_STORE_TOKENS": False,
        "ACCOUNT_EMAIL_VERIFICATION": "none",
    }
