"""The audit chain: appending to it, walking it, and the verdict auditors see.

One module owns the chain: the locked head that serialises writers, the sequence and
hashes every event gets, the walk that checks them, the verdict cached for the review page
(never computed by a page that would keep a person waiting), and the task that computes it.
The writer (disks.services.audit) and the readers (disks.selectors.audit, the views, the
commands) import this module; it imports neither. See docs/design.md, "The audit history".
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from disks.models import AuditChainHead, AuditEvent
from disks.models.audit import CANONICAL_FIELDS, canonical_content

_SOURCE_IP_FIELD = AuditEvent._meta.get_field("source_ip")

LATEST_VERDICT_CACHE_KEY = "audit:chain-verdict:latest"
VERDICT_CACHE_SECONDS = 7 * 24 * 3600


# Appending ---------------------------------------------------------------------------------


def audit_chain_append(event: AuditEvent) -> AuditEvent:
    """Put a checked, unsaved event at the end of the chain and save it.

    Locks the chain head (one row), so that concurrent writers queue up here, then gives
    the event the head's next sequence, its time and the head's hash as its predecessor,
    hashes it, saves it and moves the head, in the caller's transaction.
    """
    # savepoint=False: inside the caller's transaction the event is part of its write and
    # fails with it; a savepoint of its own would add two round trips to every event.
    with transaction.atomic(savepoint=False):
        head = _locked_chain_head()
        event.sequence = head.last_sequence + 1
        event.occurred_at = timezone.now()  # under the lock: time order is sequence order
        event.previous_hash = head.last_hash
        event.hash = event.compute_hash()
        event.save()
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_sequence=event.sequence, last_hash=event.hash
        )
    return event


def _locked_chain_head() -> AuditChainHead:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def audit_chain_append_many(events: Sequence[AuditEvent]) -> int:
    """Chain and insert many prepared, unsaved events at once; return the new last sequence.

    For generated demo and benchmark data (`manage.py generate_audit_events`): one lock, one
    chain pass in Python and one multi-row INSERT per call instead of a round trip per event.
    Sequence and hashes are assigned here; every other field, `occurred_at` included, is
    taken as given: the caller builds valid events.
    """
    with transaction.atomic():
        head = _locked_chain_head()
        sequence, previous_hash = head.last_sequence, head.last_hash
        for event in events:
            sequence += 1
            event.sequence, event.previous_hash = sequence, previous_hash
            event.occurred_at = event.occurred_at.astimezone(UTC)
            # The hash covers the values as the database gives them back, and an IPv6
            # address comes back normalised. (full_clean would do this too, but at a
            # cost that doubles the time per event.)
            event.source_ip = _SOURCE_IP_FIELD.to_python(event.source_ip)
            event.hash = previous_hash = event.compute_hash()
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_sequence=sequence, last_hash=previous_hash
        )
    return sequence


# Verification -------------------------------------------------------------------------------

VERIFY_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ChainVerdict:
    """What a walk of the chain found: intact, or the first broken link and what is wrong."""

    intact: bool
    events: int  # events checked and found sound
    head_sequence: int  # the chain's last event when the walk began
    head_hash: str  # its hash: written down elsewhere, it pins the history up to there
    checked_at: datetime
    broken_sequence: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.intact:
            return f"intact: {self.events} events"
        return f"broken at event #{self.broken_sequence}: {self.problem}"


def audit_chain_verify() -> ChainVerdict:
    """Walk the whole chain in sequence order; return the verdict at the first broken link.

    1. Read the head first. Events appended during the walk lie beyond it and are left for
       the next check; every event up to it is committed, since the head moves in the
       same transaction as the insert.
    2. Stream the events (constant memory) and check each one: its sequence follows the
       previous one (none removed), its previous_hash is the previous event's hash (none
       replaced or re-hashed), and its content still gives its stored hash (none changed).
    3. Check the last event is the head's: none removed from the end.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    head_sequence = head.last_sequence if head else 0
    head_hash = head.last_hash if head else AuditChainHead.GENESIS_HASH
    events = AuditEvent.objects.order_by("sequence")
    if head is not None:
        events = events.filter(sequence__lte=head_sequence)
    # Plain tuples, not model instances: a third faster over a million rows.
    rows = events.values_list(*CANONICAL_FIELDS, "hash").iterator(chunk_size=VERIFY_CHUNK_SIZE)
    sequence, previous_hash = 0, AuditChainHead.GENESIS_HASH
    for *values, stored_hash in rows:
        event = dict(zip(CANONICAL_FIELDS, values, strict=True))
        problem = _link_problem(event, stored_hash, sequence + 1, previous_hash)
        if problem:
            return _verdict(
                head_sequence, head_hash, checked=sequence, broken_at=sequence + 1, problem=problem
            )
        sequence, previous_hash = event["sequence"], stored_hash
    if (sequence, previous_hash) != (head_sequence, head_hash):
        problem = (
            f"the chain head records event #{head_sequence} as the last, but the last event "
            f"found is #{sequence}: events were removed from the end or the head was changed"
        )
        return _verdict(
            head_sequence, head_hash, checked=sequence, broken_at=sequence + 1, problem=problem
        )
    return _verdict(head_sequence, head_hash, checked=sequence)


def _link_problem(event: dict, stored_hash: str, expected_sequence: int, previous_hash: str) -> str:
    if event["sequence"] != expected_sequence:
        return (
            f"event #{expected_sequence} is missing (the next event found is #{event['sequence']})"
        )
    if event["previous_hash"] != previous_hash:
        return (
            f"it does not link to event #{expected_sequence - 1}: that event, or this "
            "event's link to it, was changed"
        )
    if hashlib.sha256(canonical_content(event)).hexdigest() != stored_hash:
        return "its content no longer matches its hash: it was changed after it was written"
    return ""


def _verdict(
    head_sequence: int,
    head_hash: str,
    *,
    checked: int,
    broken_at: int | None = None,
    problem: str = "",
) -> ChainVerdict:
    return ChainVerdict(
        intact=broken_at is None,
        events=checked,
        head_sequence=head_sequence,
        head_hash=head_hash,
        checked_at=timezone.now(),
        broken_sequence=broken_at,
        problem=problem,
    )


def audit_chain_verify_and_remember() -> ChainVerdict:
    """Verify the chain and cache the verdict for the review page, which never walks it.

    The verdict is stored under the head's sequence (current until the next event) and
    as the latest one (to say "not verified since event #N" once it is no longer current).
    Nothing is written to the audit tables (only to the cache): auditors stay read-only.
    """
    verdict = audit_chain_verify()
    cache.set_many(
        {
            _verdict_cache_key(verdict.head_sequence): verdict,
            LATEST_VERDICT_CACHE_KEY: verdict,
        },
        timeout=VERDICT_CACHE_SECONDS,
    )
    return verdict


def audit_chain_verify_requested() -> ChainVerdict | None:
    """Verify now while the chain is short enough to wait for; else hand it to the worker.

    Returns the verdict, or None when the check was queued (AUDIT_VERIFY_INLINE_LIMIT:
    a million events take about a minute, longer than a page may keep a person waiting).
    """
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
    if (head or 0) <= settings.AUDIT_VERIFY_INLINE_LIMIT:
        return audit_chain_verify_and_remember()
    audit_chain_verify_task.enqueue()
    return None


@task()
def audit_chain_verify_task() -> None:
    """Walk the chain in the worker and cache the verdict for the auditors' page."""
    audit_chain_verify_and_remember()


# The verdict the review page shows ---------------------------------------------------------


def _verdict_cache_key(head_sequence: int) -> str:
    return f"audit:chain-verdict:{head_sequence}"


@dataclass(frozen=True)
class CachedVerdict:
    verdict: ChainVerdict | None  # the latest verdict computed, if any is still cached
    head_sequence: int  # the chain's last event now

    @property
    def is_current(self) -> bool:
        """True when the verdict covers every event written so far."""
        return self.verdict is not None and self.verdict.head_sequence == self.head_sequence


def audit_chain_verdict_cached() -> CachedVerdict:
    """Return the latest cached verdict on the chain; never walks the chain itself.

    Walking a million events takes a while, so `verify_audit`, the worker and the page's
    "Verify now" compute the verdict and cache it (audit_chain_verify_and_remember).
    """
    head_sequence = (
        AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first() or 0
    )
    verdict = cache.get(_verdict_cache_key(head_sequence)) or cache.get(LATEST_VERDICT_CACHE_KEY)
    return CachedVerdict(verdict=verdict, head_sequence=head_sequence)
