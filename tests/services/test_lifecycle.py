"""The request lifecycle: the table of moves is the only way a status changes."""

import ast
import itertools
import re
import uuid
from pathlib import Path

import pytest

from disks.models import AuditEvent, DiskRequest
from disks.services import lifecycle
from disks.services.lifecycle import (
    ALLOWED_MOVES,
    AuditEntry,
    IllegalMove,
    StaleMove,
    disk_request_create,
    disk_request_move,
)
from tests.factories import REPO_ROOT, SYSTEM

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
EVERY_STATUS = [None, *Status.values]
NOTED = AuditEntry(AuditEvent.Action.JOB_STATUS_CHANGED, AuditEvent.Outcome.INFO)


def request_in(status: str, desktop_id: str = "d-1") -> DiskRequest:
    """A request saved straight into `status` (a fixture: the lifecycle is what is tested)."""
    return DiskRequest.objects.create(
        desktop_id=desktop_id,
        volumes=[{"type": "SAS", "size": 20}],
        audience="helpdesk",
        status=status,
        requested_by_username="sam",
        idempotency_key=uuid.uuid4(),
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for s, t in itertools.product(EVERY_STATUS, Status.values) if s is not None],
)
def test_every_move_in_the_table_is_made_and_every_other_is_refused(source, target):
    disk_request = request_in(source)
    if lifecycle.is_allowed(source, target):
        moved = disk_request_move(disk_request, to=target, actor=SYSTEM, audit=NOTED)
        stored = DiskRequest.objects.get(pk=disk_request.pk)
        assert (moved.status, stored.status) == (target, target)
        assert AuditEvent.objects.filter(disk_request=disk_request).count() == 1
        if target in DiskRequest.TERMINAL_STATUSES:
            assert stored.finished_at is not None and stored.next_poll_at is None
    else:
        with pytest.raises(IllegalMove, match=f"{source} cannot become {target}"):
            disk_request_move(disk_request, to=target, actor=SYSTEM, audit=NOTED)
        assert DiskRequest.objects.get(pk=disk_request.pk).status == source
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("status", Status.values)
def test_a_new_request_starts_only_where_the_table_says(status):
    fields = {
        "desktop_id": "d-1",
        "volumes": [],
        "audience": "helpdesk",
        "status": status,
        "requested_by_username": "sam",
    }
    if lifecycle.is_allowed(None, status):
        created = disk_request_create(fields=fields, actor=SYSTEM, audit=NOTED)
        assert created.status == status and AuditEvent.objects.count() == 1
    else:
        with pytest.raises(IllegalMove):
            disk_request_create(fields=fields, actor=SYSTEM, audit=NOTED)
        assert not DiskRequest.objects.exists()


def test_final_statuses_have_no_way_out():
    for status in DiskRequest.TERMINAL_STATUSES:
        assert not ALLOWED_MOVES.get(status)


def test_a_move_made_from_a_stale_copy_is_refused_and_leaves_no_event():
    disk_request = request_in(Status.PENDING_APPROVAL)
    stale_copy = DiskRequest.objects.get(pk=disk_request.pk)
    disk_request_move(disk_request, to=Status.REJECTED, actor=SYSTEM, audit=NOTED)
    with pytest.raises(StaleMove):
        disk_request_move(stale_copy, to=Status.SUBMITTING, actor=SYSTEM, audit=NOTED)
    assert DiskRequest.objects.get(pk=disk_request.pk).status == Status.REJECTED
    assert AuditEvent.objects.count() == 1


def test_a_move_into_flight_queues_the_next_poll_once_committed(django_capture_on_commit_callbacks):
    disk_request = request_in(Status.SUBMITTING)
    from django.utils import timezone

    with django_capture_on_commit_callbacks() as callbacks:
        disk_request_move(
            disk_request,
            to=Status.RUNNING,
            actor=SYSTEM,
            audit=NOTED,
            changes={"next_poll_at": timezone.now(), "job_id": "job-1"},
        )
    # The email is only queued for portal requests; the poll task always.
    assert len(callbacks) == 1


# The table is the only writer ----------------------------------------------------------------

DISKS = REPO_ROOT / "disks"
LIFECYCLE = DISKS / "services" / "lifecycle.py"


def _status_writes(path: Path) -> list[str]:
    """Places in a module that assign a `status` attribute or pass `status=` to a write."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        found += [
            f"{path.name}:{node.lineno}"
            for target in targets
            if isinstance(target, ast.Attribute)
            and target.attr == "status"
            # An object setting its own status (an error's HTTP status) is not a request's.
            and not (isinstance(target.value, ast.Name) and target.value.id == "self")
        ]
        if isinstance(node, ast.Call) and _is_write_call(node):
            found += [
                f"{path.name}:{node.lineno}" for keyword in node.keywords if keyword.arg == "status"
            ]
    return found


def _is_write_call(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name in {"update", "create", "get_or_create", "update_or_create", "DiskRequest"}


def test_no_code_but_the_lifecycle_writes_a_request_status():
    writers = [
        place
        for path in sorted(DISKS.rglob("*.py"))
        if path != LIFECYCLE and "migrations" not in path.parts
        for place in _status_writes(path)
    ]
    assert writers == []


def test_the_scan_finds_a_status_write_where_there_is_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "r.status = 'x'\nDiskRequest.objects.filter(pk=1).update(status='y')\n"
        "DiskRequest.objects.filter(status='z')\n"
    )
    assert _status_writes(sample) == ["sample.py:1", "sample.py:2"]


def test_the_design_document_draws_the_table_as_it_is():
    design = (REPO_ROOT / "docs" / "design.md").read_text()
    drawn = re.search(r"```mermaid\n(stateDiagram-v2\n.*?)\n```", design, re.DOTALL)
    assert drawn is not None, "docs/design.md has the state diagram"
    assert drawn.group(1) == lifecycle.state_diagram()
