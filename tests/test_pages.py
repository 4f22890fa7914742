"""Every page needs a login; static files come from whitenoise; the CSP is strict."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_request_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_login_page_is_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_signed_in_user_sees_home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Welcome, sam" in response.content


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    # WhiteNoise answers before Django's views: its responses carry its own headers.
    assert response.headers["Content-Type"].startswith("text/css")
    assert "max-age" in response.headers["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"/* Workspace Disk Admin")


def test_htmx_is_served_from_static_not_a_cdn(client):
    page = client.get("/accounts/login/").content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert any(src.endswith("htmx-2.min.js") for src in sources), sources
    # Our own origin only: static files, and the JavaScript translation catalog (/jsi18n/).
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert all(client.get(src).status_code == 200 for src in sources)


def test_content_security_policy_is_strict(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("url", ["/accounts/login/", "/"])
def test_pages_carry_no_inline_script_or_style(client, user, url):
    if url != "/accounts/login/":
        client.force_login(user)
    page = client.get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " style=" not in page
    assert "<style" not in page
