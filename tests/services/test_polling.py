"""Following a job to its end: poll, lease, failures, deadline, and the reconcile step."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from disks.client import VolumeSpec, get_client
from disks.models import AuditEvent, Desktop, DiskRequest
from disks.services import polling
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, seeded_desktop

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status


def submit(user, desktop_id, *volumes):
    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=list(volumes) or [VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
    )


def make_due(disk_request):
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=timezone.now())
    disk_request.refresh_from_db()
    return disk_request


def poll(disk_request):
    return polling.disk_request_poll_if_due(disk_request=make_due(disk_request))


def show_job_calls(sim) -> int:
    return len(sim.requests_log("ShowJob"))


@pytest.fixture
def running(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    return submit(helpdesk_user, desktop_id, VolumeSpec("SAS", 20), VolumeSpec("SSD", 30))


def test_a_finished_job_succeeds_and_the_new_disks_show_at_once(synced, running):
    synced.finish_job(running.job_id)
    done = poll(running)
    assert done.status == Status.SUCCEEDED
    assert done.progress == 100 and not done.progress_is_estimate
    assert done.finished_at and done.next_poll_at is None
    assert done.sub_jobs[0]["status"] == "SUCCESS"
    desktop = Desktop.objects.get(desktop_id=running.desktop_id)
    assert desktop.data_volume_count == 2
    assert sorted(v["device"] for v in desktop.data_volumes) == ["/dev/vdb", "/dev/vdc"]
    change = AuditEvent.objects.get(disk_request=done, action="disk_job.status_changed")
    assert (change.outcome, change.details["to"]) == ("success", "succeeded")


def test_a_failed_job_keeps_its_code_and_reason(synced, helpdesk_user):
    disk_request = submit(helpdesk_user, seeded_desktop(synced, data_disks=0))
    synced.finish_job(
        disk_request.job_id,
        outcome="fail",
        error_code="WKS.00010109",
        fail_reason="The computer name is empty.",
    )
    failed = poll(disk_request)
    assert failed.status == Status.FAILED
    assert failed.error_code == "WKS.00010109"
    assert "The computer name is empty." in failed.error_message
    assert Desktop.objects.get(desktop_id=failed.desktop_id).data_volume_count == 0


def test_a_running_job_records_its_progress(synced, running):
    refreshed = poll(running)
    assert refreshed.status == Status.RUNNING
    assert refreshed.progress is not None
    assert refreshed.last_polled_at is not None


def test_a_job_the_api_no_longer_knows_needs_review(synced, running):
    synced.inject_fault("ShowJob", "status", status=404, body={"error_code": "WKS.0404"})
    lost = poll(running)
    assert lost.status == Status.NEEDS_REVIEW
    assert "no longer knows job" in lost.error_message


def test_an_outage_backs_off_without_failing(synced, running, settings):
    settings.WORKSPACE_GET_RETRIES = 0
    from disks.client import reset_client

    reset_client()
    synced.inject_fault("ShowJob", "status", count=2, status=503, body={"error_code": "X"})
    first = poll(running)
    assert first.status == Status.RUNNING
    assert first.poll_failures == 1
    assert "not answering" in first.poll_error
    gap = (first.next_poll_at - first.last_polled_at).total_seconds()
    second = poll(first)
    assert second.poll_failures == 2
    assert (second.next_poll_at - second.last_polled_at).total_seconds() > gap
    recovered = poll(second)
    assert recovered.poll_failures == 0 and recovered.poll_error == ""


def test_past_the_deadline_it_needs_review(synced, running):
    DiskRequest.objects.filter(pk=running.pk).update(deadline_at=timezone.now() - timedelta(1))
    running.refresh_from_db()
    late = poll(running)
    assert late.status == Status.NEEDS_REVIEW
    assert "did not finish by its deadline" in late.error_message
    assert show_job_calls(synced) == 0


def test_one_period_one_poll_however_many_ask(synced, running):
    due = make_due(running)
    for _ in range(5):
        polling.disk_request_poll_if_due(disk_request=DiskRequest.objects.get(pk=due.pk))
    assert show_job_calls(synced) == 1


def test_the_stale_fallback_waits_two_periods(synced, running):
    polling.disk_request_poll_if_due(disk_request=make_due(running), stale_only=True)
    assert show_job_calls(synced) == 0
    period = running.poll_interval_seconds
    stale = timezone.now() - timedelta(seconds=3 * period)
    DiskRequest.objects.filter(pk=running.pk).update(next_poll_at=stale)
    running.refresh_from_db()
    polling.disk_request_poll_if_due(disk_request=running, stale_only=True)
    assert show_job_calls(synced) == 1


def lost_submit(synced, user, *, send: bool):
    """A request saved as `submitting` whose answer never got recorded (a crash)."""
    desktop_id = seeded_desktop(synced, data_disks=0)
    if send:
        get_client().add_desktop_volumes(desktop_id, [VolumeSpec("SAS", 20)])
    disk_request = DiskRequest.objects.create(
        desktop_id=desktop_id,
        desktop_name="lost",
        volumes=[{"type": "SAS", "size": 20}],
        audience="helpdesk",
        status=Status.SUBMITTING,
        requested_by=user,
        requested_by_username=user.username,
        data_disks_before=0,
        next_poll_at=timezone.now(),
    )
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    disk_request.refresh_from_db()
    return disk_request


def test_reconcile_finds_the_job_of_a_lost_submit_and_never_resends(synced, helpdesk_user):
    disk_request = lost_submit(synced, helpdesk_user, send=True)
    found = poll(disk_request)
    assert found.status == Status.RUNNING
    assert found.job_id
    synced.finish_job(found.job_id)
    assert poll(found).status == Status.SUCCEEDED
    assert len(synced.requests_log("AddDesktopVolumes")) == 1
    decision = AuditEvent.objects.get(disk_request=found, action="disk_request.reconciled")
    assert decision.details["decision"] == "running"


def test_reconcile_without_any_trace_needs_review(synced, helpdesk_user):
    disk_request = lost_submit(synced, helpdesk_user, send=False)
    unknown = poll(disk_request)
    assert unknown.status == Status.NEEDS_REVIEW
    assert "No sign that the cloud received the request" in unknown.error_message
    assert len(synced.requests_log("AddDesktopVolumes")) == 0


def test_reconcile_waits_while_the_answer_may_still_come(synced, helpdesk_user):
    disk_request = lost_submit(synced, helpdesk_user, send=False)
    DiskRequest.objects.filter(pk=disk_request.pk).update(created_at=timezone.now())
    disk_request.refresh_from_db()
    assert poll(disk_request).status == Status.SUBMITTING


def test_estimated_progress_rises_and_never_claims_done(running):
    running.min_provision_minutes, running.max_provision_minutes = 1, 30
    start = running.submitted_at
    estimates = [
        polling.estimated_progress(running, start + timedelta(minutes=m)) for m in (0, 1, 10, 60)
    ]
    assert estimates == sorted(estimates)
    assert estimates[0] == 0 and estimates[-1] == 95
