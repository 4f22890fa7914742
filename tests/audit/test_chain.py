"""The hash chain: it verifies, it finds changes made behind the application's back, and
concurrent writers keep a single chain."""

import itertools
import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from disks.actor import Actor
from disks.audit_chain import audit_chain_verify
from disks.models import AuditChainHead, AuditEvent
from disks.services.audit import audit_event_record
from tests.audit.concurrent_writers import write_concurrently
from tests.audit.conftest import append, event, postgres_only, sqlite_only
from tests.factories import REPO_ROOT, SYSTEM, helpdesk_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def five():
    return append(*(event(details={"n": n}) for n in range(1, 6)))


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def trigger_disabled():
    """What a database owner could do: switch PostgreSQL's guard off for a moment."""
    if connection.vendor != "postgresql":
        yield
        return
    raw("ALTER TABLE disks_auditevent DISABLE TRIGGER disks_auditevent_append_only")
    try:
        yield
    finally:
        raw("ALTER TABLE disks_auditevent ENABLE TRIGGER disks_auditevent_append_only")


def test_an_empty_history_is_intact():
    verdict = audit_chain_verify()
    assert verdict.intact and str(verdict) == "intact: 0 events"


def test_an_untouched_chain_verifies(five):
    verdict = audit_chain_verify()
    assert verdict.intact
    assert (verdict.events, verdict.head_sequence) == (5, 5)
    assert str(verdict) == "intact: 5 events"


def test_events_chain_each_to_the_one_before(five):
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == AuditChainHead.GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.hash
    assert all(e.hash == e.compute_hash() for e in events)


def test_the_service_chains_on_what_bulk_appends_left(five):
    recorded = audit_event_record(action="inventory.synced", outcome="success", actor=SYSTEM)
    assert recorded.sequence == 6
    assert recorded.previous_hash == five[-1].hash
    assert audit_chain_verify().intact


@sqlite_only
def test_a_raw_sql_change_on_sqlite_is_found(five):
    raw("UPDATE disks_auditevent SET details = %s WHERE sequence = %s", ['{"n": 99}', 3])
    verdict = audit_chain_verify()
    assert not verdict.intact
    assert verdict.broken_sequence == 3
    assert "no longer matches its hash" in verdict.problem
    assert verdict.events == 2


@postgres_only
def test_postgresql_refuses_the_raw_change_and_finds_it_once_the_trigger_is_off(five):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE disks_auditevent SET details = '{\"n\": 99}' WHERE sequence = 3")
    assert audit_chain_verify().intact
    with trigger_disabled():
        raw("UPDATE disks_auditevent SET details = '{\"n\": 99}' WHERE sequence = 3")
    verdict = audit_chain_verify()
    assert (verdict.intact, verdict.broken_sequence) == (False, 3)
    assert "no longer matches its hash" in verdict.problem


def test_a_change_with_a_recomputed_hash_breaks_the_next_link(five):
    forged = AuditEvent.objects.get(sequence=2)
    forged.outcome = "failure"
    with trigger_disabled():
        raw(
            "UPDATE disks_auditevent SET outcome = 'failure', hash = %s WHERE sequence = 2",
            [forged.compute_hash()],
        )
    verdict = audit_chain_verify()
    assert verdict.broken_sequence == 3
    assert "does not link to event #2" in verdict.problem


def test_a_removed_event_is_found(five):
    with trigger_disabled():
        raw("DELETE FROM disks_auditevent WHERE sequence = 4")
    verdict = audit_chain_verify()
    assert verdict.broken_sequence == 4
    assert "event #4 is missing (the next event found is #5)" in verdict.problem


def test_events_removed_from_the_end_are_found(five):
    with trigger_disabled():
        raw("DELETE FROM disks_auditevent WHERE sequence >= 4")
    verdict = audit_chain_verify()
    assert verdict.broken_sequence == 4
    assert "records event #5 as the last, but the last event found is #3" in verdict.problem


def test_verify_audit_prints_intact_and_exits_zero(five, capsys):
    call_command("verify_audit")
    assert capsys.readouterr().out.strip() == "intact: 5 events"


def test_verify_audit_reports_the_first_broken_link_and_exits_non_zero(five):
    with trigger_disabled():
        raw("UPDATE disks_auditevent SET actor_username = 'someone.else' WHERE sequence = 2")
        raw("UPDATE disks_auditevent SET actor_username = 'someone.else' WHERE sequence = 4")
    with pytest.raises(CommandError, match=r"broken at event #2: its content") as raised:
        call_command("verify_audit")
    assert raised.value.returncode == 1


# Concurrent writers ------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_postgresql():
    AuditChainHead.objects.get_or_create(pk=1)  # a transactional test's flush removed it
    assert write_concurrently(threads=4, per_thread=25) == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 101))
    assert str(audit_chain_verify()) == "intact: 100 events"
    writers = set(AuditEvent.objects.values_list("details__writer", flat=True))
    assert writers == {0, 1, 2, 3}


@sqlite_only
def test_concurrent_writers_keep_one_chain_on_sqlite(tmp_path):
    # A file database with the production settings (WAL, IMMEDIATE, busy timeout): SQLite
    # admits one writer at a time, and the other waits its turn.
    result = subprocess.run(
        [sys.executable, "-m", "tests.audit.concurrent_writers", "2", "25"],
        cwd=REPO_ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "ENV_FILE": os.devnull,
            "DJANGO_SETTINGS_MODULE": "workspace_admin.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["sequences"] == list(range(1, 51))
    assert outcome["writers"] == [0, 1]
    assert outcome["verdict"] == "intact: 50 events"


def test_verify_audit_can_show_the_head_to_keep_elsewhere(five, capsys):
    call_command("verify_audit", verbosity=2)
    assert capsys.readouterr().out.splitlines() == ["intact: 5 events", f"head: #5 {five[-1].hash}"]


def test_an_ipv6_address_is_hashed_as_stored(rf):
    request = rf.get("/", REMOTE_ADDR="2001:0DB8::0001")
    event = audit_event_record(
        action="auth.login_failed", outcome="failure", actor=Actor.anonymous(request, username="")
    )
    assert event.source_ip == "2001:db8::1"
    assert audit_chain_verify().intact


def test_an_event_that_breaks_its_fields_rules_is_refused(rf):
    from django.core.exceptions import ValidationError

    from disks.models import AuditEvent
    from disks.services.audit import audit_event_record

    with pytest.raises(ValidationError) as refused:
        audit_event_record(action="disks.made_up", outcome="failure", actor=SYSTEM)
    assert "action" in refused.value.message_dict
    assert not AuditEvent.objects.exists()


def test_recording_an_event_takes_no_validation_queries(django_assert_num_queries, helpdesk_user):
    from disks.services.audit import audit_event_record

    audit_event_record(action="auth.login_failed", outcome="failure", actor=SYSTEM)
    # Lock the head, insert the event, move the head: no validation query, no savepoint.
    with django_assert_num_queries(3):
        audit_event_record(
            action="auth.login_failed", outcome="failure", actor=helpdesk_actor(helpdesk_user)
        )
