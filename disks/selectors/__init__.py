"""Every read, scoped to the caller, one module per sub-domain. Views never build querysets."""

from disks.selectors.inventory import (
    DESKTOP_COUNT_CAP,
    DesktopPage,
    desktop_count_capped,
    desktop_get,
    desktop_list,
    desktop_list_page,
    desktop_statuses,
    disk_request_get,
    disk_request_in_flight_for_desktop,
    disk_request_list,
    disk_request_list_for_desktop,
    disk_request_pending_approval_list,
)
from disks.selectors.keyset import KeysetPage, desktop_keyset_page, disk_request_keyset_page
from disks.selectors.portal import (
    desktop_get_for_user,
    desktop_list_for_user,
    disk_request_get_for_user,
    disk_request_in_flight_for_user_desktop,
    disk_request_list_for_user,
)
from disks.selectors.volumes import (
    data_volume_get,
    data_volumes_other_than,
    volumes_for_deletion,
)

__all__ = [
    "DESKTOP_COUNT_CAP",
    "DesktopPage",
    "KeysetPage",
    "data_volume_get",
    "data_volumes_other_than",
    "desktop_count_capped",
    "desktop_get",
    "desktop_get_for_user",
    "desktop_keyset_page",
    "desktop_list",
    "desktop_list_for_user",
    "desktop_list_page",
    "desktop_statuses",
    "disk_request_get",
    "disk_request_get_for_user",
    "disk_request_in_flight_for_desktop",
    "disk_request_in_flight_for_user_desktop",
    "disk_request_keyset_page",
    "disk_request_list",
    "disk_request_list_for_desktop",
    "disk_request_list_for_user",
    "disk_request_pending_approval_list",
    "volumes_for_deletion",
]
