"""`/`: sends each signed-in user to the home of their audience.

The helpdesk's home is its overview (`/overview/`, helpdesk audience only): what needs a
person first, before the full lists.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from disks import rules
from disks.access import AUDITOR, END_USER, HELPDESK, audience_required, user_audiences
from disks.selectors.attention import helpdesk_attention

HOME_BY_AUDIENCE = (
    (HELPDESK, "disks:helpdesk-home"),
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


@require_GET
@audience_required(HELPDESK)
def helpdesk_home(request: HttpRequest) -> HttpResponse:
    """Requests needing review, approvals waiting, jobs running, desktops near the limit."""
    context = {
        "attention": helpdesk_attention(),
        "max_disks": rules.MAX_DATA_DISKS_PER_DESKTOP,
    }
    return render(request, "disks/helpdesk/home.html", context)
