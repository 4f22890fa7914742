"""Single sign-on through a real OpenID provider (tests/directory/oidc_provider/).

The Django test client plays the dashboard's side and `sign_in_at_provider` the person at
the provider, so each test runs the whole redirect flow: discovery, state, PKCE, the code
exchange, the ID token and userinfo. tests/e2e/test_sso_flow.py does it in a browser.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from disks.models import AuditEvent
from tests.directory.oidc import ACCOUNTS, sign_in_at_provider

Action = AuditEvent.Action
PAGES = {"helpdesk": "/desktops/", "auditor": "/audit/", "end_user": "/portal/"}


def sso_sign_in(client, login: str, password: str | None = None, next_url: str = ""):
    """Start at the login page's button, sign in at the provider, come back; the response."""
    data = {"next": next_url} if next_url else {}
    start = client.post("/accounts/oidc/sso/login/", data)
    assert start.status_code == 302, start.content[:300]
    authorize_url = start["Location"]
    callback = sign_in_at_provider(authorize_url, login, password or ACCOUNTS[login]["password"])
    parts = urlsplit(callback)
    assert parts.netloc == "testserver"
    return client.get(f"{parts.path}?{parts.query}")


def test_the_login_page_offers_the_provider(client, sso):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in page
    assert 'action="/accounts/oidc/sso/login/"' in page


def test_the_login_page_has_no_sso_button_when_none_is_configured(client, db):
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


def test_the_flow_uses_state_and_pkce_and_discovers_the_issuer(client, sso):
    start = client.post("/accounts/oidc/sso/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(f"{sso.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["state"][0]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/sso/login/callback/"]


@pytest.mark.parametrize(
    ("login", "username", "roles"),
    [
        ("alice.wong", "alice.wong", {"end_user"}),
        ("hana.helpdesk", "hana.helpdesk", {"helpdesk"}),
        ("audrey.auditor", "audrey.auditor", {"auditor"}),
    ],
)
def test_an_sso_user_sees_exactly_their_audiences_pages(client, sso, login, username, roles):
    response = sso_sign_in(client, login)
    assert response.status_code == 302
    user = get_user_model().objects.get(username=username)
    assert set(user.groups.values_list("name", flat=True)) == roles
    assert not user.has_usable_password()
    for role, page in PAGES.items():
        assert client.get(page).status_code == (200 if role in roles else 403), page
    [signed_in] = AuditEvent.objects.filter(action=Action.LOGIN_SUCCEEDED)
    assert signed_in.details == {"method": "oidc"}
    assert signed_in.actor_username == username


def test_the_portal_matches_desktops_by_the_claimed_name(client, sso, desktops):
    """preferred_username is "CORP\\Alice.Wong": the desktops say "alice.wong"."""
    assert sso_sign_in(client, "alice.wong", next_url="/portal/")["Location"] == "/portal/"
    alice = get_user_model().objects.get()
    assert (alice.username, alice.email, alice.first_name) == (
        "alice.wong",
        "alice.wong@example.org",
        "Alice",
    )
    page = client.get("/portal/").content.decode()
    assert "ALICE-PC-01" in page and "SHARED-PC-07" in page and "BOB-PC-01" not in page


def test_roles_follow_the_claim_at_each_sign_in(client, sso, settings):
    sso_sign_in(client, "hana.helpdesk")
    client.logout()
    settings.DIRECTORY_OIDC_ROLE_GROUPS = {**settings.DIRECTORY_OIDC_ROLE_GROUPS, "helpdesk": "x"}
    sso_sign_in(client, "hana.helpdesk")
    assert client.get("/desktops/").status_code == 403
    changes = AuditEvent.objects.filter(action=Action.ROLE_CHANGED).order_by("sequence")
    assert [event.details["removed"] for event in changes] == [[], ["helpdesk"]]
    assert {event.details["method"] for event in changes} == {"oidc"}


def test_a_user_in_no_group_signs_in_to_a_page_saying_whom_to_ask(client, sso):
    assert sso_sign_in(client, "nina.nogroup").status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/portal/").status_code == 403


def test_a_wrong_password_at_the_provider_never_reaches_the_dashboard(client, sso):
    with pytest.raises(AssertionError, match="did not send the browser back"):
        sso_sign_in(client, "alice.wong", password="wrong")
    assert not get_user_model().objects.exists()


def test_a_forged_callback_is_refused_and_recorded(client, sso):
    client.post("/accounts/oidc/sso/login/")
    response = client.get("/accounts/oidc/sso/login/callback/?code=forged&state=forged")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "Single sign-on did not complete" in client.get("/accounts/login/").content.decode()
    assert not get_user_model().objects.exists()
    [failed] = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
    assert failed.details["method"] == "oidc"


def test_a_provider_that_does_not_answer_is_said_plainly(client, sso, settings):
    from tests.directory.conftest import apply_directory_env
    from tests.directory.slapd import free_port

    apply_directory_env(settings, sso.env(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}"))
    response = client.post("/accounts/oidc/sso/login/")
    assert response.status_code == 302
    assert "sign-in service is not answering" in client.get(response["Location"]).content.decode()
    [outage] = AuditEvent.objects.filter(action=Action.DIRECTORY_UNAVAILABLE)
    assert outage.details["method"] == "oidc"


def test_a_break_glass_account_is_not_taken_over_by_sso(client, sso, django_user_model):
    django_user_model.objects.create_superuser("hana.helpdesk", password="local-pw-1")
    response = sso_sign_in(client, "hana.helpdesk")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/desktops/").status_code == 302, "not signed in"


def test_no_token_or_secret_reaches_the_audit_history(client, sso):
    sso_sign_in(client, "alice.wong")
    recorded = " ".join(str(event.details) for event in AuditEvent.objects.all())
    assert "test-client-secret" not in recorded
    assert "sso-pw-alice" not in recorded
    assert "token" not in recorded.lower()
