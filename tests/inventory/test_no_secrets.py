"""No secret reaches the logs or a command's output: not the SK, the password or the token."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disks.client import reset_client
from disks.services.inventory import desktop_inventory_sync

pytestmark = pytest.mark.django_db

WRONG_SK = "wrong-sk-5f0c1e9a7b3d"
WRONG_PASSWORD = "wrong-password-8e2d4a6c"


@pytest.fixture
def debug_logs(caplog):
    """Capture every logger at DEBUG, urllib3 (WARNING in settings) included."""
    for name in (None, "urllib3", "disks", "django"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def run_check() -> str:
    """Run workspace_check; return its output and, when it fails, its message."""
    out = StringIO()
    try:
        call_command("workspace_check", stdout=out, stderr=out)
    except CommandError as error:
        return f"{out.getvalue()}\n{error}"
    return out.getvalue()


def assert_absent(secrets: list[str], *texts: str) -> None:
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_aksk_sync_and_check_log_no_secret(workspace, settings, debug_logs):
    desktop_inventory_sync()
    output = run_check()
    settings.WORKSPACE_SK = WRONG_SK
    reset_client()
    output += run_check()

    assert "ok: 54 desktops visible" in output
    assert "signature rejected" in output
    assert "workspace call operation=ListDesktopsDetail" in debug_logs.text, "logs were captured"
    assert "urllib3" in {record.name.split(".")[0] for record in debug_logs.records}
    assert_absent([workspace.config.sk, WRONG_SK], debug_logs.text, output)


def test_token_sync_and_check_log_no_secret(token_mode, settings, debug_logs):
    desktop_inventory_sync()
    output = run_check()
    tokens = list(token_mode.state.tokens)
    settings.WORKSPACE_IAM_PASSWORD = WRONG_PASSWORD
    reset_client()
    output += run_check()

    assert "ok: 54 desktops visible" in output
    assert "token rejected" in output
    assert "operation=KeystoneCreateUserTokenByPassword" in debug_logs.text
    assert len(tokens) == 1
    secrets = [token_mode.config.iam_password, WRONG_PASSWORD, *tokens]
    assert_absent(secrets, debug_logs.text, output)
