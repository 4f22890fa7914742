"""The Huawei Cloud Workspace API client: the only code that speaks HTTP to the cloud."""

from .auth import clear_token_cache
from .errors import (
    WorkspaceBadResponse,
    WorkspaceError,
    WorkspaceRefused,
    WorkspaceUnavailable,
)
from .results import (
    AddVolumesResult,
    AttachedUser,
    DesktopDetail,
    DesktopPage,
    Job,
    Quota,
    Quotas,
    SubJob,
    SubJobPage,
    Volume,
    VolumeExpansion,
    VolumeJobResult,
    VolumeProduct,
    VolumeSpec,
)
from .workspace import WorkspaceClient, get_client, reset_client

__all__ = [
    "AddVolumesResult",
    "AttachedUser",
    "DesktopDetail",
    "DesktopPage",
    "Job",
    "Quota",
    "Quotas",
    "SubJob",
    "SubJobPage",
    "Volume",
    "VolumeExpansion",
    "VolumeJobResult",
    "VolumeProduct",
    "VolumeSpec",
    "WorkspaceBadResponse",
    "WorkspaceClient",
    "WorkspaceError",
    "WorkspaceRefused",
    "WorkspaceUnavailable",
    "clear_token_cache",
    "get_client",
    "reset_client",
]
