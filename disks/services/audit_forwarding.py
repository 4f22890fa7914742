"""Forward every audit event, at least once and in order, to a sink an auditor configures.

AUDIT_FORWARD_URL names the sink:

- `syslog://host:port`: RFC 5424 messages over TCP, octet-counted (RFC 6587);
- `syslog+tls://host:port`: the same over TLS (RFC 5425), the receiver's certificate checked
  against AUDIT_FORWARD_CA_FILE or the system's CAs;
- `file:///path/audit.jsonl`: one JSON object per line, appended and fsync'd.

Each message carries the event's sequence, its hash and the previous hash, and the event's
hashed content exactly as the chain hashed it (`event`): the receiver can recompute
sha256 of the canonical JSON of `event` (sorted keys, no spaces, UTF-8) and check it against
`hash`, and check that `previous_hash` is the hash of the sequence before. See
docs/operations.md.

The forwarder (`audit_forward`, run by the worker's periodic scheduler every
AUDIT_FORWARD_SECONDS) works like this:

1. Take the sink's lease: a conditional UPDATE on its AuditForwarderPosition row, so that
   one forwarder at a time sends (two at once could interleave and break the order).
2. Read the next events after the row's `last_sequence`, oldest first, and send them. No
   transaction is held open during the send.
3. Only once the sink took them all, move `last_sequence` (and give the lease back). If the
   send fails half-way, the position stays: the next run sends the batch again, so an event
   may arrive twice (same sequence, same hash) but never goes missing or out of order.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from disks.models import AuditChainHead, AuditEvent, AuditForwarderPosition

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
CONNECT_TIMEOUT = 5.0
# RFC 5424: facility 13 "log audit", severity 5 "notice".
PRIORITY = 13 * 8 + 5
APP_NAME = "workspace-disk-admin"
# The structured-data id uses 32473, the enterprise number RFC 5612 reserves for examples;
# a site with its own number may change it, receivers match on the name part.
SD_ID = "wda@32473"


class SinkError(Exception):
    """The sink did not take the events (unreachable, refused, disk full)."""


@dataclass(frozen=True)
class Sink:
    kind: str  # "syslog", "syslog+tls" or "file"
    host: str = ""
    port: int = 0
    path: str = ""

    @property
    def name(self) -> str:
        """The position row's key: the URL without any credentials."""
        if self.kind == "file":
            return f"file://{self.path}"[:255]
        return f"{self.kind}://{self.host}:{self.port}"[:255]


def sink_from_url(url: str) -> Sink:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Sink("file", path=parts.path)
    if parts.scheme in ("syslog", "syslog+tls") and parts.hostname:
        default_port = 6514 if parts.scheme == "syslog+tls" else 514
        return Sink(parts.scheme, host=parts.hostname, port=parts.port or default_port)
    raise ValueError(
        "AUDIT_FORWARD_URL must be syslog://host:port, syslog+tls://host:port or "
        f"file:///path, not {parts.scheme or 'a URL without a scheme'}://..."
    )


# Messages -----------------------------------------------------------------------------------


def event_record(event: AuditEvent) -> dict:
    """What the receiver gets: the hashed content, the sequence and the hashes."""
    return {
        "sequence": event.sequence,
        "hash": event.hash,
        "previous_hash": event.previous_hash,
        "event": json.loads(event.canonical_content()),
    }


def _sd_value(value: object) -> str:
    """Escape a structured-data parameter value (RFC 5424 6.3.3)."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_message(event: AuditEvent, hostname: str) -> bytes:
    """One RFC 5424 message, framed by octet counting (RFC 6587 3.4.1)."""
    timestamp = event.occurred_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    structured = (
        f'[{SD_ID} seq="{event.sequence}" hash="{event.hash}" '
        f'prev="{event.previous_hash}" action="{_sd_value(event.action)}"]'
    )
    body = json.dumps(event_record(event), ensure_ascii=False, separators=(",", ":"))
    message = (
        f"<{PRIORITY}>1 {timestamp} {hostname[:255] or '-'} {APP_NAME} {os.getpid()} "
        f"audit {structured} \ufeff{body}"
    ).encode()
    return f"{len(message)} ".encode() + message


# Sending ------------------------------------------------------------------------------------


def _send_syslog(sink: Sink, events: list[AuditEvent]) -> None:
    hostname = socket.gethostname()
    payload = b"".join(syslog_message(event, hostname) for event in events)
    try:
        with socket.create_connection((sink.host, sink.port), timeout=CONNECT_TIMEOUT) as raw:
            if sink.kind == "syslog+tls":
                context = ssl.create_default_context(cafile=settings.AUDIT_FORWARD_CA_FILE or None)
                with context.wrap_socket(raw, server_hostname=sink.host) as tls:
                    tls.sendall(payload)
                    # As for plain TCP (_await_close): a receiver that closes without its
                    # own close_notify has still had everything.
                    with contextlib.suppress(OSError):
                        tls.unwrap()
            else:
                raw.sendall(payload)
                _await_close(raw)
    except OSError as error:
        raise SinkError(f"{sink.name}: {type(error).__name__}: {error}") from error


def _await_close(raw: socket.socket) -> None:
    """Half-close, then give the receiver a moment to read to the end and close too.

    Syslog over TCP has no acknowledgement (RELP would add one): the events count as
    delivered once the kernel took them and the connection ended without an error. A
    receiver that keeps the connection open is not an error either.
    """
    raw.shutdown(socket.SHUT_WR)
    raw.settimeout(CONNECT_TIMEOUT)
    try:
        while raw.recv(4096):
            pass
    except TimeoutError:
        pass


def _send_file(sink: Sink, events: list[AuditEvent]) -> None:
    lines = "".join(
        json.dumps(event_record(event), ensure_ascii=False, separators=(",", ":")) + "\n"
        for event in events
    )
    try:
        with Path(sink.path).open("a", encoding="utf-8") as file:
            file.write(lines)
            file.flush()
            os.fsync(file.fileno())
    except OSError as error:
        raise SinkError(f"{sink.name}: {type(error).__name__}: {error}") from error


def _send(sink: Sink, events: list[AuditEvent]) -> None:
    (_send_file if sink.kind == "file" else _send_syslog)(sink, events)


# The forwarder ------------------------------------------------------------------------------


def _take_lease(name: str, now: datetime) -> AuditForwarderPosition | None:
    AuditForwarderPosition.objects.get_or_create(name=name)
    taken = (
        AuditForwarderPosition.objects.filter(name=name)
        .exclude(lease_until__gt=now)
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS), last_attempt_at=now)
    )
    return AuditForwarderPosition.objects.get(name=name) if taken else None


def audit_forward(*, url: str | None = None, batch: int | None = None) -> str:
    """Send the events the sink has not had yet (up to `batch`, repeatedly); say what happened.

    Returns a line for the periodic job's record; a sink that fails is recorded on the
    position row (`last_error`) and retried next time from where it stopped.
    """
    sink = sink_from_url(url or settings.AUDIT_FORWARD_URL)
    batch = batch or settings.AUDIT_FORWARD_BATCH
    position = _take_lease(sink.name, timezone.now())
    if position is None:
        return "another forwarder holds the lease"
    sent = 0
    try:
        while True:
            events = list(
                AuditEvent.objects.filter(sequence__gt=position.last_sequence).order_by("sequence")[
                    :batch
                ]
            )
            if not events:
                break
            _send(sink, events)
            position.last_sequence = events[-1].sequence
            AuditForwarderPosition.objects.filter(name=sink.name).update(
                last_sequence=position.last_sequence,
                last_forwarded_at=timezone.now(),
                last_error="",
            )
            sent += len(events)
    except SinkError as error:
        logger.warning("audit forwarding failed: %s", error)
        AuditForwarderPosition.objects.filter(name=sink.name).update(
            last_error=str(error)[:300], lease_until=None
        )
        return f"failed after {sent} events: {error}"[:300]
    AuditForwarderPosition.objects.filter(name=sink.name).update(lease_until=None)
    return f"forwarded {sent} events to {sink.name}, up to #{position.last_sequence}"


@dataclass(frozen=True)
class ForwardingStatus:
    sink: str
    last_sequence: int
    head_sequence: int
    last_forwarded_at: datetime | None
    last_error: str

    @property
    def lag(self) -> int:
        return max(0, self.head_sequence - self.last_sequence)


def audit_forwarding_status() -> ForwardingStatus | None:
    """Where forwarding stands, for the audit page; None when it is not configured."""
    if not settings.AUDIT_FORWARD_URL:
        return None
    sink = sink_from_url(settings.AUDIT_FORWARD_URL)
    row = AuditForwarderPosition.objects.filter(name=sink.name).first()
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
    return ForwardingStatus(
        sink=sink.name,
        last_sequence=row.last_sequence if row else 0,
        head_sequence=head or 0,
        last_forwarded_at=row.last_forwarded_at if row else None,
        last_error=row.last_error if row else "",
    )
