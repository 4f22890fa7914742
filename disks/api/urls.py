"""The NinjaAPI instance: routes, authentication, problem handlers and the OpenAPI document.

Mounted at /api/v1/ by workspace_admin/urls.py. URL names are in the `api-v1` namespace
(e.g. `api-v1:desktop-list`); the interactive docs page is a page of the dashboard
(`disks:api-docs`), served from our own static files under the strict CSP.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from disks.api import problems
from disks.api.auth import BearerTokenAuth, BrowserSessionAuth, caller_from_request
from disks.api.endpoints import router
from disks.client import WorkspaceError

DESCRIPTION = """
The Workspace Disk Admin API: desktops, disk types, disk requests (add, expand, delete)
and their approval, batches, and the audit history.

Authenticate with an API token (made on the "API tokens" page) as
`Authorization: Bearer <token>`. Every call is made as the token's owner, through the
token's scope, under the same rules as the pages; writes are recorded in the audit
history with channel `api` and the token's name. Send an `Idempotency-Key` header with
every POST: the same key and body return the same result. Refusals are RFC 9457
problem details (`application/problem+json`).
"""


def _signed_in_or_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document: for a signed-in browser or a valid token, else a 401 problem."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            caller = caller_from_request(request)
        except problems.ApiProblem as problem:
            return problem.response()
        if caller is None:
            return problems.unauthorized().response()
        return view(request, *args, **kwargs)

    return login_not_required(wrapper)


api = NinjaAPI(
    title="Workspace Disk Admin API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[BearerTokenAuth(), BrowserSessionAuth()],
    openapi_url="/openapi.json",
    docs_url=None,
    docs_decorator=_signed_in_or_token,
)
api.add_router("", router)


@api.exception_handler(problems.ApiProblem)
def _problem(request: HttpRequest, exc: problems.ApiProblem) -> HttpResponse:
    return exc.response()


@api.exception_handler(SchemaError)
def _schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    errors = [
        {
            # loc is ("body", "body", "volumes", 0, "size") or ("query", "limit"): drop the
            # source and ninja's own parameter name.
            "field": ".".join(str(part) for part in error.get("loc", ())[2:])
            or ".".join(str(part) for part in error.get("loc", ())[1:]),
            "message": error.get("msg", ""),
        }
        for error in exc.errors
    ]
    return problems.invalid_body(errors).response()


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problems.unauthorized().response()


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.not_found().response()


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own refusals, e.g. "CSRF check Failed" for a browser session without a token.
    return problems.ApiProblem(exc.status_code, str(exc.message)).response()


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problems.refusal(exc).response()


@api.exception_handler(WorkspaceError)
def _cloud_unavailable(request: HttpRequest, exc: WorkspaceError) -> HttpResponse:
    return problems.ApiProblem(
        503,
        _("The cloud did not answer"),
        exc.human_message,
        kind="cloud-unavailable",
        extra={"error_code": exc.error_code or "", "api_request_id": exc.request_id or ""},
        headers={"Retry-After": "30"},
    ).response()


def api_urls() -> tuple[list, str, str]:
    """api.urls, with every view exempt from LoginRequiredMiddleware (tokens are not logins)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            login_not_required(pattern.callback)
    return patterns, app_name, namespace
