"""The inventory: the last known state of each Workspace desktop."""

from django.db import models

from disks import rules


class Desktop(models.Model):
    """The last known state of one Workspace desktop, as ListDesktopsDetail/ShowDesktopDetail said.

    A snapshot, not the truth: anything that changes disks re-reads the desktop from the API
    first. `data_volumes` and `root_volume` keep the API's volume fields as plain dicts.
    """

    desktop_id = models.CharField(max_length=64, unique=True)
    # No single-column indexes: the list's order and the status filter lead the composite
    # indexes below, the search is a substring match no btree serves, and user_name is never
    # looked up alone (DesktopUser is). Each unused index was one more write per desktop in
    # every sync and refresh (docs/benchmarks.md, figure 7).
    computer_name = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    task_status = models.CharField(max_length=64, blank=True)
    user_name = models.CharField(max_length=64, blank=True)
    enterprise_project_id = models.CharField(max_length=36, default="0")
    availability_zone = models.CharField(max_length=64, blank=True)
    root_volume = models.JSONField(null=True, blank=True)
    data_volumes = models.JSONField(default=list, blank=True)
    data_volume_count = models.PositiveSmallIntegerField(default=0)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["computer_name", "desktop_id"]
        indexes = [
            # The status filter in the list's order to its unique end, so that a keyset page
            # of one status (selectors.keyset) seeks straight to its cursor.
            models.Index(
                fields=["status", "computer_name", "desktop_id"], name="desktop_status_page"
            ),
            # The inventory page in its own order (the first two columns), carrying every
            # column the list shows (selectors.desktop_list): the database reads any page,
            # however deep, from this index alone (an index-only scan) instead of sorting
            # the whole inventory for each OFFSET. Key columns rather than INCLUDE, which
            # SQLite lacks.
            models.Index(
                fields=[
                    "computer_name",
                    "desktop_id",
                    "id",
                    "status",
                    "task_status",
                    "user_name",
                    "data_volume_count",
                ],
                name="desktop_list_page",
            ),
            # The operations page's "closest to the disk limit" (selectors.insights): its top
            # ten in order, without sorting every desktop at half the limit or more.
            models.Index(fields=["-data_volume_count", "computer_name"], name="desktop_fullest"),
        ]

    def __str__(self) -> str:
        return f"{self.computer_name} ({self.desktop_id})"

    @property
    def free_disk_slots(self) -> int:
        return rules.free_disk_slots(self.data_volume_count)

    @property
    def is_ready_for_disks(self) -> bool:
        return self.status == rules.DESKTOP_STATUS_READY and not self.task_status

    @property
    def sorted_data_volumes(self) -> list[dict]:
        return sorted(self.data_volumes, key=lambda volume: volume.get("device") or "")


class DesktopUser(models.Model):
    """One user name attached to a desktop (owner or attach_user_infos), lower-cased.

    A row per name, rather than a list on Desktop, so that "the desktops of user X" is an
    indexed lookup on every database.
    """

    # Its own index would repeat the unique constraint's, which leads with the desktop.
    desktop = models.ForeignKey(
        Desktop, on_delete=models.CASCADE, related_name="users", db_index=False
    )
    user_name = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["desktop", "user_name"], name="unique_desktop_user")
        ]

    def __str__(self) -> str:
        return self.user_name
