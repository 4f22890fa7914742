"""The one writer of audit events: who did what, to which desktop, with what outcome.

Every action on a desktop's disks, every request's move through its lifecycle, sign-in
failures and inventory syncs are recorded here, as one `AuditEvent` each. Where an event
sits in the tamper-evident chain is disks.audit_chain's business.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

from disks.actor import Actor
from disks.audit_chain import audit_chain_append, audit_chain_append_many
from disks.models import AuditEvent, DiskRequest

# Keys whose values are never written, whoever passes them in by mistake.
_SECRET_KEY_PATTERN = re.compile(
    r"pass(word)?|secret|token|authori[sz]ation|signature|^sk$|_sk$|^ak$|_ak$|cookie|session",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
logger = logging.getLogger(__name__)
# Set under the chain head's lock, not by the caller.
_CHAIN_FIELDS = ("sequence", "occurred_at", "previous_hash", "hash")


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY_PATTERN.search(str(key)) else _without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_secrets(item) for item in value]
    return value


def _with_token_name(details: dict, actor: Actor) -> dict:
    """Name the API token a call was made with: its name, never the token (not redacted)."""
    if actor.token_name:
        return {**details, "token": actor.token_name}
    return details


def audit_event_record(
    *,
    action: str,
    outcome: str,
    actor: Actor,
    disk_request: DiskRequest | None = None,
    desktop_id: str = "",
    desktop_name: str = "",
    error_code: str = "",
    api_request_id: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit history, in the caller's transaction, and return it.

    The actor says who (or the system), through which audience and channel, from which
    address and browser. The desktop defaults to the request's. Values of secret-looking
    keys in `details` are replaced by "[redacted]", whoever passes them in.
    """
    if disk_request is not None:
        desktop_id = desktop_id or disk_request.desktop_id
        desktop_name = desktop_name or disk_request.desktop_name
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    event = AuditEvent(
        actor=user,
        actor_username=actor.username[:150],
        source_ip=actor.client_ip,
        user_agent=actor.user_agent,
        audience=actor.audience,
        channel=actor.channel,
        action=action,
        outcome=outcome,
        desktop_id=desktop_id,
        desktop_name=desktop_name,
        disk_request=disk_request,
        error_code=error_code,
        api_request_id=api_request_id,
        details=_with_token_name(_without_secrets(details or {}), actor),
    )
    # Validate (and normalise, e.g. an IPv6 address) before the chain's lock: the hash
    # must cover the values as stored, or verification would later find a "change". Field
    # checks only: full_clean would also query that the actor and request exist and that
    # the sequence is unused, which the foreign keys and the locked head already guarantee.
    event.clean_fields(exclude=(*_CHAIN_FIELDS, "actor", "disk_request"))
    event = audit_chain_append(event)
    # One log line per event (no details: they are for the history), so that a grep of the
    # logs for a request id shows its decisions too.
    logger.info(
        "audit event #%d %s %s",
        event.sequence,
        event.action,
        event.outcome,
        extra={
            "action": event.action,
            "outcome": event.outcome,
            "sequence": event.sequence,
            "desktop_id": event.desktop_id,
            "disk_request_id": event.disk_request_id or "",
        },
    )
    return event


def audit_events_bulk_append(events: Sequence[AuditEvent]) -> int:
    """Append many prepared events at once (generated demo and benchmark data only).

    Secrets are redacted as for one event; see disks.audit_chain.audit_chain_append_many
    for what else is taken as given.
    """
    for event in events:
        event.details = _without_secrets(event.details or {})
    return audit_chain_append_many(events)
