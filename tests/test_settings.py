"""Settings fail clearly when misconfigured, and pass Django's deploy check in production."""

import ast
import secrets

from tests.factories import REPO_ROOT, run_manage

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "disks.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "HUAWEICLOUD_SDK_AK": "PRODUCTIONCHECKAK",
    "HUAWEICLOUD_SDK_SK": "production-check-sk",
    "HUAWEICLOUD_SDK_PROJECT_ID": "0" * 32,
}
PRINT_DEMO = (
    "from django.conf import settings; print(settings.WORKSPACE_DEMO, settings.WORKSPACE_ENDPOINT)"
)


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_it_starts_without_secret_key_in_debug():
    result = run_manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def test_it_rejects_a_malformed_timeout():
    env = {"DEBUG": "true", "WORKSPACE_TIMEOUT": "3,20,40"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "WORKSPACE_TIMEOUT takes two numbers" in result.stderr


def test_real_cloud_mode_requires_a_project_id():
    env = {"DEBUG": "true", "HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "SK"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "HUAWEICLOUD_SDK_PROJECT_ID is not set" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_development_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={"DEBUG": "true"})
    assert result.returncode != 0


def test_without_credentials_or_demo_mode_a_production_server_refuses_to_start():
    env = {key: value for key, value in PRODUCTION_ENV.items() if "HUAWEICLOUD" not in key}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    for variable in ("HUAWEICLOUD_SDK_AK", "IAM_USERNAME", "WORKSPACE_DEMO=true"):
        assert variable in result.stderr


def test_demo_mode_is_on_by_default_only_with_debug():
    result = run_manage("shell", "-c", PRINT_DEMO, env={"DEBUG": "true"})
    assert result.stdout.splitlines()[-1].split() == ["True", "http://127.0.0.1:8001"], (
        result.stderr
    )


def test_demo_mode_can_be_asked_for_explicitly_without_debug():
    env = {"DEBUG": "false", "SECRET_KEY": "k" * 50, "WORKSPACE_DEMO": "true"}
    result = run_manage("shell", "-c", PRINT_DEMO, env=env)
    assert result.stdout.splitlines()[-1].split()[0] == "True", result.stderr


def test_credentials_turn_demo_mode_off():
    env = {"DEBUG": "true", **{k: v for k, v in PRODUCTION_ENV.items() if "HUAWEICLOUD" in k}}
    result = run_manage("shell", "-c", PRINT_DEMO, env=env)
    assert result.stdout.splitlines()[-1].split()[0] == "False", result.stderr


def test_the_demo_defaults_are_the_simulators_own():
    from django.conf import settings

    from workspace_sim.config import SimConfig

    simulator = SimConfig()
    assert {
        "endpoint": f"http://{simulator.host}:{simulator.port}",
        "project_id": simulator.project_id,
        "ak": simulator.ak,
        "sk": simulator.sk,
    } == settings.DEMO_SIMULATOR


def test_settings_do_not_import_the_simulator():
    tree = ast.parse((REPO_ROOT / "workspace_admin" / "settings.py").read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.startswith("workspace_sim")]
