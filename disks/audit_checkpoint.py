"""Signed checkpoints of the audit chain, kept outside the database, and the check against them.

The hash chain shows a change to any event, but whoever can write the database can also
rewrite or empty the whole chain and its head, and it verifies again ("intact: 0 events").
A checkpoint pins the history from outside: the chain's last sequence and head hash and
the time, signed with HMAC-SHA256 under AUDIT_CHECKPOINT_KEY, a key the database never
holds. The worker writes one every AUDIT_CHECKPOINT_MINUTES, and `manage.py
audit_checkpoint` on demand, to where an auditor chose: appended as a JSON line to
AUDIT_CHECKPOINT_PATH and/or mailed to AUDIT_CHECKPOINT_EMAIL.

`manage.py verify_audit --checkpoint FILE` then fails when a checkpoint's signature does
not match, when the history is shorter than a checkpoint saw (events or the whole table
removed), or when the event a checkpoint names has another hash (the history rewritten).
With the chain intact up to there, the event's hash pins every event before it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

# The one import of the chain's verification (it is moving to its own module).
from disks.audit_chain import ChainVerdict, audit_chain_verify
from disks.models import AuditChainHead, AuditEvent

FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint cannot be taken, written or read; the message says why, in words."""


@dataclass(frozen=True)
class Checkpoint:
    version: int
    sequence: int  # the chain's last event when the checkpoint was taken
    head_hash: str  # that event's hash (the genesis hash for an empty history)
    taken_at: str  # ISO 8601, UTC
    signature: str = ""  # HMAC-SHA256, hex, over the fields above

    def signed_content(self) -> bytes:
        fields = {key: value for key, value in asdict(self).items() if key != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def expected_signature(self, key: str) -> str:
        return hmac.new(key.encode(), self.signed_content(), hashlib.sha256).hexdigest()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence} of {self.taken_at}"


def _key() -> str:
    key = settings.AUDIT_CHECKPOINT_KEY
    if not key:
        raise CheckpointError(
            _("AUDIT_CHECKPOINT_KEY is not set: checkpoints cannot be signed or checked.")
        )
    return key


def checkpoints_configured() -> bool:
    """True when checkpoints have a key and somewhere to go."""
    return bool(
        settings.AUDIT_CHECKPOINT_KEY
        and (settings.AUDIT_CHECKPOINT_PATH or settings.AUDIT_CHECKPOINT_EMAIL)
    )


def audit_checkpoint_take(*, verdict: ChainVerdict | None = None) -> Checkpoint:
    """Verify the chain and return a signed checkpoint of its head.

    A checkpoint vouches for the history it names, so a broken chain gets none.
    """
    key = _key()
    verdict = verdict or audit_chain_verify()
    if not verdict.intact:
        raise CheckpointError(
            _("No checkpoint taken: the audit chain is broken (%(verdict)s).")
            % {"verdict": verdict}
        )
    unsigned = Checkpoint(
        version=FORMAT_VERSION,
        sequence=verdict.head_sequence,
        head_hash=verdict.head_hash,
        taken_at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
    )
    return Checkpoint(**{**asdict(unsigned), "signature": unsigned.expected_signature(key)})


def audit_checkpoint_write(checkpoint: Checkpoint) -> list[str]:
    """Append the checkpoint to AUDIT_CHECKPOINT_PATH and mail it; return where it went."""
    line = checkpoint.to_json()
    written = []
    if path := settings.AUDIT_CHECKPOINT_PATH:
        # Append-only by mode; flushed to disk before we say it is written.
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())
        written.append(path)
    if recipients := settings.AUDIT_CHECKPOINT_EMAIL:
        send_mail(
            subject=_("Audit checkpoint #%(sequence)d") % {"sequence": checkpoint.sequence},
            message=_(
                "The audit history's checkpoint, signed. Keep this line: append it to your "
                "checkpoint file and check the history with\n"
                "manage.py verify_audit --checkpoint FILE\n\n%(line)s\n"
            )
            % {"line": line},
            from_email=None,
            recipient_list=list(recipients),
        )
        written.extend(recipients)
    if not written:
        raise CheckpointError(
            _("Set AUDIT_CHECKPOINT_PATH or AUDIT_CHECKPOINT_EMAIL: a checkpoint needs a place.")
        )
    # In the shared (database) cache, for the metrics' "last checkpoint age" of any process.
    cache.set(LAST_CHECKPOINT_CACHE_KEY, timezone.now(), timeout=None)
    return written


LAST_CHECKPOINT_CACHE_KEY = "audit:checkpoint:last-written"


def audit_checkpoint_last_time() -> datetime | None:
    """When a checkpoint was last written out, if any was since the cache was last cleared."""
    return cache.get(LAST_CHECKPOINT_CACHE_KEY)


def audit_checkpoint_record() -> tuple[Checkpoint, list[str]]:
    """Take a checkpoint and write it out; return it and where it went."""
    _key()  # say what is missing before walking the chain
    checkpoint = audit_checkpoint_take()
    return checkpoint, audit_checkpoint_write(checkpoint)


# Checking the history against checkpoints ---------------------------------------------------


def checkpoints_read(path: str | Path) -> list[Checkpoint]:
    """Read a JSON-lines checkpoint file (blank lines skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CheckpointError(
            _("Cannot read the checkpoint file %(path)s: %(error)s")
            % {"path": path, "error": error.strerror or error}
        ) from error
    checkpoints = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            checkpoints.append(
                Checkpoint(
                    version=int(fields["version"]),
                    sequence=int(fields["sequence"]),
                    head_hash=str(fields["head_hash"]),
                    taken_at=str(fields["taken_at"]),
                    signature=str(fields["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                _("Line %(number)d of %(path)s is not a checkpoint (%(error)s).")
                % {"number": number, "path": path, "error": error}
            ) from error
    if not checkpoints:
        raise CheckpointError(_("%(path)s holds no checkpoint.") % {"path": path})
    return checkpoints


def checkpoint_problems(checkpoints: Iterable[Checkpoint]) -> list[str]:
    """What is wrong between the history and each checkpoint; empty when all agree.

    1. The signature must match under AUDIT_CHECKPOINT_KEY: else the line was forged or
       changed, and says nothing about the history.
    2. The history must reach the checkpoint's sequence: else events were removed.
    3. The event at that sequence must have the checkpoint's hash: else the history up to
       it was rewritten (the chain makes each hash depend on every event before it).
    """
    key = _key()
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
    newest = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    last_sequence = max(head or 0, newest or 0)
    problems = []
    for checkpoint in checkpoints:
        if not hmac.compare_digest(checkpoint.signature, checkpoint.expected_signature(key)):
            problems.append(
                _(
                    "%(checkpoint)s: the signature does not match (the line was changed, or "
                    "signed with another key)"
                )
                % {"checkpoint": checkpoint}
            )
        elif last_sequence < checkpoint.sequence:
            problems.append(
                _(
                    "%(checkpoint)s: the history is shorter than the checkpoint saw: it ends "
                    "at event #%(last)d (events were removed)"
                )
                % {"checkpoint": checkpoint, "last": last_sequence}
            )
        elif _hash_at(checkpoint.sequence) != checkpoint.head_hash:
            problems.append(
                _(
                    "%(checkpoint)s: event #%(sequence)d differs from what the checkpoint saw "
                    "(the history up to it was changed or rebuilt)"
                )
                % {"checkpoint": checkpoint, "sequence": checkpoint.sequence}
            )
    return problems


def _hash_at(sequence: int) -> str | None:
    if sequence == 0:
        return AuditChainHead.GENESIS_HASH
    return AuditEvent.objects.filter(sequence=sequence).values_list("hash", flat=True).first()


def latest(checkpoints: Iterable[Checkpoint]) -> Checkpoint:
    return max(checkpoints, key=lambda checkpoint: (checkpoint.sequence, checkpoint.taken_at))
