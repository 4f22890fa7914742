"""Read the client's settings; the only place that knows the WORKSPACE_* names."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def client_kwargs(settings) -> dict:
    """Return WorkspaceClient arguments from Django settings, or raise ImproperlyConfigured."""
    kwargs = {
        "endpoint": _value(settings, "WORKSPACE_ENDPOINT"),
        "project_id": _value(settings, "WORKSPACE_PROJECT_ID"),
        "region": _value(settings, "WORKSPACE_REGION") or None,
        "timeout": _timeout(getattr(settings, "WORKSPACE_TIMEOUT", None)),
        "get_retries": int(getattr(settings, "WORKSPACE_GET_RETRIES", 3)),
        "retry_backoff": float(getattr(settings, "WORKSPACE_RETRY_BACKOFF", 0.5)),
    }
    if not kwargs["endpoint"]:
        raise ImproperlyConfigured("Set WORKSPACE_ENDPOINT to the Workspace API base URL.")
    if not kwargs["project_id"]:
        raise ImproperlyConfigured("Set HUAWEICLOUD_SDK_PROJECT_ID to the Workspace project id.")
    return {**kwargs, **_credentials(settings)}


def _credentials(settings) -> dict:
    ak = _value(settings, "WORKSPACE_AK")
    if ak:
        if not _value(settings, "WORKSPACE_SK"):
            raise ImproperlyConfigured("HUAWEICLOUD_SDK_AK is set: set HUAWEICLOUD_SDK_SK too.")
        return {
            "ak": ak,
            "sk": _value(settings, "WORKSPACE_SK"),
            "security_token": _value(settings, "WORKSPACE_SECURITY_TOKEN") or None,
        }
    iam = {
        "iam_endpoint": _value(settings, "WORKSPACE_IAM_ENDPOINT") or None,
        "iam_username": _value(settings, "WORKSPACE_IAM_USERNAME"),
        "iam_password": _value(settings, "WORKSPACE_IAM_PASSWORD"),
        "iam_domain": _value(settings, "WORKSPACE_IAM_DOMAIN"),
    }
    if iam["iam_username"]:
        if not (iam["iam_password"] and iam["iam_domain"]):
            raise ImproperlyConfigured("IAM_USERNAME is set: set IAM_PASSWORD and IAM_DOMAIN too.")
        return iam
    raise ImproperlyConfigured(
        "No Workspace credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK "
        "(optionally HUAWEICLOUD_SDK_SECURITY_TOKEN), or IAM_USERNAME, IAM_PASSWORD and "
        "IAM_DOMAIN (with HUAWEICLOUD_SDK_IAM_ENDPOINT)."
    )


def _value(settings, name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def _timeout(value) -> tuple[float, float]:
    if value is None:
        return (3.05, 20.0)
    if isinstance(value, int | float):
        return (float(value), float(value))
    try:
        connect, read = (float(part) for part in value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            "WORKSPACE_TIMEOUT takes two numbers, connect and read seconds."
        ) from None
    return (connect, read)
