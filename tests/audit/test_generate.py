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
