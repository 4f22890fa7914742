"""Fixtures for the security suite: recognisable fake credentials, and people of every kind."""

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Fake, but each one unmistakable in a page, a log line or a database dump.
FAKE_SECRETS = {
    "HUAWEICLOUD_SDK_SK": "FAKE-SK-7Qw9vLx2TzR4pM8nB3cY",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN": "FAKE-SECURITY-TOKEN-Zk4Hq8Wd2",
    "IAM_PASSWORD": "FAKE-IAM-PASSWORD-Jv5Rt1Ny",
    "SECRET_KEY": "FAKE-DJANGO-SECRET-KEY-Gh6Pm3Qs9Lw2Xc7Vb1",
    "AUDIT_CHECKPOINT_KEY": "FAKE-CHECKPOINT-KEY-Ut8Ea4Ko",
    "LDAP_BIND_PASSWORD": "FAKE-LDAP-BIND-PASSWORD-Mn3Bv",
    "OIDC_CLIENT_SECRET": "FAKE-OIDC-CLIENT-SECRET-Xr7Lp",
    "GITLAB_API_TOKEN": "FAKE-GITLAB-TOKEN-Qa2Ws3Ed",
    "STRIPE_PRIVATE_KEY": "FAKE-STRIPE-KEY-Rf4Tg5Yh",
}
# Passwords inside URLs.
DATABASE_PASSWORD = "FAKE-DB-PASSWORD-Kc8Jd6Hs"
EMAIL_PASSWORD = "FAKE-SMTP-PASSWORD-Wq1Zx9Pl"
URL_SECRETS = {
    "DATABASE_URL": f"postgres://app:{DATABASE_PASSWORD}@db.example.com:5432/disks",
    "EMAIL_URL": f"smtp+tls://mailer:{EMAIL_PASSWORD}@smtp.example.com:587",
}
ALL_SECRET_VALUES = (*FAKE_SECRETS.values(), DATABASE_PASSWORD, EMAIL_PASSWORD)


def leaked(text: str) -> list[str]:
    """The fake secrets found in `text`."""
    return [secret for secret in ALL_SECRET_VALUES if secret in text]


@pytest.fixture
def fake_secrets(settings, monkeypatch):
    """Put the fake credentials where a deployment has them: environment and settings."""
    for name, value in {**FAKE_SECRETS, **URL_SECRETS}.items():
        monkeypatch.setenv(name, value)
    settings.WORKSPACE_SK = FAKE_SECRETS["HUAWEICLOUD_SDK_SK"]
    settings.WORKSPACE_SECURITY_TOKEN = FAKE_SECRETS["HUAWEICLOUD_SDK_SECURITY_TOKEN"]
    settings.WORKSPACE_IAM_PASSWORD = FAKE_SECRETS["IAM_PASSWORD"]
    settings.SECRET_KEY = FAKE_SECRETS["SECRET_KEY"]
    settings.AUDIT_CHECKPOINT_KEY = FAKE_SECRETS["AUDIT_CHECKPOINT_KEY"]
    settings.LDAP_BIND_PASSWORD = FAKE_SECRETS["LDAP_BIND_PASSWORD"]
    settings.OIDC_CLIENT_SECRET = FAKE_SECRETS["OIDC_CLIENT_SECRET"]
    settings.GITLAB_API_TOKEN = FAKE_SECRETS["GITLAB_API_TOKEN"]
    settings.STRIPE_PRIVATE_KEY = FAKE_SECRETS["STRIPE_PRIVATE_KEY"]
    settings.EMAIL_URL_AS_READ = URL_SECRETS["EMAIL_URL"]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "OPTIONS": {},
        },
        "smtp": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "smtp.example.com", "password": EMAIL_PASSWORD},
        },
    }
    return settings


# People of every kind, and something of Alice's for each page to show ---------------------

PERSONAS = ("anonymous", "alice", "bob", "helpdesk", "auditor", "nobody", "helpdesk_end_user")


def walk_urls(patterns=None, prefix="", namespace=None):
    """Yield (route, name, pattern) for every URL pattern of the URL conf, namespaces joined."""
    from django.urls import get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if hasattr(pattern, "url_patterns"):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from walk_urls(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


# Property-based tests: a modest number of examples, so that the suite stays fast -------------


_COMMON = {
    "deadline": None,  # pages that call the simulator vary in time; a deadline would flake
    "database": None,  # no .hypothesis/ directory in the worktree
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", max_examples=50, **_COMMON)
hypothesis_settings.register_profile("dev", max_examples=100, **_COMMON)
hypothesis_settings.register_profile("thorough", max_examples=1000, **_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
