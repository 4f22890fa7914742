"""Shared fixtures: the simulator and users of each audience. Helpers live in tests/factories.py."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _language_and_time_zone_reset():
    """Each test starts in the default language and time zone.

    LocaleMiddleware and PreferencesMiddleware set them per request in the thread, as
    Django does; a test that asked for a page in Chinese would otherwise leave the next
    test in the same process rendering Chinese (the suite runs files in any order).
    """
    yield
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()


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


@pytest.fixture
def fake_cloud(db):
    """An in-memory cloud (tests/fake_client.py) in place of the client, for service unit tests."""
    from disks.client import workspace
    from tests.fake_client import FakeWorkspace

    fake = FakeWorkspace()
    workspace.reset_client()
    workspace._cached.update({key: (os.getpid(), fake) for key in (False, True)})
    yield fake
    workspace.reset_client()


@pytest.fixture
def helpdesk_end_user(django_user_model):
    """Carol works at the helpdesk and has desktops of her own: both audiences."""
    from django.contrib.auth.models import Group

    user = _member(django_user_model, "carol.both", "helpdesk")
    user.groups.add(Group.objects.get_or_create(name="end_user")[0])
    return user


@pytest.fixture
def people(end_user, other_end_user, helpdesk_user, auditor, no_group_user, helpdesk_end_user):
    """One signed-in person of each kind, by persona name (tests/security/conftest.PERSONAS)."""
    return {
        "alice": end_user,
        "bob": other_end_user,
        "helpdesk": helpdesk_user,
        "auditor": auditor,
        "nobody": no_group_user,
        "helpdesk_end_user": helpdesk_end_user,
    }


@pytest.fixture
def world(synced, people):
    """People of every kind and something of Alice's for each page (factories.access_world)."""
    from tests.factories import access_world

    return access_world(synced, {"anonymous": None, **people})


@pytest.fixture(scope="session")
def browser():
    """chromium through Playwright, one for the whole run (tests/browser.py)."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM:
        pytest.fail("REQUIRE_BROWSER=1 but chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
    # a thread with a running loop unless told this is fine. Browser tests only.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
