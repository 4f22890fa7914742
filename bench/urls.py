"""The product's URLs, plus the benchmark's ceilings: minimal views behind the same stack."""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST


@require_GET
def minimal(request: HttpRequest) -> HttpResponse:
    """The least a logged-in page can do: load the session and the user, answer a few bytes.

    LoginRequiredMiddleware already reads `request.user`; touching it here makes the
    session and user lookup explicit rather than an accident of the middleware order.
    """
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


@require_POST
def submit_floor(request: HttpRequest) -> HttpResponse:
    """The least a safe submit can do (figure 10's floor), behind the same middleware.

    CsrfViewMiddleware checks the token (this view is not exempt), the session and the user
    are loaded, and two transactions commit one row each, as a submit that records its
    request before the cloud call and the answer after it must; then the same redirect.
    The table is bench-only (`bench.djtool floor-table`); plain SQL, so this is a floor.
    """
    user_id = request.user.pk
    for step in ("before", "after"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_floor_row (user_id, step, created_at) VALUES (%s, %s, %s)",
                [user_id, step, timezone.now()],
            )
    return HttpResponseRedirect("/_bench/minimal/")


urlpatterns = [
    path("_bench/minimal/", minimal, name="bench-minimal"),
    path("_bench/submit-floor/", submit_floor, name="bench-submit-floor"),
    path("", include("workspace_admin.urls")),
]
