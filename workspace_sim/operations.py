"""The Workspace operations the dashboard uses, one function per operation id.

Each takes the state (already locked and ticked by the dispatcher) and the request, and
returns the response body the API documents; refusals are raised as ApiError.
"""

from workspace_sim import config as sim_config
from workspace_sim import errors, products, quotas, validation
from workspace_sim.state import SimState
from workspace_sim.wire import Request, Response, base_url, json_response

DESKTOP_STATUSES = {
    "ACTIVE",
    "SHUTOFF",
    "ERROR",
    "HIBERNATED",
    "STARTING",
    "STOPPING",
    "RESTARTING",
    "HIBERNATING",
    "AWAKENING",
}
SUB_JOB_STATUSES = {"WAITING", "RUNNING", "SUCCESS", "FAILED"}
MAX_OFFSET = 2**31 - 1


def add_desktop_volumes(state: SimState, request: Request) -> Response:
    """AddDesktopVolumes: POST /v2/{project_id}/desktops/{desktop_id}/volumes."""
    data = validation.json_object(request.body)
    _, specs = validation.add_desktop_volumes_body(data)
    job = state.add_volumes([(request.params["desktop_id"], specs)])
    project_id = request.params["project_id"]
    return json_response(
        200,
        {
            "job_id": job.id,
            "getJobEndpoint": f"{base_url(request, state.config)}/v2/{project_id}/workspace-jobs/{job.id}",
            "maxProvisionTime": sim_config.MAX_PROVISION_MINUTES,
            "minProvisionTime": sim_config.MIN_PROVISION_MINUTES,
            "periodicQueryTime": sim_config.PERIODIC_QUERY_MINUTES,
        },
    )


def add_volumes(state: SimState, request: Request) -> Response:
    """AddVolumes (batch): POST /v2/{project_id}/volumes, one job, one sub-job per desktop."""
    batch = validation.add_volumes_body(validation.json_object(request.body))
    job = state.add_volumes(batch)
    return json_response(200, {"job_id": job.id})


def expand_desktop_volume(state: SimState, request: Request) -> Response:
    """ExpandDesktopVolume: POST .../desktops/{desktop_id}/volumes/{volume_id}/expand."""
    new_size = validation.expand_desktop_volume_body(validation.json_object(request.body))
    expansion = {"volume_id": request.params["volume_id"], "new_size": new_size}
    job = state.expand_volumes([(request.params["desktop_id"], [expansion])])
    return json_response(200, {"job_id": job.id})


def expand_volumes(state: SimState, request: Request) -> Response:
    """ExpandVolumes (batch): POST /v2/{project_id}/volumes/expand, one sub-job per desktop."""
    batch = validation.expand_volumes_body(validation.json_object(request.body))
    job = state.expand_volumes(batch)
    return json_response(200, {"job_id": job.id})


def delete_desktop_volumes(state: SimState, request: Request) -> Response:
    """DeleteDesktopVolumes: POST .../desktops/{desktop_id}/volumes/batch-delete."""
    volume_ids = validation.delete_volumes_body(validation.json_object(request.body))
    job = state.delete_volumes(request.params["desktop_id"], volume_ids)
    return json_response(200, {"job_id": job.id})


def show_quotas(state: SimState, request: Request) -> Response:
    """ShowQuotas: GET /v2/{project_id}/quotas."""
    return json_response(200, quotas.show_body(state.quota_limits, state.quota_usage()))


def show_job(state: SimState, request: Request) -> Response:
    """ShowJob: GET /v2/{project_id}/workspace-jobs/{job_id}."""
    job = state.job(request.params["job_id"])
    return json_response(200, job.show(state.clock()))


def list_ita_sub_jobs(state: SimState, request: Request) -> Response:
    """ListItaSubJobs: GET /v2/{project_id}/workspace-sub-jobs, newest job first."""
    query = request.query
    offset = validation.query_int(query, "offset", 0, 10000)
    limit = validation.query_int(query, "limit", 1000, 1000)
    statuses = set(validation.query_list(query, "status"))
    if statuses - SUB_JOB_STATUSES:
        raise errors.bad_request(
            errors.INVALID_QUERY,
            f"status must be among {', '.join(sorted(SUB_JOB_STATUSES))}.",
        )
    job_ids = set(validation.query_list(query, "job_id"))
    job_types = set(validation.query_list(query, "job_type"))
    now = state.clock()
    found = []
    for job in sorted(state.jobs.values(), key=lambda job: job.created, reverse=True):
        if (job_ids and job.id not in job_ids) or (job_types and job.job_type not in job_types):
            continue
        for sub in job.sub_jobs:
            view = job.sub_view(sub, now)
            if not statuses or view.status in statuses:
                found.append(job.sub_job_body(sub, view))
    return json_response(200, {"total_count": len(found), "jobs": found[offset : offset + limit]})


def show_desktop_detail(state: SimState, request: Request) -> Response:
    """ShowDesktopDetail: GET /v2/{project_id}/desktops/{desktop_id}."""
    desktop = state.desktop(request.params["desktop_id"])
    return json_response(200, {"desktop": state.desktop_body(desktop)})


def list_desktops_detail(state: SimState, request: Request) -> Response:
    """ListDesktopsDetail: GET /v2/{project_id}/desktops/detail with the common filters."""
    query = request.query
    offset = validation.query_int(query, "offset", 0, MAX_OFFSET)
    limit = validation.query_int(query, "limit", 1000, 1000)
    sort_field = validation.query_choice(query, "sort_field", {"created", "computer_name"})
    sort_type = validation.query_choice(query, "sort_type", {"ASC", "DESC"})
    validation.query_choice(query, "status", DESKTOP_STATUSES)
    wanted = _desktop_filter(query)
    # Unfiltered (how a full sync pages): no predicate per desktop, so that a page costs
    # O(page), not O(fleet), and a sync of N desktops O(N) rather than O(N^2 / limit).
    desktops = (
        state.desktop_order
        if wanted is None
        else [desktop for desktop in state.desktop_order if wanted(desktop)]
    )
    if sort_field:
        desktops = sorted(desktops, key=lambda desktop: desktop.get(sort_field) or "")
    if sort_type == "DESC":
        desktops = desktops[::-1]
    page = [state.desktop_body(desktop) for desktop in desktops[offset : offset + limit]]
    return json_response(200, {"desktops": page, "total_count": len(desktops)})


def _desktop_filter(query: dict[str, list[str]]):
    """Return a predicate for the ListDesktopsDetail filters in the query (None: no filter)."""

    def last(key: str) -> str:
        return (query.get(key) or [""])[-1]

    users = {name.lower() for name in validation.query_list(query, "user_names")}
    if not users and last("user_name"):
        users = {last("user_name").lower()}
    ids = set(validation.query_list(query, "desktop_id"))
    names = {name.lower() for name in validation.query_list(query, "computer_names")}
    checks = {
        "status": lambda d, v: d.get("status") == v,
        "computer_name": lambda d, v: v.lower() in (d.get("computer_name") or "").lower(),
        "desktop_ip": lambda d, v: v in (d.get("ip_addresses") or []),
        "enterprise_project_id": lambda d, v: d.get("enterprise_project_id") == v,
        "desktop_type": lambda d, v: d.get("desktop_type") == v,
        "user_attached": lambda d, v: bool(d.get("attach_user_infos")) == (v.lower() == "true"),
    }
    active = {key: last(key) for key in checks if last(key)}
    if not (users or ids or names or active):
        return None

    def wanted(desktop: dict) -> bool:
        if users and not users & _user_names(desktop):
            return False
        if ids and desktop["desktop_id"] not in ids:
            return False
        if names and (desktop.get("computer_name") or "").lower() not in names:
            return False
        return all(checks[key](desktop, value) for key, value in active.items())

    return wanted


def _user_names(desktop: dict) -> set[str]:
    """The owner and every attached user, lower-cased: who the desktop belongs to."""
    names = {info.get("user_name", "") for info in desktop.get("attach_user_infos") or []}
    names.add(desktop.get("user_name") or "")
    return {name.lower() for name in names if name}


def list_volume_product_info(state: SimState, request: Request) -> Response:
    """ListVolumeProductInfo: GET /v2/{project_id}/volume/products."""
    wanted = set(validation.query_list(request.query, "volume_type"))
    return json_response(200, {"volumes": products.list_products(wanted)})
