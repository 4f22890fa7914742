"""The next task is written with the write that calls for it (disks.task_queue, issue 22).

With django-tasks-db a queued task is a row in the same database: a move into flight and
its poll commit together or not at all. A poll claims its period and reads its row in one
statement.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from disks.client import VolumeSpec
from disks.models import DiskRequest
from disks.services import polling
from disks.services.lifecycle import POLL_TASK
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, seeded_desktop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator(speed=1)]

Status = DiskRequest.Status


def submit(user, sim) -> DiskRequest:
    return disk_request_submit(
        desktop_id=seeded_desktop(sim, data_disks=0),
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
    )


def polls_queued(disk_request: DiskRequest) -> int:
    return DBTaskResult.objects.filter(
        task_path=POLL_TASK, args_kwargs__args=[disk_request.pk]
    ).count()


def test_a_move_into_flight_and_its_poll_commit_together(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    assert disk_request.status == Status.RUNNING
    task = DBTaskResult.objects.get(task_path=POLL_TASK)
    assert task.run_after == disk_request.next_poll_at


def test_a_move_rolled_back_leaves_no_poll_behind(task_queue, workspace, helpdesk_user):
    """The outbox's point: no task for a move that did not happen (and none missing for one
    that did, whatever happens to the process after the commit)."""
    disk_request = submit(helpdesk_user, workspace)
    DBTaskResult.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        polling.poll_task_enqueue(disk_request)
        assert polls_queued(disk_request) == 1, "written inside the transaction"
        raise RuntimeError("the caller's write fails")
    assert polls_queued(disk_request) == 0


def test_a_poll_of_a_running_job_claims_and_reads_its_row_in_one_statement(
    task_queue, workspace, helpdesk_user
):
    disk_request = submit(helpdesk_user, workspace)
    DBTaskResult.objects.all().delete()
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        next_poll_at=timezone.now() - timedelta(seconds=1)
    )
    due = DiskRequest.objects.get(pk=disk_request.pk)
    with CaptureQueriesContext(connection) as queries:
        polled = polling.disk_request_poll_if_due(disk_request=due)
    assert polled.status == Status.RUNNING, "a one-minute job is still running"
    assert polls_queued(disk_request) == 1
    sql = [query["sql"] for query in queries]
    claims = [s for s in sql if s.startswith("UPDATE") and "RETURNING" in s]
    assert len(claims) == 1, "the claim returns the row: no read after it"
    assert not [s for s in sql if s.startswith("SELECT") and "disks_diskrequest" in s]
    # The save and the next poll: two autocommits, no BEGIN and COMMIT round trips.
    assert not [s for s in sql if s.startswith(("BEGIN", "SAVEPOINT"))]


def test_a_claim_held_by_another_worker_returns_nothing(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    now = timezone.now()
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=now - timedelta(seconds=1))
    first = polling._claimed(disk_request, due_before=now, now=now)
    second = polling._claimed(disk_request, due_before=now, now=now)
    assert first is not None and first.next_poll_at > now
    assert first.volumes == disk_request.volumes, "JSON fields read back as the ORM reads them"
    assert second is None
