"""Which path and method is which operation (docs/workspace-api.md §0)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from workspace_sim import iam, operations
from workspace_sim.state import SimState
from workspace_sim.wire import Request, Response

Handler = Callable[[SimState, Request], Response]
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    operation: str
    handler: Handler
    signed: bool = True  # Workspace calls need AK/SK or a token; IAM's own call does not


def _route(method: str, template: str, operation: str, handler: Handler, **kw: bool) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), operation, handler, **kw)


V2 = "/v2/{project_id}"
ROUTES = [
    _route(
        "POST",
        V2 + "/desktops/{desktop_id}/volumes",
        "AddDesktopVolumes",
        operations.add_desktop_volumes,
    ),
    _route("POST", V2 + "/volumes", "AddVolumes", operations.add_volumes),
    _route(
        "POST",
        V2 + "/desktops/{desktop_id}/volumes/{volume_id}/expand",
        "ExpandDesktopVolume",
        operations.expand_desktop_volume,
    ),
    _route("POST", V2 + "/volumes/expand", "ExpandVolumes", operations.expand_volumes),
    _route(
        "POST",
        V2 + "/desktops/{desktop_id}/volumes/batch-delete",
        "DeleteDesktopVolumes",
        operations.delete_desktop_volumes,
    ),
    _route("GET", V2 + "/quotas", "ShowQuotas", operations.show_quotas),
    _route("GET", V2 + "/workspace-jobs/{job_id}", "ShowJob", operations.show_job),
    _route("GET", V2 + "/workspace-sub-jobs", "ListItaSubJobs", operations.list_ita_sub_jobs),
    # Before ShowDesktopDetail, whose {desktop_id} would otherwise swallow "detail".
    _route("GET", V2 + "/desktops/detail", "ListDesktopsDetail", operations.list_desktops_detail),
    _route(
        "GET", V2 + "/desktops/{desktop_id}", "ShowDesktopDetail", operations.show_desktop_detail
    ),
    _route(
        "GET", V2 + "/volume/products", "ListVolumeProductInfo", operations.list_volume_product_info
    ),
    _route(
        "POST",
        "/v3/auth/tokens",
        "KeystoneCreateUserTokenByPassword",
        iam.create_user_token_by_password,
        signed=False,
    ),
]
OPERATIONS = [route.operation for route in ROUTES] + [UNKNOWN]


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """Return (route, path params, methods the path allows) for a raw request path."""
    allowed = []
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            params = {key: unquote(value) for key, value in found.groupdict().items()}
            return route, params, [method]
        if route.method not in allowed:
            allowed.append(route.method)
    return None, {}, allowed
