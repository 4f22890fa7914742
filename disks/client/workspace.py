"""WorkspaceClient: one method per Workspace API operation, named as the official SDK names it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _

from . import parsing
from .auth import AkSkAuth, IamTokenAuth
from .errors import WorkspaceBadResponse
from .results import (
    DesktopDetail,
    DesktopPage,
    Job,
    Quotas,
    SubJobPage,
    VolumeExpansion,
    VolumeJobResult,
    VolumeProduct,
    VolumeSpec,
)
from .signing import utc_now
from .transport import Call, Reply, Transport

USER_AGENT = "workspace-disk-admin/0.1"
DEFAULT_TIMEOUT = (3.05, 20.0)
DEFAULT_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"


class WorkspaceClient:
    """The only code that speaks HTTP to the cloud; safe to share between threads.

    Give ak/sk (SDK-HMAC-SHA256 signing) or iam_username/iam_password/iam_domain (an IAM
    token); `sleep` and `clock` are there for tests.
    """

    def __init__(
        self,
        endpoint: str,
        project_id: str,
        *,
        ak: str | None = None,
        sk: str | None = None,
        security_token: str | None = None,
        iam_endpoint: str | None = None,
        iam_username: str | None = None,
        iam_password: str | None = None,
        iam_domain: str | None = None,
        region: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        get_retries: int = 3,
        retry_backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self.region = region
        headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        self._transport = Transport(
            session or requests.Session(),
            timeout=(float(timeout[0]), float(timeout[1])),
            get_retries=get_retries,
            retry_backoff=retry_backoff,
            sleep=sleep,
            headers=headers,
        )
        self._auth: AkSkAuth | IamTokenAuth
        if ak:
            if not sk:
                raise ValueError("AK/SK auth needs both an AK and an SK")
            self._auth = AkSkAuth(ak, sk, project_id, security_token=security_token, clock=clock)
        elif iam_username:
            self._auth = IamTokenAuth(
                self._transport,
                iam_endpoint=iam_endpoint or DEFAULT_IAM_ENDPOINT,
                username=iam_username,
                password=iam_password or "",
                domain=iam_domain or "",
                project_id=project_id,
            )
        else:
            raise ValueError("give either ak and sk, or iam_username, iam_password, iam_domain")

    @classmethod
    def from_settings(cls) -> WorkspaceClient:
        """Build a client from the WORKSPACE_* settings."""
        from django.conf import settings

        from .config import client_kwargs

        return cls(**client_kwargs(settings))

    @property
    def auth_mode(self) -> str:
        """Return "aksk" or "token"."""
        return self._auth.mode

    @property
    def session(self) -> requests.Session:
        return self._transport.session

    def __repr__(self) -> str:
        return (
            f"WorkspaceClient(endpoint={self.endpoint!r}, project_id={self.project_id!r}, "
            f"auth_mode={self.auth_mode!r})"
        )

    def add_desktop_volumes(
        self,
        desktop_id: str,
        volumes: Sequence[VolumeSpec],
        *,
        enterprise_project_id: str | None = None,
    ) -> VolumeJobResult:
        """Add data disks to one desktop and return the job id and the job hints.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/AddDesktopVolumes.html
        """
        body: dict = {"volumes": [volume.to_json() for volume in volumes]}
        if enterprise_project_id is not None:
            body = {"enterprise_project_id": enterprise_project_id, **body}
        path = f"/desktops/{_segment(desktop_id)}/volumes"
        reply = self._send("AddDesktopVolumes", "POST", path, body=body)
        return _parse(reply, parsing.parse_volume_job)

    def add_volumes(self, desktop_volumes: Mapping[str, Sequence[VolumeSpec]]) -> VolumeJobResult:
        """Add data disks to many desktops in one job (one sub-job per desktop).

        The whole batch is refused if any desktop is, or if it would pass a quota.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/AddVolumes.html
        """
        items = [
            {"desktop_id": desktop_id, "volumes": [volume.to_json() for volume in volumes]}
            for desktop_id, volumes in desktop_volumes.items()
        ]
        reply = self._send("AddVolumes", "POST", "/volumes", body={"desktop_volumes": items})
        return _parse(reply, parsing.parse_volume_job)

    def expand_desktop_volume(
        self, desktop_id: str, volume_id: str, new_size: int
    ) -> VolumeJobResult:
        """Grow one data disk to `new_size` GB; `volume_id` is the EVS id (Volume.volume_id).

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ExpandDesktopVolume.html
        """
        path = f"/desktops/{_segment(desktop_id)}/volumes/{_segment(volume_id)}/expand"
        reply = self._send("ExpandDesktopVolume", "POST", path, body={"new_size": new_size})
        return _parse(reply, parsing.parse_volume_job)

    def expand_volumes(self, expansions: Sequence[VolumeExpansion]) -> VolumeJobResult:
        """Grow data disks of many desktops in one job (up to 100 disks, a sub-job per desktop).

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ExpandVolumes.html
        """
        body = {"desktop_volumes_expansion": [item.to_json() for item in expansions]}
        reply = self._send("ExpandVolumes", "POST", "/volumes/expand", body=body)
        return _parse(reply, parsing.parse_volume_job)

    def delete_desktop_volumes(self, desktop_id: str, volume_ids: Sequence[str]) -> VolumeJobResult:
        """Detach and destroy 1 to 10 data disks of one desktop, by EVS id; there is no undo.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/DeleteDesktopVolumes.html
        """
        path = f"/desktops/{_segment(desktop_id)}/volumes/batch-delete"
        body = {"volume_ids": list(volume_ids)}
        reply = self._send("DeleteDesktopVolumes", "POST", path, body=body)
        return _parse(reply, parsing.parse_volume_job)

    def show_quotas(self) -> Quotas:
        """Return the tenant's disk-count and disk-GB quotas and how much of each is used.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ShowQuotas.html
        """
        reply = self._send("ShowQuotas", "GET", "/quotas")
        return _parse(reply, parsing.parse_quotas)

    def show_job(self, job_id: str) -> Job:
        """Return a job with its sub-jobs.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ShowJob_0.html
        """
        reply = self._send("ShowJob", "GET", f"/workspace-jobs/{_segment(job_id)}")
        reply.data.setdefault("id", job_id)
        return _parse(reply, parsing.parse_job)

    def list_ita_sub_jobs(
        self,
        *,
        job_id: str | None = None,
        status: str | Sequence[str] | None = None,
        job_type: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> SubJobPage:
        """Return one page of sub-jobs, filtered by job, status or type.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ListItaSubJobs.html
        """
        query = _query(status=status, job_id=job_id, job_type=job_type, limit=limit, offset=offset)
        reply = self._send("ListItaSubJobs", "GET", "/workspace-sub-jobs", query=query)
        return _parse(reply, parsing.parse_sub_job_page)

    def show_desktop_detail(self, desktop_id: str) -> DesktopDetail:
        """Return one desktop with its state, users and disks.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ShowDesktopDetail.html
        """
        reply = self._send("ShowDesktopDetail", "GET", f"/desktops/{_segment(desktop_id)}")
        return _parse(reply, parsing.parse_desktop_detail)

    def list_desktops_detail(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        user_name: str | None = None,
        status: str | None = None,
        desktop_ids: Sequence[str] | None = None,
        computer_name: str | None = None,
    ) -> DesktopPage:
        """Return one page of desktops with their disks.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ListDesktopsDetail.html
        """
        query = _query(
            status=status,
            user_name=user_name,
            computer_name=computer_name,
            offset=offset,
            limit=limit,
            desktop_id=desktop_ids,
        )
        reply = self._send("ListDesktopsDetail", "GET", "/desktops/detail", query=query)
        return _parse(reply, parsing.parse_desktop_page)

    def list_volume_product_info(
        self,
        *,
        availability_zone: str | None = None,
        volume_type: str | Sequence[str] | None = None,
    ) -> tuple[VolumeProduct, ...]:
        """Return the disk types the service offers.

        Reference: https://support.huaweicloud.com/intl/en-us/api-workspace/ListVolumeProductInfo.html
        """
        if volume_type is not None and not isinstance(volume_type, str):
            volume_type = ",".join(volume_type)
        query = _query(availability_zone=availability_zone, volume_type=volume_type)
        reply = self._send("ListVolumeProductInfo", "GET", "/volume/products", query=query)
        return _parse(reply, parsing.parse_volume_products)

    def _send(self, operation, method, path, *, query=(), body=None) -> Reply:
        url = f"{self.endpoint}/v2/{_segment(self.project_id)}{path}"
        call = Call(operation, method, url, query=tuple(query), body=body)
        return self._transport.send(call, self._auth)


def _segment(value: str) -> str:
    """Encode one path parameter as the SDK does; refuse ids that would change the path."""
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(f"not a usable id: {text!r}")
    return quote(text, safe="")


def _query(**params) -> list[tuple[str, object]]:
    """Drop unset parameters and repeat the key for each item of a list (the SDK's style)."""
    pairs: list[tuple[str, object]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, str | int):
            pairs.append((key, value))
        else:
            pairs.extend((key, item) for item in value)
    return pairs


def _parse(reply: Reply, parse):
    """Parse a reply, turning a missing or malformed field into WorkspaceBadResponse."""
    try:
        return parse(reply.data, reply.request_id)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise WorkspaceBadResponse(
            reply.operation,
            status=reply.status,
            request_id=reply.request_id,
            outcome_unknown=not reply.idempotent,
            message=_("The Workspace API sent an answer the client cannot read: %(problem)s")
            % {"problem": exc},
        ) from None


_cache_lock = threading.Lock()
_cached: dict[bool, tuple[int, WorkspaceClient]] = {}
# A person waiting on a page should not wait through retries and long reads.
INTERACTIVE_READ_TIMEOUT = 5.0


def get_client(*, interactive: bool = False) -> WorkspaceClient:
    """Return this process's client, built from settings on first use.

    `interactive=True` gives a second client for calls made while a page waits (the
    status view's stale-row fallback): no GET retries and a read timeout of at most
    INTERACTIVE_READ_TIMEOUT seconds. The worker, which nobody waits on, keeps the full
    retry policy.
    """
    with _cache_lock:
        cached = _cached.get(interactive)
        if cached is None or cached[0] != os.getpid():
            cached = (os.getpid(), _build(interactive))
            _cached[interactive] = cached
        return cached[1]


def _build(interactive: bool) -> WorkspaceClient:
    if not interactive:
        return WorkspaceClient.from_settings()
    from django.conf import settings

    from .config import client_kwargs

    kwargs = client_kwargs(settings)
    connect, read = kwargs["timeout"]
    kwargs.update(get_retries=0, timeout=(connect, min(read, INTERACTIVE_READ_TIMEOUT)))
    return WorkspaceClient(**kwargs)


def reset_client() -> None:
    """Drop the cached clients so the next get_client() reads the settings again."""
    with _cache_lock:
        _cached.clear()
