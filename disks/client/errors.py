"""The client's error family: every failure leaves the client as one of these."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

TOKEN_OPERATION = "KeystoneCreateUserTokenByPassword"  # noqa: S105 (an operation id)

# Our explanation of each HTTP status, in the reader's language; the cloud's own message is
# added verbatim after it (human_message).
_STATUS_MESSAGES = {
    400: gettext_lazy("The Workspace API refused the request as invalid"),
    401: gettext_lazy(
        "The cloud rejected the credentials: check HUAWEICLOUD_SDK_AK/SK and the clock, "
        "or the IAM user's access to the project"
    ),
    403: gettext_lazy(
        "The cloud account has no permission for this operation: check its IAM policies"
    ),
    404: gettext_lazy("The %(subject)s was not found in this project (it may have been deleted)"),
    409: gettext_lazy(
        "The request conflicts with the desktop's current state: "
        "wait for its running task to finish and try again"
    ),
    429: gettext_lazy("The Workspace API is throttling requests: try again in a moment"),
    500: gettext_lazy("The Workspace API had an internal error: try again later"),
}
_SUBJECTS = {
    "desktop": pgettext_lazy("not found", "desktop"),
    "job": pgettext_lazy("not found", "job"),
    "desktop or disk": pgettext_lazy("not found", "desktop or disk"),
}
_TOKEN_401 = gettext_lazy("IAM rejected the login: check IAM_USERNAME, IAM_PASSWORD and IAM_DOMAIN")
_JOB_OPERATIONS = {"ShowJob", "ListItaSubJobs"}
_DISK_OPERATIONS = {"ExpandDesktopVolume", "ExpandVolumes", "DeleteDesktopVolumes"}


class WorkspaceError(Exception):
    """A call to the Workspace (or IAM) API did not give a usable answer."""

    def __init__(
        self,
        operation: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        error_detail: str | None = None,
        encoded_authorization_message: str | None = None,
        request_id: str | None = None,
        outcome_unknown: bool = False,
        message: str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.error_detail = error_detail
        self.encoded_authorization_message = encoded_authorization_message
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown
        self._message = message
        super().__init__(str(self))

    @property
    def human_message(self) -> str:
        """Say in plain words what went wrong and what to do."""
        if self._message:
            return self._message
        if self.quota_exceeded:
            return _("The tenant's disk quota does not allow this: %(cloud)s") % {
                "cloud": self.error_msg
            }
        if self.status == 400 and self.error_msg:
            return _("The Workspace API refused the request: %(cloud)s") % {"cloud": self.error_msg}
        base = _status_message(self.operation, self.status)
        return f"{base} ({self.error_msg})" if self.error_msg else base

    @property
    def quota_exceeded(self) -> bool:
        """Whether the cloud refused the request as past a quota.

        The cloud answers 403 (docs/workspace-api.md §13) with a code that is not public, so the
        message naming a quota is what tells it from a missing IAM permission.
        """
        return self.status == 403 and "quota" in (self.error_msg or "").lower()

    def __str__(self) -> str:
        facts = [f"HTTP {self.status}" if self.status else None, self.error_code]
        facts.append(f"request {self.request_id}" if self.request_id else None)
        details = ", ".join(fact for fact in facts if fact)
        text = f"{self.operation}: {self.human_message}"
        return f"{text} [{details}]" if details else text

    def __reduce__(self):
        return _rebuild, (type(self), self.operation, self._state())

    def _state(self) -> dict:
        state = dict(vars(self))
        state["message"] = state.pop("_message")
        state.pop("operation")
        return state


class WorkspaceUnavailable(WorkspaceError):
    """Retry later: timeout, connection error, throttling or a 5xx."""

    def __init__(self, operation: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(operation, **kwargs)


class WorkspaceRefused(WorkspaceError):
    """The API refused the request (4xx other than 429): permanent, show the message."""


class WorkspaceBadResponse(WorkspaceUnavailable):
    """The answer was unreadable: malformed JSON, an HTML page, an empty body, a missing field."""


def _status_message(operation: str, status: int | None) -> str:
    if operation == TOKEN_OPERATION:
        if status == 401:
            return str(_TOKEN_401)
        # The translations keep the name "Workspace API" as it is, so this works in each.
        return _workspace_message(operation, status).replace("Workspace API", "IAM API")
    return _workspace_message(operation, status)


def _workspace_message(operation: str, status: int | None) -> str:
    if status in _STATUS_MESSAGES:
        subject = "desktop"
        if operation in _JOB_OPERATIONS:
            subject = "job"
        elif operation in _DISK_OPERATIONS:
            subject = "desktop or disk"
        return str(_STATUS_MESSAGES[status]) % {"subject": _SUBJECTS[subject]}
    if status is not None and status >= 500:
        return _("The Workspace API is unavailable (HTTP %(status)s): try again later") % {
            "status": status
        }
    return _("The Workspace API refused the request (HTTP %(status)s)") % {"status": status}


def _rebuild(cls: type[WorkspaceError], operation: str, state: dict) -> WorkspaceError:
    return cls(operation, **state)
