"""The Django side of the benchmark, run by bench/run.py in a subprocess per database.

`python -m bench.djtool COMMAND [options]` with DJANGO_SETTINGS_MODULE=bench.settings and
DATABASE_URL set; each command prints one JSON document on stdout. The runner itself never
imports Django, so that it can drive several databases in one run.
"""

import argparse
import contextlib
import io
import json
import sys
import time
from datetime import timedelta


def _setup() -> None:
    import django

    django.setup()


USERS = {"helpdesk": ("hana.helpdesk", "helpdesk"), "auditor": ("otto.auditor", "auditor")}


def _user(role: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    username, group = USERS[role]
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def sessions(args) -> dict:
    """Log each bench user in (a session row, as the login form leaves); return the cookies."""
    from django.conf import settings
    from django.test import Client

    cookies = {}
    for role in USERS:
        client = Client()
        client.force_login(_user(role))
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": cookies}


def running_request(args) -> dict:
    """A request whose job runs and whose next poll is far off: the fragment only reads it.

    The state a watched request is in between two polls, held still so that the load test
    measures the fragment's own work and never the (rare) stale-row fallback.
    """
    from django.utils import timezone

    from disks.models import Desktop, DiskRequest

    # Each figure that watches a request gets its own desktop (one request in flight each).
    busy = DiskRequest.objects.filter(status__in=DiskRequest.IN_FLIGHT_STATUSES).values(
        "desktop_id"
    )
    desktop = (
        Desktop.objects.filter(status="ACTIVE", task_status="")
        .exclude(desktop_id__in=busy)
        .order_by("pk")
        .last()
    )
    if desktop is None:
        raise SystemExit("no idle ACTIVE desktop in the database: sync the simulator first")
    now = timezone.now()
    disk_request = DiskRequest.objects.create(
        desktop_id=desktop.desktop_id,
        desktop_name=desktop.computer_name,
        volumes=[{"type": "SSD", "size": 100}, {"type": "SAS", "size": 200}],
        audience=DiskRequest.Audience.HELPDESK,
        status=DiskRequest.Status.RUNNING,
        requested_by=_user("helpdesk"),
        requested_by_username=USERS["helpdesk"][0],
        data_disks_before=desktop.data_volume_count,
        job_id="ff80808288d41e1b018a1c0e3d2a0b1c",
        job_status="RUNNING",
        progress=40,
        sub_jobs=[{"id": "1", "status": "RUNNING", "process": 40}],
        submitted_at=now - timedelta(seconds=8),
        poll_interval_seconds=2,
        last_polled_at=now,
        next_poll_at=now + timedelta(days=1),
        deadline_at=now + timedelta(days=1),
    )
    return {"pk": disk_request.pk, "desktop_id": desktop.desktop_id}


def wait_request(args) -> dict:
    """Wait (bounded) until the request is finished; return its timing as the dashboard saw it."""
    from disks.models import DiskRequest

    deadline = time.monotonic() + args.timeout
    while True:
        disk_request = DiskRequest.objects.get(pk=args.pk)
        if disk_request.is_terminal or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return {
        "pk": disk_request.pk,
        "status": disk_request.status,
        "terminal": disk_request.is_terminal,
        "job_id": disk_request.job_id,
        "poll_interval_seconds": disk_request.poll_interval_seconds,
        "submitted_at": disk_request.submitted_at.timestamp()
        if disk_request.submitted_at
        else None,
        "finished_at": disk_request.finished_at.timestamp() if disk_request.finished_at else None,
    }


def inflight_requests(args) -> dict:
    """Requests in `running` for the jobs in a JSON file [{desktop_id, job_id}], all due now.

    What a submit leaves behind (the row in `running` with its job, a poll task queued on
    commit), written in one go for figure 8: submitting 2,000 through the view would take
    minutes of the run for no figure. The first poll of each is due at once.
    """
    from pathlib import Path

    from django.db import transaction
    from django.utils import timezone

    from disks.models import Desktop, DiskRequest
    from disks.services.lifecycle import poll_task_enqueue

    jobs = json.loads(Path(args.spec).read_text())
    names = dict(
        Desktop.objects.filter(desktop_id__in=[job["desktop_id"] for job in jobs]).values_list(
            "desktop_id", "computer_name"
        )
    )
    user = _user("helpdesk")
    now = timezone.now()
    rows = [
        DiskRequest(
            desktop_id=job["desktop_id"],
            desktop_name=names.get(job["desktop_id"], ""),
            volumes=[{"type": "SSD", "size": 100}],
            audience=DiskRequest.Audience.HELPDESK,
            status=DiskRequest.Status.RUNNING,
            requested_by=user,
            requested_by_username=USERS["helpdesk"][0],
            data_disks_before=0,
            job_id=job["job_id"],
            job_status="WAITING",
            submitted_at=now,
            min_provision_minutes=1,
            max_provision_minutes=30,
            poll_interval_seconds=args.period,
            next_poll_at=now,
            deadline_at=now + timedelta(days=1),
        )
        for job in jobs
    ]
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    # A run starts from an empty task queue: what an earlier run left (finished tasks, and
    # tasks of requests that have finished) is not this run's backlog.
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        created = DiskRequest.objects.bulk_create(rows)
        for disk_request in created:
            poll_task_enqueue(disk_request)
    # Planner statistics for the bulk load, as autovacuum would leave them (see the figure's
    # notes: without them the workers' task query sorted every queued task, 0.36 s a task).
    with connection.cursor() as cursor:
        for model in (DBTaskResult, DiskRequest):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {
        "count": len(created),
        "first_pk": min(row.pk for row in created),
        "due_at": now.timestamp(),
    }


def wait_requests(args) -> dict:
    """Wait (bounded) until every request from `first` on has finished; return their timing."""
    from disks.models import DiskRequest

    rows = DiskRequest.objects.filter(pk__gte=args.first)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not rows.filter(status__in=DiskRequest.IN_FLIGHT_STATUSES).exists():
            break
        time.sleep(1)
    found = list(
        rows.values_list("job_id", "status", "submitted_at", "finished_at", "poll_interval_seconds")
    )
    return {
        "unfinished": sum(1 for row in found if row[1] in DiskRequest.IN_FLIGHT_STATUSES),
        "requests": [
            {
                "job_id": job_id,
                "status": status,
                "submitted_at": _epoch(submitted),
                "finished_at": _epoch(finished or submitted),
                "period": period,
            }
            for job_id, status, submitted, finished, period in found
        ],
    }


def wait_batch(args) -> dict:
    """Wait (bounded) until the batch has finished; return its chunks as the dashboard saw them."""
    from django.db.models import Count

    from disks.models import Batch

    deadline = time.monotonic() + args.timeout
    while True:
        batch = Batch.objects.get(pk=args.pk)
        if batch.is_finished or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    chunks = [
        {
            "number": chunk.number,
            "job_id": chunk.job_id,
            "sent_at": chunk.sent_at.timestamp() if chunk.sent_at else None,
            "ended_at": chunk.ended_at.timestamp() if chunk.ended_at else None,
            "period": chunk.poll_interval_seconds,
            "desktops": chunk.requests.count(),
        }
        for chunk in batch.chunks.order_by("number")
    ]
    statuses = dict(
        batch.requests.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {
        "pk": batch.pk,
        "status": batch.status,
        "finished": batch.is_finished,
        "submitted_at": batch.submitted_at.timestamp() if batch.submitted_at else None,
        "items": batch.items.count(),
        "skipped": batch.items.exclude(skip_reason="").count(),
        "chunks": chunks,
        "requests": statuses,
    }


def api_token(args) -> dict:
    """A bearer token for the helpdesk user (helpdesk scope), as `api_token_create` makes one."""
    from disks.actor import Actor, Channel
    from disks.services.api_tokens import api_token_create

    _token, secret = api_token_create(
        user=_user(args.role),
        name="bench",
        scope=USERS[args.role][1],
        expires_days=None,
        actor=Actor.system(channel=Channel.COMMAND),
    )
    return {"token": secret}


def _epoch(moment) -> float:
    """Seconds since the epoch (0 for a time never set, which figure 8's rows always have)."""
    return moment.timestamp() if moment else 0.0


# How the generated requests ended, roughly as generate_audit_events' mix has them.
REQUEST_ENDINGS = (("succeeded", 80), ("failed", 15), ("needs_review", 3), ("rejected", 2))


def generate_requests(args) -> dict:
    """The disk request each generated `disk_request.submitted` event stands for.

    The operations page (/insights/, figure 4b) counts disk requests, not audit events, so a
    dataset of a million events needs the requests that history records: one per submitted
    event (about 28% of generate_audit_events' mix), created at the event's time, for its
    desktop and person, and ended (mostly succeeded). Bench data written in bulk, as
    `inflight-requests` writes figure 8's; the events are left as they are (the history is
    append-only).
    """
    import random
    import uuid

    from disks.models import AuditEvent, DiskRequest

    rng = random.Random(args.seed)  # noqa: S311 (made-up data)
    statuses = [status for status, _weight in REQUEST_ENDINGS]
    weights = [weight for _status, weight in REQUEST_ENDINGS]
    events = (
        AuditEvent.objects.filter(action=AuditEvent.Action.REQUEST_SUBMITTED)
        .order_by("sequence")
        .values_list("occurred_at", "desktop_id", "desktop_name", "actor_username", "audience")
    )
    written = 0
    rows: list = []
    with _times_as_given(DiskRequest):
        for occurred, desktop_id, desktop_name, username, audience in events.iterator(5000):
            status = rng.choices(statuses, weights)[0]
            finished = occurred + timedelta(seconds=rng.randrange(30, 900))
            rows.append(
                DiskRequest(
                    desktop_id=desktop_id,
                    desktop_name=desktop_name,
                    volumes=[{"type": "SSD", "size": rng.randrange(10, 500, 10)}],
                    audience="portal" if audience == "portal" else "helpdesk",
                    status=status,
                    idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                    requested_by_username=username or "system",
                    created_at=occurred,
                    updated_at=finished,
                    submitted_at=occurred,
                    finished_at=finished,
                    data_disks_before=rng.randrange(3),
                    job_id="" if status == "rejected" else uuid.UUID(int=rng.getrandbits(128)).hex,
                    error_code="WKS.0407" if status in ("failed", "needs_review") else "",
                )
            )
            if len(rows) == 5000:
                written += len(DiskRequest.objects.bulk_create(rows))
                rows = []
        written += len(DiskRequest.objects.bulk_create(rows))
    return {"requests": written}


@contextlib.contextmanager
def _times_as_given(model):
    """Keep the rows' own created_at/updated_at (past times) rather than "now"."""
    fields = [model._meta.get_field(name) for name in ("created_at", "updated_at")]
    saved = [(field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def floor_table(args) -> dict:
    """The table figure 10's floor view writes its rows into (bench only, made if missing)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_row ("
            "id bigserial PRIMARY KEY, user_id integer NOT NULL, "
            "step varchar(16) NOT NULL, created_at timestamptz NOT NULL)"
        )
    return {"ok": True}


def dataset(args) -> dict:
    """What the database holds: desktops, events, and where the audit chain stands."""
    from django.db.models import Max, Min

    from disks.models import AuditChainHead, AuditEvent, Desktop, DiskRequest

    sequences = AuditEvent.objects.aggregate(first=Min("sequence"), last=Max("sequence"))
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
    return {
        "desktops": Desktop.objects.count(),
        "events": AuditEvent.objects.count(),
        "requests": DiskRequest.objects.count(),
        "first_sequence": sequences["first"],
        "last_sequence": sequences["last"],
        "chain_head": head,
    }


def _client(role: str):
    from django.test import Client

    client = Client()
    client.force_login(_user(role))
    return client


def _get(client, spec: dict):
    headers = {"HX-Request": "true"} if spec.get("htmx") else {}
    if spec.get("bearer"):
        headers["Authorization"] = f"Bearer {spec['bearer']}"
    if spec.get("method", "GET") == "POST":
        return client.post(spec["path"], spec.get("data", {}), headers=headers)
    response = client.get(spec["path"], headers=headers)
    if response.streaming:
        for _ in response.streaming_content:
            pass
    return response


def count_queries(args) -> dict:
    """SQL queries per request, in-process, for each path (after one warm-up request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(args.role)
    counts = {}
    for spec in json.loads(args.requests):
        _get(client, spec)
        with CaptureQueriesContext(connection) as captured:
            response = _get(client, spec)
        counts[spec["path"]] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "sql": [query["sql"][:300] for query in captured.captured_queries],
        }
    return counts


FLAT_HEADER = "Functions by total time (inclusive), library frames included:"


def profile(args) -> dict:
    """Run the requests `repeat` times in-process under pyinstrument; return its text report."""
    from pyinstrument import Profiler

    client = _client(args.role)
    specs = json.loads(args.requests)
    for spec in specs:
        if spec.get("warmup", True):
            _get(client, spec)
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for _ in range(args.repeat):
        for spec in specs:
            response = _get(client, spec)
    profiler.stop()
    seconds = time.perf_counter() - started
    tree = profiler.output_text(time="percent_of_total")
    flat = profiler.output_text(flat=True, flat_time="total", show_all=True)
    text = f"{tree}\n{FLAT_HEADER}\n{flat}"
    if args.output:
        with open(args.output, "w") as file:
            file.write(text)
    return {
        "status": response.status_code,
        "requests": args.repeat * len(specs),
        "ms_per_request": seconds * 1000 / (args.repeat * len(specs)),
        "output": args.output,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.djtool")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sessions")
    commands.add_parser("running-request")
    commands.add_parser("dataset")
    wait = commands.add_parser("wait-request")
    wait.add_argument("pk", type=int)
    wait.add_argument("--timeout", type=float, default=60)
    inflight = commands.add_parser("inflight-requests")
    inflight.add_argument("spec", help="JSON file: [{desktop_id, job_id}]")
    inflight.add_argument("--period", type=int, required=True)
    waits = commands.add_parser("wait-requests")
    waits.add_argument("--first", type=int, required=True)
    waits.add_argument("--timeout", type=float, default=600)
    commands.add_parser("floor-table")
    generate = commands.add_parser("generate-requests")
    generate.add_argument("--seed", type=int, default=1)
    batch = commands.add_parser("wait-batch")
    batch.add_argument("pk", type=int)
    batch.add_argument("--timeout", type=float, default=600)
    token = commands.add_parser("api-token")
    token.add_argument("--role", choices=sorted(USERS), default="helpdesk")
    for name in ("count-queries", "profile"):
        command = commands.add_parser(name)
        command.add_argument("--role", choices=sorted(USERS), default="helpdesk")
        command.add_argument("--requests", required=True, help="JSON list of {path, htmx?}")
        if name == "profile":
            command.add_argument("--repeat", type=int, default=100)
            command.add_argument("--output", default="")
    args = parser.parse_args(argv)
    _setup()
    handler = {
        "sessions": sessions,
        "running-request": running_request,
        "dataset": dataset,
        "wait-request": wait_request,
        "inflight-requests": inflight_requests,
        "wait-requests": wait_requests,
        "floor-table": floor_table,
        "generate-requests": generate_requests,
        "wait-batch": wait_batch,
        "api-token": api_token,
        "count-queries": count_queries,
        "profile": profile,
    }[args.command]
    # Django and the app may print; keep stdout for the one JSON answer.
    real_stdout, sys.stdout = sys.stdout, io.StringIO()
    try:
        result = handler(args)
    finally:
        sys.stdout = real_stdout
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
