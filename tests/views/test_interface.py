"""The interface review's findings that the server alone decides: messages, hints, focus
targets, the portal's hidden project, the helpdesk overview and bulk approval."""

import re
import uuid

import pytest
from django.urls import reverse

from disks import rules
from disks.client import VolumeSpec
from disks.models import DiskRequest
from disks.services.approvals import disk_request_hold_for_approval
from tests.factories import desktop_of, portal_actor, seeded_desktop
from tests.views.test_helpdesk import add_url, form_post

pytestmark = pytest.mark.django_db


def test_a_forged_eleven_row_post_is_refused_in_our_words(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    page = helpdesk_client.post(add_url(desktop_id), form_post(None, *[("SAS", 10)] * 11))
    text = page.content.decode()
    assert "Please submit at most" not in text
    assert rules.too_many_rows_error(10) in text
    assert not DiskRequest.objects.exists()


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("", rules.size_missing_error()),
        ("1e3", rules.size_not_a_number_error()),
        ("40000", "A data disk must be between 10 and 32760 GB."),
        ("25", "choose 20 or 30"),
    ],
)
def test_every_bad_size_gets_a_message_from_rules(synced, helpdesk_client, size, message):
    desktop_id = seeded_desktop(synced, data_disks=0)
    page = helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", size)))
    text = page.content.decode()
    assert message in text
    # The field to fix gets the focus after the round trip.
    assert 'name="disks-0-size"' in text and "autofocus" in text


def test_the_size_field_shows_its_rule_and_requires_a_value(synced, helpdesk_client):
    page = helpdesk_client.get(add_url(seeded_desktop(synced, data_disks=0))).content.decode()
    assert "10 to 32,760 GB, in steps of 10." in page
    assert 'aria-describedby="id_disks-0-size-errors id_disks-0-size-help"' in page
    start = page.rfind("<input", 0, page.index('name="disks-0-size"'))
    size_input = page[start : page.index(">", start)]
    assert " required" in size_input


@pytest.mark.parametrize(
    ("action", "focus"),
    [
        ("add-row", 'id="id_disks-2-type" autofocus'),
        ("remove-row-0", 'id="id_disks-0-type" autofocus'),
    ],
)
def test_adding_or_removing_a_row_names_the_next_focus(synced, helpdesk_client, action, focus):
    desktop_id = seeded_desktop(synced, data_disks=0)
    data = form_post(None, ("SAS", 10), ("SSD", 20), action=action)
    page = helpdesk_client.post(add_url(desktop_id), data, HTTP_HX_REQUEST="true").content.decode()
    assert focus in page.replace('autofocus=""', "autofocus") or _has_autofocus(page, focus)


def _has_autofocus(page: str, focus: str) -> bool:
    element_id = focus.split('"')[1]
    start = page.rfind("<", 0, page.index(f'id="{element_id}"'))
    return "autofocus" in page[start : page.index(">", start)]


def test_removing_the_last_row_focuses_add_another(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    data = form_post(None, ("SAS", 10), ("SSD", 20), action="remove-row-1")
    page = helpdesk_client.post(add_url(desktop_id), data, HTTP_HX_REQUEST="true").content.decode()
    assert _has_autofocus(page, 'id="add-row"')


def test_try_again_prefills_the_same_disks(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    query = "type=SAS&size=50&iops=&throughput=&type=SSD&size=70&iops=&throughput="
    page = helpdesk_client.get(f"{add_url(desktop_id)}?{query}").content.decode()
    assert 'value="50"' in page and 'value="70"' in page
    assert "This request adds 2;" in page


def test_the_portal_hides_the_enterprise_project_and_the_helpdesk_explains_it(
    synced, client, end_user, helpdesk_user
):
    client.force_login(end_user)
    portal_form = client.get(
        reverse("disks:portal-disk-add", args=[desktop_of(synced, "alice.wong")])
    ).content.decode()
    assert "enterprise_project_id" not in portal_form
    client.force_login(helpdesk_user)
    helpdesk_form = client.get(add_url(seeded_desktop(synced, data_disks=0))).content.decode()
    assert 'name="enterprise_project_id"' in helpdesk_form
    assert "billed to" in helpdesk_form


def test_the_overview_lists_what_needs_attention(synced, helpdesk_client, end_user):
    held = disk_request_hold_for_approval(
        desktop_id=desktop_of(synced, "alice.wong"),
        volumes=[VolumeSpec("SAS", 500)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )
    page = helpdesk_client.get(reverse("disks:helpdesk-home")).content.decode()
    assert "What needs attention" in page
    assert reverse("disks:helpdesk-request-detail", args=[held.pk]) in page
    assert "Desktops near the 10-disk limit" in page
    near = seeded_desktop(synced, data_disks=9)
    assert reverse("disks:helpdesk-desktop-detail", args=[near]) in page
    # The navigation counts the approvals waiting.
    assert 'class="nav-count">1<' in page


def test_bulk_approve_calls_the_service_once_per_request(
    synced, helpdesk_client, end_user, monkeypatch
):
    first = desktop_of(synced, "alice.wong")
    held = [
        disk_request_hold_for_approval(
            desktop_id=desktop_id,
            volumes=[VolumeSpec("SAS", 500)],
            actor=portal_actor(end_user),
            idempotency_key=uuid.uuid4(),
        )
        for desktop_id in (first, desktop_of(synced, "alice.wong", exclude={first}))
    ]
    from disks.views import approvals_bulk

    calls = []
    real = approvals_bulk.disk_request_approve
    monkeypatch.setattr(
        approvals_bulk,
        "disk_request_approve",
        lambda **kwargs: calls.append(kwargs["disk_request"].pk) or real(**kwargs),
    )
    response = helpdesk_client.post(
        reverse("disks:helpdesk-approval-approve-many"),
        {"pk": [str(item.pk) for item in held] + ["999999", "x"]},
        follow=True,
    )
    assert calls == sorted(item.pk for item in held), "once each; the unknown id never"
    text = response.content.decode()
    assert "Approved and sent to the cloud:" in text
    assert "#999999: no such request." in text
    for item in held:
        item.refresh_from_db()
        assert item.status != DiskRequest.Status.PENDING_APPROVAL


def test_bulk_approve_with_nothing_chosen_says_so(helpdesk_client):
    response = helpdesk_client.post(reverse("disks:helpdesk-approval-approve-many"), follow=True)
    assert "Choose at least one request to approve." in response.content.decode()


def test_the_portal_size_hint_is_the_policys(settings, synced, client, end_user):
    settings.PORTAL_MAX_DISK_GB = 500
    client.force_login(end_user)
    url = reverse("disks:portal-disk-add", args=[desktop_of(synced, "alice.wong")])
    assert "10 to 500 GB, in steps of 10." in client.get(url).content.decode()


def test_lists_sort_by_the_columns_they_offer_and_ignore_others(synced, helpdesk_client):
    desktops = reverse("disks:helpdesk-desktop-list")
    page = helpdesk_client.get(desktops, {"sort": "-disks"}).content.decode()
    assert 'aria-sort="descending"' in page
    counts = re.findall(r'data-label="Data disks" class="num">(\d+) / 10', page)
    assert counts == sorted(counts, key=int, reverse=True) and counts[0] == "10", counts
    assert helpdesk_client.get(desktops, {"sort": "password"}).status_code == 200
    for sort in ("when", "-when", "status", "requester", "desktop", "request", "nonsense"):
        page = helpdesk_client.get(reverse("disks:helpdesk-request-list"), {"sort": sort})
        assert page.status_code == 200
