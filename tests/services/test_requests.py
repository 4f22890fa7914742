"""disk_request_submit against the simulator: checks, one upstream call, every refusal."""

import time
import uuid

import pytest
from django.core.exceptions import ValidationError

from disks.client import VolumeSpec
from disks.models import AuditEvent, DiskRequest
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, seeded_desktop

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status


def submit(user, desktop_id, *volumes, key=None):
    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=list(volumes) or [VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=key or uuid.uuid4(),
    )


def add_calls(sim) -> int:
    return len(sim.requests_log("AddDesktopVolumes"))


def actions(disk_request) -> list[str]:
    return list(
        AuditEvent.objects.filter(disk_request=disk_request)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_it_submits_and_records_the_job(synced, helpdesk_user, django_capture_on_commit_callbacks):
    desktop_id = seeded_desktop(synced, data_disks=0)
    with django_capture_on_commit_callbacks() as callbacks:
        disk_request = submit(
            helpdesk_user, desktop_id, VolumeSpec("SAS", 20), VolumeSpec("SSD", 40)
        )
    assert disk_request.status == Status.RUNNING
    assert disk_request.job_id
    assert disk_request.data_disks_before == 0
    assert disk_request.max_provision_minutes == 30
    assert disk_request.next_poll_at and disk_request.deadline_at
    assert add_calls(synced) == 1
    assert actions(disk_request) == ["disk_request.submitted", "disk_request.accepted"]
    assert len(callbacks) == 1, "the poll task is enqueued once, after commit"
    body = synced.requests_log("AddDesktopVolumes")[0]
    assert body["auth_ok"]


def test_the_same_key_three_times_makes_one_upstream_call(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    key = uuid.uuid4()
    first = submit(helpdesk_user, desktop_id, key=key)
    again = [submit(helpdesk_user, desktop_id, key=key) for _ in range(2)]
    assert {r.pk for r in again} == {first.pk}
    assert add_calls(synced) == 1
    assert DiskRequest.objects.count() == 1


def test_it_counts_disks_on_the_desktop_as_the_api_sees_it_now(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    # Behind the dashboard's back, the desktop gains nine disks; the inventory still says 0.
    synced.patch_desktop(desktop_id, add_data_volumes=[{"type": "SAS", "size": 10}] * 9)
    with pytest.raises(ValidationError) as refused:
        submit(helpdesk_user, desktop_id, VolumeSpec("SAS", 10), VolumeSpec("SAS", 10))
    assert "already has 9 data disks and can take only 1 more" in str(refused.value)
    assert add_calls(synced) == 0
    assert not DiskRequest.objects.exists()


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"status": "SHUTOFF"}, "disks can be added only while it is running (ACTIVE)"),
        ({"task_status": "rebuilding"}, "The desktop is busy (rebuilding)"),
    ],
)
def test_it_refuses_a_desktop_that_is_not_ready(synced, helpdesk_user, patch, message):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.patch_desktop(desktop_id, **patch)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        submit(helpdesk_user, desktop_id)
    assert add_calls(synced) == 0


def test_it_refuses_a_type_the_cloud_does_not_sell(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    with pytest.raises(ValidationError, match="does not offer ESSD disks"):
        submit(helpdesk_user, desktop_id, VolumeSpec("ESSD", 10))


def test_it_refuses_a_second_request_while_one_is_in_flight(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    first = submit(helpdesk_user, desktop_id)
    with pytest.raises(ValidationError, match=f"Request #{first.pk} is already adding disks"):
        submit(helpdesk_user, desktop_id)
    assert add_calls(synced) == 1


def test_the_database_admits_one_in_flight_request_per_desktop(synced, helpdesk_user):
    from django.db import IntegrityError, transaction

    desktop_id = seeded_desktop(synced, data_disks=0)
    first = submit(helpdesk_user, desktop_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiskRequest.objects.create(
            desktop_id=desktop_id,
            volumes=first.volumes,
            audience="helpdesk",
            status=Status.SUBMITTING,
            requested_by_username="x",
        )


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "WKS.0407", "The Workspace API refused the request: disks are being added"),
        (401, "APIGW.0301", "rejected the credentials"),
        (403, "WKS.00010099", "no permission"),
        (404, "WKS.0404", "was not found"),
        (409, "WKS.0409", "conflicts with the desktop's current state"),
    ],
)
def test_an_api_refusal_fails_the_request_with_code_and_request_id(
    synced, helpdesk_user, status, code, message
):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=status,
        body={"error_code": code, "error_msg": "disks are being added"},
    )
    disk_request = submit(helpdesk_user, desktop_id)
    assert disk_request.status == Status.FAILED
    assert disk_request.error_code == code
    assert message in disk_request.error_message
    assert len(disk_request.api_request_id) >= 16
    assert actions(disk_request) == ["disk_request.submitted", "disk_request.refused"]
    assert add_calls(synced) == 1


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("status", {"status": 500, "body": {"error_code": "WKS.0500", "error_msg": "boom"}}),
        ("stall", {"seconds": 1.5}),
        ("drop", {}),
        ("malformed", {}),
        ("html", {"status": 502}),
    ],
)
def test_an_answer_we_cannot_trust_leaves_the_request_for_reconcile(
    synced, helpdesk_user, settings, kind, options
):
    from disks.client import reset_client

    settings.WORKSPACE_TIMEOUT = (1.0, 1.0)
    reset_client()
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.inject_fault("AddDesktopVolumes", kind, **options)
    disk_request = submit(helpdesk_user, desktop_id)
    time.sleep(options.get("seconds", 0))  # the simulator logs a stalled call when it ends
    assert disk_request.status == Status.SUBMITTING
    assert "may or may not have started" in disk_request.error_message
    assert actions(disk_request) == ["disk_request.submitted", "disk_request.outcome_unknown"]
    assert add_calls(synced) == 1, "a POST is never resent"


def test_a_request_that_never_left_fails_plainly(synced, helpdesk_user, settings):
    from disks.client import reset_client

    desktop_id = seeded_desktop(synced, data_disks=0)
    submit(helpdesk_user, desktop_id)  # warm the disk-type cache while the API answers
    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:9"  # nothing listens on the discard port
    reset_client()
    with pytest.raises(ValidationError, match="Could not read the desktop from the cloud"):
        submit(helpdesk_user, seeded_desktop(synced, data_disks=0, status="ACTIVE"))


def test_an_approved_request_once_sent_forgets_the_cached_quotas(synced, end_user, helpdesk_user):
    """The approval sends the request as a submit does, so the quota line must not stay stale."""
    from django.core.cache import cache

    from disks.services.approvals import disk_request_approve
    from disks.services.quotas import QUOTAS_CACHE_KEY, quotas_read
    from tests.factories import desktop_of, request_held

    held = request_held(desktop_of(synced, end_user.username), end_user)
    assert quotas_read() is not None
    assert cache.get(QUOTAS_CACHE_KEY) is not None

    sent = disk_request_approve(disk_request=held, actor=helpdesk_actor(helpdesk_user))

    assert sent.status == DiskRequest.Status.RUNNING
    assert cache.get(QUOTAS_CACHE_KEY) is None
