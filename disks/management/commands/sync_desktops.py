"""`manage.py sync_desktops`: refresh the desktop inventory from the Workspace API."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from disks.actor import Actor, Channel
from disks.client import WorkspaceError
from disks.services.inventory import desktop_inventory_sync

LISTED_NAMES = 20


class Command(BaseCommand):
    help = "Sync every desktop (ListDesktopsDetail) into the inventory and print what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-mass-removal",
            action="store_true",
            help="remove desktops the cloud no longer lists even when they are more than "
            "INVENTORY_MAX_REMOVAL_SHARE of the inventory",
        )

    def handle(self, *args, allow_mass_removal: bool = False, **options):
        try:
            summary = desktop_inventory_sync(
                actor=Actor.system(Channel.COMMAND), allow_mass_removal=allow_mass_removal
            )
        except WorkspaceError as error:
            raise CommandError(_("sync failed: %(error)s") % {"error": error}) from error
        self.stdout.write(
            _(
                "%(total)s desktops: %(new)s new, %(changed)s changed, %(unchanged)s unchanged, "
                "%(removed)s removed"
            )
            % {
                "total": summary.total,
                "new": len(summary.created),
                "changed": len(summary.updated),
                "unchanged": summary.unchanged,
                "removed": len(summary.removed),
            }
        )
        for label, names in (
            ("new", summary.created),
            ("changed", summary.updated),
            ("removed", summary.removed),
        ):
            if names:
                shown = ", ".join(sorted(names)[:LISTED_NAMES])
                more = f" and {len(names) - LISTED_NAMES} more" if len(names) > LISTED_NAMES else ""
                self.stdout.write(f"  {label}: {shown}{more}")
        if options.get("verbosity", 1) >= 2:
            self.stdout.write(_("took %(seconds)s s") % {"seconds": f"{summary.seconds:.2f}"})
        if summary.removal_refused:
            # Exit status 1, so that a cron job or a deployment notices the stale inventory.
            raise CommandError(summary.removal_refused_message, returncode=1)
