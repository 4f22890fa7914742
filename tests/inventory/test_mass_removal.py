"""Item 9: a listing that would empty the inventory (or most of it) removes nothing by itself."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disks.models import AuditEvent, Desktop
from disks.services.inventory import desktop_inventory_sync
from tests.factories import seeded_desktop
from tests.inventory.conftest import remove_upstream, upstream_desktops

pytestmark = pytest.mark.django_db

SEEDED = 54
EMPTY_LISTING = {"desktops": [], "total_count": 0}


def answer_with_no_desktops(sim, count=1):
    sim.inject_fault("ListDesktopsDetail", "status", count=count, status=200, body=EMPTY_LISTING)


def remove_some_upstream(sim, how_many: int) -> None:
    for desktop_id in sorted(upstream_desktops(sim))[:how_many]:
        remove_upstream(sim, desktop_id)


def last_sync_event():
    return AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED).order_by(
        "-sequence"
    )[0]


def test_an_empty_listing_removes_nothing_and_says_so(synced):
    answer_with_no_desktops(synced)
    summary = desktop_inventory_sync()
    assert Desktop.objects.count() == SEEDED
    assert summary.removed == [] and len(summary.removal_refused) == SEEDED
    assert "Removed nothing" in summary.removal_refused_message
    assert "--allow-mass-removal" in summary.removal_refused_message
    event = last_sync_event()
    assert event.outcome == AuditEvent.Outcome.FAILURE
    assert event.details["removal_refused"] == SEEDED
    assert event.details["removed"] == 0 and event.details["inventory"] == SEEDED


def test_the_command_says_so_in_words_and_fails(synced):
    answer_with_no_desktops(synced)
    out = StringIO()
    with pytest.raises(
        CommandError, match="Removed nothing: the cloud listed 0 desktops"
    ) as raised:
        call_command("sync_desktops", stdout=out)
    assert raised.value.returncode == 1
    assert "54 of the 54 stored would have been removed" in str(raised.value)
    assert out.getvalue().startswith("0 desktops:")
    assert Desktop.objects.count() == SEEDED


def test_allow_mass_removal_removes_them(synced):
    answer_with_no_desktops(synced)
    out = StringIO()
    call_command("sync_desktops", "--allow-mass-removal", stdout=out)
    assert Desktop.objects.count() == 0
    assert "54 removed" in out.getvalue().splitlines()[0]
    assert last_sync_event().outcome == AuditEvent.Outcome.SUCCESS


def test_up_to_the_share_is_removed_as_before(synced, settings):
    settings.INVENTORY_MAX_REMOVAL_SHARE = 0.2  # 54 desktops: up to 10 at once
    remove_some_upstream(synced, 10)
    summary = desktop_inventory_sync()
    assert len(summary.removed) == 10 and summary.removal_refused == []
    assert Desktop.objects.count() == SEEDED - 10


def test_beyond_the_share_nothing_is_removed(synced, settings):
    settings.INVENTORY_MAX_REMOVAL_SHARE = 0.2
    remove_some_upstream(synced, 11)
    summary = desktop_inventory_sync()
    assert summary.removed == [] and len(summary.removal_refused) == 11
    assert Desktop.objects.count() == SEEDED


def test_a_small_inventory_still_syncs_within_the_floor(synced, settings):
    settings.INVENTORY_MAX_REMOVAL_SHARE = 0.0
    settings.INVENTORY_REMOVAL_FLOOR = 2
    remove_some_upstream(synced, 2)
    assert len(desktop_inventory_sync().removed) == 2
    remove_some_upstream(synced, 3)
    assert desktop_inventory_sync().removal_refused


def test_the_worker_reports_the_refusal(synced, settings):
    from disks.services.periodic import _inventory_sync

    answer_with_no_desktops(synced)
    assert "Removed nothing" in _inventory_sync()
    assert seeded_desktop(synced)  # the simulator still has them; so do we
    assert Desktop.objects.count() == SEEDED
