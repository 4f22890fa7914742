"""The product's URLs, plus the benchmark's ceiling: a minimal view behind the same stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def minimal(request: HttpRequest) -> HttpResponse:
    """The least a logged-in page can do: load the session and the user, answer a few bytes.

    LoginRequiredMiddleware already reads `request.user`; touching it here makes the
    session and user lookup explicit rather than an accident of the middleware order.
    """
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("_bench/minimal/", minimal, name="bench-minimal"),
    path("", include("workspace_admin.urls")),
]
