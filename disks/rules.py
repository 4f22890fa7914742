"""The disk rules, stated once. Forms, services and tests all read them from here.

Source: AddDesktopVolumes (docs/workspace-api.md §2): data disks are 10..32760 GB in steps of 10,
one request carries 1..10 disks, and a desktop holds at most 10 data disks in all.
ExpandDesktopVolume and ExpandVolumes (§3.2, §3.3): the new size follows the same size rule and
is larger than the disk; a batch carries at most 100 disks. DeleteDesktopVolumes (§3.4): 1..10
data disks at a time, never the system disk.
"""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MIN_DISK_GB = 10
MAX_DISK_GB = 32760
DISK_SIZE_STEP_GB = 10
MAX_DATA_DISKS_PER_DESKTOP = 10
MAX_EXPANSIONS_PER_CALL = 100
MAX_DELETIONS_PER_CALL = 10

# The three types the API documents for AddDesktopVolumes; used only when the live list of
# products (ListVolumeProductInfo) cannot be fetched and nothing is cached.
DOCUMENTED_DISK_TYPES = ("SAS", "SSD", "GPSSD")

# Human names for the types the cloud offers (the API's own product names are Chinese and
# English pairs; these are the English ones the console shows).
DISK_TYPE_LABELS = {
    "SATA": gettext_lazy("Common I/O (SATA)"),
    "SAS": gettext_lazy("High I/O (SAS)"),
    "SSD": gettext_lazy("Ultra-high I/O (SSD)"),
    "GPSSD": gettext_lazy("General-purpose SSD (GPSSD)"),
    "GPSSD2": gettext_lazy("General-purpose SSD V2 (GPSSD2)"),
    "ESSD": gettext_lazy("Extreme SSD (ESSD)"),
}

# A desktop accepts new disks only when it is running and doing nothing else.
DESKTOP_STATUS_READY = "ACTIVE"


@dataclass(frozen=True)
class DiskType:
    """A disk type the system offers, with its QoS ranges when it has provisioned IOPS."""

    name: str
    label: str
    iops_min: int | None = None
    iops_max: int | None = None
    throughput_min: int | None = None
    throughput_max: int | None = None

    @property
    def needs_qos(self) -> bool:
        """GPSSD2-style disks must be given IOPS and throughput (the API refuses otherwise)."""
        return self.iops_min is not None


def disk_type_label(name: str) -> str:
    """The console's name for a type, translated when shown (a lazy string)."""
    return DISK_TYPE_LABELS.get(name, name)  # type: ignore[return-value]


def grouped(number: float, decimals: int | None = None) -> str:
    """A number with the active language's separators, grouped by thousands: "32,760"."""
    return number_format(number, decimal_pos=decimals, force_grouping=True)


def size_hint(max_gb: int = MAX_DISK_GB) -> str:
    """The size rule in a few words, shown under the size field before anyone types.

    `max_gb` is a tighter limit where one applies (the portal's policy).
    """
    return _("%(low)s to %(high)s GB, in steps of %(step)s.") % {
        "low": MIN_DISK_GB,
        "high": grouped(min(max_gb, MAX_DISK_GB)),
        "step": DISK_SIZE_STEP_GB,
    }


def size_missing_error(max_gb: int = MAX_DISK_GB) -> str:
    """What to say when the size is empty."""
    return _("Enter a size: %(hint)s") % {"hint": size_hint(max_gb)}


def size_not_a_number_error(max_gb: int = MAX_DISK_GB) -> str:
    """What to say when the size is not a whole number (for example "1e3" or "20.5")."""
    return _("Enter the size as a whole number of GB, digits only: %(hint)s") % {
        "hint": size_hint(max_gb)
    }


def size_error(size_gb: int) -> str | None:
    """Return what is wrong with a data disk size, in words a person can act on, or None."""
    if size_gb < MIN_DISK_GB or size_gb > MAX_DISK_GB:
        return _("A data disk must be between %(low)s and %(high)s GB.") % {
            "low": MIN_DISK_GB,
            "high": MAX_DISK_GB,
        }
    if size_gb % DISK_SIZE_STEP_GB:
        lower = size_gb - size_gb % DISK_SIZE_STEP_GB
        return _("Disk sizes go in steps of %(step)s GB: choose %(lower)s or %(upper)s.") % {
            "step": DISK_SIZE_STEP_GB,
            "lower": max(lower, MIN_DISK_GB),
            "upper": lower + DISK_SIZE_STEP_GB,
        }
    return None


def expand_size_error(size_gb: int, new_size_gb: int) -> str | None:
    """Return what is wrong with growing a disk of `size_gb` to `new_size_gb`, or None."""
    if new_size_gb <= size_gb:
        return _("The new size must be larger than the disk's %(size)s GB: disks only grow.") % {
            "size": size_gb
        }
    return size_error(new_size_gb)


def smallest_expansion_gb(size_gb: int) -> int:
    """The smallest new size a disk of `size_gb` can grow to (the form's HTML minimum)."""
    return size_gb - size_gb % DISK_SIZE_STEP_GB + DISK_SIZE_STEP_GB


def too_many_rows_error(max_rows: int) -> str:
    """What to say when one request carries more disks than allowed here."""
    return _("One request can add at most %(count)s disks here: remove some rows.") % {
        "count": max_rows
    }


def free_disk_slots(existing_data_disks: int) -> int:
    """How many more data disks a desktop with this many can take."""
    return max(0, MAX_DATA_DISKS_PER_DESKTOP - existing_data_disks)


def too_many_disks_error(existing: int, new: int) -> str | None:
    """Return why existing + new data disks is too many, or None."""
    if existing + new <= MAX_DATA_DISKS_PER_DESKTOP:
        return None
    free = free_disk_slots(existing)
    room = _("only %(free)s more") % {"free": free} if free else _("no more")
    return _(
        "This desktop already has %(existing)s data disks and can take %(room)s "
        "(at most %(limit)s): remove %(extra)s from this request."
    ) % {
        "existing": existing,
        "room": room,
        "limit": MAX_DATA_DISKS_PER_DESKTOP,
        "extra": existing + new - MAX_DATA_DISKS_PER_DESKTOP,
    }
