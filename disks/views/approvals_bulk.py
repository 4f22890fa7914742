"""Helpdesk staff (group `helpdesk`): approve several waiting portal requests at once.

Requires the helpdesk audience, like every approval. Each chosen request goes through the
same `disk_request_approve` service as a single approval, one call per request, so each
is re-checked, claimed and audited on its own; one refusal does not stop the others.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from disks import selectors
from disks.access import HELPDESK, audience_required
from disks.actor import Actor, ActorAudience
from disks.services.approvals import disk_request_approve

MAX_BULK = 50


@require_POST
@audience_required(HELPDESK)
def approval_approve_many(request: HttpRequest) -> HttpResponse:
    """Approve every chosen request (the `pk` checkboxes), oldest first; report each outcome."""
    pks = sorted({int(pk) for pk in request.POST.getlist("pk") if pk.isdecimal()})[:MAX_BULK]
    if not pks:
        messages.error(request, _("Choose at least one request to approve."))
        return redirect("disks:helpdesk-approval-list")
    actor = Actor.from_request(request, audience=ActorAudience.HELPDESK)
    approved, refused = [], []
    for pk in pks:
        try:
            disk_request = selectors.disk_request_get(pk=pk)
            disk_request_approve(disk_request=disk_request, actor=actor)
        except Http404:
            refused.append(_("#%(pk)s: no such request.") % {"pk": pk})
        except ValidationError as error:
            refused.append(f"#{pk}: {' '.join(error.messages)}")
        else:
            approved.append(f"#{pk}")
    if approved:
        messages.success(
            request,
            _("Approved and sent to the cloud: %(list)s.") % {"list": ", ".join(approved)},
        )
    for problem in refused:
        messages.error(request, _("Not approved: %(problem)s") % {"problem": problem})
    return redirect("disks:helpdesk-approval-list")
