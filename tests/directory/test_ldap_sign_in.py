"""Signing in with directory accounts, against a real slapd (tests/directory/slapd.py)."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from disks.models import AuditEvent
from tests.directory import slapd as tree
from tests.directory.conftest import apply_directory_env, ldap_env
from tests.directory.slapd import free_port

Action = AuditEvent.Action
LOGIN = "/accounts/login/"


def sign_in(client, username, password=None, address="203.0.113.7"):
    password = password if password is not None else f"pw-{username}"
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def audiences_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# Who sees what: each role, from the directory's groups ------------------------------------

PAGES = {"helpdesk": "/desktops/", "auditor": "/audit/", "end_user": "/portal/"}


@pytest.mark.parametrize(
    ("uid", "roles"),
    [
        ("hana.helpdesk", {"helpdesk"}),
        ("audrey.auditor", {"auditor"}),
        ("alice.wong", {"end_user"}),
        ("carl.both", {"helpdesk", "auditor"}),
    ],
)
def test_a_directory_user_sees_exactly_their_audiences_pages(client, ldap_directory, uid, roles):
    assert sign_in(client, uid).status_code == 302
    assert audiences_of(uid) == roles
    for role, page in PAGES.items():
        expected = 200 if role in roles else 403
        assert client.get(page).status_code == expected, (uid, page)


def test_the_local_record_is_created_and_updated_from_the_directory(client, ldap_directory):
    assert sign_in(client, "alice.wong").status_code == 302
    alice = get_user_model().objects.get(username="alice.wong")
    assert (alice.first_name, alice.last_name, alice.email) == (
        "Alice",
        "Wong",
        "alice.wong@example.org",
    )
    assert not alice.has_usable_password(), "the directory keeps the password, not us"
    ldap_directory.set_attribute("alice.wong", "mail", "a.wong@example.org")
    try:
        client.logout()
        assert sign_in(client, "alice.wong").status_code == 302
        alice.refresh_from_db()
        assert alice.email == "a.wong@example.org"
    finally:
        ldap_directory.set_attribute("alice.wong", "mail", "alice.wong@example.org")
    assert get_user_model().objects.filter(username__iexact="alice.wong").count() == 1


def test_the_portal_shows_the_users_own_desktops(client, ldap_directory, desktops):
    assert sign_in(client, "alice.wong").status_code == 302
    page = client.get("/portal/").content.decode()
    assert "ALICE-PC-01" in page and "SHARED-PC-07" in page
    assert "BOB-PC-01" not in page
    assert client.get("/portal/desktops/d-bob-1/disks/add/").status_code == 404


@pytest.mark.parametrize("typed", ["CORP\\alice.wong", "alice.wong@corp.example.org", "ALICE.Wong"])
def test_domain_and_case_spellings_are_the_same_person(client, ldap_directory, desktops, typed):
    response = sign_in(client, typed, password="pw-alice.wong")
    assert response.status_code == 302
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["alice.wong"]
    assert "ALICE-PC-01" in client.get("/portal/").content.decode()


# Refusals -----------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_and_recorded(client, ldap_directory):
    response = sign_in(client, "alice.wong", password="not-her-password")
    assert response.status_code == 200
    assert "didn&#x27;t match" in response.content.decode()
    assert not get_user_model().objects.exists()
    [failed] = events(Action.LOGIN_FAILED)
    assert failed.actor_username == "alice.wong"
    assert failed.details == {"method": "ldap"}


def test_an_unknown_user_is_refused(client, ldap_directory):
    assert sign_in(client, "nobody.here", password="whatever").status_code == 200
    assert not get_user_model().objects.exists()


def test_a_disabled_account_is_refused(client, ldap_directory):
    assert sign_in(client, "dan.disabled").status_code == 200
    assert not get_user_model().objects.exists()


def test_an_empty_password_is_refused(client, ldap_directory):
    # An LDAP "unauthenticated bind" with an empty password would otherwise succeed.
    assert sign_in(client, "alice.wong", password="").status_code == 200
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("username", ["*", ")(uid=*", "*)(|(uid=*", "alice.wong)(uid=*", "a*"])
def test_ldap_filter_injection_in_the_username_finds_nobody(client, ldap_directory, username):
    for password in ("pw-alice.wong", "pw-hana.helpdesk", "x"):
        assert sign_in(client, username, password=password).status_code == 200
    assert not get_user_model().objects.exists()


def test_a_user_in_no_role_group_signs_in_to_a_page_saying_whom_to_ask(client, ldap_directory):
    assert sign_in(client, "nina.nogroup").status_code == 302
    assert audiences_of("nina.nogroup") == set()
    assert client.get("/").status_code == 200
    for page in PAGES.values():
        assert client.get(page).status_code == 403


def test_without_an_end_user_group_every_directory_user_may_use_the_portal(
    client, slapd, settings, db
):
    apply_directory_env(settings, ldap_env(slapd.uri, LDAP_END_USER_GROUP=""))
    assert sign_in(client, "nina.nogroup").status_code == 302
    assert audiences_of("nina.nogroup") == {"end_user"}


# Roles follow the directory between sign-ins -----------------------------------------------


def test_removal_from_the_helpdesk_group_takes_effect_at_the_next_check(
    client, ldap_directory, settings
):
    assert sign_in(client, "hana.helpdesk").status_code == 302
    assert client.get("/desktops/").status_code == 200
    ldap_directory.remove_member(tree.HELPDESK_GROUP, "hana.helpdesk")
    try:
        assert client.get("/desktops/").status_code == 200, "not before the period has passed"
        settings.DIRECTORY_RECHECK_MINUTES = 0
        assert client.get("/desktops/").status_code == 403
    finally:
        ldap_directory.add_member(tree.HELPDESK_GROUP, "hana.helpdesk")
    changes = events(Action.ROLE_CHANGED)
    assert changes[-1].details == {
        "method": "ldap",
        "added": [],
        "removed": ["helpdesk"],
        "roles": [],
    }
    assert audiences_of("hana.helpdesk") == set()


def test_the_recheck_waits_for_the_period(client, ldap_directory, settings):
    """With the default period, a session is re-read only once its last read is that old."""
    assert sign_in(client, "hana.helpdesk").status_code == 302
    assert client.get("/desktops/").status_code == 200
    ldap_directory.remove_member(tree.HELPDESK_GROUP, "hana.helpdesk")
    try:
        session = client.session
        session["directory_checked_at"] -= timedelta(minutes=14).total_seconds()
        session.save()
        assert client.get("/desktops/").status_code == 200
        session = client.session
        session["directory_checked_at"] -= timedelta(minutes=2).total_seconds()
        session.save()
        assert client.get("/desktops/").status_code == 403
    finally:
        ldap_directory.add_member(tree.HELPDESK_GROUP, "hana.helpdesk")


def test_a_disabled_account_is_signed_out_at_the_next_check(client, ldap_directory, settings):
    assert sign_in(client, "alice.wong").status_code == 302
    assert client.get("/portal/").status_code == 200
    ldap_directory.set_attribute("alice.wong", "employeeType", "disabled")
    try:
        settings.DIRECTORY_RECHECK_MINUTES = 0
        response = client.get("/portal/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    finally:
        ldap_directory.set_attribute("alice.wong", "employeeType", None)
    [signed_out] = events(Action.DIRECTORY_SIGNED_OUT)
    assert signed_out.actor_username == "alice.wong"
    assert signed_out.details["method"] == "ldap"


def test_a_directory_outage_during_the_check_keeps_the_roles(client, ldap_directory, settings):
    assert sign_in(client, "hana.helpdesk").status_code == 302
    assert client.get("/desktops/").status_code == 200
    settings.AUTH_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}"
    settings.DIRECTORY_RECHECK_MINUTES = 0
    assert client.get("/desktops/").status_code == 200
    [outage] = events(Action.DIRECTORY_UNAVAILABLE)
    assert outage.details["method"] == "ldap"
    assert outage.details["during"] == "role recheck"


# The directory down ---------------------------------------------------------------------------


@pytest.fixture
def directory_down(slapd, settings, db):
    """LDAP configured, but nothing answers at its address."""
    apply_directory_env(settings, ldap_env(f"ldap://127.0.0.1:{free_port()}"))


def test_a_directory_outage_is_said_plainly_and_recorded(client, directory_down):
    response = sign_in(client, "alice.wong")
    assert response.status_code == 200
    assert "The directory is not answering" in response.content.decode()
    [failed] = events(Action.LOGIN_FAILED)
    assert failed.details == {"method": "ldap", "reason": "directory_unavailable"}
    [outage] = events(Action.DIRECTORY_UNAVAILABLE)
    assert outage.details == {"method": "ldap", "error": "SERVER_DOWN", "during": "sign-in"}


def test_break_glass_administrators_sign_in_while_the_directory_is_down(
    client, directory_down, django_user_model
):
    django_user_model.objects.create_superuser("root.admin", password="break-glass-pw-1")
    assert sign_in(client, "root.admin", password="break-glass-pw-1").status_code == 302
    [signed_in] = events(Action.LOGIN_SUCCEEDED)
    assert signed_in.details == {"method": "local"}


def test_only_staff_sign_in_locally_when_a_directory_is_configured(
    client, ldap_directory, django_user_model, settings
):
    django_user_model.objects.create_user("local.user", password="local-pw-1")
    assert settings.LOCAL_LOGIN_FOR == "staff"
    assert sign_in(client, "local.user", password="local-pw-1").status_code == 200
    settings.LOCAL_LOGIN_FOR = "all"
    assert sign_in(client, "local.user", password="local-pw-1").status_code == 302


def test_a_directory_entry_does_not_take_over_a_break_glass_account(
    client, ldap_directory, django_user_model
):
    admin = django_user_model.objects.create_superuser("hana.helpdesk", password="local-pw-1")
    assert sign_in(client, "hana.helpdesk").status_code == 200, "the directory's password"
    assert sign_in(client, "hana.helpdesk", password="local-pw-1").status_code == 302
    admin.refresh_from_db()
    assert admin.has_usable_password()


# Throttling and secrets -------------------------------------------------------------------------


def test_login_throttling_applies_to_directory_sign_ins(client, ldap_directory, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "alice.wong", password="wrong")
    sign_in(client, "ALICE.WONG", password="wrong")
    locked = sign_in(client, "CORP\\alice.wong", password="wrong")
    assert locked.status_code == 429, "every spelling of the name counts towards one lock"
    assert sign_in(client, "alice.wong").status_code == 429, "the right password does not lift it"
    assert events(Action.LOCKED_OUT)


def test_no_password_reaches_the_audit_history_or_the_log(client, ldap_directory, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client, "alice.wong")
    sign_in(client, "hana.helpdesk", password="a-wrong-secret-7")
    recorded = " ".join(
        f"{event.actor_username} {event.details} {event.user_agent}"
        for event in AuditEvent.objects.all()
    )
    for secret in ("pw-alice.wong", "a-wrong-secret-7", tree.READER_PASSWORD):
        assert secret not in recorded
        assert secret not in caplog.text
    assert {event.details["method"] for event in AuditEvent.objects.all()} == {"ldap"}


def test_a_user_deactivated_here_is_signed_out(client, ldap_directory):
    assert sign_in(client, "alice.wong").status_code == 302
    get_user_model().objects.filter(username="alice.wong").update(is_active=False)
    assert client.get("/portal/").status_code == 302
