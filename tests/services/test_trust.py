"""Promises the attack run found broken (issue 14): four eyes, scoped keys, honest polling."""

import threading
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from disks.client import VolumeSpec
from disks.models import AuditEvent, DiskRequest
from disks.services import polling
from disks.services.approvals import disk_request_approve, disk_request_hold_for_approval
from disks.services.requests import disk_request_submit
from tests.factories import desktop_of, helpdesk_actor, portal_actor, seeded_desktop

Status = DiskRequest.Status


# Four eyes -----------------------------------------------------------------------------------


@pytest.fixture
def two_hats(django_user_model):
    """Alice is an end user and, by mistake or design, a helpdesk member too."""
    alice = django_user_model.objects.create_user(username="alice.wong", password="pw-alice-1")
    for name in ("end_user", "helpdesk"):
        alice.groups.add(Group.objects.get_or_create(name=name)[0])
    return alice


@pytest.fixture
def own_pending(synced, two_hats):
    return disk_request_hold_for_approval(
        desktop_id=desktop_of(synced, "alice.wong"),
        volumes=[VolumeSpec("SAS", 500)],
        actor=portal_actor(two_hats),
        idempotency_key=uuid.uuid4(),
    )


@pytest.mark.django_db
def test_a_requester_cannot_approve_their_own_request(synced, two_hats, own_pending):
    with pytest.raises(ValidationError, match="another helpdesk member must approve"):
        disk_request_approve(disk_request=own_pending, actor=helpdesk_actor(two_hats))
    assert DiskRequest.objects.get(pk=own_pending.pk).status == Status.PENDING_APPROVAL
    assert not synced.requests_log("AddDesktopVolumes")


@pytest.mark.django_db
def test_nor_through_the_approvals_page(synced, client, two_hats, own_pending):
    client.force_login(two_hats)
    response = client.post(
        reverse("disks:helpdesk-approval-approve", args=[own_pending.pk]), follow=True
    )
    assert b"another helpdesk member must approve" in response.content
    assert DiskRequest.objects.get(pk=own_pending.pk).status == Status.PENDING_APPROVAL
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REQUEST_APPROVED).exists()


@pytest.mark.django_db
def test_another_helpdesk_member_still_can(synced, helpdesk_user, own_pending):
    approved = disk_request_approve(disk_request=own_pending, actor=helpdesk_actor(helpdesk_user))
    assert approved.status == Status.RUNNING


# The portal never chooses the enterprise project ----------------------------------------------


@pytest.mark.django_db
def test_the_portal_always_bills_the_desktops_own_project(synced, client, end_user):
    desktop_id = desktop_of(synced, "alice.wong")
    own_project = synced.state.desktop_body(synced.state.desktop(desktop_id)).get(
        "enterprise_project_id", "0"
    )
    client.force_login(end_user)
    client.post(
        reverse("disks:portal-disk-add", args=[desktop_id]),
        {
            "action": "submit",
            "idempotency_key": str(uuid.uuid4()),
            "enterprise_project_id": "11111111-2222-3333-4444-555555555555",
            "disks-TOTAL_FORMS": "1",
            "disks-INITIAL_FORMS": "0",
            "disks-0-type": "SAS",
            "disks-0-size": "20",
        },
    )
    disk_request = DiskRequest.objects.get()
    # What is stored is what disk_request_send sends.
    assert disk_request.enterprise_project_id == (own_project or "0")


# Idempotency keys belong to their requester ------------------------------------------------


@pytest.mark.django_db
def test_someone_elses_key_starts_a_request_of_ones_own(synced, end_user, other_end_user):
    key = uuid.uuid4()
    synced.inject_fault("AddDesktopVolumes", "status", status=400)
    alices = disk_request_submit(
        desktop_id=desktop_of(synced, "alice.wong"),
        volumes=[VolumeSpec("SAS", 20)],
        actor=portal_actor(end_user),
        idempotency_key=key,
    )
    assert alices.status == Status.FAILED
    bobs = disk_request_submit(
        desktop_id=desktop_of(synced, "bob.martin"),
        volumes=[VolumeSpec("SAS", 20)],
        actor=portal_actor(other_end_user),
        idempotency_key=key,
    )
    assert bobs.pk != alices.pk
    assert (bobs.requested_by_username, bobs.status) == ("bob.martin", Status.RUNNING)
    assert bobs.error_message == "" and bobs.api_request_id != alices.api_request_id


# A double click lands on one request, on every database ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_clicks_at_once_land_on_one_request(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    key = uuid.uuid4()
    start = threading.Barrier(20)
    outcomes: list[object] = []

    def click() -> None:
        try:
            start.wait()
            outcomes.append(
                disk_request_submit(
                    desktop_id=desktop_id,
                    volumes=[VolumeSpec("SAS", 20)],
                    actor=helpdesk_actor(helpdesk_user),
                    idempotency_key=key,
                ).pk
            )
        except Exception as error:  # reported below
            outcomes.append(error)
        finally:
            connections.close_all()

    clicks = [threading.Thread(target=click) for _ in range(20)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert len(outcomes) == 20
    assert [o for o in outcomes if not isinstance(o, int)] == [], "every click lands"
    assert len(set(outcomes)) == 1
    assert len(synced.requests_log("AddDesktopVolumes")) == 1


# A status read that fails is not the job failing ----------------------------------------------


@pytest.fixture
def running(synced, helpdesk_user):
    return disk_request_submit(
        desktop_id=seeded_desktop(synced, data_disks=0),
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
    )


def poll_now(disk_request):
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=disk_request.created_at)
    disk_request.refresh_from_db()
    return polling.disk_request_poll_if_due(disk_request=disk_request)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 401, 403, 409, 500])
def test_one_odd_answer_to_show_job_only_delays_the_request(synced, running, settings, status):
    settings.WORKSPACE_GET_RETRIES = 0
    synced.inject_fault("ShowJob", "status", status=status)
    delayed = poll_now(running)
    assert delayed.status == Status.RUNNING
    assert "the job itself may be fine" in delayed.poll_error or "not answering" in (
        delayed.poll_error
    )
    synced.finish_job(running.job_id)
    assert poll_now(delayed).status == Status.SUCCEEDED


@pytest.mark.django_db
def test_only_the_deadline_ends_a_job_whose_status_cannot_be_read(synced, running, settings):
    from django.utils import timezone

    settings.WORKSPACE_GET_RETRIES = 0
    synced.inject_fault("ShowJob", "status", status=409)
    poll_now(running)
    DiskRequest.objects.filter(pk=running.pk).update(deadline_at=timezone.now())
    running.refresh_from_db()
    ended = poll_now(running)
    assert ended.status == Status.NEEDS_REVIEW
    assert "did not finish by its deadline" in ended.error_message
    assert "The last attempt to read its status failed" in ended.error_message


@pytest.mark.django_db
def test_a_job_the_cloud_no_longer_knows_needs_review(synced, running, settings):
    settings.WORKSPACE_GET_RETRIES = 0
    synced.inject_fault("ShowJob", "status", status=404)
    ended = poll_now(running)
    assert ended.status == Status.NEEDS_REVIEW
    assert "no longer knows job" in ended.error_message


# Who pressed the button ----------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_from_cloud_is_recorded_as_the_person(synced, helpdesk_client, helpdesk_user):
    helpdesk_client.post(reverse("disks:helpdesk-desktop-sync"))
    event = AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED).first()  # newest
    assert (event.actor_id, event.actor_username, event.audience, event.channel) == (
        helpdesk_user.pk,
        "hana.helpdesk",
        "helpdesk",
        "web",
    )


@pytest.mark.django_db
def test_the_approvals_page_does_not_offer_ones_own_request(synced, client, two_hats, own_pending):
    client.force_login(two_hats)
    page = client.get(reverse("disks:helpdesk-approval-list")).content.decode()
    approve = reverse("disks:helpdesk-approval-approve", args=[own_pending.pk])
    assert f'action="{approve}"' not in page
    assert f'id="pick-{own_pending.pk}"' not in page
    assert "another helpdesk member must approve it" in page
