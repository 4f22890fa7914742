"""Parse the API's JSON answers into the typed results.

Parsing is tolerant: unknown fields are ignored, optional ones may be missing. A missing
required field raises KeyError/ValueError, which the client turns into WorkspaceBadResponse.
"""

from __future__ import annotations

from typing import Any

from .results import (
    AttachedUser,
    DesktopDetail,
    DesktopPage,
    Job,
    Quota,
    Quotas,
    SubJob,
    SubJobPage,
    Volume,
    VolumeJobResult,
    VolumeProduct,
)


def parse_volume_job(data: dict, request_id: str | None) -> VolumeJobResult:
    """Parse the answer to a disk operation (add, expand, delete), with or without CBC hints."""
    return VolumeJobResult(
        job_id=_required_str(data, "job_id"),
        get_job_endpoint=data.get("getJobEndpoint") or None,
        max_provision_minutes=_int(data.get("maxProvisionTime")),
        min_provision_minutes=_int(data.get("minProvisionTime")),
        periodic_query_minutes=_int(data.get("periodicQueryTime")),
        request_id=request_id,
    )


parse_add_volumes = parse_volume_job


def parse_quotas(data: dict, request_id: str | None) -> Quotas:
    """Parse a ShowQuotas answer; only the disk resources are kept."""
    resources = {_str(item.get("type")): item for item in _list(data["quotas"].get("resources"))}
    return Quotas(
        volumes=_quota(resources.get("volumes")),
        gigabytes=_quota(resources.get("volume_gigabytes")),
        request_id=request_id,
    )


def _quota(data: dict | None) -> Quota | None:
    if data is None:
        return None
    return Quota(
        type=_required_str(data, "type"),
        quota=_required_int(data, "quota"),
        used=_int(data.get("used")) or 0,
        unit=_str(data.get("unit")),
    )


def parse_job(data: dict, request_id: str | None) -> Job:
    """Parse a ShowJob answer."""
    return Job(
        id=_required_str(data, "id"),
        job_type=_str(data.get("job_type")),
        status=_required_str(data, "status").upper(),
        begin_time=_str(data.get("begin_time")),
        end_time=_str(data.get("end_time")),
        job_error_code=_str(data.get("job_error_code")),
        fail_reason=_str(data.get("fail_reason")),
        sub_jobs=tuple(parse_sub_job(item) for item in _list(data.get("sub_jobs"))),
        request_id=request_id,
    )


def parse_sub_job(data: dict) -> SubJob:
    entities = data.get("entities") or {}
    return SubJob(
        id=_required_str(data, "id"),
        job_id=_str(data.get("job_id")),
        job_type=_str(data.get("job_type")),
        status=_str(data.get("status")).upper(),
        process=_int(data.get("process")),
        error_code=_str(data.get("error_code")),
        fail_reason=_str(data.get("fail_reason") or data.get("message")),
        desktop_id=_str(entities.get("desktop_id")),
        begin_time=_str(data.get("begin_time")),
        end_time=_str(data.get("end_time")),
    )


def parse_sub_job_page(data: dict, request_id: str | None) -> SubJobPage:
    """Parse a ListItaSubJobs answer."""
    jobs = tuple(parse_sub_job(item) for item in _list(data.get("jobs")))
    return SubJobPage(jobs=jobs, total_count=_int(data.get("total_count")) or len(jobs))


def parse_desktop_detail(data: dict, request_id: str | None) -> DesktopDetail:
    """Parse a ShowDesktopDetail answer (`desktop` as an object, or as the example's list)."""
    desktop = data["desktop"]
    if isinstance(desktop, list):
        desktop = desktop[0]
    return parse_desktop(desktop)


def parse_desktop(data: dict) -> DesktopDetail:
    root = data.get("root_volume")
    data_volumes = [parse_volume(item) for item in _list(data.get("data_volumes"))]
    return DesktopDetail(
        desktop_id=_required_str(data, "desktop_id"),
        computer_name=_str(data.get("computer_name")),
        status=_str(data.get("status")),
        task_status=_str(data.get("task_status")),
        user_name=_str(data.get("user_name")),
        attach_users=tuple(parse_user(item) for item in _list(data.get("attach_user_infos"))),
        enterprise_project_id=_str(data.get("enterprise_project_id")),
        root_volume=parse_volume(root) if root else None,
        data_volumes=tuple(sorted(data_volumes, key=lambda volume: (volume.device, volume.id))),
        created=_str(data.get("created")),
        availability_zone=_str(data.get("availability_zone")),
        process=_int(data.get("process")),
    )


def parse_desktop_page(data: dict, request_id: str | None) -> DesktopPage:
    """Parse a ListDesktopsDetail answer."""
    desktops = tuple(parse_desktop(item) for item in _list(data.get("desktops")))
    total = _int(data.get("total_count"))
    return DesktopPage(desktops=desktops, total_count=len(desktops) if total is None else total)


def parse_volume(data: dict) -> Volume:
    return Volume(
        id=_str(data.get("id")),
        volume_id=_str(data.get("volume_id")),
        type=_required_str(data, "type"),
        size=_required_int(data, "size"),
        device=_str(data.get("device")),
        display_name=_str(data.get("display_name")),
        create_time=_str(data.get("create_time")),
        iops=_int(data.get("iops")),
        throughput=_int(data.get("throughput")),
    )


def parse_user(data: dict) -> AttachedUser:
    return AttachedUser(
        user_id=_str(data.get("user_id")),
        user_name=_str(data.get("user_name")),
        user_group=_str(data.get("user_group")),
        type=_str(data.get("type")) or "USER",
    )


def parse_volume_products(data: dict, request_id: str | None) -> tuple[VolumeProduct, ...]:
    """Parse a ListVolumeProductInfo answer."""
    return tuple(parse_volume_product(item) for item in _list(data.get("volumes")))


def parse_volume_product(data: dict) -> VolumeProduct:
    iops = data.get("iops") or {}
    throughput = data.get("throughput") or {}
    return VolumeProduct(
        resource_spec_code=_str(data.get("resource_spec_code")),
        volume_type=_required_str(data, "volume_type"),
        status=_str(data.get("status")),
        name=_product_name(data.get("name")),
        iops_min=_int(iops.get("min")),
        iops_max=_int(iops.get("max")),
        iops_range_by_size=_float(iops.get("range_by_size")),
        throughput_min=_int(throughput.get("min")),
        throughput_max=_int(throughput.get("max")),
        throughput_range_by_iops=_float(throughput.get("range_by_iops")),
    )


def _product_name(value: Any) -> str:
    """Pick the English name from [{language, value}], else the first one."""
    if isinstance(value, str):
        return value
    names = {item.get("language", "").lower(): _str(item.get("value")) for item in _list(value)}
    return names.get("en-us") or next(iter(names.values()), "")


def _required_str(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise ValueError(f"missing field {key!r}")
    return str(value)


def _required_int(data: dict, key: str) -> int:
    value = _int(data.get(key))
    if value is None:
        raise ValueError(f"missing or non-numeric field {key!r}")
    return value


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _list(value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value
