"""AK/SK and IAM-token authentication against the simulator."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from disks.client import VolumeSpec, WorkspaceClient, WorkspaceRefused
from workspace_sim.testing import running_simulator

TOKEN_OP = "KeystoneCreateUserTokenByPassword"


def statuses(simulator, operation):
    return [entry["status"] for entry in simulator.requests_log(operation)]


def test_every_aksk_call_carries_a_signature_the_simulator_accepts(make_client, simulator):
    client = make_client("aksk")

    client.list_desktops_detail(limit=3)
    client.list_volume_product_info()

    log = simulator.requests_log()
    assert [(e["auth"], e["auth_ok"]) for e in log] == [("aksk", True)] * 2


def test_a_wrong_sk_is_refused_and_not_retried(make_client, simulator):
    client = make_client("aksk", sk="not-the-right-secret")

    with pytest.raises(WorkspaceRefused) as caught:
        client.list_volume_product_info()

    assert caught.value.status == 401
    assert caught.value.error_code == "APIGW.0301"
    assert "check HUAWEICLOUD_SDK_AK/SK and the clock" in caught.value.human_message
    assert statuses(simulator, "ListVolumeProductInfo") == [401]


def test_the_token_is_fetched_once_and_shared_by_threads_and_clients(make_client, simulator):
    clients = [make_client("token"), make_client("token")]

    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda i: clients[i % 2].list_desktops_detail(limit=2), range(16)))

    assert all(page.desktops for page in pages)
    assert statuses(simulator, TOKEN_OP) == [201]
    assert all(e["auth"] == "token" for e in simulator.requests_log("ListDesktopsDetail"))


def test_a_token_the_cloud_forgot_is_fetched_again_once(make_client, simulator, idle_desktop):
    client = make_client("token")
    client.show_desktop_detail(idle_desktop)

    simulator.reset()  # forgets every token it issued (and clears its log)
    desktop = client.show_desktop_detail(idle_desktop)

    assert desktop.desktop_id == idle_desktop
    assert statuses(simulator, "ShowDesktopDetail") == [401, 200]
    assert statuses(simulator, TOKEN_OP) == [201]


def test_a_post_refused_for_its_token_is_repeated_once_with_a_new_token(
    make_client, simulator, idle_desktop
):
    client = make_client("token")
    client.list_volume_product_info()
    simulator.reset()

    result = client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert result.job_id
    assert statuses(simulator, "AddDesktopVolumes") == [401, 200]


def test_a_second_401_after_a_new_token_is_refused(make_client, simulator, idle_desktop):
    simulator.inject_fault("ShowDesktopDetail", "status", status=401, count=5)

    with pytest.raises(WorkspaceRefused) as caught:
        make_client("token").show_desktop_detail(idle_desktop)

    assert caught.value.status == 401
    assert statuses(simulator, "ShowDesktopDetail") == [401, 401]
    assert statuses(simulator, TOKEN_OP) == [201, 201]


def test_a_wrong_iam_password_is_refused_before_any_workspace_call(make_client, simulator):
    with pytest.raises(WorkspaceRefused) as caught:
        make_client("token", iam_password="wrong").list_volume_product_info()

    error = caught.value
    assert (error.operation, error.status) == (TOKEN_OP, 401)
    assert error.error_msg == "The username or password is wrong."
    assert "check IAM_USERNAME, IAM_PASSWORD and IAM_DOMAIN" in error.human_message
    assert simulator.requests_log("ListVolumeProductInfo") == []


def test_iam_hiccups_are_retried(make_client, simulator, sleeps):
    simulator.inject_fault(TOKEN_OP, "status", status=503)
    simulator.inject_fault(TOKEN_OP, "drop")

    assert make_client("token").list_volume_product_info()
    assert statuses(simulator, TOKEN_OP)[-1] == 201
    assert len(sleeps) == 2


def test_the_token_is_renewed_shortly_before_it_expires(sleeps):
    with running_simulator(speed=500, token_ttl_seconds=1.0) as sim:
        config = sim.config
        client = WorkspaceClient(
            sim.url,
            config.project_id,
            iam_endpoint=sim.url,
            iam_username=config.iam_user,
            iam_password=config.iam_password,
            iam_domain=config.iam_domain,
            sleep=sleeps.append,
        )
        client.list_volume_product_info()
        client.list_volume_product_info()
        time.sleep(1.0)
        client.list_volume_product_info()

        assert [e["status"] for e in sim.requests_log(TOKEN_OP)] == [201, 201]
        assert [e["status"] for e in sim.requests_log("ListVolumeProductInfo")] == [200] * 3
