"""Two inventory syncs at once end with every desktop, on SQLite and on PostgreSQL."""

import threading
import time

import pytest
import requests
from django.db import connections

from disks.models import AuditEvent, Desktop
from disks.services.inventory import desktop_inventory_sync
from tests.inventory.conftest import (
    assert_inventory_matches,
    paging,
    remove_upstream,
    upstream_desktops,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEEDED = 54


class SyncThread(threading.Thread):
    """One desktop_inventory_sync in a thread, keeping its summary or its error."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.summary = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.summary = desktop_inventory_sync()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            connections.close_all()

    def finish(self) -> None:
        self.join(timeout=20)
        assert not self.is_alive(), f"{self.name} did not finish"
        assert self.error is None, f"{self.name} failed: {self.error!r}"


def wait_for_faults_left(sim, count: int, timeout: float = 5.0) -> None:
    """Wait until only `count` injected faults are pending (the log only shows ended calls)."""
    deadline = time.monotonic() + timeout
    while len(requests.get(f"{sim.url}/_sim/faults", timeout=5).json()["faults"]) > count:
        assert time.monotonic() < deadline, "the faulted call did not arrive"
        time.sleep(0.005)


def assert_inventory_complete(sim) -> None:
    assert Desktop.objects.count() == SEEDED
    assert_inventory_matches(sim)
    syncs = AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED)
    assert syncs.count() == 2


def test_two_syncs_paging_side_by_side_keep_every_desktop(workspace, page_size):
    page_size(5)
    # Each page answers after a short pause, so the two syncs' pages interleave.
    workspace.inject_fault("ListDesktopsDetail", "stall", count=22, seconds=0.02)
    first, second = SyncThread("first"), SyncThread("second")

    first.start()
    second.start()
    first.finish()
    second.finish()

    offsets = [paging(call)[0] for call in workspace.requests_log("ListDesktopsDetail")]
    assert len(offsets) == 22
    firsts = [n for n, value in enumerate(offsets) if value == 0]
    assert firsts[1] < offsets.index(50), "both syncs started before either ended"
    assert first.summary.total == second.summary.total == SEEDED
    assert first.summary.removed == second.summary.removed == []
    assert_inventory_complete(workspace)


def test_an_earlier_sync_finishing_late_does_not_lose_desktops(workspace, page_size):
    """The later sync ends last, after the earlier one re-stamped the rows it had stamped.

    1. The earlier sync starts; its first page stalls.
    2. The later sync starts and stores pages 1 to 5; its last page stalls longer.
    3. The earlier sync stores all six pages, stamped with its (earlier) start time.
    4. The later sync stores page 6 and removes what is stamped before its start.
    """
    page_size(10)
    workspace.inject_fault("ListDesktopsDetail", "stall", seconds=0.6)
    workspace.inject_fault("ListDesktopsDetail", "stall", count=5, seconds=0)
    workspace.inject_fault("ListDesktopsDetail", "stall", seconds=1.5)
    earlier, later = SyncThread("earlier"), SyncThread("later")

    earlier.start()
    wait_for_faults_left(workspace, 2)
    later.start()
    earlier.finish()
    later.finish()

    calls = workspace.requests_log("ListDesktopsDetail")
    assert len(calls) == 12
    (slowest,) = [call for call in calls if call["duration_ms"] >= 1500]
    assert paging(slowest)[0] == 50, "the later sync's last page was the slow one"
    assert earlier.summary.total == later.summary.total == SEEDED
    assert later.summary.removed == [] and earlier.summary.removed == []
    assert_inventory_complete(workspace)


def test_a_sync_removes_a_desktop_gone_upstream_while_another_runs(workspace, page_size):
    desktop_inventory_sync()
    gone = sorted(upstream_desktops(workspace))[0]
    name = remove_upstream(workspace, gone)["computer_name"]
    page_size(10)
    workspace.inject_fault("ListDesktopsDetail", "stall", count=12, seconds=0.02)
    first, second = SyncThread("first"), SyncThread("second")

    first.start()
    second.start()
    first.finish()
    second.finish()

    assert Desktop.objects.count() == SEEDED - 1
    assert not Desktop.objects.filter(desktop_id=gone).exists()
    assert name in first.summary.removed + second.summary.removed
