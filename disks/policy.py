"""The self-service policy: what an end user may request for their own desktops on their own.

Read from settings (PORTAL_*). Hard limits (types, largest disk, disks per request) refuse
the request; a request whose total size is above the approval threshold is accepted but
waits for a helpdesk member (`pending_approval`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from disks import rules
from disks.client import VolumeSpec


@dataclass(frozen=True)
class PortalPolicy:
    allowed_types: frozenset[str]
    max_disk_gb: int
    max_disks_per_request: int
    approval_above_gb: int

    @classmethod
    def from_settings(cls) -> "PortalPolicy":
        return cls(
            allowed_types=frozenset(settings.PORTAL_ALLOWED_DISK_TYPES),
            max_disk_gb=min(settings.PORTAL_MAX_DISK_GB, rules.MAX_DISK_GB),
            max_disks_per_request=min(
                settings.PORTAL_MAX_DISKS_PER_REQUEST, rules.MAX_DATA_DISKS_PER_DESKTOP
            ),
            approval_above_gb=settings.PORTAL_APPROVAL_ABOVE_GB,
        )

    def offered(self, disk_types: Sequence[rules.DiskType]) -> tuple[rules.DiskType, ...]:
        """The types both on sale and allowed to end users."""
        return tuple(t for t in disk_types if t.name in self.allowed_types)

    def problems(self, volumes: Sequence[VolumeSpec]) -> list[str]:
        """Why these disks are outside the policy, in words an end user can act on."""
        problems = []
        if len(volumes) > self.max_disks_per_request:
            problems.append(
                _("You can request at most %(count)s disks at a time; ask the helpdesk for more.")
                % {"count": self.max_disks_per_request}
            )
        for number, volume in enumerate(volumes, start=1):
            if volume.type not in self.allowed_types:
                problems.append(
                    _(
                        "Disk %(number)s: %(type)s disks are not available in self-service; "
                        "choose %(allowed)s."
                    )
                    % {
                        "number": number,
                        "type": volume.type,
                        "allowed": ", ".join(sorted(self.allowed_types)),
                    }
                )
            if volume.size > self.max_disk_gb:
                problems.append(
                    _(
                        "Disk %(number)s: self-service disks are at most %(max)s GB; "
                        "ask the helpdesk for a larger one."
                    )
                    % {"number": number, "max": self.max_disk_gb}
                )
        return problems

    def needs_approval(self, volumes: Sequence[VolumeSpec]) -> bool:
        return sum(volume.size for volume in volumes) > self.approval_above_gb

    def expand_problems(self, new_sizes: Sequence[int]) -> list[str]:
        """Why these new sizes are outside the policy (the largest disk is its ceiling)."""
        if any(new_size > self.max_disk_gb for new_size in new_sizes):
            return [
                _(
                    "Self-service disks grow to at most %(max)s GB; ask the helpdesk for a "
                    "larger one."
                )
                % {"max": self.max_disk_gb}
            ]
        return []

    def expand_needs_approval(self, added_gb: int) -> bool:
        """An expand is held for approval by the GB it adds, as an add by its total."""
        return added_gb > self.approval_above_gb

    def describe(self) -> str:
        return _(
            "Self-service requests: up to %(disks)s disks of at most %(max)s GB each. Requests "
            "above %(above)s GB in total wait for a helpdesk member to approve them."
        ) % {
            "disks": self.max_disks_per_request,
            "max": self.max_disk_gb,
            "above": self.approval_above_gb,
        }
