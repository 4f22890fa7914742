"""desktop_inventory_sync against the simulator: paging, what is stored, what is reported."""

import pytest

from disks.client import WorkspaceUnavailable, reset_client
from disks.models import AuditEvent, Desktop, DesktopUser
from disks.services.inventory import desktop_inventory_sync
from tests.factories import seeded_desktop
from tests.inventory.conftest import (
    assert_inventory_matches,
    change_upstream,
    expected_user_names,
    paging,
    remove_upstream,
    upstream_desktops,
)

pytestmark = pytest.mark.django_db

SEEDED = 54


def list_calls(sim) -> list[dict]:
    return sim.requests_log("ListDesktopsDetail")


def sync_events():
    return AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED).order_by("sequence")


def volume_ids(volumes: list[dict]) -> list[str]:
    return sorted(volume["volume_id"] for volume in volumes)


def test_it_stores_every_seeded_desktop(workspace):
    summary = desktop_inventory_sync()

    upstream = upstream_desktops(workspace)
    assert len(upstream) == SEEDED
    assert summary.total == SEEDED
    assert len(summary.created) == SEEDED
    assert summary.updated == [] and summary.removed == []
    assert set(Desktop.objects.values_list("desktop_id", flat=True)) == set(upstream)
    for desktop in Desktop.objects.all():
        body = upstream[desktop.desktop_id]
        assert desktop.computer_name == body["computer_name"]
        assert desktop.status == body["status"]
        assert desktop.task_status == body["task_status"]
        assert desktop.user_name == body["user_name"]
        assert desktop.enterprise_project_id == body["enterprise_project_id"]
        assert desktop.availability_zone == body["availability_zone"]
        assert desktop.root_volume["volume_id"] == body["root_volume"]["volume_id"]
        assert desktop.root_volume["size"] == body["root_volume"]["size"]
        assert volume_ids(desktop.data_volumes) == volume_ids(body["data_volumes"])
        assert desktop.data_volume_count == len(body["data_volumes"])
        users = set(desktop.users.values_list("user_name", flat=True))
        assert users == expected_user_names(body), desktop.computer_name


def test_it_covers_the_seeds_variety(workspace):
    desktop_inventory_sync()

    assert set(Desktop.objects.values_list("status", flat=True)) == {
        "ACTIVE",
        "SHUTOFF",
        "ERROR",
        "HIBERNATED",
    }
    assert Desktop.objects.exclude(task_status="").count() == 4
    assert Desktop.objects.values("enterprise_project_id").distinct().count() == 3
    assert {0, 10} <= set(Desktop.objects.values_list("data_volume_count", flat=True))
    assert DesktopUser.objects.values("user_name").distinct().count() == 12
    shared = Desktop.objects.get(computer_name="AWONG-PC01")
    assert set(shared.users.values_list("user_name", flat=True)) == {
        "alice.wong",
        "emma.schulz",
        "farid.haddad",
    }
    assert not DesktopUser.objects.filter(user_name="finance-team").exists(), "groups are not users"


def test_it_lower_cases_user_names(workspace):
    desktop_id = seeded_desktop(workspace)
    change_upstream(
        workspace,
        desktop_id,
        user_name="Grace.LIU",
        attach_user_infos=[
            {"user_id": "1", "user_name": "Grace.LIU", "user_group": "users", "type": "USER"},
            {"user_id": "2", "user_name": "Jonas.Berg", "user_group": "users", "type": "USER"},
        ],
    )

    desktop_inventory_sync()

    users = Desktop.objects.get(desktop_id=desktop_id).users
    assert sorted(users.values_list("user_name", flat=True)) == ["grace.liu", "jonas.berg"]


def test_it_asks_for_one_page_at_the_default_page_size(workspace):
    desktop_inventory_sync()

    calls = list_calls(workspace)
    assert len(calls) == 1
    assert paging(calls[0]) == (0, 100)


def test_it_pages_through_the_list(workspace, page_size):
    page_size(10)

    summary = desktop_inventory_sync()

    calls = list_calls(workspace)
    assert len(calls) == 6, "54 desktops at 10 a page"
    assert [paging(call) for call in calls] == [(offset, 10) for offset in range(0, 60, 10)]
    assert summary.total == SEEDED
    assert Desktop.objects.count() == SEEDED


def test_a_page_size_dividing_the_total_still_stops(workspace, page_size):
    page_size(27)

    desktop_inventory_sync()

    assert len(list_calls(workspace)) == 2
    assert Desktop.objects.count() == SEEDED


def test_a_second_sync_reports_nothing_new_or_changed(workspace):
    desktop_inventory_sync()

    summary = desktop_inventory_sync()

    assert summary.total == SEEDED
    assert summary.created == [] and summary.updated == [] and summary.removed == []
    assert summary.unchanged == SEEDED
    assert Desktop.objects.count() == SEEDED


def test_a_desktop_changed_upstream_is_reported_and_stored(synced):
    desktop_id = seeded_desktop(synced, data_disks=0)
    name = synced.desktop(desktop_id)["computer_name"]
    synced.patch_desktop(
        desktop_id, status="SHUTOFF", add_data_volumes=[{"type": "SSD", "size": 40}]
    )

    summary = desktop_inventory_sync()

    assert summary.updated == [name]
    assert summary.created == [] and summary.removed == []
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    assert desktop.status == "SHUTOFF"
    assert desktop.data_volume_count == 1
    assert desktop.data_volumes[0]["type"] == "SSD" and desktop.data_volumes[0]["size"] == 40


def test_a_desktop_removed_upstream_is_removed_locally(synced):
    desktop_id = seeded_desktop(synced, data_disks=2)
    name = remove_upstream(synced, desktop_id)["computer_name"]

    summary = desktop_inventory_sync()

    assert summary.removed == [name]
    assert summary.total == SEEDED - 1
    assert not Desktop.objects.filter(desktop_id=desktop_id).exists()
    assert not DesktopUser.objects.filter(desktop__desktop_id=desktop_id).exists()
    assert Desktop.objects.count() == SEEDED - 1


def test_a_user_detached_upstream_is_dropped_locally(synced):
    desktop = Desktop.objects.get(computer_name="AWONG-PC01")
    body = synced.desktop(desktop.desktop_id)
    kept = [user for user in body["attach_user_infos"] if user["user_name"] != "emma.schulz"]
    change_upstream(synced, desktop.desktop_id, attach_user_infos=kept)

    desktop_inventory_sync()

    assert set(desktop.users.values_list("user_name", flat=True)) == {"alice.wong", "farid.haddad"}


def test_a_first_sync_neither_reads_nor_deletes_user_names_of_new_desktops(workspace):
    """Nothing is stored for them yet; on a large first sync each read was a scan (figure 7)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        desktop_inventory_sync()

    on_names = [q["sql"] for q in queries if '"disks_desktopuser"' in q["sql"]]
    assert on_names and all(sql.startswith("INSERT") for sql in on_names), on_names
    assert DesktopUser.objects.count() == sum(
        len(expected_user_names(body)) for body in upstream_desktops(workspace).values()
    )


def test_a_known_desktops_names_are_read_and_rewritten_when_they_change(synced):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    desktop = Desktop.objects.get(computer_name="AWONG-PC01")
    change_upstream(synced, desktop.desktop_id, user_name="Grace.LIU", attach_user_infos=[])

    with CaptureQueriesContext(connection) as queries:
        desktop_inventory_sync()

    sql = [q["sql"] for q in queries if '"disks_desktopuser"' in q["sql"]]
    assert any(s.startswith("SELECT") for s in sql) and any(s.startswith("DELETE") for s in sql)
    assert set(desktop.users.values_list("user_name", flat=True)) == {"grace.liu"}


def test_each_sync_records_one_audit_event_with_its_counts(synced, page_size):
    changed = seeded_desktop(synced, data_disks=1)
    removed = seeded_desktop(synced, data_disks=0)
    synced.patch_desktop(changed, status="SHUTOFF")
    remove_upstream(synced, removed)
    page_size(10)

    desktop_inventory_sync()

    first, second = sync_events()
    assert first.details == {"total": SEEDED, "created": SEEDED, "updated": 0, "removed": 0}
    assert second.details == {"total": SEEDED - 1, "created": 0, "updated": 1, "removed": 1}
    assert second.outcome == AuditEvent.Outcome.SUCCESS
    assert second.audience == AuditEvent.Audience.SYSTEM


def test_a_sync_failing_half_way_removes_nothing(synced, settings, page_size):
    settings.WORKSPACE_GET_RETRIES = 0
    reset_client()
    page_size(10)
    synced.inject_fault("ListDesktopsDetail", "stall", count=2, seconds=0)
    synced.inject_fault("ListDesktopsDetail", "status", status=503)

    with pytest.raises(WorkspaceUnavailable):
        desktop_inventory_sync()

    assert len(list_calls(synced)) == 1 + 3, "the first sync's call, then pages 1, 2 and 3"
    assert Desktop.objects.count() == SEEDED
    assert sync_events().filter(outcome="success").count() == 1, "only the first, good sync"
    failed = sync_events().get(outcome="failure")
    assert (failed.error_code, failed.actor_username) == ("WKS.SIM0900", ""), "the cloud's code"
    assert failed.details["message"], "the failure is recorded in words"


def test_a_desktop_listed_twice_on_a_page_is_stored_once(workspace, monkeypatch):
    from dataclasses import replace

    from disks.client import WorkspaceClient

    list_page = WorkspaceClient.list_desktops_detail

    def listing_the_first_desktop_twice(self, **kwargs):
        page = list_page(self, **kwargs)
        return replace(page, desktops=(*page.desktops, *page.desktops[:1]))

    monkeypatch.setattr(WorkspaceClient, "list_desktops_detail", listing_the_first_desktop_twice)

    summary = desktop_inventory_sync()

    assert Desktop.objects.count() == SEEDED
    assert summary.removed == []
    assert_inventory_matches(workspace)
