"""django-axes: repeated failures lock a username at an address, for a cool-off period."""

import time
from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def throttled(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    return settings


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_username_at_that_address(client, throttled, helpdesk_user):
    for _ in range(2):
        assert attempt(client, "hana.helpdesk", "wrong").status_code == 200
    locked = attempt(client, "hana.helpdesk", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    right_password = attempt(client, "hana.helpdesk", "pw-hana.helpdesk-1")
    assert right_password.status_code == 429, "the right password does not lift a lock-out"


def test_the_lock_is_per_username_and_address(client, throttled, helpdesk_user):
    for _ in range(3):
        attempt(client, "hana.helpdesk", "wrong")
    other_address = attempt(client, "hana.helpdesk", "pw-hana.helpdesk-1", address="198.51.100.2")
    assert other_address.status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, throttled, helpdesk_user):
    for _ in range(3):
        attempt(client, "hana.helpdesk", "wrong")
    time.sleep(1.2)
    assert attempt(client, "hana.helpdesk", "pw-hana.helpdesk-1").status_code == 302


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(rf, settings):
    from disks.access import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.5"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9", "the entry our one proxy appended"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.5", "fewer entries than proxies: not trusted"


def test_failures_and_the_lock_out_are_in_the_audit_history(client, throttled, helpdesk_user):
    from disks.models import AuditEvent

    throttled.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        client.post(
            LOGIN,
            {"username": "hana.helpdesk", "password": "wrong-secret"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert failed.count() == 3
    assert {e.source_ip for e in failed} == {"203.0.113.7"}, "the client's address, not the proxy's"
    assert (locked.actor_username, locked.source_ip) == ("hana.helpdesk", "203.0.113.7")
    assert "wrong-secret" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_attempts_on_a_locked_username_are_counted_not_recorded(client, throttled, helpdesk_user):
    from disks.models import AuditEvent

    throttled.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for _ in range(3):
        attempt(client, "hana.helpdesk", "wrong")
    for _ in range(50):
        assert attempt(client, "hana.helpdesk", "wrong").status_code == 429
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 3


def test_the_next_lock_out_says_how_many_attempts_were_only_counted(
    client, throttled, helpdesk_user
):
    from axes.utils import reset
    from django.core.cache import cache

    from disks.models import AuditEvent

    # A long lock, ended by hand below: no race with the clock on a slow machine.
    throttled.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for _ in range(3):
        attempt(client, "hana.helpdesk", "wrong")
    for _ in range(4):
        assert attempt(client, "hana.helpdesk", "wrong").status_code == 429
    cache.delete("audit:locked-out:hana.helpdesk:203.0.113.7")  # the window has passed
    reset(username="hana.helpdesk")  # and so has axes' lock
    for _ in range(3):
        attempt(client, "hana.helpdesk", "wrong")
    latest = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert latest.details["attempts_while_locked_before"] >= 4


def test_the_lock_out_page_says_how_long_in_words(client, settings, helpdesk_user):
    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    locked = attempt(client, "hana.helpdesk", "wrong")
    assert locked.status_code == 429
    text = locked.content.decode().replace("\xa0", " ")
    assert "Try again in 15 minutes" in text
    assert "PT15M" not in text
