"""CSRF on every POST, and no open redirect after signing in."""

import pytest
from django.test import Client
from django.urls import reverse

from disks.models import AuditEvent, DiskRequest
from tests.security.conftest import walk_urls
from tests.security.test_access_matrix import RULES, admin_paths

pytestmark = pytest.mark.django_db

ALLOWED_PERSON = {
    "helpdesk": "helpdesk",
    "own": "alice",
    "end_user": "alice",
    "auditor": "auditor",
    "signed_in": "helpdesk",
    "anyone": "helpdesk",
    "in_an_audience": "helpdesk",
    "helpdesk_or_auditor": "helpdesk",
    "admin": "helpdesk",
}


def test_every_url_refuses_a_post_without_a_csrf_token(world):
    """Whoever posts, to whatever URL: without the token, 403 and nothing changes."""
    strict = Client(enforce_csrf_checks=True)
    requests_before, events_before = DiskRequest.objects.count(), AuditEvent.objects.count()
    not_refused = []
    for name, rule in RULES.items():
        person = world["people"][ALLOWED_PERSON[rule.who]]
        strict.force_login(person)
        url = reverse(name, args=rule.args(world))
        response = strict.post(url, {"action": "submit", "reason": "x", **rule.data(world)})
        if response.status_code != 403:
            not_refused.append((name, response.status_code))
    strict.force_login(world["people"]["helpdesk"])
    for name, path in admin_paths():
        if strict.post(path, {}).status_code != 403:
            not_refused.append((name, path))
    assert not_refused == []
    assert DiskRequest.objects.count() == requests_before
    assert AuditEvent.objects.count() == events_before


def test_the_login_form_refuses_a_post_without_a_csrf_token(end_user):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("login"), {"username": "alice.wong", "password": "pw-alice.wong-1"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_the_url_conf_has_no_csrf_exempt_view():
    """Only the JSON API is exempt from Django's middleware: it takes bearer tokens, and for a
    browser's session it checks CSRF itself on writes (tests/api/test_access.py)."""
    exempt = [
        name
        for _, name, pattern in walk_urls()
        if getattr(pattern.callback, "csrf_exempt", False)
        and not (name or "").startswith("api-v1:")
    ]
    assert exempt == []


# Open redirects -------------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example.com/",
    "//evil.example.com/",
    "///evil.example.com/",
    "https:evil.example.com",
    "/\\evil.example.com",
    "\\\\evil.example.com",
    "http://testserver@evil.example.com/",
    "javascript:alert(1)",
    " https://evil.example.com",
    "https://evil.example.com%2F@testserver/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_sends_you_off_site(client, end_user, target):
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": "alice.wong", "password": "pw-alice.wong-1", "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location


def test_signing_in_follows_a_local_next(client, end_user):
    response = client.post(
        reverse("login"),
        {"username": "alice.wong", "password": "pw-alice.wong-1", "next": "/portal/"},
    )
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("target", OFF_SITE[:3])
def test_a_signed_in_visit_to_the_login_page_does_not_redirect_off_site(client, end_user, target):
    client.force_login(end_user)
    response = client.get(reverse("login"), {"next": target})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "evil" not in response["Location"]


@pytest.mark.parametrize("target", OFF_SITE[:3])
def test_signing_out_never_sends_you_off_site(client, end_user, target):
    client.force_login(end_user)
    response = client.post(reverse("logout"), {"next": target})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "evil" not in response["Location"]
