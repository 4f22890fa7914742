"""`manage.py workspace_check`: can this dashboard reach and use the Workspace API?

One cheap call (ListDesktopsDetail, limit 1). Prints the endpoint, auth mode and project,
then "ok" or a diagnosis a person can act on. Exits 1 when the check fails.
"""

import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disks.client import WorkspaceError, get_client
from disks.client.errors import TOKEN_OPERATION
from disks.client.workspace import DEFAULT_IAM_ENDPOINT

# How long the follow-up TCP probe of an unreachable endpoint may take.
PROBE_TIMEOUT = 3.0


def _causes(error: BaseException | None):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def probe(endpoint: str, timeout: float = PROBE_TIMEOUT) -> OSError | None:
    """Open (and close) a TCP connection to the endpoint; return the error, or None.

    The client reports any failure to connect as "connection failed" without the
    underlying exception, so look again to tell a name that does not resolve
    (socket.gaierror) from a port nobody listens on (ConnectionRefusedError).
    """
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as error:
        return error


def diagnose(
    error: WorkspaceError, *, auth_mode: str, endpoint: str, network_error: OSError | None = None
) -> str:
    """Turn a failed call into one sentence a person can act on.

    `network_error` is what probe() found when the call got no HTTP answer at all.
    """
    causes = [*_causes(error), network_error]
    if error.status == 401:
        if auth_mode == "token":
            return "token rejected: check IAM_USERNAME, IAM_PASSWORD, IAM_DOMAIN and the project"
        return "signature rejected: check HUAWEICLOUD_SDK_SK and the clock"
    if error.status == 403:
        return "no permission: give the IAM user Workspace read and volume rights"
    if error.status == 404:
        return "not found: check HUAWEICLOUD_SDK_PROJECT_ID and WORKSPACE_ENDPOINT's region"
    if any(isinstance(cause, socket.gaierror) for cause in causes) or "resolve" in str(error):
        return f"DNS: the host of {endpoint} cannot be resolved: check WORKSPACE_ENDPOINT"
    if any(isinstance(cause, requests.Timeout) for cause in causes) or "timed out" in str(error):
        return (
            f"timeout: {endpoint} did not answer in time: check the network and WORKSPACE_TIMEOUT"
        )
    if (
        any(isinstance(cause, ConnectionRefusedError) for cause in causes)
        or "refused" in str(error).lower()
    ):
        return f"connection refused: nothing listens at {endpoint} (is the simulator running?)"
    return error.human_message


class Command(BaseCommand):
    help = "Check the connection and credentials for the Workspace API."

    def handle(self, *args, **options):
        client = get_client()
        self.stdout.write(f"endpoint: {client.endpoint}")
        self.stdout.write(f"auth:     {client.auth_mode}")
        self.stdout.write(f"project:  {client.project_id}")
        try:
            page = client.list_desktops_detail(limit=1)
        except WorkspaceError as error:
            endpoint = client.endpoint
            if error.operation == TOKEN_OPERATION:
                endpoint = getattr(settings, "WORKSPACE_IAM_ENDPOINT", "") or DEFAULT_IAM_ENDPOINT
            network_error = probe(endpoint) if error.status is None else None
            message = diagnose(
                error, auth_mode=client.auth_mode, endpoint=endpoint, network_error=network_error
            )
            raise CommandError(f"failed: {message}") from error
        self.stdout.write(self.style.SUCCESS(f"ok: {page.total_count} desktops visible"))
