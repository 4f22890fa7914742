"""A batch's own small lifecycle: its table of moves is the only way its status changes."""

import itertools
import uuid

import pytest

from disks.models import AuditEvent, Batch
from disks.services.lifecycle import (
    BATCH_ALLOWED_MOVES,
    AuditEntry,
    IllegalMove,
    StaleMove,
    batch_create,
    batch_move,
)
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

Status = Batch.Status
NOTED = AuditEntry(AuditEvent.Action.BATCH_SENT, AuditEvent.Outcome.INFO)


def batch_in(status: str) -> Batch:
    """A batch saved straight into `status` (a fixture: the lifecycle is what is tested)."""
    return Batch.objects.create(
        created_by_username="sam",
        idempotency_key=uuid.uuid4(),
        volumes=[{"type": "SAS", "size": 10}],
        status=status,
    )


@pytest.mark.parametrize(("source", "target"), list(itertools.product(Status.values, repeat=2)))
def test_every_move_in_the_table_is_made_and_every_other_is_refused(
    source, target, django_capture_on_commit_callbacks
):
    batch = batch_in(source)
    if target in BATCH_ALLOWED_MOVES.get(source, frozenset()):
        moved = batch_move(batch, to=target, actor=SYSTEM, audit=NOTED)
        assert Batch.objects.get(pk=batch.pk).status == target == moved.status
        event = AuditEvent.objects.get()
        assert event.details["batch_id"] == batch.pk
        assert (target == Status.FINISHED) == (moved.finished_at is not None)
    else:
        with pytest.raises(IllegalMove):
            batch_move(batch, to=target, actor=SYSTEM, audit=NOTED)
        assert Batch.objects.get(pk=batch.pk).status == source
        assert not AuditEvent.objects.exists()


def test_a_new_batch_starts_previewed_only():
    fields = {"created_by_username": "sam", "volumes": [], "status": Status.SENDING}
    with pytest.raises(IllegalMove):
        batch_create(fields=fields, actor=SYSTEM, audit=None)
    batch = batch_create(fields={**fields, "status": Status.PREVIEWED}, actor=SYSTEM, audit=None)
    assert batch.status == Status.PREVIEWED


def test_two_submits_of_one_batch_let_one_through(django_capture_on_commit_callbacks):
    batch = batch_in(Status.PREVIEWED)
    twin = Batch.objects.get(pk=batch.pk)
    with django_capture_on_commit_callbacks() as queued:
        batch_move(batch, to=Status.SENDING, actor=SYSTEM, audit=NOTED)
    assert len(queued) == 1, "the worker is asked to send it, once committed"
    with pytest.raises(StaleMove):
        batch_move(twin, to=Status.SENDING, actor=SYSTEM, audit=NOTED)
    assert AuditEvent.objects.count() == 1
