"""The fault matrix: every way the cloud can fail, at each of the three places we call it.

{timeout, refused, dropped, 500, 503, 401, 409, WKS.0407, malformed JSON} x {submit, poll,
sync}, produced by the simulator's fault injection (or a closed port, for "refused").
Each cell ends in a stated state with a clear message, loses no record (requests, desktops,
audit events; the chain stays intact), sends at most one AddDesktopVolumes per request,
and recovers once the cloud does.

The poll column follows the issue: "A status read that fails is not the job failing:
re-authenticate on 401, back off and retry within the deadline; only the deadline or the
cloud saying the job is gone ends in needs_review" (disks/services/polling.py).
"""

import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from disks.audit_chain import audit_chain_verify
from disks.client import VolumeSpec, WorkspaceError, reset_client
from disks.models import AuditEvent, Desktop, DiskRequest
from disks.services import polling
from disks.services.inventory import desktop_inventory_sync
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, seeded_desktop

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
OPERATION = {"submit": "AddDesktopVolumes", "poll": "ShowJob", "sync": "ListDesktopsDetail"}
STALL_SECONDS = 1.0
READ_TIMEOUT = 0.3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int | None = None
    body: dict | None = None


FAULTS = {
    "timeout": Fault("stall"),
    "refused": Fault("refused"),  # not the simulator: nothing listens on the port
    "dropped": Fault("drop"),
    "500": Fault("status", 500),
    "503": Fault("status", 503),
    "401": Fault("status", 401, {"error_code": "APIGW.0301", "error_msg": "Bad credentials"}),
    "409": Fault("status", 409, {"error_code": "WKS.0409", "error_msg": "Conflict"}),
    # The API answers 400 with WKS.0407 while disks are being added to the desktop.
    "WKS.0407": Fault(
        "status", 400, {"error_code": "WKS.0407", "error_msg": "Disks are being added"}
    ),
    "malformed": Fault("malformed"),
}

# Submit: the state the request is left in right after the call, words of its message, and
# what the reconcile step makes of it once the cloud answers again. None: no request at all
# (the desktop could not be read first, so nothing was sent and the form says why).
UNKNOWN = ("submitting", "may or may not have started", "needs_review")
SUBMIT = {
    # The stalled call is still carried out by the cloud: reconcile finds its job.
    "timeout": ("submitting", "timed out", "running"),
    "refused": (None, "Could not read the desktop from the cloud", None),
    "dropped": UNKNOWN,
    "500": UNKNOWN,
    "503": UNKNOWN,
    "401": ("failed", "rejected the credentials", "failed"),
    "409": ("failed", "conflicts with the desktop's current state", "failed"),
    "WKS.0407": ("failed", "Disks are being added", "failed"),
    "malformed": ("submitting", "unreadable answer", "needs_review"),
}
# Poll: the words of the request's poll_error while it stays `running`.
POLL = {
    "timeout": "timed out",
    "refused": "connection failed",
    "dropped": "connection failed",
    "500": "internal error",
    "503": "unavailable",
    "401": "credentials",
    "409": "conflict",
    "WKS.0407": "Disks are being added",
    "malformed": "unreadable answer",
}
# Sync: the words of the error the command prints; the inventory stays as it was.
SYNC = {
    "timeout": "timed out",
    "refused": "connection failed",
    "dropped": "connection failed",
    "500": "internal error",
    "503": "unavailable",
    "401": "rejected the credentials",
    "409": "conflicts",
    "WKS.0407": "Disks are being added",
    "malformed": "unreadable answer",
}


def cells():
    for column in ("submit", "poll", "sync"):
        for fault in FAULTS:
            yield pytest.param(column, fault, id=f"{column}-{fault}")


@pytest.fixture
def cloud(synced, settings):
    settings.WORKSPACE_TIMEOUT = (1.0, READ_TIMEOUT)
    settings.WORKSPACE_RETRY_BACKOFF = 0.01
    reset_client()
    working_endpoint = settings.WORKSPACE_ENDPOINT

    class Cloud:
        sim = synced
        stalled = False

        def break_(self, column: str, fault: str) -> None:
            spec = FAULTS[fault]
            self.stalled = spec.kind == "stall"
            if spec.kind == "refused":
                settings.WORKSPACE_ENDPOINT = f"http://127.0.0.1:{_closed_port()}"
            else:
                # Enough calls to outlast the client's own retries of a read.
                synced.inject_fault(
                    OPERATION[column],
                    spec.kind,
                    count=10,
                    status=spec.status,
                    body=spec.body,
                    seconds=STALL_SECONDS if spec.kind == "stall" else None,
                )
            reset_client()

        def mend(self) -> None:
            if self.stalled:
                time.sleep(STALL_SECONDS + 0.2)  # let the stalled call finish on the cloud's side
            synced.clear_faults()
            settings.WORKSPACE_ENDPOINT = working_endpoint
            reset_client()

        def add_calls(self) -> int:
            return len(synced.requests_log("AddDesktopVolumes"))

    return Cloud()


def submit(user, desktop_id) -> DiskRequest:
    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
    )


def due(disk_request: DiskRequest, *, age: timedelta = timedelta(0)) -> DiskRequest:
    now = timezone.now()
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=now, created_at=now - age)
    return DiskRequest.objects.get(pk=disk_request.pk)


@pytest.mark.parametrize(("column", "fault"), list(cells()))
def test_each_fault_ends_in_a_stated_state(cloud, helpdesk_user, column, fault):
    desktop_id = seeded_desktop(cloud.sim, data_disks=0)
    desktops_before = Desktop.objects.count()
    if column == "submit":
        check_submit(cloud, helpdesk_user, desktop_id, fault)
    elif column == "poll":
        check_poll(cloud, helpdesk_user, desktop_id, fault)
    else:
        check_sync(cloud, fault)
    assert Desktop.objects.count() == desktops_before, "desktops lost"
    assert audit_chain_verify().intact


def check_submit(cloud, user, desktop_id, fault):
    state, words, after_reconcile = SUBMIT[fault]
    events_before = AuditEvent.objects.count()
    cloud.break_("submit", fault)
    if state is None:
        with pytest.raises(ValidationError, match=words):
            submit(user, desktop_id)
        cloud.mend()
        assert DiskRequest.objects.count() == 0 and cloud.add_calls() == 0
        return
    disk_request = submit(user, desktop_id)
    assert disk_request.status == state
    assert words in disk_request.error_message
    assert AuditEvent.objects.filter(disk_request=disk_request).count() >= 2  # submitted + answer
    cloud.mend()
    assert cloud.add_calls() == 1
    if disk_request.status == Status.SUBMITTING:
        grace = timedelta(seconds=polling.SUBMIT_GRACE_SECONDS + 1)
        disk_request = polling.disk_request_reconcile(disk_request=due(disk_request, age=grace))
    assert disk_request.status == after_reconcile
    assert disk_request.error_message or disk_request.status == Status.RUNNING
    assert cloud.add_calls() == 1, "sent twice"
    assert AuditEvent.objects.count() > events_before


def check_poll(cloud, user, desktop_id, fault):
    disk_request = submit(user, desktop_id)
    assert disk_request.status == Status.RUNNING
    cloud.break_("poll", fault)
    disk_request = polling.disk_request_poll_if_due(disk_request=due(disk_request))
    assert disk_request.status == Status.RUNNING, disk_request.error_message
    assert POLL[fault].lower() in disk_request.poll_error.lower()
    assert disk_request.next_poll_at > timezone.now(), "no back-off"
    cloud.mend()
    cloud.sim.finish_job(disk_request.job_id)
    disk_request = polling.disk_request_poll_if_due(disk_request=due(disk_request))
    assert disk_request.status == Status.SUCCEEDED
    assert cloud.add_calls() == 1


def check_sync(cloud, fault):
    cloud.break_("sync", fault)
    with pytest.raises(WorkspaceError):
        desktop_inventory_sync()
    with pytest.raises(CommandError, match=f"sync failed: .*{SYNC[fault]}"):
        call_command("sync_desktops", stdout=StringIO())
    cloud.mend()
    assert desktop_inventory_sync().removed == []
    assert cloud.add_calls() == 0
