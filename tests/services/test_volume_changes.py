"""Expand and delete: the two kinds of request beyond add, against the in-memory fake.

They share add's path (check, record, send once, follow, reconcile, audit); these tests
check what each kind adds to it: its own checks, its disks as recorded, its cloud call, how
the desktop shows it done, the four eyes of a deletion and what the audit history keeps.
"""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from disks.client import Quota, Quotas, VolumeSpec, WorkspaceRefused, WorkspaceUnavailable
from disks.models import AuditEvent, Desktop, DiskRequest
from disks.services import polling
from disks.services.approvals import disk_request_approve, disk_request_reject
from disks.services.requests import disk_request_submit
from disks.services.volume_changes import disk_delete_submit, disk_expand_submit, gigabytes_quota
from tests.factories import helpdesk_actor, portal_actor

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
Kind = DiskRequest.Kind


@pytest.fixture
def second_helpdesk(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="ivo.helpdesk", password="pw-ivo-1")
    user.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    return user


def disks_of(fake, desktop_id):
    return fake.desktops[desktop_id].data_volumes


def expand(user, desktop_id, sizes, *, key=None, actor=None, **kwargs):
    return disk_expand_submit(
        desktop_id=desktop_id,
        new_sizes=sizes,
        actor=actor or helpdesk_actor(user),
        idempotency_key=key or uuid.uuid4(),
        **kwargs,
    )


def delete(user, desktop_id, volume_ids, *, confirmation=None, key=None, actor=None):
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    return disk_delete_submit(
        desktop_id=desktop_id,
        volume_ids=volume_ids,
        confirmation=desktop.computer_name if confirmation is None else confirmation,
        actor=actor or helpdesk_actor(user),
        idempotency_key=key or uuid.uuid4(),
    )


def synced_desktop(fake, **kwargs) -> str:
    """A desktop on the fake, in the inventory too (as the desktop page would have it)."""
    from disks.services.inventory import desktop_refresh

    desktop_id = fake.add_desktop(**kwargs)
    desktop_refresh(desktop_id=desktop_id)
    return desktop_id


def poll(disk_request):
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=disk_request.created_at)
    disk_request.refresh_from_db()
    return polling.disk_request_poll_if_due(disk_request=disk_request)


def actions(disk_request) -> list[str]:
    return list(
        AuditEvent.objects.filter(disk_request=disk_request)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


# Expand ---------------------------------------------------------------------------------------


def test_expanding_one_disk_sends_one_call_and_the_desktop_shows_the_new_size(
    fake_cloud, helpdesk_user
):
    desktop_id = synced_desktop(fake_cloud, data_disks=2)
    disk = disks_of(fake_cloud, desktop_id)[0]
    running = expand(helpdesk_user, desktop_id, {disk.volume_id: 50})
    assert (running.kind, running.status) == (Kind.EXPAND, Status.RUNNING)
    assert running.volumes == [
        {"volume_id": disk.volume_id, "type": "SAS", "size": 10, "new_size": 50}
    ]
    assert running.added_gb == 40
    [call] = fake_cloud.called("expand_desktop_volume")
    assert call.args == (desktop_id, disk.volume_id, 50)
    submitted = AuditEvent.objects.get(disk_request=running, action="disk_request.submitted")
    assert submitted.details["kind"] == "expand"
    assert submitted.details["volumes"] == running.volumes

    fake_cloud.finish_job(running.job_id)
    done = poll(running)
    assert done.status == Status.SUCCEEDED
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    sizes = {v["volume_id"]: v["size"] for v in desktop.data_volumes}
    assert sizes[disk.volume_id] == 50, "the desktop is re-read and shows the new size"
    change = AuditEvent.objects.get(disk_request=done, action="disk_job.status_changed")
    assert change.details["expanded"] == running.volumes
    assert change.details["added_gb"] == 40


def test_several_disks_of_a_desktop_go_in_one_request_and_one_expandvolumes_job(
    fake_cloud, helpdesk_user
):
    desktop_id = synced_desktop(fake_cloud, data_disks=3)
    first, second, _ = disks_of(fake_cloud, desktop_id)
    running = expand(helpdesk_user, desktop_id, {first.volume_id: 20, second.volume_id: 100})
    assert running.disk_count == 2 and running.added_gb == 100
    [call] = fake_cloud.called("expand_volumes")
    assert [(e.volume_id, e.new_size) for e in call.args[0]] == [
        (first.volume_id, 20),
        (second.volume_id, 100),
    ]
    assert not fake_cloud.called("expand_desktop_volume")


@pytest.mark.parametrize(
    ("new_size", "message"),
    [
        (10, "must be larger than the disk's 10 GB"),
        (5, "must be larger than the disk's 10 GB"),
        (25, "steps of 10 GB"),
        (32770, "between 10 and 32760 GB"),
    ],
)
def test_a_new_size_outside_the_rules_is_refused_before_any_write(
    fake_cloud, helpdesk_user, new_size, message
):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    with pytest.raises(ValidationError, match=message):
        expand(helpdesk_user, desktop_id, {disk.volume_id: new_size})
    assert not fake_cloud.called("expand_desktop_volume")
    assert not DiskRequest.objects.exists()


def test_the_system_disk_and_strangers_cannot_be_expanded(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    root = fake_cloud.desktops[desktop_id].root_volume
    with pytest.raises(ValidationError, match="system disk cannot be expanded"):
        expand(helpdesk_user, desktop_id, {root.volume_id: 200})
    with pytest.raises(ValidationError, match="not a data disk of this desktop"):
        expand(helpdesk_user, desktop_id, {"no-such-volume": 200})
    assert not DiskRequest.objects.exists()


@pytest.mark.parametrize(
    ("desktop", "message"),
    [
        ({"status": "SHUTOFF"}, "disks can be expanded only while it is running"),
        ({"task_status": "rebooting"}, "The desktop is busy"),
    ],
)
def test_a_desktop_that_is_not_active_and_idle_is_refused_as_for_add(
    fake_cloud, helpdesk_user, desktop, message
):
    desktop_id = synced_desktop(fake_cloud, data_disks=1, **desktop)
    disk = disks_of(fake_cloud, desktop_id)[0]
    with pytest.raises(ValidationError, match=message):
        expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    with pytest.raises(ValidationError, match=message.replace("expanded", "deleted")):
        delete(helpdesk_user, desktop_id, [disk.volume_id])
    assert not DiskRequest.objects.exists()


def test_an_expand_past_the_gb_quota_is_refused_and_a_failing_quota_never_blocks(
    fake_cloud, helpdesk_user
):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    fake_cloud.quotas = Quotas(
        volumes=None, gigabytes=Quota("volume_gigabytes", 1000, 970, "GB"), request_id="q"
    )
    with pytest.raises(ValidationError, match="room for 30 GB more; this adds 40 GB"):
        expand(helpdesk_user, desktop_id, {disk.volume_id: 50})
    assert gigabytes_quota().remaining == 30

    fake_cloud.quotas = Quotas(volumes=None, gigabytes=None, request_id="q")
    fake_cloud.fail_next("show_quotas", WorkspaceUnavailable("ShowQuotas", status=503))
    fake_cloud.fail_next("show_quotas", WorkspaceUnavailable("ShowQuotas", status=503))
    assert gigabytes_quota() is None
    assert expand(helpdesk_user, desktop_id, {disk.volume_id: 50}).status == Status.RUNNING


def test_the_same_key_twice_expands_once(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    key = uuid.uuid4()
    first = expand(helpdesk_user, desktop_id, {disk.volume_id: 20}, key=key)
    again = expand(helpdesk_user, desktop_id, {disk.volume_id: 20}, key=key)
    assert again.pk == first.pk
    assert len(fake_cloud.called("expand_desktop_volume")) == 1


def test_one_request_in_flight_per_desktop_whatever_its_kind(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=2)
    disk = disks_of(fake_cloud, desktop_id)[0]
    adding = disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
    )
    with pytest.raises(ValidationError, match=f"#{adding.pk} is already adding disks to"):
        expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    fake_cloud.finish_job(adding.job_id)
    poll(adding)
    expanding = expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    with pytest.raises(ValidationError, match=f"#{expanding.pk} is already expanding disks of"):
        disk_request_submit(
            desktop_id=desktop_id,
            volumes=[VolumeSpec("SAS", 20)],
            actor=helpdesk_actor(helpdesk_user),
            idempotency_key=uuid.uuid4(),
        )


def test_a_failed_expand_job_says_so_in_words(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    running = expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    fake_cloud.finish_job(running.job_id, failed=True, reason="EVS is out of capacity.")
    failed = poll(running)
    assert failed.status == Status.FAILED
    assert failed.error_message == "The cloud could not expand the disks: EVS is out of capacity."
    assert disks_of(fake_cloud, desktop_id)[0].size == 10


def test_a_refused_expand_fails_with_the_clouds_code(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    fake_cloud.fail_next(
        "expand_desktop_volume",
        WorkspaceRefused("ExpandDesktopVolume", status=409, error_code="WKS.SIM0304"),
    )
    refused = expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    assert (refused.status, refused.error_code) == (Status.FAILED, "WKS.SIM0304")
    assert actions(refused) == ["disk_request.submitted", "disk_request.refused"]


# Reconcile after a lost answer --------------------------------------------------------------


def lost(fake_cloud, submit):
    """Submit with the answer lost, then age the request past the grace period."""
    operation = {"expand": "expand_desktop_volume", "delete": "delete_desktop_volumes"}
    for name in operation.values():
        fake_cloud.fail_next(name, WorkspaceUnavailable(name, status=503, outcome_unknown=True))
    disk_request = submit()
    for name in operation.values():
        fake_cloud._failures[name].clear()
    assert disk_request.status == Status.SUBMITTING
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    disk_request.refresh_from_db()
    return disk_request


def test_reconcile_of_a_lost_expand_finds_the_bigger_disk(fake_cloud, helpdesk_user, settings):
    settings.DELETE_REQUIRES_APPROVAL = False
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    disk_request = lost(fake_cloud, lambda: expand(helpdesk_user, desktop_id, {disk.volume_id: 30}))
    assert "started expanding the disks" in disk_request.error_message
    # The cloud did grow it (outside this request's knowledge), and its job is gone.
    fake_cloud.desktops[desktop_id] = fake_cloud.desktops[desktop_id].__class__(
        **{
            **fake_cloud.desktops[desktop_id].__dict__,
            "data_volumes": (disk.__class__(**{**disk.__dict__, "size": 30}),),
        }
    )
    done = poll(disk_request)
    assert done.status == Status.SUCCEEDED
    event = AuditEvent.objects.get(disk_request=done, action="disk_request.reconciled")
    assert event.details["expanded"][0]["new_size"] == 30
    [list_call] = fake_cloud.called("list_ita_sub_jobs")
    assert list_call.kwargs["job_type"] == "expandVolumes"


def test_reconcile_of_a_lost_delete_follows_its_job(fake_cloud, helpdesk_user, settings):
    settings.DELETE_REQUIRES_APPROVAL = False
    desktop_id = synced_desktop(fake_cloud, data_disks=2)
    disk = disks_of(fake_cloud, desktop_id)[1]
    # The answer is lost after the cloud started the job.
    fake_cloud.delete_desktop_volumes(desktop_id, [disk.volume_id])
    fake_cloud.calls.clear()
    original = fake_cloud.delete_desktop_volumes

    def lost_answer(*args, **kwargs):
        raise WorkspaceUnavailable("DeleteDesktopVolumes", status=503, outcome_unknown=True)

    fake_cloud.delete_desktop_volumes = lost_answer
    disk_request = delete(helpdesk_user, desktop_id, [disk.volume_id])
    fake_cloud.delete_desktop_volumes = original
    DiskRequest.objects.filter(pk=disk_request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    disk_request.refresh_from_db()
    found = poll(disk_request)
    assert found.status == Status.RUNNING and found.job_id
    fake_cloud.finish_job(found.job_id)
    assert poll(found).status == Status.SUCCEEDED
    assert [v.volume_id for v in disks_of(fake_cloud, desktop_id)] != [disk.volume_id]
    assert disk.volume_id not in {v.volume_id for v in disks_of(fake_cloud, desktop_id)}


# Delete ---------------------------------------------------------------------------------------


def test_a_deletion_waits_for_a_second_helpdesk_member_and_records_what_went(
    fake_cloud, helpdesk_user, second_helpdesk, django_capture_on_commit_callbacks
):
    helpdesk_user.email = "hana@example.com"
    helpdesk_user.save()
    desktop_id = synced_desktop(fake_cloud, data_disks=3)
    disk = disks_of(fake_cloud, desktop_id)[1]
    held = delete(helpdesk_user, desktop_id, [disk.volume_id])
    assert (held.kind, held.status, held.audience) == (
        Kind.DELETE,
        Status.PENDING_APPROVAL,
        "helpdesk",
    )
    expected = [{"volume_id": disk.volume_id, "type": "SAS", "size": 10, "device": disk.device}]
    assert held.volumes == expected
    assert not fake_cloud.called("delete_desktop_volumes"), "nothing is sent before approval"

    with pytest.raises(ValidationError, match="another helpdesk member must approve"):
        disk_request_approve(disk_request=held, actor=helpdesk_actor(helpdesk_user))
    with django_capture_on_commit_callbacks(execute=True):
        approved = disk_request_approve(disk_request=held, actor=helpdesk_actor(second_helpdesk))
    assert approved.status == Status.RUNNING
    assert approved.decided_by_username == "ivo.helpdesk"
    [call] = fake_cloud.called("delete_desktop_volumes")
    assert call.args == (desktop_id, (disk.volume_id,))
    assert [m.subject for m in mail.outbox] == [f"Approved: your disk deletion #{held.pk}"]

    fake_cloud.finish_job(approved.job_id)
    with django_capture_on_commit_callbacks(execute=True):
        done = poll(approved)
    assert done.status == Status.SUCCEEDED
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    assert disk.volume_id not in {v["volume_id"] for v in desktop.data_volumes}
    assert desktop.data_volume_count == 2
    gone = AuditEvent.objects.get(disk_request=done, action="disk_job.status_changed")
    assert gone.details["deleted"] == expected, "the audit says exactly which disks went"
    assert mail.outbox[-1].subject == f"Done: the disks of request #{held.pk} were deleted"
    assert actions(done) == [
        "disk_request.pending_approval",
        "disk_request.approved",
        "disk_request.accepted",
        "disk_job.status_changed",
    ]


def test_a_rejected_deletion_sends_nothing(fake_cloud, helpdesk_user, second_helpdesk):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    held = delete(helpdesk_user, desktop_id, [disks_of(fake_cloud, desktop_id)[0].volume_id])
    rejected = disk_request_reject(
        disk_request=held, actor=helpdesk_actor(second_helpdesk), reason="Still in use."
    )
    assert rejected.status == Status.REJECTED
    assert not fake_cloud.called("delete_desktop_volumes")


def test_without_required_approval_a_deletion_is_sent_at_once(fake_cloud, helpdesk_user, settings):
    settings.DELETE_REQUIRES_APPROVAL = False
    desktop_id = synced_desktop(fake_cloud, data_disks=2)
    ids = [v.volume_id for v in disks_of(fake_cloud, desktop_id)]
    running = delete(helpdesk_user, desktop_id, ids)
    assert running.status == Status.RUNNING
    assert len(fake_cloud.called("delete_desktop_volumes")) == 1


def test_a_deletion_needs_the_computer_name_typed(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1, name="PC-0042")
    volume_id = disks_of(fake_cloud, desktop_id)[0].volume_id
    for typed in ("", "PC-0043", "yes"):
        with pytest.raises(ValidationError, match="Type the desktop's computer name, PC-0042"):
            delete(helpdesk_user, desktop_id, [volume_id], confirmation=typed)
    assert delete(helpdesk_user, desktop_id, [volume_id], confirmation=" pc-0042 ").pk


def test_only_the_helpdesk_deletes(fake_cloud, end_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    with pytest.raises(PermissionDenied):
        delete(
            end_user,
            desktop_id,
            [disks_of(fake_cloud, desktop_id)[0].volume_id],
            actor=portal_actor(end_user),
        )
    assert not DiskRequest.objects.exists()


def test_the_system_disk_can_never_be_deleted(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    root = fake_cloud.desktops[desktop_id].root_volume
    with pytest.raises(ValidationError, match="system disk cannot be deleted"):
        delete(helpdesk_user, desktop_id, [root.volume_id])
    with pytest.raises(ValidationError, match="at least one data disk"):
        delete(helpdesk_user, desktop_id, [])
    assert not DiskRequest.objects.exists()


def test_a_deletion_approved_after_the_disk_went_is_refused(
    fake_cloud, helpdesk_user, second_helpdesk
):
    desktop_id = synced_desktop(fake_cloud, data_disks=2)
    disk = disks_of(fake_cloud, desktop_id)[0]
    held = delete(helpdesk_user, desktop_id, [disk.volume_id])
    # Meanwhile someone deletes it in the console.
    job = fake_cloud.delete_desktop_volumes(desktop_id, [disk.volume_id])
    fake_cloud.finish_job(job.job_id)
    with pytest.raises(ValidationError, match="not a data disk of this desktop"):
        disk_request_approve(disk_request=held, actor=helpdesk_actor(second_helpdesk))
    held.refresh_from_db()
    assert held.status == Status.PENDING_APPROVAL


# The portal ------------------------------------------------------------------------------------


def test_a_portal_expand_above_the_threshold_waits_and_the_email_says_expanded(
    fake_cloud, end_user, helpdesk_user, django_capture_on_commit_callbacks
):
    desktop_id = synced_desktop(fake_cloud, data_disks=1, user_name="alice.wong")
    disk = disks_of(fake_cloud, desktop_id)[0]
    held = expand(
        end_user,
        desktop_id,
        {disk.volume_id: 500},
        actor=portal_actor(end_user),
        hold_for_approval=True,
    )
    assert (held.status, held.audience, held.kind) == (Status.PENDING_APPROVAL, "portal", "expand")
    pending = AuditEvent.objects.get(disk_request=held, action="disk_request.pending_approval")
    assert pending.details["added_gb"] == 490
    approved = disk_request_approve(disk_request=held, actor=helpdesk_actor(helpdesk_user))
    fake_cloud.finish_job(approved.job_id)
    with django_capture_on_commit_callbacks(execute=True):
        poll(approved)
    assert mail.outbox[-1].subject == f"Done: the disks of request #{held.pk} were expanded"
    assert "Extend Volume" in mail.outbox[-1].body
    assert "10 GB -> 500 GB" in mail.outbox[-1].body


def test_an_expand_past_its_deadline_needs_review(fake_cloud, helpdesk_user):
    desktop_id = synced_desktop(fake_cloud, data_disks=1)
    disk = disks_of(fake_cloud, desktop_id)[0]
    running = expand(helpdesk_user, desktop_id, {disk.volume_id: 20})
    assert running.deadline_at, "no maxProvisionTime: WORKSPACE_JOB_DEADLINE_MINUTES applies"
    DiskRequest.objects.filter(pk=running.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=1)
    )
    running.refresh_from_db()
    late = poll(running)
    assert late.status == Status.NEEDS_REVIEW
    assert "did not finish by its deadline" in late.error_message


def test_a_lost_expand_on_the_simulator_is_found_by_its_expandvolumes_sub_job(
    synced, helpdesk_user
):
    """The cloud took the call but the answer never came back (or the process died)."""
    from disks.client import get_client
    from disks.services.requests import disk_request_record
    from tests.factories import seeded_desktop

    desktop_id = seeded_desktop(synced, data_disks=1)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    disk = desktop.sorted_data_volumes[0]
    new_size = disk["size"] + 10
    lost, _ = disk_request_record(
        desktop=desktop,
        volumes=[{"volume_id": disk["volume_id"], "new_size": new_size}],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
        enterprise_project_id="0",
        kind=Kind.EXPAND,
    )
    get_client().expand_desktop_volume(desktop_id, disk["volume_id"], new_size)
    DiskRequest.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=1, seconds=30)
    )
    lost.refresh_from_db()
    found = poll(lost)
    assert found.status == Status.RUNNING and found.job_id
    synced.finish_job(found.job_id)
    done = poll(found)
    assert done.status == Status.SUCCEEDED
    assert Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[0]["size"] == new_size
    assert len(synced.requests_log("ExpandDesktopVolume")) == 1, "never sent twice"
