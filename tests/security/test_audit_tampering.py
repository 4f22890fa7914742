"""Item 2: the audit history cannot be erased unnoticed, in the database or around it.

PostgreSQL refuses UPDATE, DELETE and TRUNCATE of both audit tables (the chain head only
moves forward); on either database, verify_audit finds changes, and signed checkpoints kept
outside the database find an erased or rebuilt history.
"""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from disks.audit_checkpoint import (
    CheckpointError,
    audit_checkpoint_record,
    checkpoint_problems,
    checkpoints_read,
)
from disks.models import AuditChainHead, AuditEvent
from disks.services.audit import audit_event_record
from disks.services.periodic import periodic_jobs
from tests.audit.conftest import postgres_only
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def record(n: int) -> AuditEvent:
    return audit_event_record(
        action=AuditEvent.Action.INVENTORY_SYNCED,
        outcome=AuditEvent.Outcome.SUCCESS,
        actor=SYSTEM,
        details={"n": n},
    )


@pytest.fixture
def history():
    return [record(n) for n in range(5)]


def raw(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params=None, match="append-only|refused") -> None:
    """Run `sql` as the application's role would: without the test runner's flush licence."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        raw("SET LOCAL disks.allow_audit_truncate = 'off'")
        raw(sql, params)


def erase_behind_the_applications_back() -> None:
    """What a database owner can still do: switch the guards off and empty both tables."""
    if connection.vendor == "postgresql":
        raw("ALTER TABLE disks_auditevent DISABLE TRIGGER USER")
        raw("ALTER TABLE disks_auditchainhead DISABLE TRIGGER USER")
    raw("DELETE FROM disks_auditevent")
    raw("DELETE FROM disks_auditchainhead")
    if connection.vendor == "postgresql":
        raw("ALTER TABLE disks_auditevent ENABLE TRIGGER USER")
        raw("ALTER TABLE disks_auditchainhead ENABLE TRIGGER USER")


# In the database (PostgreSQL) -----------------------------------------------------------


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE disks_auditevent SET outcome = 'failure' WHERE sequence = 2",
        "DELETE FROM disks_auditevent WHERE sequence = 2",
        "TRUNCATE disks_auditevent",
        "TRUNCATE disks_auditchainhead",
        "TRUNCATE disks_auditevent, disks_auditchainhead",
        "TRUNCATE disks_auditevent CASCADE",
        "DELETE FROM disks_auditchainhead",
        "UPDATE disks_auditchainhead SET last_sequence = 0, last_hash = repeat('0', 64)",
        "UPDATE disks_auditchainhead SET last_sequence = 3",
        "UPDATE disks_auditchainhead SET last_sequence = 6, last_hash = repeat('f', 64)",
    ],
)
def test_postgresql_refuses_every_way_to_change_or_erase_the_history(history, sql):
    refused(sql)
    assert AuditEvent.objects.count() == 5
    assert AuditChainHead.objects.get(pk=1).last_sequence == 5
    assert str(_verify()) == "intact: 5 events"


@postgres_only
def test_appending_still_moves_the_head_on_postgresql(history):
    record(99)
    assert AuditChainHead.objects.get(pk=1).last_sequence == 6


@postgres_only
def test_the_flush_licence_needs_a_superuser_who_asks_for_it(history):
    # The test runner's connections carry it (tests/settings.py); a plain session does not.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('disks.allow_audit_truncate', true)")
        assert cursor.fetchone()[0] == "on"


def _verify():
    from disks.audit_chain import audit_chain_verify

    return audit_chain_verify()


# verify_audit finds changes (both databases) ----------------------------------------------


@pytest.fixture
def guards_off():
    if connection.vendor == "postgresql":
        raw("ALTER TABLE disks_auditevent DISABLE TRIGGER USER")
    yield
    if connection.vendor == "postgresql":
        raw("ALTER TABLE disks_auditevent ENABLE TRIGGER USER")


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("UPDATE disks_auditevent SET actor_username = 'eve' WHERE sequence = 3", "#3"),
        ("DELETE FROM disks_auditevent WHERE sequence = 2", "#2"),
        ("DELETE FROM disks_auditevent WHERE sequence = 5", "#5"),
    ],
)
def test_verify_audit_finds_a_change_made_in_the_database(history, guards_off, sql, found):
    raw(sql)
    with pytest.raises(CommandError, match=f"broken at event {found}") as raised:
        call_command("verify_audit")
    assert raised.value.returncode == 1


def test_an_erased_history_verifies_without_a_checkpoint(history):
    erase_behind_the_applications_back()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().strip() == "intact: 0 events"  # why the checkpoints exist


# Checkpoints outside the database -----------------------------------------------------------


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_KEY = "checkpoint-key-for-tests-" + "k" * 20
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "audit-checkpoints.jsonl")
    settings.AUDIT_CHECKPOINT_EMAIL = []
    return tmp_path / "audit-checkpoints.jsonl"


def take_checkpoint() -> str:
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue()


def verify_against(path) -> str:
    out = StringIO()
    call_command("verify_audit", "--checkpoint", str(path), stdout=out)
    return out.getvalue()


def verify_fails(path, match: str) -> None:
    with pytest.raises(CommandError, match=match) as raised:
        call_command("verify_audit", "--checkpoint", str(path))
    assert raised.value.returncode == 1


def test_a_checkpoint_is_a_signed_json_line_appended_to_the_file(history, checkpoints):
    assert "checkpoint #5 of" in take_checkpoint()
    record(5)
    take_checkpoint()
    lines = checkpoints.read_text().splitlines()
    assert [json.loads(line)["sequence"] for line in lines] == [5, 6]
    first = json.loads(lines[0])
    assert first["head_hash"] == AuditEvent.objects.get(sequence=5).hash
    assert set(first) == {"version", "sequence", "head_hash", "taken_at", "signature"}
    assert len(first["signature"]) == 64


def test_a_history_that_agrees_with_its_checkpoints_passes(history, checkpoints):
    take_checkpoint()
    record(5)  # events after a checkpoint are fine
    out = verify_against(checkpoints)
    assert out.splitlines()[0] == "intact: 6 events"
    assert "checkpoints: 1 match, the latest checkpoint #5" in out


def test_an_erased_history_fails_against_a_checkpoint(history, checkpoints):
    take_checkpoint()
    erase_behind_the_applications_back()
    verify_fails(checkpoints, r"history is shorter than the checkpoint saw: it ends at event #0")


def test_a_rebuilt_history_fails_against_a_checkpoint(history, checkpoints):
    take_checkpoint()
    erase_behind_the_applications_back()
    for n in range(5):
        record(100 + n)  # a new, self-consistent chain of the same length
    assert str(_verify()) == "intact: 5 events"
    verify_fails(checkpoints, r"event #5 differs from what the checkpoint saw")


def test_a_forged_checkpoint_line_fails(history, checkpoints):
    take_checkpoint()
    line = json.loads(checkpoints.read_text())
    line["sequence"] = 3
    line["head_hash"] = AuditEvent.objects.get(sequence=3).hash
    checkpoints.write_text(json.dumps(line) + "\n")
    verify_fails(checkpoints, "the signature does not match")


def test_a_checkpoint_signed_with_another_key_fails(history, checkpoints, settings):
    take_checkpoint()
    settings.AUDIT_CHECKPOINT_KEY = "another-key-" + "z" * 30
    verify_fails(checkpoints, "the signature does not match")


def test_checking_without_the_key_says_what_is_missing(history, checkpoints, settings):
    take_checkpoint()
    settings.AUDIT_CHECKPOINT_KEY = ""
    verify_fails(checkpoints, "AUDIT_CHECKPOINT_KEY is not set")


def test_an_unreadable_checkpoint_file_fails(history, checkpoints, tmp_path):
    verify_fails(tmp_path / "missing.jsonl", "Cannot read the checkpoint file")
    (tmp_path / "junk.jsonl").write_text("not json\n")
    verify_fails(tmp_path / "junk.jsonl", "Line 1 of .* is not a checkpoint")


def test_a_broken_chain_gets_no_checkpoint(history, checkpoints, guards_off):
    raw("UPDATE disks_auditevent SET actor_username = 'eve' WHERE sequence = 3")
    with pytest.raises(CommandError, match="the audit chain is broken"):
        take_checkpoint()
    assert not checkpoints.exists()


def test_checkpoints_can_go_to_the_auditors_by_mail(history, checkpoints, settings):
    settings.AUDIT_CHECKPOINT_PATH = ""
    settings.AUDIT_CHECKPOINT_EMAIL = ["audrey@example.com"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    checkpoint, written = audit_checkpoint_record()
    assert written == ["audrey@example.com"]
    (message,) = mail.outbox
    assert message.to == ["audrey@example.com"]
    assert checkpoint.to_json() in message.body
    line_file = checkpoints.parent / "from-mail.jsonl"
    line_file.write_text(checkpoint.to_json() + "\n")
    assert checkpoint_problems(checkpoints_read(line_file)) == []


def test_a_checkpoint_needs_a_key_and_a_place(history, settings):
    settings.AUDIT_CHECKPOINT_KEY = ""
    with pytest.raises(CheckpointError, match="AUDIT_CHECKPOINT_KEY is not set"):
        audit_checkpoint_record()
    settings.AUDIT_CHECKPOINT_KEY = "k" * 40
    settings.AUDIT_CHECKPOINT_PATH, settings.AUDIT_CHECKPOINT_EMAIL = "", []
    with pytest.raises(CheckpointError, match="needs a place"):
        audit_checkpoint_record()


def test_the_worker_writes_checkpoints_once_configured(history, checkpoints, settings):
    settings.AUDIT_CHECKPOINT_MINUTES = 60
    period, job = periodic_jobs()["audit_checkpoint"]
    assert period == 3600
    assert "checkpoint #5" in job()
    assert checkpoints_read(checkpoints)[0].sequence == 5
    settings.AUDIT_CHECKPOINT_KEY = ""
    assert periodic_jobs()["audit_checkpoint"][0] == 0  # not configured: off
