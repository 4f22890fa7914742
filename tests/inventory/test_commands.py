"""manage.py sync_desktops and manage.py workspace_check against the simulator."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disks.client import reset_client
from tests.factories import seeded_desktop
from tests.inventory.conftest import remove_upstream

pytestmark = pytest.mark.django_db


def run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def check_fails(match: str) -> str:
    """Run workspace_check, expect it to fail (exit status 1) with `match`; return its output."""
    out = StringIO()
    with pytest.raises(CommandError, match=match) as raised:
        call_command("workspace_check", stdout=out)
    assert raised.value.returncode == 1
    return out.getvalue()


# sync_desktops ---------------------------------------------------------------------------


def test_sync_desktops_prints_the_counts_and_the_new_names(workspace):
    lines = run("sync_desktops").splitlines()

    assert lines[0] == "54 desktops: 54 new, 0 changed, 0 unchanged, 0 removed"
    assert lines[1].startswith("  new: AWONG-PC01, AWONG-PC02, ")
    assert lines[1].endswith(" and 34 more")
    assert lines[1].count(", ") == 19
    assert len(lines) == 2


def test_sync_desktops_names_what_changed_and_what_was_removed(synced):
    changed = seeded_desktop(synced, data_disks=0)
    removed = seeded_desktop(synced, data_disks=2)
    changed_name = synced.patch_desktop(changed, status="SHUTOFF")["computer_name"]
    removed_name = remove_upstream(synced, removed)["computer_name"]

    lines = run("sync_desktops").splitlines()

    assert lines == [
        "53 desktops: 0 new, 1 changed, 52 unchanged, 1 removed",
        f"  changed: {changed_name}",
        f"  removed: {removed_name}",
    ]


def test_sync_desktops_fails_with_the_reason(workspace, settings):
    settings.WORKSPACE_SK = "wrong"
    reset_client()

    with pytest.raises(CommandError, match=r"^sync failed: ListDesktopsDetail: .*HTTP 401"):
        call_command("sync_desktops", stdout=StringIO())


# workspace_check -------------------------------------------------------------------------


def test_workspace_check_is_ok_against_the_simulator(workspace):
    lines = run("workspace_check").splitlines()

    assert lines == [
        f"endpoint: {workspace.url}",
        "auth:     aksk",
        f"project:  {workspace.config.project_id}",
        "ok: 54 desktops visible",
    ]
    (call,) = workspace.requests_log("ListDesktopsDetail")
    assert "limit=1" in call["query"]


def test_workspace_check_diagnoses_a_wrong_sk(workspace, settings):
    settings.WORKSPACE_SK = "wrong"
    reset_client()

    output = check_fails(r"^failed: signature rejected: check HUAWEICLOUD_SDK_SK and the clock$")

    assert "auth:     aksk" in output


def test_workspace_check_diagnoses_connection_refused(workspace, settings):
    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:9"
    reset_client()

    check_fails(r"^failed: connection refused: nothing listens at http://127.0.0.1:9 ")


def test_workspace_check_diagnoses_dns(workspace, settings):
    settings.WORKSPACE_ENDPOINT = "http://no-such-host.invalid"
    reset_client()

    check_fails(r"^failed: DNS: the host of http://no-such-host.invalid cannot be resolved")


def test_workspace_check_diagnoses_a_timeout(workspace, settings):
    settings.WORKSPACE_TIMEOUT = (1, 1)
    settings.WORKSPACE_GET_RETRIES = 0
    reset_client()
    workspace.inject_fault("ListDesktopsDetail", "stall", seconds=3)

    check_fails(rf"^failed: timeout: {workspace.url} did not answer in time")


def test_workspace_check_is_ok_in_token_mode(token_mode):
    lines = run("workspace_check").splitlines()

    assert lines[1] == "auth:     token"
    assert lines[-1] == "ok: 54 desktops visible"
    assert token_mode.requests_log("ListDesktopsDetail")[0]["auth"] == "token"
    assert len(token_mode.requests_log("KeystoneCreateUserTokenByPassword")) == 1


def test_workspace_check_diagnoses_a_wrong_password_in_token_mode(token_mode, settings):
    settings.WORKSPACE_IAM_PASSWORD = "wrong-password"
    reset_client()

    output = check_fails(r"^failed: token rejected: check IAM_USERNAME, IAM_PASSWORD, IAM_DOMAIN")

    assert "auth:     token" in output
    assert not token_mode.requests_log("ListDesktopsDetail")


def test_workspace_check_names_the_iam_endpoint_when_iam_cannot_be_reached(token_mode, settings):
    settings.WORKSPACE_IAM_ENDPOINT = "http://127.0.0.1:9"
    reset_client()

    check_fails(r"^failed: connection refused: nothing listens at http://127.0.0.1:9 ")


def test_sync_desktops_says_how_long_it_took_when_asked(workspace):
    """`-v 2` adds the sync's own time (what figure 7 of `make bench` reads)."""
    out = StringIO()
    call_command("sync_desktops", verbosity=2, stdout=out)
    lines = out.getvalue().splitlines()
    took = lines[-1]
    assert took.startswith("took ") and took.endswith(" s")
    assert 0 < float(took.removeprefix("took ").removesuffix(" s")) < 60
