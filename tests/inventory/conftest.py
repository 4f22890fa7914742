"""Fixtures for the inventory tests: the simulator's desktops, changed behind our back."""

from urllib.parse import parse_qs

import pytest

from disks.client import clear_token_cache, reset_client


def upstream_desktops(sim) -> dict[str, dict]:
    """Every desktop the simulator holds now, as ShowDesktopDetail would return it."""
    with sim.state.lock:
        return {key: sim.state.desktop_body(value) for key, value in sim.state.desktops.items()}


def remove_upstream(sim, desktop_id: str) -> dict:
    """Delete a desktop in the simulator (it has no control endpoint for that)."""
    return sim.state.desktop_remove(desktop_id)


def change_upstream(sim, desktop_id: str, **fields) -> None:
    """Set top-level fields of a simulated desktop that patch_desktop does not cover."""
    with sim.state.lock:
        sim.state.desktops[desktop_id].update(fields)


def paging(call: dict) -> tuple[int, int]:
    """The (offset, limit) a logged ListDesktopsDetail call asked for."""
    query = parse_qs(call["query"])
    return int(query["offset"][0]), int(query["limit"][0])


def expected_user_names(body: dict) -> set[str]:
    """The owner and attached users (not groups), lower-cased: what DesktopUser should hold."""
    names = {body["user_name"]}
    names |= {
        user["user_name"]
        for user in body.get("attach_user_infos") or []
        if user.get("type", "USER").upper() != "GROUP"
    }
    return {name.lower() for name in names if name}


def assert_inventory_matches(sim) -> None:
    """The local inventory holds exactly the simulator's desktops and their user names."""
    from disks.models import Desktop, DesktopUser

    upstream = upstream_desktops(sim)
    assert set(Desktop.objects.values_list("desktop_id", flat=True)) == set(upstream)
    assert Desktop.objects.count() == len(upstream)
    expected = sum(len(expected_user_names(body)) for body in upstream.values())
    assert DesktopUser.objects.count() == expected


@pytest.fixture
def page_size(monkeypatch):
    """Set the sync's page size: page_size(10)."""

    def set_size(size: int) -> None:
        monkeypatch.setattr("disks.services.inventory.SYNC_PAGE_SIZE", size)

    return set_size


@pytest.fixture
def token_mode(workspace, settings):
    """Switch the dashboard to IAM token auth against the simulator; yield the simulator."""
    config = workspace.config
    settings.WORKSPACE_AK = ""
    settings.WORKSPACE_SK = ""
    settings.WORKSPACE_IAM_USERNAME = config.iam_user
    settings.WORKSPACE_IAM_PASSWORD = config.iam_password
    settings.WORKSPACE_IAM_DOMAIN = config.iam_domain
    settings.WORKSPACE_IAM_ENDPOINT = workspace.url
    clear_token_cache()
    reset_client()
    yield workspace
    clear_token_cache()
    reset_client()
