"""Building the client from settings."""

import logging
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from disks.client import WorkspaceClient, get_client, reset_client
from disks.client.config import client_kwargs

BASE = {
    "WORKSPACE_ENDPOINT": "https://workspace.ap-southeast-1.myhuaweicloud.com",
    "WORKSPACE_PROJECT_ID": "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d",
    "WORKSPACE_REGION": "ap-southeast-1",
    "WORKSPACE_TIMEOUT": (2.0, 9.0),
    "WORKSPACE_GET_RETRIES": 1,
    "WORKSPACE_RETRY_BACKOFF": 0.1,
}


def settings_with(**values):
    return SimpleNamespace(**{**BASE, **values})


def test_an_ak_selects_signing():
    kwargs = client_kwargs(
        settings_with(WORKSPACE_AK="AK", WORKSPACE_SK="SK", WORKSPACE_IAM_USERNAME="ignored")
    )

    client = WorkspaceClient(**kwargs)

    assert client.auth_mode == "aksk"
    assert kwargs["timeout"] == (2.0, 9.0)
    assert (kwargs["get_retries"], kwargs["retry_backoff"]) == (1, 0.1)


def test_an_iam_user_selects_token_auth():
    kwargs = client_kwargs(
        settings_with(
            WORKSPACE_AK="",
            WORKSPACE_IAM_ENDPOINT="https://iam.myhuaweicloud.com",
            WORKSPACE_IAM_USERNAME="admin",
            WORKSPACE_IAM_PASSWORD="pw",
            WORKSPACE_IAM_DOMAIN="acct",
        )
    )

    assert WorkspaceClient(**kwargs).auth_mode == "token"


@pytest.mark.parametrize(
    "values, named",
    [
        ({}, "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"),
        ({"WORKSPACE_AK": "AK"}, "HUAWEICLOUD_SDK_SK"),
        ({"WORKSPACE_IAM_USERNAME": "admin"}, "IAM_PASSWORD and IAM_DOMAIN"),
        ({"WORKSPACE_ENDPOINT": "", "WORKSPACE_AK": "AK"}, "WORKSPACE_ENDPOINT"),
        ({"WORKSPACE_PROJECT_ID": "", "WORKSPACE_AK": "AK"}, "HUAWEICLOUD_SDK_PROJECT_ID"),
        (
            {"WORKSPACE_AK": "AK", "WORKSPACE_SK": "SK", "WORKSPACE_TIMEOUT": "x"},
            "WORKSPACE_TIMEOUT",
        ),
    ],
)
def test_missing_settings_are_named(values, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        client_kwargs(settings_with(**values))


def test_repr_and_attributes_show_no_secret():
    client = WorkspaceClient(
        "http://sim:8001/", "pid", ak="THE-AK", sk="THE-SK", security_token="THE-TOKEN"
    )

    assert (
        repr(client)
        == "WorkspaceClient(endpoint='http://sim:8001', project_id='pid', auth_mode='aksk')"
    )
    assert "THE-" not in repr(vars(client)) + repr(client._auth)


def test_get_client_builds_one_client_per_process_until_reset(settings, simulator):
    config = simulator.config
    settings.WORKSPACE_ENDPOINT = simulator.url
    settings.WORKSPACE_PROJECT_ID = config.project_id
    settings.WORKSPACE_AK, settings.WORKSPACE_SK = config.ak, config.sk
    reset_client()
    try:
        first = get_client()
        assert get_client() is first
        assert first.endpoint == simulator.url and first.auth_mode == "aksk"
        assert first.list_volume_product_info()

        reset_client()
        assert get_client() is not first
    finally:
        reset_client()


def test_calls_reuse_one_connection(make_client, caplog):
    client = make_client("token")
    caplog.set_level(logging.DEBUG, logger="urllib3")

    for _ in range(4):
        client.list_volume_product_info()
        client.list_desktops_detail(limit=2)

    opened = [r for r in caplog.records if "Starting new HTTP connection" in r.getMessage()]
    assert len(opened) == 1


def test_the_interactive_client_neither_retries_nor_waits_long(settings):
    from disks.client import get_client, reset_client

    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:9"
    settings.WORKSPACE_PROJECT_ID = "p"
    settings.WORKSPACE_AK, settings.WORKSPACE_SK = "ak", "sk"
    settings.WORKSPACE_TIMEOUT = (3.0, 20.0)
    settings.WORKSPACE_GET_RETRIES = 3
    reset_client()
    try:
        worker, interactive = get_client(), get_client(interactive=True)
        assert worker is get_client() and interactive is get_client(interactive=True)
        assert worker._transport.get_retries == 3 and worker._transport.timeout == (3.0, 20.0)
        assert interactive._transport.get_retries == 0
        assert interactive._transport.timeout == (3.0, 5.0)
    finally:
        reset_client()
