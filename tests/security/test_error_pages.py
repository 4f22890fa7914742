"""Item 1: no error page shows a credential, whatever DEBUG says and wherever it hides."""

import logging
import os

import pytest
from django.core import mail
from django.test import Client
from django.utils.log import AdminEmailHandler

from tests.security.conftest import leaked
from workspace_admin.error_reports import SecretHidingReporter, scrub

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_site(settings, fake_secrets):
    settings.ROOT_URLCONF = "tests.security.urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DATABASES["default"]["PASSWORD"] = "FAKE-DB-PASSWORD-Kc8Jd6Hs"
    client = Client(raise_request_exception=False)
    return client


def runserver_environ() -> dict:
    """runserver (wsgiref) copies the process environment into every request's META."""
    return {name: value for name, value in os.environ.items() if name.isupper()}


@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_500_page_shows_no_credential(failing_site, settings, accept):
    settings.DEBUG = True
    response = failing_site.get("/boom/", HTTP_ACCEPT=accept, **runserver_environ())
    assert response.status_code == 500
    page = response.content.decode()
    assert "signing failed" in page, "not Django's debug page"
    assert "WORKSPACE_SK" in page and "HUAWEICLOUD_SDK_SK" in page  # named, not shown
    assert leaked(page) == []


def test_the_production_500_page_shows_no_credential(failing_site, settings):
    settings.DEBUG = False
    response = failing_site.get("/boom/", **runserver_environ())
    assert response.status_code == 500
    assert leaked(response.content.decode()) == []


def test_the_error_mail_to_admins_shows_no_credential(failing_site, settings):
    settings.DEBUG = False
    settings.ADMINS = ["ops@example.com"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    handler = logging.getLogger("django.request")
    admin_mail = AdminEmailHandler(include_html=True)
    handler.addHandler(admin_mail)
    try:
        failing_site.get("/boom/", **runserver_environ())
    finally:
        handler.removeHandler(admin_mail)
    assert mail.outbox, "no error mail was sent"
    message = mail.outbox[-1]
    bodies = [message.body, *(alternative[0] for alternative in message.alternatives)]
    assert "signing failed" in message.body
    assert leaked("\n".join(str(body) for body in bodies)) == []


def test_a_secret_under_a_name_added_later_is_hidden_by_its_name(settings, rf):
    settings.DEBUG = True
    settings.SOME_NEW_SERVICE_TOKEN = "FAKE-NEW-TOKEN-Pp9Oo8Ii"
    settings.VAULT_CREDENTIALS = {"role": "app", "secret_id": "FAKE-VAULT-ID-Uu7Yy6Tt"}
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        reporter = SecretHidingReporter(rf.get("/"), type(error), error, error.__traceback__)
        html = reporter.get_traceback_html()
    assert "SOME_NEW_SERVICE_TOKEN" in html
    assert "FAKE-NEW-TOKEN-Pp9Oo8Ii" not in html
    assert "FAKE-VAULT-ID-Uu7Yy6Tt" not in html


def test_module_paths_under_secret_looking_names_stay_readable(settings, rf):
    settings.DEBUG = True
    assert "django.contrib.sessions.backends.db" in scrub("django.contrib.sessions.backends.db")
    assert "axes.backends.AxesStandaloneBackend" in scrub("axes.backends.AxesStandaloneBackend")
