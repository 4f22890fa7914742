"""Problem details (RFC 9457) for every refusal the API answers with.

A problem body has `type`, `title`, `status` and `detail`, plus, where there are any, the
field `errors`, the cloud's `error_code` and `api_request_id`, and the `disk_request` it
concerns. Titles and details are marked for translation, as the pages' messages are.

Endpoints turn a service's refusal into a body with `refusal` (its ValidationError or
PermissionDenied, or a request the cloud refused): one helper, so that every write says
no in the same shape.
"""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from disks.models import DiskRequest

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:workspace-disk-admin:problem:"


class ApiProblem(Exception):
    """Raised by an endpoint to answer with a problem body (see the handlers in urls.py)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        kind: str = "",
        errors: Iterable[Mapping[str, Any]] = (),
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.errors = list(errors)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.kind if self.kind else "about:blank",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        response = JsonResponse(body, status=self.status, content_type=CONTENT_TYPE)
        for name, value in self.headers.items():
            response[name] = value
        return response


def unauthorized() -> ApiProblem:
    """No hint whether the token was unknown, expired or revoked."""
    return ApiProblem(
        401,
        _("Not authenticated"),
        _("Send a valid API token as 'Authorization: Bearer <token>'."),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def forbidden(detail: str) -> ApiProblem:
    return ApiProblem(403, _("Not allowed"), detail, kind="forbidden")


def not_found() -> ApiProblem:
    return ApiProblem(404, _("Not found"), _("There is nothing here that you may see."))


def rate_limited(retry_after: int) -> ApiProblem:
    return ApiProblem(
        429,
        _("Too many requests"),
        _("This token made too many calls this minute; try again in %(seconds)s seconds.")
        % {"seconds": retry_after},
        kind="rate-limited",
        headers={"Retry-After": str(retry_after)},
    )


def invalid_body(errors: Iterable[Mapping[str, Any]]) -> ApiProblem:
    """The request's shape is wrong (pydantic): 400 with one entry per field."""
    return ApiProblem(
        400,
        _("Invalid request"),
        _("The request does not have the expected shape; see errors."),
        kind="invalid-request",
        errors=errors,
    )


def refused(error: ValidationError, *, status: int = 422, **extra: Any) -> ApiProblem:
    """A service refused (ValidationError): the same messages the forms show."""
    errors: list[dict[str, Any]]
    if hasattr(error, "error_dict"):
        errors = [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in error.messages]
    return ApiProblem(
        status,
        _("Request refused") if status == 422 else _("Conflict"),
        " ".join(entry["message"] for entry in errors),
        kind="refused" if status == 422 else "conflict",
        errors=errors,
        extra=extra,
    )


def refusal(
    error: ValidationError | PermissionDenied, *, conflict: bool = False, **extra: Any
) -> ApiProblem:
    """A service said no: 403 for PermissionDenied, else 422 (409 when `conflict`)."""
    if isinstance(error, PermissionDenied):
        return forbidden(" ".join(str(arg) for arg in error.args))
    return refused(error, status=409 if conflict else 422, **extra)


def cloud_refused(disk_request: "DiskRequest") -> ApiProblem:
    """The cloud refused the request (it failed with no job): its code, request id and the request."""
    return ApiProblem(
        422,
        _("Refused by the cloud"),
        disk_request.error_message,
        kind="cloud-refused",
        extra={
            "error_code": disk_request.error_code,
            "api_request_id": disk_request.api_request_id,
            "disk_request": disk_request.pk,
        },
    )


def bad_cursor() -> ApiProblem:
    return invalid_body([{"field": "cursor", "message": _("This cursor is not one the API gave.")}])
