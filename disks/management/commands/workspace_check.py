"""`manage.py workspace_check`: can this dashboard reach and use the Workspace API?

One cheap call (ListDesktopsDetail, limit 1). Prints the endpoint, auth mode and project,
then "ok" or a diagnosis a person can act on. Exits 1 when the check fails.
"""

import socket

import requests
from django.core.management.base import BaseCommand, CommandError

from disks.client import WorkspaceError, get_client


def _causes(error: BaseException):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def diagnose(error: WorkspaceError, *, auth_mode: str, endpoint: str) -> str:
    """Turn a failed call into one sentence a person can act on."""
    causes = list(_causes(error))
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
            message = diagnose(error, auth_mode=client.auth_mode, endpoint=client.endpoint)
            raise CommandError(f"failed: {message}") from error
        self.stdout.write(self.style.SUCCESS(f"ok: {page.total_count} desktops visible"))
