"""Every action that exists so far writes exactly one audit event, with the right fields.

(Approvals, rejections, the portal and lock-outs write theirs in their own issue.)
"""

import uuid
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from disks.actor import Actor, ActorAudience
from disks.client import VolumeSpec
from disks.models import AuditEvent, DiskRequest
from disks.services.audit import REDACTED, audit_event_record
from disks.services.polling import disk_request_poll_if_due
from disks.services.requests import disk_request_submit
from tests.factories import SYSTEM, seeded_desktop

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
BROWSER = "Mozilla/5.0 (audit test)"


def browser_request(user):
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT=BROWSER)
    request.user = user
    return request


def submit(user, desktop_id):
    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", 20)],
        actor=Actor.from_request(browser_request(user), audience=ActorAudience.HELPDESK),
        idempotency_key=uuid.uuid4(),
    )


def only_event(**lookup) -> AuditEvent:
    """The one event matching `lookup`; fails if there are none or several."""
    events = list(AuditEvent.objects.filter(**lookup))
    assert len(events) == 1, events
    return events[0]


def make_due(disk_request, **fields):
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=timezone.now(), **fields)
    disk_request.refresh_from_db()
    return disk_request


def assert_from_browser(event, user):
    assert (event.actor_id, event.actor_username) == (user.pk, user.username)
    assert (event.source_ip, event.user_agent) == ("192.0.2.10", BROWSER)
    assert event.audience == AuditEvent.Audience.HELPDESK


def test_an_accepted_submit_writes_submitted_then_accepted(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    disk_request = submit(helpdesk_user, desktop_id)
    submitted = only_event(action=Action.REQUEST_SUBMITTED)
    accepted = only_event(action=Action.REQUEST_ACCEPTED)
    assert AuditEvent.objects.count() == 3, "the sync, then these two"
    for event in (submitted, accepted):
        assert_from_browser(event, helpdesk_user)
        assert event.disk_request_id == disk_request.pk
        assert (event.desktop_id, event.desktop_name) == (desktop_id, disk_request.desktop_name)
    assert submitted.outcome == "pending"
    assert submitted.details == {"volumes": [{"type": "SAS", "size": 20}]}
    assert accepted.outcome == "success"
    assert accepted.details == {"job_id": disk_request.job_id}
    assert accepted.api_request_id == disk_request.api_request_id != ""
    assert accepted.sequence == submitted.sequence + 1


def test_a_refused_submit_writes_one_refusal_with_the_api_code(synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0407", "error_msg": "disks are being added"},
    )
    disk_request = submit(helpdesk_user, desktop_id)
    refused = only_event(action=Action.REQUEST_REFUSED)
    assert_from_browser(refused, helpdesk_user)
    assert refused.outcome == "failure"
    assert refused.error_code == "WKS.0407"
    assert refused.api_request_id == disk_request.api_request_id != ""
    assert refused.details["status"] == 400
    assert only_event(action=Action.REQUEST_SUBMITTED).disk_request_id == disk_request.pk
    assert not AuditEvent.objects.filter(action=Action.REQUEST_ACCEPTED).exists()


def test_a_lost_answer_writes_one_outcome_unknown(synced, helpdesk_user):
    synced.inject_fault("AddDesktopVolumes", "drop")
    disk_request = submit(helpdesk_user, seeded_desktop(synced, data_disks=0))
    unknown = only_event(action=Action.REQUEST_OUTCOME_UNKNOWN)
    assert_from_browser(unknown, helpdesk_user)
    assert (unknown.outcome, unknown.disk_request_id) == ("pending", disk_request.pk)


def test_a_job_that_ends_writes_one_status_change(synced, helpdesk_user):
    disk_request = submit(helpdesk_user, seeded_desktop(synced, data_disks=0))
    synced.finish_job(disk_request.job_id)
    done = disk_request_poll_if_due(disk_request=make_due(disk_request))
    change = only_event(action=Action.JOB_STATUS_CHANGED)
    assert (change.audience, change.actor_id, change.actor_username) == ("system", None, "")
    assert (change.outcome, change.disk_request_id) == ("success", done.pk)
    assert change.details["from"] == "running" and change.details["to"] == "succeeded"
    assert change.details["job_id"] == disk_request.job_id
    assert change.desktop_id == disk_request.desktop_id


def test_a_failed_job_writes_one_status_change_with_its_code(synced, helpdesk_user):
    disk_request = submit(helpdesk_user, seeded_desktop(synced, data_disks=0))
    synced.finish_job(disk_request.job_id, outcome="fail", error_code="WKS.0999", fail_reason="x")
    disk_request_poll_if_due(disk_request=make_due(disk_request))
    change = only_event(action=Action.JOB_STATUS_CHANGED)
    assert (change.outcome, change.error_code, change.details["to"]) == (
        "failure",
        "WKS.0999",
        "failed",
    )


def test_a_reconcile_decision_writes_one_event(synced, helpdesk_user):
    synced.inject_fault("AddDesktopVolumes", "drop")
    disk_request = submit(helpdesk_user, seeded_desktop(synced, data_disks=0))
    disk_request = make_due(disk_request, created_at=timezone.now() - timedelta(minutes=5))
    decided = disk_request_poll_if_due(disk_request=disk_request)
    event = only_event(action=Action.REQUEST_RECONCILED)
    assert (event.audience, event.disk_request_id) == ("system", decided.pk)
    assert event.outcome == "failure"
    assert event.details["decision"] == DiskRequest.Status.NEEDS_REVIEW
    assert "No sign that the cloud received the request" in event.details["finding"]


def test_an_inventory_sync_writes_one_summary(synced):
    sync = only_event(action=Action.INVENTORY_SYNCED)
    assert (sync.audience, sync.outcome, sync.actor_username) == ("system", "success", "")
    assert sync.details["total"] >= 50
    assert set(sync.details) == {"total", "created", "updated", "removed"}


def test_a_failed_login_writes_one_event_without_the_password(client):
    response = client.post(
        "/accounts/login/",
        {"username": "mallory", "password": "hunter2-Secret!"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="curl/8.5",
    )
    assert response.status_code == 200
    failed = only_event(action=Action.LOGIN_FAILED)
    assert (failed.audience, failed.outcome) == ("system", "failure")
    assert (failed.actor_id, failed.actor_username) == (None, "mallory")
    assert (failed.source_ip, failed.user_agent) == ("198.51.100.7", "curl/8.5")
    assert "hunter2" not in failed.canonical_content().decode()


def test_a_successful_login_writes_no_failure(client, helpdesk_user):
    client.post("/accounts/login/", {"username": "hana.helpdesk", "password": "pw-hana.helpdesk-1"})
    assert not AuditEvent.objects.filter(action=Action.LOGIN_FAILED).exists()


def test_secret_looking_details_are_never_written():
    event = audit_event_record(
        action=Action.INVENTORY_SYNCED,
        outcome="success",
        actor=SYSTEM,
        details={"password": "p", "nested": {"X-Auth-Token": "t", "kept": 1}, "sk": "s"},
    )
    assert event.details == {
        "password": REDACTED,
        "nested": {"X-Auth-Token": REDACTED, "kept": 1},
        "sk": REDACTED,
    }
