"""`manage.py generate_audit_events N`: append N made-up but realistic audit events, fast.

For benchmarks and demos only: it refuses to run unless DEBUG is on or --force is given.
The events go through the same chain as real ones (services.audit.audit_events_bulk_append),
so `verify_audit` still finds the history intact afterwards.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from disks.models import AuditEvent
from disks.selectors.audit import audit_event_latest_time
from disks.services.audit import audit_events_bulk_append

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome
Audience = AuditEvent.Audience

HELPDESK_STAFF = ("hana.helpdesk", "henrik.ops", "haruto.support", "helena.it")
END_USERS = ("ana.souza", "bo.chen", "carla.rossi", "dmitri.k", "eve.martin", "farah.n")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
DISK_TYPES = ("SSD", "SAS", "GPSSD", "ESSD")
ERROR_CODES = ("WKS.0407", "WKS.0105", "WKS.0208", "WKS.0001")
# (action, outcome, audience kind, weight): roughly the mix a busy helpdesk produces.
MIX = (
    (Action.REQUEST_SUBMITTED, Outcome.PENDING, "person", 20),
    (Action.REQUEST_ACCEPTED, Outcome.SUCCESS, "person", 18),
    (Action.REQUEST_REFUSED, Outcome.FAILURE, "person", 2),
    (Action.REQUEST_OUTCOME_UNKNOWN, Outcome.PENDING, "person", 1),
    (Action.JOB_STATUS_CHANGED, Outcome.SUCCESS, "system", 16),
    (Action.JOB_STATUS_CHANGED, Outcome.FAILURE, "system", 2),
    (Action.REQUEST_RECONCILED, Outcome.SUCCESS, "system", 1),
    (Action.LOGIN_FAILED, Outcome.FAILURE, "login", 4),
    (Action.INVENTORY_SYNCED, Outcome.SUCCESS, "system", 3),
)


class Command(BaseCommand):
    help = "Append N generated audit events (benchmarks and demos; needs DEBUG or --force)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many events to append")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="spread them over the last DAYS days (after the newest event already there)",
        )
        parser.add_argument("--seed", type=int, default=None, help="for a repeatable mix")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, count, batch_size, days, seed, force, **options):
        if not (settings.DEBUG or force):
            raise CommandError(
                "This adds made-up events to the audit history. It runs only with DEBUG=true "
                "or --force; never on a production history."
            )
        if count < 1 or batch_size < 1 or days < 1:
            raise CommandError("count, --batch-size and --days must be positive.")
        now = datetime.now(UTC)
        # Time moves forward with the sequence, also after events already there.
        start = max(
            now - timedelta(days=days), audit_event_latest_time() or now - timedelta(days=days)
        )
        maker = _EventMaker(random.Random(seed), count, start, now)  # noqa: S311 (made-up data)
        started = time.monotonic()
        last_sequence = 0
        for offset in range(0, count, batch_size):
            batch = [maker.event() for _ in range(min(batch_size, count - offset))]
            last_sequence = audit_events_bulk_append(batch)
            if options["verbosity"] > 1:
                self.stdout.write(f"  up to event #{last_sequence}")
        seconds = time.monotonic() - started
        # These events carry past times: drop the cached counts of ended days.
        cache.clear()
        self.stdout.write(
            f"appended {count} events in {seconds:.1f} s ({count / seconds:,.0f} events/s); "
            f"the history now ends at event #{last_sequence}"
        )


class _EventMaker:
    """Builds plausible unsaved events, spread evenly in time from `start` to `end`."""

    def __init__(self, rng: random.Random, count: int, start: datetime, end: datetime) -> None:
        self.rng = rng
        self.step = (end - start) / count
        self.next_at = start
        self.desktops = [
            (str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"WKS-{n:04d}")
            for n in range(1, 301)
        ]
        self.kinds = [entry[:3] for entry in MIX]
        self.weights = [entry[3] for entry in MIX]

    def event(self) -> AuditEvent:
        action, outcome, kind = self.rng.choices(self.kinds, self.weights)[0]
        self.next_at += self.step
        event = AuditEvent(
            action=action, outcome=outcome, occurred_at=self.next_at, audience=Audience.SYSTEM
        )
        if kind == "login":
            self._from_browser(event, HELPDESK_STAFF + END_USERS)
        elif kind == "person":
            event.audience = Audience.PORTAL if self.rng.random() < 0.3 else Audience.HELPDESK
            staff = event.audience == Audience.HELPDESK
            self._from_browser(event, HELPDESK_STAFF if staff else END_USERS)
        if action not in (Action.LOGIN_FAILED, Action.INVENTORY_SYNCED):
            event.desktop_id, event.desktop_name = self.rng.choice(self.desktops)
        self._fill(event)
        return event

    def _from_browser(self, event: AuditEvent, people: tuple[str, ...]) -> None:
        rng = self.rng
        event.actor_username = rng.choice(people)
        event.source_ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        event.user_agent = rng.choice(USER_AGENTS)

    def _fill(self, event: AuditEvent) -> None:
        rng = self.rng
        if event.action == Action.REQUEST_SUBMITTED:
            event.details = {
                "volumes": [
                    {"type": rng.choice(DISK_TYPES), "size": rng.randrange(10, 500, 10)}
                    for _ in range(rng.randint(1, 3))
                ]
            }
        elif event.action == Action.REQUEST_ACCEPTED:
            event.api_request_id = uuid.UUID(int=rng.getrandbits(128)).hex
            event.details = {"job_id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
        elif event.action in (Action.REQUEST_REFUSED, Action.REQUEST_OUTCOME_UNKNOWN):
            event.error_code = rng.choice(ERROR_CODES)
            event.api_request_id = uuid.UUID(int=rng.getrandbits(128)).hex
            event.details = {"status": 400, "message": "The desktop is busy."}
        elif event.action == Action.JOB_STATUS_CHANGED:
            failed = event.outcome == Outcome.FAILURE
            event.error_code = rng.choice(ERROR_CODES) if failed else ""
            event.details = {"from": "running", "to": "failed" if failed else "succeeded"}
        elif event.action == Action.REQUEST_RECONCILED:
            event.details = {"decision": "succeeded", "finding": "2 new data disks on the desktop"}
        elif event.action == Action.INVENTORY_SYNCED:
            event.details = {"total": 300, "created": 0, "updated": rng.randrange(5), "removed": 0}
