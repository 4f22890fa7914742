"""Error reports (the DEBUG 500 page, and the mail to ADMINS) that never show a credential.

Django's own filter hides settings and request META entries whose *names* look secret
(API, KEY, PASS, SECRET, TOKEN, ...). That misses three kinds of leak here:
  - names it does not recognise: `WORKSPACE_SK`, `HUAWEICLOUD_SDK_SK` (in META, because
    runserver hands the process environment to every request);
  - secrets inside a value: the password in `DATABASE_URL` or `EMAIL_URL`;
  - secrets in a traceback's local variables (`sk`, a config object that holds it).
So the filter below widens the name rule and also masks URL passwords, and the reporter
replaces every known secret value (from settings and the environment, by the same name
rule) wherever it appears in the finished report. A variable added later, such as
`LDAP_BIND_PASSWORD`, `OIDC_CLIENT_SECRET`, `*_TOKEN` or `*_KEY`, is covered by its name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

CLEANSED = "********************"
# Django's names plus the cloud SDK's short ones (AK, SK), credentials and private keys.
SECRET_NAME = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|PWD|SIGNATURE|COOKIE|CREDENTIAL|PRIVATE|SESSION"
    r"|(^|_)[AS]K($|_)",
    re.IGNORECASE,
)
# Whose values are replaced anywhere in a report: narrower, so that ordinary values under
# names like SESSION_ENGINE or AUTHENTICATION_BACKENDS (module paths) stay readable.
SECRET_VALUE_NAME = re.compile(
    r"TOKEN|KEY|SECRET|PASS|PWD|CREDENTIAL|PRIVATE|(^|_)[AS]K($|_)", re.IGNORECASE
)
NOT_SECRET_NAMES = frozenset({"PASSWORD_HASHERS", "AUTH_PASSWORD_VALIDATORS"})
# scheme://user:password@host -> the password part.
URL_PASSWORD = re.compile(
    r"(?P<prefix>[a-z][a-z0-9+.\-]*://[^:/@\s]*:)(?P<password>[^@\s]+)@", re.I
)
# Values too short to be a secret would mask ordinary words ("0", "true") all over the page.
MIN_SECRET_LENGTH = 6


def mask_url_passwords(text: str) -> str:
    """Replace the password of every URL in `text` (user:password@host)."""
    return URL_PASSWORD.sub(lambda match: f"{match['prefix']}{CLEANSED}@", text)


def _strings_in(value) -> Iterable[str]:
    if isinstance(value, str):
        yield str(value)  # a lazy string (some settings are) becomes a plain one
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)


def _secrets_under_secret_names(values: dict) -> Iterable[str]:
    for name, value in values.items():
        if name in NOT_SECRET_NAMES:
            continue
        if SECRET_VALUE_NAME.search(str(name)):
            yield from _strings_in(value)
        elif isinstance(value, dict):
            yield from _secrets_under_secret_names(value)


def known_secret_values() -> set[str]:
    """Every secret string the process knows: by name in settings and environment, URL passwords."""
    named = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    found = set(_secrets_under_secret_names(named))
    found |= set(_secrets_under_secret_names(dict(os.environ)))
    for text in [*_strings_in(list(named.values())), *os.environ.values()]:
        found |= {match["password"] for match in URL_PASSWORD.finditer(text)}
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """Return `text` with URL passwords and every known secret value replaced."""
    text = mask_url_passwords(text)
    # Longest first, so that a secret containing another is replaced whole.
    for secret in sorted(secrets if secrets is not None else known_secret_values(), key=len)[::-1]:
        text = text.replace(secret, CLEANSED)
    return text


class SecretHidingFilter(SafeExceptionReporterFilter):
    """Hide settings, META entries and local variables by a wider name rule; mask URL passwords."""

    hidden_settings = SECRET_NAME

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:  # not a lazy or other str-like object: leave those be
            return mask_url_passwords(cleansed)
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]


class SecretHidingReporter(ExceptionReporter):
    """The report, with every known secret value replaced wherever it still appears."""

    def get_traceback_html(self):
        return scrub(super().get_traceback_html())

    def get_traceback_text(self):
        return scrub(super().get_traceback_text())
