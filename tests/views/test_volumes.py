"""The expand and delete pages, against the simulator: forms, rules, the typed confirmation,
four eyes, the portal's policy, and the request pages and lists for the new kinds."""

import uuid

import pytest
from django.urls import reverse

from disks.models import AuditEvent, Desktop, DiskRequest
from disks.services import polling
from tests.factories import desktop_of, seeded_desktop

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def first_disk(desktop_id):
    return Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[0]


def expand_url(desktop_id, volume_id, *, portal=False):
    name = "disks:portal-disk-expand" if portal else "disks:helpdesk-disk-expand"
    return reverse(name, args=[desktop_id, volume_id])


def delete_url(desktop_id):
    return reverse("disks:helpdesk-disk-delete", args=[desktop_id])


def finish(sim, disk_request):
    sim.finish_job(disk_request.job_id)
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=disk_request.created_at)
    disk_request.refresh_from_db()
    return polling.disk_request_poll_if_due(disk_request=disk_request)


@pytest.fixture
def second_helpdesk(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="ivo.helpdesk", password="pw-ivo-1")
    user.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    return user


# Expand ---------------------------------------------------------------------------------------


def test_the_desktop_page_offers_expand_per_data_disk_and_never_for_the_system_disk(
    synced, helpdesk_client
):
    desktop_id = seeded_desktop(synced, data_disks=1)
    disk = first_disk(desktop_id)
    root = Desktop.objects.get(desktop_id=desktop_id).root_volume
    page = helpdesk_client.get(reverse("disks:helpdesk-desktop-detail", args=[desktop_id]))
    assert expand_url(desktop_id, disk["volume_id"]).encode() in page.content
    assert f'value="{disk["volume_id"]}"'.encode() in page.content
    assert root["volume_id"].encode() not in page.content
    assert helpdesk_client.get(expand_url(desktop_id, root["volume_id"])).status_code == 404


def test_the_form_takes_its_limits_from_the_rules_and_shows_the_change(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=1)
    disk = first_disk(desktop_id)
    url = expand_url(desktop_id, disk["volume_id"])
    page = helpdesk_client.get(url).content.decode()
    smallest = disk["size"] - disk["size"] % 10 + 10
    assert f'min="{smallest}"' in page and 'max="32760"' in page and 'step="10"' in page
    assert "room for" in page, "the GB quota is shown"
    checked = helpdesk_client.post(
        url,
        {"action": "validate", "idempotency_key": str(uuid.uuid4()), "new_size": disk["size"] + 40},
        **HTMX,
    ).content.decode()
    assert f"{disk['size']} GB → {disk['size'] + 40} GB (+40 GB)" in checked
    refused = helpdesk_client.post(
        url, {"action": "validate", "idempotency_key": str(uuid.uuid4()), "new_size": 25}, **HTMX
    ).content.decode()
    assert "must be larger than the disk" in refused or "steps of 10" in refused
    assert not DiskRequest.objects.exists()


def test_expanding_a_disk_grows_it_and_the_finished_page_says_to_extend_the_volume(
    synced, helpdesk_client
):
    desktop_id = seeded_desktop(synced, data_disks=1)
    disk = first_disk(desktop_id)
    new_size = disk["size"] + 100
    response = helpdesk_client.post(
        expand_url(desktop_id, disk["volume_id"]),
        {"action": "submit", "idempotency_key": str(uuid.uuid4()), "new_size": new_size},
    )
    disk_request = DiskRequest.objects.get()
    assert response["Location"] == reverse("disks:helpdesk-request-detail", args=[disk_request.pk])
    assert (disk_request.kind, disk_request.status) == ("expand", Status.RUNNING)
    [call] = synced.requests_log("ExpandDesktopVolume")
    assert disk["volume_id"] in call["path"]
    done = finish(synced, disk_request)
    assert done.status == Status.SUCCEEDED
    assert first_disk(desktop_id)["size"] == new_size
    page = helpdesk_client.get(reverse("disks:helpdesk-request-detail", args=[done.pk]))
    text = page.content.decode()
    assert "Extend Volume" in text and "Disk Management" in text
    assert f"{disk['size']} GB → {new_size} GB" in text


def test_several_disks_go_in_one_request_as_one_expandvolumes_call(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=2)
    first, second = Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[:2]
    helpdesk_client.post(
        expand_url(desktop_id, first["volume_id"]),
        {
            "action": "submit",
            "idempotency_key": str(uuid.uuid4()),
            "new_size": first["size"] + 10,
            f"also_{second['volume_id']}": second["size"] + 20,
        },
    )
    disk_request = DiskRequest.objects.get()
    assert disk_request.disk_count == 2 and disk_request.added_gb == 30
    assert len(synced.requests_log("ExpandVolumes")) == 1
    assert not synced.requests_log("ExpandDesktopVolume")
    finish(synced, disk_request)
    grown = Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[:2]
    assert [v["size"] for v in grown] == [first["size"] + 10, second["size"] + 20]


def test_the_portal_expands_within_policy_and_holds_large_growth_for_approval(
    synced, client, end_user, settings, helpdesk_user
):
    settings.PORTAL_MAX_DISK_GB = 500
    settings.PORTAL_APPROVAL_ABOVE_GB = 100
    client.force_login(end_user)
    desktop_id = desktop_of(synced, "alice.wong", data_disks=10)
    disk = first_disk(desktop_id)
    url = expand_url(desktop_id, disk["volume_id"], portal=True)
    assert 'max="500"' in client.get(url).content.decode()
    too_big = client.post(
        url, {"action": "submit", "idempotency_key": str(uuid.uuid4()), "new_size": 510}
    )
    assert "at most 500 GB" in too_big.content.decode()
    client.post(
        url,
        {"action": "submit", "idempotency_key": str(uuid.uuid4()), "new_size": disk["size"] + 200},
    )
    held = DiskRequest.objects.get()
    assert (held.status, held.audience, held.kind) == (Status.PENDING_APPROVAL, "portal", "expand")
    assert not synced.requests_log("ExpandDesktopVolume")
    client.force_login(helpdesk_user)
    queue = client.get(reverse("disks:helpdesk-approval-list")).content.decode()
    assert f"{disk['size']} GB → {disk['size'] + 200} GB" in queue and "adds 200 GB" in queue


def test_the_portal_cannot_reach_another_users_disk_or_delete(synced, client, end_user):
    client.force_login(end_user)
    bobs = seeded_desktop(synced, user_name="bob.martin", data_disks=1)
    assert (
        client.get(expand_url(bobs, first_disk(bobs)["volume_id"], portal=True)).status_code == 404
    )
    alices = desktop_of(synced, "alice.wong", data_disks=10)
    assert client.get(delete_url(alices)).status_code == 403


# Delete ---------------------------------------------------------------------------------------


def test_delete_needs_the_typed_name_and_a_second_helpdesk_member(
    synced, client, helpdesk_user, second_helpdesk
):
    desktop_id = seeded_desktop(synced, data_disks=2)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    disk = desktop.sorted_data_volumes[0]
    client.force_login(helpdesk_user)
    confirm = client.get(delete_url(desktop_id), {"volume": [disk["volume_id"]]}).content.decode()
    assert (
        disk["volume_id"] in confirm
        and disk["device"] in confirm
        and f"{disk['size']} GB" in confirm
    )
    assert desktop.computer_name in confirm
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "volume": [disk["volume_id"]],
        "confirmation": "not the name",
    }
    wrong = client.post(delete_url(desktop_id), data)
    assert "Type the desktop&#x27;s computer name" in wrong.content.decode()
    assert not DiskRequest.objects.exists()
    data["confirmation"] = desktop.computer_name
    response = client.post(delete_url(desktop_id), data)
    held = DiskRequest.objects.get()
    assert response["Location"] == reverse("disks:helpdesk-request-detail", args=[held.pk])
    assert (held.kind, held.status) == ("delete", Status.PENDING_APPROVAL)
    assert not synced.requests_log("DeleteDesktopVolumes")

    own = client.post(reverse("disks:helpdesk-approval-approve", args=[held.pk]), follow=True)
    assert "another helpdesk member must approve" in own.content.decode()
    client.force_login(second_helpdesk)
    queue = client.get(reverse("disks:helpdesk-approval-list")).content.decode()
    assert "delete" in queue and disk["device"] in queue
    client.post(reverse("disks:helpdesk-approval-approve", args=[held.pk]))
    held.refresh_from_db()
    assert held.status == Status.RUNNING
    assert len(synced.requests_log("DeleteDesktopVolumes")) == 1
    done = finish(synced, held)
    assert done.status == Status.SUCCEEDED
    remaining = Desktop.objects.get(desktop_id=desktop_id).data_volumes
    assert disk["volume_id"] not in {v["volume_id"] for v in remaining}
    event = AuditEvent.objects.get(disk_request=done, action="disk_job.status_changed")
    assert event.details["deleted"] == [
        {
            "volume_id": disk["volume_id"],
            "type": disk["type"],
            "size": disk["size"],
            "device": disk["device"],
        }
    ]


def test_the_system_disk_cannot_be_chosen_and_young_disks_warn(synced, helpdesk_client, settings):
    settings.DELETE_MIN_AGE_HOURS = 24 * 365 * 100  # every seeded disk counts as young
    desktop_id = seeded_desktop(synced, data_disks=1)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    root = desktop.root_volume["volume_id"]
    page = helpdesk_client.get(delete_url(desktop_id), {"volume": [root]}).content.decode()
    assert "the system disk never can" in page
    assert "Delete 1 disk" not in page
    young = helpdesk_client.get(
        delete_url(desktop_id), {"volume": [first_disk(desktop_id)["volume_id"]]}
    ).content.decode()
    assert "added less than" in young


def test_a_desktop_that_is_not_ready_is_refused(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=1)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    synced.patch_desktop(desktop_id, status="SHUTOFF")
    response = helpdesk_client.post(
        delete_url(desktop_id),
        {
            "idempotency_key": str(uuid.uuid4()),
            "volume": [first_disk(desktop_id)["volume_id"]],
            "confirmation": desktop.computer_name,
        },
    )
    assert "disks can be deleted only while it is running" in response.content.decode()
    assert not DiskRequest.objects.exists()


def test_the_request_list_filters_by_kind(synced, helpdesk_client, settings):
    settings.DELETE_REQUIRES_APPROVAL = False
    desktop_id = seeded_desktop(synced, data_disks=1)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    helpdesk_client.post(
        delete_url(desktop_id),
        {
            "idempotency_key": str(uuid.uuid4()),
            "volume": [first_disk(desktop_id)["volume_id"]],
            "confirmation": desktop.computer_name,
        },
    )
    deletion = DiskRequest.objects.get()
    assert deletion.status == Status.RUNNING, "sent at once without required approval"
    url = reverse("disks:helpdesk-request-list")
    assert b"1 request." in helpdesk_client.get(url, {"kind": "delete"}).content
    assert b"0 requests." in helpdesk_client.get(url, {"kind": "expand"}).content
