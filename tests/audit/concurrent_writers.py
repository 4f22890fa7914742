"""Several threads appending audit events at once; importable, or run as a script.

As a script (`python -m tests.audit.concurrent_writers THREADS PER_THREAD`) it migrates the
database named by DATABASE_URL, writes, and prints the resulting sequences and verdict as
JSON. The SQLite test runs it that way against a file: pytest's in-memory SQLite database
uses a shared cache, whose table locks fail at once instead of waiting (the busy timeout
does not apply), so only a file shows how the production settings queue writers.
"""

import json
import sys
import threading


def write_concurrently(threads: int, per_thread: int) -> list[BaseException]:
    """Start `threads` writers together, each appending `per_thread` events; return errors."""
    from django.db import connections

    from disks.models import AuditEvent
    from disks.services.audit import audit_event_record
    from tests.factories import SYSTEM

    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                audit_event_record(
                    action=AuditEvent.Action.INVENTORY_SYNCED,
                    outcome=AuditEvent.Outcome.SUCCESS,
                    actor=SYSTEM,
                    details={"writer": number, "n": n},
                )
        except BaseException as error:  # reported to the caller
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return errors


def main(threads: int, per_thread: int) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    errors = write_concurrently(threads, per_thread)

    from disks.audit_chain import audit_chain_verify
    from disks.models import AuditEvent

    return {
        "errors": [repr(error) for error in errors],
        "sequences": list(
            AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)
        ),
        "writers": sorted(set(AuditEvent.objects.values_list("details__writer", flat=True))),
        "verdict": str(audit_chain_verify()),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
