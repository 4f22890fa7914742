"""`manage.py generate_audit_events`: fast, realistic, on the one chain, never by accident."""

import pytest
from django.core.management import CommandError, call_command

from disks.audit_chain import audit_chain_verify
from disks.models import AuditChainHead, AuditEvent
from disks.services.audit import audit_event_record
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def test_it_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true or --force"):
        call_command("generate_audit_events", "10")
    assert not AuditEvent.objects.exists()


def test_it_appends_thousands_of_events_that_verify(settings, capsys):
    settings.DEBUG = True
    audit_event_record(action="inventory.synced", outcome="success", actor=SYSTEM)
    call_command("generate_audit_events", "3000", "--batch-size", "1000", "--seed", "7")
    assert "appended 3000 events" in capsys.readouterr().out
    assert AuditChainHead.objects.get(pk=1).last_sequence == 3001
    assert str(audit_chain_verify()) == "intact: 3001 events"
    times = list(AuditEvent.objects.order_by("sequence").values_list("occurred_at", flat=True))
    assert times == sorted(times), "time goes forward with the sequence, after #1 too"
    generated = AuditEvent.objects.filter(sequence__gt=1)
    assert generated.values("action").distinct().count() >= 6
    assert generated.exclude(actor_username="").exists()
    assert generated.filter(action="disk_request.submitted").first().details["volumes"]


def test_force_runs_it_without_debug(settings):
    settings.DEBUG = False
    call_command("generate_audit_events", "5", "--force", "--seed", "1")
    assert audit_chain_verify().events == 5


def test_requests_come_with_their_submitted_events(settings, capsys):
    """--requests: one ended request per submitted event, at its time, linked from it."""
    from disks.models import DiskRequest

    settings.DEBUG = True
    call_command("generate_audit_events", "600", "--days", "3", "--seed", "3", "--requests")
    submitted = AuditEvent.objects.filter(action="disk_request.submitted")
    assert DiskRequest.objects.count() == submitted.count() > 100
    assert f"and {submitted.count()} disk requests" in capsys.readouterr().out
    for event in submitted.select_related("disk_request")[:50]:
        assert event.disk_request.created_at == event.occurred_at
        assert event.disk_request.desktop_id == event.desktop_id
    assert not DiskRequest.objects.exclude(status__in=DiskRequest.TERMINAL_STATUSES).exists()
    assert DiskRequest.objects.values("status").distinct().count() >= 3
    assert str(audit_chain_verify()) == f"intact: {AuditEvent.objects.count()} events"
