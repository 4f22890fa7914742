"""Helpers for the audit tests: events built directly, an auditor's client, vendor checks."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from disks.models import AuditEvent
from disks.services.audit import audit_events_bulk_append

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite behaviour")


def event(**fields) -> AuditEvent:
    """An unsaved event with plausible defaults; `append` chains and saves it."""
    defaults = {
        "occurred_at": datetime.now(UTC),
        "audience": AuditEvent.Audience.HELPDESK,
        "action": AuditEvent.Action.REQUEST_SUBMITTED,
        "outcome": AuditEvent.Outcome.PENDING,
        "actor_username": "hana.helpdesk",
        "details": {},
    }
    return AuditEvent(**(defaults | fields))


def append(*events: AuditEvent) -> list[AuditEvent]:
    """Append the events through the service (one chain, as in production)."""
    audit_events_bulk_append(list(events))
    return list(events)


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client
