"""The rest of a data disk's life: grow it (expand) and destroy it (delete).

Both are kinds of disk request (DiskRequest.Kind, rows of services.operations.OPERATIONS):
they are checked, recorded, sent exactly once, followed, reconciled and audited by the same
code as an add (services.requests, services.approvals, services.polling). What is here is
only what the two add in front of it: which disks and sizes, the typed confirmation and the
four-eyes rule of a deletion, and the quota shown on the expand form.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from disks.actor import Actor, ActorAudience
from disks.client import Quota, WorkspaceClient, WorkspaceError, get_client
from disks.models import Desktop, DiskRequest
from disks.services.approvals import disk_request_hold_for_approval
from disks.services.requests import disk_request_submit

Kind = DiskRequest.Kind


def disk_expand_submit(
    *,
    desktop_id: str,
    new_sizes: Mapping[str, int],
    actor: Actor,
    idempotency_key,
    hold_for_approval: bool = False,
    client: WorkspaceClient | None = None,
) -> DiskRequest:
    """Grow data disks of one desktop to `new_sizes` ({EVS volume id: GB}) in one request.

    Several disks of a desktop go in one request, and so in one cloud job (ExpandVolumes;
    a single disk uses ExpandDesktopVolume): the desktop admits one request in flight, so
    one request per disk would make the second wait for the first, and one request is one
    approval, one job to follow and all-or-nothing in the cloud. `hold_for_approval` (the
    portal above its threshold) records it for a helpdesk member instead of sending it.
    """
    arguments: dict[str, Any] = {
        "desktop_id": desktop_id,
        "volumes": [
            {"volume_id": volume_id, "new_size": new_size}
            for volume_id, new_size in new_sizes.items()
        ],
        "actor": actor,
        "idempotency_key": idempotency_key,
        "client": client,
        "kind": Kind.EXPAND,
    }
    if hold_for_approval:
        return disk_request_hold_for_approval(**arguments)
    return disk_request_submit(**arguments)


def disk_delete_submit(
    *,
    desktop_id: str,
    volume_ids: Sequence[str],
    confirmation: str,
    actor: Actor,
    idempotency_key,
    client: WorkspaceClient | None = None,
) -> DiskRequest:
    """Delete data disks of one desktop (permanently), for a helpdesk member only.

    1. Only the helpdesk deletes (PermissionDenied otherwise, whatever called this).
    2. `confirmation` must be the desktop's computer name, typed (ValidationError if not).
    3. The desktop and the disks are checked as for any request (ACTIVE and idle, nothing
       else in flight, data disks of this desktop only, never the system disk), and the
       request records each disk's id, type, size and device as the cloud shows them now.
    4. With DELETE_REQUIRES_APPROVAL (the default) it waits for a second helpdesk member
       (services.approvals refuses the requester's own approval); otherwise it is sent.
    """
    if actor.audience != ActorAudience.HELPDESK:
        raise PermissionDenied(_("Only the helpdesk can delete disks."))
    desktop = Desktop.objects.filter(desktop_id=desktop_id).first()
    name = desktop.computer_name if desktop else ""
    if not name or confirmation.strip().casefold() != name.casefold():
        raise ValidationError(
            _("Type the desktop's computer name, %(name)s, to confirm the deletion.")
            % {"name": name or desktop_id},
            code="confirmation",
        )
    arguments: dict[str, Any] = {
        "desktop_id": desktop_id,
        "volumes": [{"volume_id": volume_id} for volume_id in volume_ids],
        "actor": actor,
        "idempotency_key": idempotency_key,
        "client": client,
        "kind": Kind.DELETE,
    }
    if settings.DELETE_REQUIRES_APPROVAL:
        return disk_request_hold_for_approval(**arguments)
    return disk_request_submit(**arguments)


def gigabytes_quota(*, client: WorkspaceClient | None = None) -> Quota | None:
    """The tenant's disk GB quota (ShowQuotas), or None when it cannot be read now.

    A quota answer that fails never blocks an expand; the form then just does not show it.
    """
    try:
        return (client or get_client(interactive=True)).show_quotas().gigabytes
    except WorkspaceError:
        return None
