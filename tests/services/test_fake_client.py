"""The in-memory fake and the simulator answer the services alike (a contract test), and the
services' decisions, checked against the fake where no HTTP is needed."""

import os
import uuid

import pytest
from django.core.exceptions import ValidationError

from disks.client import VolumeSpec, WorkspaceRefused, WorkspaceUnavailable, get_client
from disks.models import AuditEvent, DiskRequest
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


def poll(disk_request):
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=disk_request.created_at)
    disk_request.refresh_from_db()
    return polling.disk_request_poll_if_due(disk_request=disk_request)


def script(user, desktop_id, finish) -> list:
    """Submit two disks, poll, finish the job, poll: what a service sees at each step."""
    submitted = submit(user, desktop_id, VolumeSpec("SAS", 20), VolumeSpec("SSD", 30))
    seen = [submitted.status, submitted.data_disks_before]
    polled = poll(submitted)
    seen.append(polled.status)
    finish(polled.job_id)
    done = poll(polled)
    client = get_client()
    seen += [done.status, done.progress, len(client.show_desktop_detail(desktop_id).data_volumes)]
    seen.append(type(_error_of(lambda: client.show_desktop_detail("no-such-desktop"))).__name__)
    return seen


def _error_of(call):
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("expected an error")


def test_the_fake_and_the_simulator_take_a_request_through_the_same_steps(
    synced, helpdesk_user, django_user_model
):
    from tests.fake_client import FakeWorkspace

    on_simulator = script(helpdesk_user, seeded_desktop(synced, data_disks=0), synced.finish_job)

    from disks.client import workspace

    fake = FakeWorkspace()
    workspace._cached.update({key: (os.getpid(), fake) for key in (False, True)})
    try:
        other = django_user_model.objects.create_user(username="fake.sam", password="pw-x-1")
        on_fake = script(other, fake.add_desktop(data_disks=0), fake.finish_job)
    finally:
        workspace.reset_client()
    assert (
        on_fake
        == on_simulator
        == [
            Status.RUNNING,
            0,
            Status.RUNNING,
            Status.SUCCEEDED,
            100,
            2,
            "WorkspaceRefused",
        ]
    )


# Service decisions, against the fake -----------------------------------------------------------


def test_a_refusal_fails_the_request_with_the_clouds_code(fake_cloud, helpdesk_user):
    desktop_id = fake_cloud.add_desktop()
    fake_cloud.fail_next(
        "add_desktop_volumes",
        WorkspaceRefused(
            "AddDesktopVolumes", status=400, error_code="WKS.0021", error_msg="No room."
        ),
    )
    refused = submit(helpdesk_user, desktop_id)
    assert (refused.status, refused.error_code) == (Status.FAILED, "WKS.0021")
    assert AuditEvent.objects.filter(disk_request=refused, action="disk_request.refused").exists()


def test_a_lost_answer_leaves_the_request_for_the_reconcile_step(fake_cloud, helpdesk_user):
    desktop_id = fake_cloud.add_desktop()
    fake_cloud.fail_next(
        "add_desktop_volumes",
        WorkspaceUnavailable("AddDesktopVolumes", status=503, outcome_unknown=True),
    )
    pending = submit(helpdesk_user, desktop_id)
    assert pending.status == Status.SUBMITTING and pending.next_poll_at is not None
    assert "will not be sent again" in pending.error_message


@pytest.mark.parametrize(
    ("desktop", "message"),
    [
        ({"status": "SHUTOFF"}, "while it is running (ACTIVE)"),
        ({"task_status": "rebooting"}, "The desktop is busy (rebooting)"),
        ({"data_disks": 10}, "10"),
    ],
)
def test_a_desktop_that_cannot_take_disks_is_refused_before_any_write(
    fake_cloud, helpdesk_user, desktop, message
):
    desktop_id = fake_cloud.add_desktop(**desktop)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        submit(helpdesk_user, desktop_id)
    assert not fake_cloud.called("add_desktop_volumes")
    assert not DiskRequest.objects.exists()


def test_a_failed_job_keeps_the_clouds_reason(fake_cloud, helpdesk_user):
    running = submit(helpdesk_user, fake_cloud.add_desktop())
    fake_cloud.finish_job(running.job_id, failed=True, reason="The disk could not be attached.")
    failed = poll(running)
    assert failed.status == Status.FAILED
    assert "The disk could not be attached." in failed.error_message


def test_one_poll_per_period_whatever_the_watchers(fake_cloud, helpdesk_user):
    running = submit(helpdesk_user, fake_cloud.add_desktop())
    poll(running)
    for _ in range(20):
        polling.disk_request_poll_if_due(disk_request=DiskRequest.objects.get(pk=running.pk))
    assert len(fake_cloud.called("show_job")) == 1


def volume_script(user, desktop_id, finish) -> list:
    """Expand a data disk, then delete another, each to the end: what a service sees."""
    from disks.models import Desktop
    from disks.services.volume_changes import disk_delete_submit, disk_expand_submit

    client = get_client()
    first, second = client.show_desktop_detail(desktop_id).data_volumes[:2]
    grown = disk_expand_submit(
        desktop_id=desktop_id,
        new_sizes={first.volume_id: first.size + 10},
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
    )
    seen = [grown.status, grown.added_gb]
    finish(grown.job_id)
    seen.append(poll(grown).status)
    sizes = {v.volume_id: v.size for v in client.show_desktop_detail(desktop_id).data_volumes}
    seen.append(sizes[first.volume_id] - first.size)
    gone = disk_delete_submit(
        desktop_id=desktop_id,
        volume_ids=[second.volume_id],
        confirmation=Desktop.objects.get(desktop_id=desktop_id).computer_name,
        actor=helpdesk_actor(user),
        idempotency_key=uuid.uuid4(),
    )
    seen.append(gone.status)
    finish(gone.job_id)
    seen.append(poll(gone).status)
    remaining = {v.volume_id for v in client.show_desktop_detail(desktop_id).data_volumes}
    seen.append(second.volume_id in remaining)
    return seen


def test_the_fake_and_the_simulator_expand_and_delete_alike(
    synced, helpdesk_user, django_user_model, settings
):
    from disks.services.inventory import desktop_refresh
    from tests.fake_client import FakeWorkspace

    settings.DELETE_REQUIRES_APPROVAL = False
    on_simulator = volume_script(
        helpdesk_user, seeded_desktop(synced, data_disks=2), synced.finish_job
    )

    from disks.client import workspace

    fake = FakeWorkspace()
    workspace._cached.update({key: (os.getpid(), fake) for key in (False, True)})
    try:
        other = django_user_model.objects.create_user(username="fake.sam", password="pw-x-1")
        desktop_id = fake.add_desktop(data_disks=2)
        desktop_refresh(desktop_id=desktop_id)
        on_fake = volume_script(other, desktop_id, fake.finish_job)
    finally:
        workspace.reset_client()
    assert (
        on_fake
        == on_simulator
        == [
            Status.RUNNING,
            10,
            Status.SUCCEEDED,
            10,
            Status.RUNNING,
            Status.SUCCEEDED,
            False,
        ]
    )
