"""The language and time zone a page is shown in: the person's choice, else the browser's."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from disks.models import UserPreference

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    return response.headers.get("Content-Language", "")


def test_without_a_choice_the_browser_decides(helpdesk_client):
    chinese = helpdesk_client.get(reverse("disks:preferences"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh")
    assert page_language(chinese) == "zh-hans"
    assert b'<html lang="zh-hans">' in chinese.content
    other = helpdesk_client.get(reverse("disks:preferences"), HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert page_language(other) == "en", "a language we do not have: LANGUAGE_CODE"


def test_a_saved_choice_wins_over_the_browser_and_follows_the_person(
    client, helpdesk_user, helpdesk_client
):
    helpdesk_client.post(
        reverse("disks:preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"}
    )
    stored = UserPreference.objects.get(user=helpdesk_user)
    assert (stored.language, stored.time_zone) == ("zh-hans", "Asia/Shanghai")
    page = helpdesk_client.get(reverse("disks:preferences"), HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(page) == "zh-hans"

    helpdesk_client.logout()
    client.post("/accounts/login/", {"username": "hana.helpdesk", "password": "pw-hana.helpdesk-1"})
    again = client.get(reverse("disks:preferences"), HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(again) == "zh-hans", "carried into a new session at sign-in"


def test_the_header_switch_changes_the_language_and_returns_to_the_page(helpdesk_client):
    response = helpdesk_client.post(
        reverse("disks:language-set"), {"language": "zh-hans", "next": "/requests/"}
    )
    assert response["Location"] == "/requests/"
    outside = helpdesk_client.post(
        reverse("disks:language-set"), {"language": "en", "next": "https://elsewhere.example/"}
    )
    assert outside["Location"] == "/", "never off to another site"


def test_an_unknown_language_or_time_zone_is_refused(helpdesk_client, helpdesk_user):
    page = helpdesk_client.post(reverse("disks:preferences"), {"time_zone": "Mars/Olympus"})
    assert page.status_code == 200
    assert not UserPreference.objects.filter(user=helpdesk_user).exists()


@pytest.mark.parametrize(
    ("chosen", "cookie", "expected"),
    [
        ("", "Asia%2FShanghai", "Asia/Shanghai"),
        ("", "Nowhere/Land", "UTC"),
        ("", "", "UTC"),
        ("Europe/Berlin", "Asia%2FShanghai", "Europe/Berlin"),
    ],
)
def test_the_persons_zone_else_the_browsers_else_the_sites(rf, chosen, cookie, expected):
    from disks.middleware import PreferencesMiddleware

    request = rf.get("/")
    request.session = {"preferences": {"language": "", "time_zone": chosen}}
    if cookie:
        request.COOKIES["tz"] = cookie
    seen = {}

    def view(request):
        seen["zone"] = str(timezone.get_current_timezone())
        seen["shown"] = timezone.localtime(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)).hour

    PreferencesMiddleware(view)(request)
    assert seen["zone"] == expected
    assert seen["shown"] == {"UTC": 12, "Asia/Shanghai": 20, "Europe/Berlin": 13}[expected]
