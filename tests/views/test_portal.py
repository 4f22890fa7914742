"""The self-service portal: own desktops, the policy at its boundaries, approvals, email."""

import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from disks.models import AuditEvent, DiskRequest
from tests.factories import desktop_of

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status


@pytest.fixture
def portal(settings, synced, client, end_user):
    settings.PORTAL_ALLOWED_DISK_TYPES = ["SAS", "SSD"]
    settings.PORTAL_MAX_DISK_GB = 500
    settings.PORTAL_MAX_DISKS_PER_REQUEST = 2
    settings.PORTAL_APPROVAL_ABOVE_GB = 100
    client.force_login(end_user)
    return client


def request_disks(client, desktop_id, *rows, key=None):
    data = {
        "action": "submit",
        "idempotency_key": str(key or uuid.uuid4()),
        "enterprise_project_id": "0",
        "disks-TOTAL_FORMS": str(len(rows)),
        "disks-INITIAL_FORMS": "0",
    }
    for index, (disk_type, size) in enumerate(rows):
        data[f"disks-{index}-type"] = disk_type
        data[f"disks-{index}-size"] = str(size)
    return client.post(reverse("disks:portal-disk-add", args=[desktop_id]), data)


def test_home_lists_only_my_desktops(portal, synced):
    page = portal.get(reverse("disks:portal-home")).content.decode()
    assert "AWONG-PC" in page
    assert "BMARTIN-PC" not in page
    assert "up to 2 disks of at most 500 GB" in page


def test_the_form_offers_only_allowed_types_and_caps_the_size(portal, synced):
    page = portal.get(reverse("disks:portal-disk-add", args=[desktop_of(synced, "alice.wong")]))
    body = page.content.decode()
    assert body.count("<option value=") == 2 and "GPSSD" not in body.split("<fieldset")[1]
    assert 'max="500"' in body


@pytest.mark.parametrize(
    ("rows", "outcome"),
    [
        ([("SAS", 100)], Status.RUNNING),  # exactly at the approval threshold: at once
        ([("SAS", 110)], Status.PENDING_APPROVAL),  # one step over: waits
        ([("SAS", 50), ("SSD", 50)], Status.RUNNING),  # total exactly at the threshold
        ([("SAS", 50), ("SSD", 60)], Status.PENDING_APPROVAL),
        ([("SSD", 500)], Status.PENDING_APPROVAL),  # the largest disk allowed
    ],
)
def test_requests_at_and_over_the_threshold(portal, synced, rows, outcome):
    response = request_disks(portal, desktop_of(synced, "alice.wong"), *rows)
    disk_request = DiskRequest.objects.get()
    assert response["Location"] == reverse("disks:portal-request-detail", args=[disk_request.pk])
    assert disk_request.status == outcome
    assert disk_request.audience == "portal"
    calls = len(synced.requests_log("AddDesktopVolumes"))
    assert calls == (1 if outcome == Status.RUNNING else 0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("SAS", 510)], "at most 500 GB"),  # one step over the largest disk
        ([("GPSSD", 10)], "Select a valid choice"),  # a type outside the policy
        ([("SAS", 10)] * 3, "One request can add at most 2 disks here: remove some rows."),
    ],
)
def test_requests_outside_the_policy_are_refused(portal, synced, rows, message):
    response = request_disks(portal, desktop_of(synced, "alice.wong"), *rows)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DiskRequest.objects.exists()


def test_my_form_names_my_request_already_adding_disks(portal, synced):
    desktop_id = desktop_of(synced, "alice.wong")
    request_disks(portal, desktop_id, ("SAS", 20))
    running = DiskRequest.objects.get()

    page = portal.get(reverse("disks:portal-disk-add", args=[desktop_id])).content.decode()

    assert f">#{running.pk}</a> is already adding disks" in page


def test_plain_words_come_first_on_my_request(portal, synced):
    synced.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=409,
        body={"error_code": "WKS.SIM0301", "error_msg": "The desktop is not running."},
    )
    request_disks(portal, desktop_of(synced, "alice.wong"), ("SAS", 20))
    refused = DiskRequest.objects.get()
    page = portal.get(reverse("disks:portal-request-detail", args=[refused.pk])).content.decode()
    words = page.index("The disks could not be added.")
    assert words < page.index("Error code WKS.SIM0301")


@pytest.fixture
def pending(portal, synced, end_user):
    request_disks(portal, desktop_of(synced, "alice.wong"), ("SAS", 300))
    return DiskRequest.objects.get(status=Status.PENDING_APPROVAL)


def test_helpdesk_sees_the_queue_oldest_first(pending, helpdesk_user, client, synced):
    client.force_login(helpdesk_user)
    page = client.get(reverse("disks:helpdesk-approval-list")).content.decode()
    text = re.sub(r"<[^>]+>", "", page)
    assert f"#{pending.pk}: {pending.desktop_name} for alice.wong" in text
    assert reverse("disks:helpdesk-request-detail", args=[pending.pk]) in page
    assert reverse("disks:helpdesk-desktop-detail", args=[pending.desktop_id]) in page


def test_approving_submits_under_the_approvers_name(
    pending, helpdesk_user, client, synced, django_capture_on_commit_callbacks
):
    client.force_login(helpdesk_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("disks:helpdesk-approval-approve", args=[pending.pk]))
    pending.refresh_from_db()
    assert response["Location"] == reverse("disks:helpdesk-request-detail", args=[pending.pk])
    assert pending.status == Status.RUNNING
    assert (pending.requested_by_username, pending.decided_by_username) == (
        "alice.wong",
        "hana.helpdesk",
    )
    approved = AuditEvent.objects.get(action="disk_request.approved")
    accepted = AuditEvent.objects.get(action="disk_request.accepted", disk_request=pending)
    assert approved.actor_username == accepted.actor_username == "hana.helpdesk"
    assert approved.details["requested_by"] == "alice.wong"
    assert len(synced.requests_log("AddDesktopVolumes")) == 1
    assert [m.subject for m in mail.outbox] == [f"Approved: your disk request #{pending.pk}"]
    assert mail.outbox[0].to == ["alice.wong@example.com"]


def test_a_double_approval_submits_once(pending, helpdesk_user, client, synced):
    client.force_login(helpdesk_user)
    url = reverse("disks:helpdesk-approval-approve", args=[pending.pk])
    client.post(url)
    second = client.post(url, follow=True)
    assert b"already decided by hana.helpdesk" in second.content
    assert len(synced.requests_log("AddDesktopVolumes")) == 1
    assert AuditEvent.objects.filter(action="disk_request.approved").count() == 1


def test_approval_rechecks_the_desktop(pending, helpdesk_user, client, synced):
    synced.patch_desktop(pending.desktop_id, status="SHUTOFF")
    client.force_login(helpdesk_user)
    page = client.post(
        reverse("disks:helpdesk-approval-approve", args=[pending.pk]), follow=True
    ).content
    pending.refresh_from_db()
    assert pending.status == Status.PENDING_APPROVAL
    assert b"disks can be added only while it is running" in page
    assert not synced.requests_log("AddDesktopVolumes")


def test_rejecting_needs_a_reason_the_user_sees(
    pending, helpdesk_user, client, end_user, django_capture_on_commit_callbacks
):
    client.force_login(helpdesk_user)
    url = reverse("disks:helpdesk-approval-reject", args=[pending.pk])
    page = client.post(url, {"reason": "  "}, follow=True).content
    assert b"Say why the request is rejected" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "Use the shared drive for archives."})
    pending.refresh_from_db()
    assert pending.status == Status.REJECTED
    assert mail.outbox[-1].subject == f"Rejected: your disk request #{pending.pk}"
    assert "Use the shared drive for archives." in mail.outbox[-1].body
    client.force_login(end_user)
    mine = client.get(reverse("disks:portal-request-detail", args=[pending.pk])).content
    assert b"The request was rejected: Use the shared drive for archives." in mine


def test_the_requester_is_told_when_it_finishes(portal, synced, django_capture_on_commit_callbacks):
    from disks.services.polling import disk_request_poll_if_due

    request_disks(portal, desktop_of(synced, "alice.wong"), ("SAS", 20))
    disk_request = DiskRequest.objects.get()
    synced.finish_job(disk_request.job_id)
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at="2000-01-01T00:00Z")
    disk_request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        disk_request_poll_if_due(disk_request=disk_request)
    assert [m.subject for m in mail.outbox] == [
        f"Done: the disks of request #{disk_request.pk} were added"
    ]
