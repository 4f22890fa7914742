"""Settings fail clearly when misconfigured, and pass Django's deploy check in production."""

import secrets

from tests.factories import run_manage

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "disks.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


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
