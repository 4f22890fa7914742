"""Fixtures for the client tests: a fresh simulator per test and clients of both auth modes."""

import pytest

from disks.client import WorkspaceClient, clear_token_cache
from workspace_sim.testing import running_simulator

# Short enough that timeout tests are quick, long enough for a loaded CI machine.
TIMEOUT = (2.0, 5.0)


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def simulator():
    """Start a fresh simulator whose jobs run 500 times faster than the default."""
    with running_simulator(speed=500) as sim:
        yield sim


@pytest.fixture
def sleeps() -> list[float]:
    """Every back-off the client asked for, in seconds; nothing really sleeps."""
    return []


@pytest.fixture
def make_client(simulator, sleeps):
    """Return a factory of clients for the simulator: make_client("aksk" | "token", **kwargs)."""

    def factory(mode: str = "aksk", **kwargs) -> WorkspaceClient:
        config = simulator.config
        if mode == "aksk":
            credentials = {"ak": config.ak, "sk": config.sk}
        else:
            credentials = {
                "iam_endpoint": simulator.url,
                "iam_username": config.iam_user,
                "iam_password": config.iam_password,
                "iam_domain": config.iam_domain,
            }
        options = {"timeout": TIMEOUT, "sleep": sleeps.append, **credentials, **kwargs}
        return WorkspaceClient(simulator.url, config.project_id, **options)

    return factory


@pytest.fixture(params=["aksk", "token"])
def client(request, make_client) -> WorkspaceClient:
    """A client of each auth mode (tests using it run once per mode)."""
    return make_client(request.param)


@pytest.fixture
def idle_desktop(simulator, make_client) -> str:
    """Return the id of an ACTIVE, idle desktop with room for more disks; clear the log."""
    page = make_client().list_desktops_detail(status="ACTIVE", limit=100)
    desktop = next(d for d in page.desktops if not d.task_status and len(d.data_volumes) <= 6)
    simulator.clear_log()
    return desktop.desktop_id
