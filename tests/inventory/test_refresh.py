"""desktop_refresh: one desktop re-read with ShowDesktopDetail."""

import pytest

from disks.client import WorkspaceRefused, WorkspaceUnavailable, reset_client
from disks.models import Desktop, DesktopUser
from disks.services.inventory import desktop_refresh
from tests.factories import seeded_desktop
from tests.inventory.conftest import change_upstream, remove_upstream

pytestmark = pytest.mark.django_db


def test_it_updates_one_desktop(synced):
    desktop_id = seeded_desktop(synced, data_disks=1)
    other = seeded_desktop(synced, data_disks=0)
    synced.patch_desktop(
        desktop_id, task_status="rebuilding", add_data_volumes=[{"type": "SAS", "size": 30}]
    )
    synced.patch_desktop(other, status="SHUTOFF")
    change_upstream(
        synced,
        desktop_id,
        attach_user_infos=[
            {"user_id": "9", "user_name": "Kavya.Iyer", "user_group": "users", "type": "USER"}
        ],
    )
    synced.clear_log()

    desktop = desktop_refresh(desktop_id=desktop_id)

    assert desktop.task_status == "rebuilding"
    assert desktop.data_volume_count == 2
    assert [volume["size"] for volume in desktop.sorted_data_volumes][-1] == 30
    owner = synced.desktop(desktop_id)["user_name"]
    assert set(desktop.users.values_list("user_name", flat=True)) == {owner, "kavya.iyer"}
    assert Desktop.objects.get(desktop_id=other).status == "ACTIVE", "only the one desktop"
    calls = synced.requests_log()
    assert [call["operation"] for call in calls] == ["ShowDesktopDetail"]
    assert calls[0]["path"].endswith(f"/desktops/{desktop_id}")


def test_it_stores_a_desktop_not_yet_synced(workspace):
    desktop_id = seeded_desktop(workspace)

    desktop = desktop_refresh(desktop_id=desktop_id)

    assert desktop.computer_name == workspace.desktop(desktop_id)["computer_name"]
    assert Desktop.objects.count() == 1


def test_a_desktop_gone_upstream_is_removed_locally_and_raises(synced):
    desktop_id = seeded_desktop(synced, data_disks=2)
    remove_upstream(synced, desktop_id)

    with pytest.raises(WorkspaceRefused) as raised:
        desktop_refresh(desktop_id=desktop_id)

    assert raised.value.status == 404
    assert not Desktop.objects.filter(desktop_id=desktop_id).exists()
    assert not DesktopUser.objects.filter(desktop__desktop_id=desktop_id).exists()
    assert Desktop.objects.count() == 53


def test_another_error_keeps_the_local_copy(synced, settings):
    settings.WORKSPACE_GET_RETRIES = 0
    reset_client()
    desktop_id = seeded_desktop(synced)
    synced.inject_fault("ShowDesktopDetail", "status", status=503)

    with pytest.raises(WorkspaceUnavailable):
        desktop_refresh(desktop_id=desktop_id)

    assert Desktop.objects.filter(desktop_id=desktop_id).exists()


def test_the_desktop_returned_is_the_row_as_stored(synced):
    desktop_id = seeded_desktop(synced, data_disks=2)

    desktop = desktop_refresh(desktop_id=desktop_id)

    stored = Desktop.objects.get(desktop_id=desktop_id)
    for field in Desktop._meta.concrete_fields:
        assert getattr(desktop, field.attname) == getattr(stored, field.attname), field.name


def test_unchanged_user_names_are_left_as_they_are(synced):
    desktop_id = seeded_desktop(synced)
    users = DesktopUser.objects.filter(desktop__desktop_id=desktop_id)
    before = set(users.values_list("pk", "user_name"))

    desktop_refresh(desktop_id=desktop_id)

    assert before
    assert set(users.values_list("pk", "user_name")) == before, "no rows deleted and re-added"
