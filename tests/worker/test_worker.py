"""Jobs are followed to the end by the worker, with or without anyone watching."""

import itertools
import math
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from disks.client import VolumeSpec
from disks.models import DiskRequest, PeriodicRun
from disks.services import periodic, polling
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, seeded_desktop
from tests.worker.conftest import WorkerThread, run_batch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator(speed=10)]

Status = DiskRequest.Status


def submit(user, sim, **kwargs):
    return disk_request_submit(
        desktop_id=seeded_desktop(sim, data_disks=0),
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
        **kwargs,
    )


def status_of(disk_request) -> str:
    return DiskRequest.objects.values_list("status", flat=True).get(pk=disk_request.pk)


def test_a_request_is_followed_to_success_with_no_browser(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    assert DBTaskResult.objects.count() == 1, "the poll task is enqueued on commit"
    run_batch(lambda: status_of(disk_request) == Status.SUCCEEDED)
    done = DiskRequest.objects.get(pk=disk_request.pk)
    assert done.progress == 100 and done.last_polled_at is not None


def test_a_request_is_followed_to_failure_with_no_browser(task_queue, workspace, helpdesk_user):
    workspace.fail_next_job("WKS.00010110", "No valid IP address.")
    disk_request = submit(helpdesk_user, workspace)
    run_batch(lambda: status_of(disk_request) == Status.FAILED)
    failed = DiskRequest.objects.get(pk=disk_request.pk)
    assert failed.error_code == "WKS.00010110"
    assert "No valid IP address." in failed.error_message


def overdue(disk_request, seconds=60):
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        next_poll_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_wiped_queue_recovers_through_the_sweep(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    DBTaskResult.objects.all().delete()
    overdue(disk_request)
    assert polling.disk_requests_sweep() == 1
    run_batch(lambda: status_of(disk_request) == Status.SUCCEEDED)


def test_a_worker_killed_mid_task_recovers_through_the_sweep(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    task = DBTaskResult.objects.get()
    task.claim("worker-that-died")  # RUNNING forever: django-tasks-db never retries it
    overdue(disk_request)
    run_batch(lambda: True)  # nothing is ready: the request does not move
    assert status_of(disk_request) == Status.RUNNING
    polling.disk_requests_sweep()
    run_batch(lambda: status_of(disk_request) == Status.SUCCEEDED)


def test_the_sweep_leaves_a_request_whose_poll_task_is_waiting_for_a_busy_worker(
    task_queue, workspace, helpdesk_user
):
    disk_request = submit(helpdesk_user, workspace)
    overdue(disk_request)
    # Its task is due and still queued: every worker is busy, nothing was lost.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=60))

    assert polling.disk_requests_sweep() == 0
    assert DBTaskResult.objects.count() == 1, "no duplicate behind the backlog"
    run_batch(lambda: status_of(disk_request) == Status.SUCCEEDED)


def test_a_crash_after_the_call_is_reconciled_without_a_second_call(
    task_queue, workspace, helpdesk_user, monkeypatch
):
    from disks.services import requests as request_services

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("the process died before saving the answer")

    monkeypatch.setattr(request_services, "_record_accepted", crash)
    with pytest.raises(KeyboardInterrupt):
        submit(helpdesk_user, workspace)
    monkeypatch.undo()
    disk_request = DiskRequest.objects.get()
    assert disk_request.status == Status.SUBMITTING and disk_request.next_poll_at is None
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    polling.disk_requests_sweep()
    run_batch(lambda: status_of(disk_request) == Status.SUCCEEDED)
    assert len(workspace.requests_log("AddDesktopVolumes")) == 1


def test_past_its_deadline_a_request_needs_review(task_queue, workspace, helpdesk_user):
    disk_request = submit(helpdesk_user, workspace)
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=1)
    )
    run_batch(lambda: status_of(disk_request) == Status.NEEDS_REVIEW)
    assert "deadline" in DiskRequest.objects.get(pk=disk_request.pk).error_message


def watch(client, url, stop):
    try:
        while not stop.is_set():
            client.get(url, HTTP_HX_REQUEST="true")
            time.sleep(0.1)
    finally:
        connections.close_all()  # this thread's own connection, so teardown can drop the DB


@pytest.mark.simulator(speed=2)
def test_cloud_calls_per_job_stay_bounded_while_twenty_people_watch(
    task_queue, workspace, helpdesk_user
):
    disk_request = submit(helpdesk_user, workspace)
    started = time.monotonic()
    url = reverse("disks:helpdesk-request-status", args=[disk_request.pk])
    stop = threading.Event()
    watchers = []
    for _ in range(20):
        client = Client()
        client.force_login(helpdesk_user)
        watchers.append(threading.Thread(target=watch, args=(client, url, stop), daemon=True))
    worker = WorkerThread("worker-1")
    for thread in [*watchers, worker]:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while status_of(disk_request) != Status.SUCCEEDED and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.stop()
        for thread in watchers:
            thread.join(timeout=5)
    duration = time.monotonic() - started
    period = DiskRequest.objects.get(pk=disk_request.pk).poll_interval_seconds
    calls = len(workspace.requests_log("ShowJob"))
    assert status_of(disk_request) == Status.SUCCEEDED
    assert 1 <= calls <= math.ceil(duration / period) + 2, (calls, duration, period)


@pytest.mark.simulator(speed=1)
def test_two_workers_never_poll_one_request_twice_in_one_period(
    task_queue, workspace, helpdesk_user, settings, monkeypatch
):
    settings.WORKSPACE_JOB_POLL_MAX_SECONDS = 1
    disk_request = submit(helpdesk_user, workspace)
    for _ in range(8):  # duplicates, as a sweep racing a live task would make
        polling.poll_task_enqueue(disk_request)
    # The rule is about claims: a claim's ShowJob call can start late on a loaded machine,
    # so the gaps between calls say less than the gaps between the claims that allowed them.
    claims = []
    claim = polling._claimed

    def recording_claim(disk_request, *, due_before, now):
        won = claim(disk_request, due_before=due_before, now=now)
        if won is not None:
            claims.append(now)
        return won

    monkeypatch.setattr(polling, "_claimed", recording_claim)
    workers = [WorkerThread("worker-a"), WorkerThread("worker-b")]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 30
        while status_of(disk_request) != Status.SUCCEEDED and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.stop()
    assert status_of(disk_request) == Status.SUCCEEDED
    assert len(claims) >= 2
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sorted(claims))]
    assert min(gaps) >= 1.0, gaps  # one period
    assert len(workspace.requests_log("ShowJob")) == len(claims), "one call per claim"


def test_each_periodic_job_runs_once_per_period_whoever_asks(task_queue, workspace):
    first = periodic.periodic_run_due()
    second = periodic.periodic_run_due()
    assert first == [
        "sweep",
        "inventory_sync",
        "audit_verify",
        "task_results_prune",
        "api_rate_windows_prune",
    ]
    assert second == []
    assert PeriodicRun.objects.get(name="inventory_sync").last_result.startswith("54 desktops")
    PeriodicRun.objects.update(next_run_at=timezone.now())
    assert periodic.periodic_run_due() == [
        "sweep",
        "inventory_sync",
        "audit_verify",
        "task_results_prune",
        "api_rate_windows_prune",
    ]
    from disks.audit_chain import audit_chain_verdict_cached

    assert audit_chain_verdict_cached().verdict.intact, "the worker keeps the verdict fresh"
