"""Shared fixtures: the simulator, users of each audience, and small helpers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="sam", password="pw-sam-123")


# The simulator, and the dashboard pointed at it ------------------------------------------


@pytest.fixture
def simulator(request):
    """A fresh Workspace simulator on a free port.

    Jobs run at the demo speed (about 10 s) unless a test says otherwise with
    `@pytest.mark.simulator(speed=...)`; tests usually end them with `finish_job`.
    """
    from workspace_sim.testing import running_simulator

    marker = request.node.get_closest_marker("simulator")
    with running_simulator(**(marker.kwargs if marker else {})) as sim:
        yield sim


@pytest.fixture
def workspace(simulator, settings, db):
    """Point the dashboard's client at `simulator` (AK/SK auth); yield the simulator.

    Needs the database: the cache (disk types, verdicts) lives there.
    """
    from django.core.cache import cache

    from disks.client import reset_client

    settings.WORKSPACE_ENDPOINT = simulator.url
    settings.WORKSPACE_PROJECT_ID = simulator.config.project_id
    settings.WORKSPACE_AK = simulator.config.ak
    settings.WORKSPACE_SK = simulator.config.sk
    settings.WORKSPACE_TIMEOUT = (2.0, 5.0)
    settings.WORKSPACE_RETRY_BACKOFF = 0.01
    settings.WORKSPACE_JOB_POLL_MAX_SECONDS = 1
    reset_client()
    cache.clear()
    yield simulator
    reset_client()
    cache.clear()


@pytest.fixture
def synced(workspace, db):
    """The simulator's desktops, synced into the inventory."""
    from disks.services.inventory import desktop_inventory_sync

    desktop_inventory_sync()
    return workspace


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


# People: one per audience, as healthchecks' tests have Alice, Bob and Charlie ----------------


def _member(django_user_model, username: str, group: str | None):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password=f"pw-{username}-1")
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def helpdesk_user(django_user_model):
    return _member(django_user_model, "hana.helpdesk", "helpdesk")


@pytest.fixture
def auditor(django_user_model):
    return _member(django_user_model, "otto.auditor", "auditor")


@pytest.fixture
def no_group_user(django_user_model):
    return _member(django_user_model, "nora.nogroup", None)


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    client.force_login(helpdesk_user)
    return client


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's SQLite test database and its WAL files (tests/settings.py)."""
    for leftover in (REPO_ROOT / "var").glob(f"test-db-{os.getpid()}.sqlite3*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture
def end_user(django_user_model):
    """Alice owns five of the simulator's seeded desktops."""
    user = _member(django_user_model, "alice.wong", "end_user")
    user.email = "alice.wong@example.com"
    user.save()
    return user


@pytest.fixture
def other_end_user(django_user_model):
    """Bob owns other seeded desktops, none of Alice's."""
    return _member(django_user_model, "bob.martin", "end_user")


def desktop_of(sim, user_name: str, *, data_disks: int | None = 0, exclude=()) -> str:
    """The id of an ACTIVE, idle seeded desktop owned by `user_name`."""
    return seeded_desktop(sim, user_name=user_name, data_disks=data_disks, exclude=exclude)
