"""Finished task rows are deleted after TASK_RESULTS_KEEP_DAYS; queued and recent ones stay."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from disks.services import periodic
from disks.tasks import disk_job_poll_task

pytestmark = pytest.mark.django_db


def _task_row(status: str, finished_days_ago: float | None) -> str:
    result = disk_job_poll_task.enqueue(1)
    finished_at = (
        None if finished_days_ago is None else timezone.now() - timedelta(days=finished_days_ago)
    )
    DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=finished_at)
    return str(result.id)


def test_old_finished_rows_go_and_the_rest_stay(task_queue, settings):
    settings.TASK_RESULTS_KEEP_DAYS = 7
    old_success = _task_row(TaskResultStatus.SUCCESSFUL, 8)
    old_failure = _task_row(TaskResultStatus.FAILED, 30)
    recent = _task_row(TaskResultStatus.SUCCESSFUL, 6)
    queued = _task_row(TaskResultStatus.READY, None)

    assert periodic.task_results_prune() == 2

    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {recent, queued}
    assert old_success not in left and old_failure not in left


def test_the_prune_deletes_in_chunks(task_queue, monkeypatch):
    monkeypatch.setattr(periodic, "_PRUNE_CHUNK", 2)
    for _ in range(5):
        _task_row(TaskResultStatus.SUCCESSFUL, 10)
    assert periodic.task_results_prune(keep_days=1) == 5
    assert not DBTaskResult.objects.exists()


def test_zero_days_turns_the_periodic_prune_off(settings):
    settings.TASK_RESULTS_KEEP_DAYS = 0
    period, _ = periodic.periodic_jobs()["task_results_prune"]
    assert period == 0
