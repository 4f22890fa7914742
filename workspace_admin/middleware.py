"""Refuse requests that carry a NUL character anywhere: no browser sends one, no field
accepts one, and PostgreSQL refuses it in a string ("A string literal cannot contain NUL"),
which turned `/desktops/%00/`, `?q=%00` or such a User-Agent into a 500 at whichever query
or audit event first met it. One check here instead of one in every view and service."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _carries_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    for query in (request.GET, request.POST if request.method == "POST" else None):
        if query is not None and any(
            NUL in key or any(NUL in value for value in values) for key, values in query.lists()
        ):
            return True
    return any(NUL in str(value) for key, value in request.META.items() if key.startswith("HTTP_"))


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            return HttpResponseBadRequest(
                _("The request contains a NUL character, which is never valid here."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
