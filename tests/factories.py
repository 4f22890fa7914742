"""Helpers the tests share: actors, seeded desktops, a manage.py runner.

Importable (fixtures stay in conftest.py), so that a test says where its helpers come from.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from disks.actor import Actor, ActorAudience, Channel

REPO_ROOT = Path(__file__).resolve().parent.parent

SYSTEM = Actor.system()


def helpdesk_actor(user, *, channel: Channel = Channel.WEB) -> Actor:
    """A helpdesk member acting through the dashboard."""
    return Actor.for_user(user, audience=ActorAudience.HELPDESK, channel=channel)


def portal_actor(user, *, channel: Channel = Channel.WEB) -> Actor:
    """An end user acting through the self-service portal."""
    return Actor.for_user(user, audience=ActorAudience.PORTAL, channel=channel)


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with the given environment (none inherited)."""
    base = {"PATH": os.environ.get("PATH", ""), "ENV_FILE": os.devnull}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def seeded_desktop(
    sim,
    *,
    status="ACTIVE",
    data_disks: int | None = None,
    task_status="",
    user_name: str | None = None,
    exclude=(),
) -> str:
    """Return the id of a seeded desktop in the given state (and data disk count, owner)."""
    with sim.state.lock:
        for desktop_id in sorted(sim.state.desktops):
            body = sim.state.desktop_body(sim.state.desktop(desktop_id))
            if (
                desktop_id not in exclude
                and body["status"] == status
                and (body.get("task_status") or "") == task_status
                and (data_disks is None or len(body["data_volumes"]) == data_disks)
                and (user_name is None or body["user_name"] == user_name)
            ):
                return desktop_id
    raise LookupError(
        f"no seeded desktop with status={status} data_disks={data_disks} user={user_name}"
    )


def desktop_of(sim, user_name: str, *, data_disks: int | None = 0, exclude=()) -> str:
    """The id of an ACTIVE, idle seeded desktop owned by `user_name`."""
    return seeded_desktop(sim, user_name=user_name, data_disks=data_disks, exclude=exclude)


def write_fleet_seed(path: Path, plan: list[tuple[str, str, int]]) -> Path:
    """Write a simulator seed of made-up desktops, one per (status, task_status, data disks).

    For tests that need more than seed.json's 54 desktops: pass the file as the simulator's
    `seed_path`. Built with workspace_sim.seedgen's own desktop maker, so the desktops look
    like the seeded ones.
    """
    import json
    import random

    from workspace_sim import seedgen

    rng = random.Random(len(plan))
    users = seedgen.USERS
    desktops = [
        seedgen._desktop(rng, index, users[index % len(users)], index // len(users) + 1, *profile)
        for index, profile in enumerate(plan)
    ]
    path.write_text(json.dumps({"desktops": desktops}))
    return path


def request_sent(desktop_id: str, actor: Actor, sizes: tuple[int, ...] = (20,)):
    """A request of SAS disks of these sizes, sent to the cloud (running)."""
    from disks.client import VolumeSpec
    from disks.services.requests import disk_request_submit

    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", size) for size in sizes],
        actor=actor,
        idempotency_key=uuid.uuid4(),
    )


def request_held(desktop_id: str, end_user, size: int = 500):
    """An end user's request large enough to wait for a second person's approval."""
    from disks.client import VolumeSpec
    from disks.services.approvals import disk_request_hold_for_approval

    return disk_request_hold_for_approval(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", size)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )


def access_world(sim, people: dict) -> dict:
    """Something of Alice's for every page to show: her desktop, a running request of hers,
    one waiting for approval, a desktop with data disks, a batch and an audit event.

    `people` maps persona names (tests/security/conftest.py PERSONAS) to users (None for
    anonymous). Shared by the access matrices (tests/security, tests/views/test_access.py).
    """
    from disks.client import VolumeSpec
    from disks.models import AuditEvent, Desktop
    from disks.services.batches import batch_preview_create

    alice, helpdesk = people["alice"], people["helpdesk"]
    alice_desktop = desktop_of(sim, "alice.wong")
    running = request_sent(alice_desktop, portal_actor(alice))
    pending = request_held(desktop_of(sim, "alice.wong", exclude={alice_desktop}), alice)
    disk_desktop = desktop_of(sim, "alice.wong", data_disks=10)
    batch = batch_preview_create(
        desktop_ids=[alice_desktop],
        volumes=[VolumeSpec("SAS", 10)],
        actor=helpdesk_actor(helpdesk),
        idempotency_key=uuid.uuid4(),
    )
    return {
        "batch": batch,
        "sim": sim,
        "desktop": alice_desktop,
        "disk_desktop": disk_desktop,
        "disk": Desktop.objects.get(desktop_id=disk_desktop).sorted_data_volumes[0]["volume_id"],
        "bob_desktop": desktop_of(sim, "bob.martin"),
        "running": running,
        "pending": pending,
        "event": AuditEvent.objects.order_by("sequence").first(),
        "people": people,
    }
