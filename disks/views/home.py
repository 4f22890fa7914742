"""`/`: sends each signed-in user to the home of their audience."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from disks.access import AUDITOR, END_USER, HELPDESK, user_audiences

HOME_BY_AUDIENCE = (
    (HELPDESK, "disks:helpdesk-desktop-list"),
    (AUDITOR, "disks:audit-event-list"),
    (END_USER, "disks:portal-home"),
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Redirect to the caller's home; a user in no audience sees whom to ask."""
    audiences = user_audiences(request.user)
    for audience, url_name in HOME_BY_AUDIENCE:
        if audience in audiences:
            return redirect(url_name)
    return render(request, "disks/home.html")
