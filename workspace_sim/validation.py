"""Request checks that need no state: body shape, disk sizes and types, query parameters.

Each check raises the ApiError the client would see, so handlers read top to bottom.
"""

import json
from typing import cast

from workspace_sim import errors, products
from workspace_sim.errors import bad_request

MIN_SIZE_GB = 10
MAX_SIZE_GB = 32760
SIZE_STEP_GB = 10
MAX_VOLUMES_PER_REQUEST = 10
MAX_BATCH_DESKTOPS = 100
MAX_BATCH_EXPANSIONS = 100
MAX_VOLUMES_PER_DELETE = 10
MAX_IOPS = 16_380_000
MAX_THROUGHPUT = 4_095_000


def json_object(body: bytes) -> dict:
    """Parse a request body that must be a JSON object."""
    if not body.strip():
        raise bad_request(errors.EMPTY_BODY, "The request message is empty.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        detail = str(exc)
        raise bad_request(
            errors.MALFORMED_BODY, "The request body is not valid JSON.", detail
        ) from None
    if not isinstance(data, dict):
        raise bad_request(errors.MALFORMED_BODY, "The request body must be a JSON object.")
    return data


def add_desktop_volumes_body(data: dict) -> tuple[str, list[dict]]:
    """Return (enterprise_project_id, volume specs) of an AddDesktopVolumes body."""
    project = optional_string(data, "enterprise_project_id", "enterprise_project_id", 36) or "0"
    return project, volume_list(data.get("volumes"), "volumes")


def add_volumes_body(data: dict) -> list[tuple[str, list[dict]]]:
    """Return [(desktop_id, volume specs)] of an AddVolumes (batch) body."""
    # Terraform sends the list as `addDesktopVolumesReq` (docs/workspace-api.md §11.6): accept both.
    items = data.get("desktop_volumes", data.get("addDesktopVolumesReq"))
    if not isinstance(items, list):
        raise _invalid("desktop_volumes", "is required and must be an array")
    if not 1 <= len(items) <= MAX_BATCH_DESKTOPS:
        raise bad_request(
            errors.INVALID_COUNT,
            f"desktop_volumes must list 1 to {MAX_BATCH_DESKTOPS} desktops, got {len(items)}.",
        )
    batch = []
    for index, item in enumerate(items):
        where = f"desktop_volumes[{index}]"
        if not isinstance(item, dict):
            raise _invalid(where, "must be an object")
        desktop_id = required_string(item, "desktop_id", f"{where}.desktop_id", 255)
        batch.append((desktop_id, volume_list(item.get("volumes"), f"{where}.volumes")))
    ids = [desktop_id for desktop_id, _ in batch]
    if len(set(ids)) != len(ids):
        raise bad_request(errors.DUPLICATE_DESKTOP, "A desktop appears more than once.")
    return batch


def expand_desktop_volume_body(data: dict) -> int:
    """Return the new size (GB) of an ExpandDesktopVolume body."""
    return new_size(data, "new_size")


def expand_volumes_body(data: dict) -> list[tuple[str, list[dict]]]:
    """Return [(desktop_id, [{volume_id, new_size}])] of an ExpandVolumes (batch) body.

    The items are grouped by desktop, in the order each desktop first appears, because the
    job has one sub-job per desktop.
    """
    items = data.get("desktop_volumes_expansion")
    where = "desktop_volumes_expansion"
    if not isinstance(items, list):
        raise _invalid(where, "is required and must be an array")
    if not 1 <= len(items) <= MAX_BATCH_EXPANSIONS:
        raise bad_request(
            errors.INVALID_COUNT,
            f"{where} must list 1 to {MAX_BATCH_EXPANSIONS} volumes, got {len(items)}.",
        )
    grouped: dict[str, list[dict]] = {}
    for index, item in enumerate(items):
        desktop_id, expansion = _expansion(item, f"{where}[{index}]")
        grouped.setdefault(desktop_id, []).append(expansion)
    _check_unique([e["volume_id"] for group in grouped.values() for e in group])
    return list(grouped.items())


def _expansion(item: object, where: str) -> tuple[str, dict]:
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object")
    desktop_id = required_string(item, "desktop_id", f"{where}.desktop_id", 255)
    volume_id = required_string(item, "volume_id", f"{where}.volume_id", 255)
    return desktop_id, {"volume_id": volume_id, "new_size": new_size(item, f"{where}.new_size")}


def new_size(item: dict, where: str) -> int:
    """Read a required new disk size; the same 10..32760 GB rule as a new disk.

    ExpandVolumes documents 32768 as its maximum (docs/workspace-api.md §3.3), but no multiple
    of 10 lies between 32760 and 32768, so one rule serves both operations.
    """
    size = _integer(item, "new_size", where, required=True) or 0
    _check_size(size, where)  # 0 cannot happen (required), and would be refused here anyway
    return size


def delete_volumes_body(data: dict) -> list[str]:
    """Return the volume ids of a DeleteDesktopVolumes body."""
    ids = data.get("volume_ids")
    if not isinstance(ids, list):
        raise _invalid("volume_ids", "is required and must be an array")
    if not 1 <= len(ids) <= MAX_VOLUMES_PER_DELETE:
        raise bad_request(
            errors.INVALID_COUNT,
            f"volume_ids must hold 1 to {MAX_VOLUMES_PER_DELETE} ids, got {len(ids)}.",
        )
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not value or len(value) > 255:
            raise _invalid(f"volume_ids[{index}]", "must be a string of 1 to 255 characters")
    _check_unique(ids)
    return ids


def _check_unique(volume_ids: list[str]) -> None:
    if len(set(volume_ids)) != len(volume_ids):
        raise bad_request(errors.DUPLICATE_VOLUME, "A volume appears more than once.")


def volume_list(value: object, where: str) -> list[dict]:
    if not isinstance(value, list):
        raise _invalid(where, "is required and must be an array")
    if not 1 <= len(value) <= MAX_VOLUMES_PER_REQUEST:
        raise bad_request(
            errors.INVALID_COUNT,
            f"{where} must hold 1 to {MAX_VOLUMES_PER_REQUEST} volumes, got {len(value)}.",
        )
    return [volume_spec(item, f"{where}[{index}]") for index, item in enumerate(value)]


def volume_spec(item: object, where: str) -> dict:
    """Check one requested volume and return it as a clean spec dict."""
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object")
    spec = {
        "type": required_string(item, "type", f"{where}.type", 255),
        "size": _integer(item, "size", f"{where}.size", required=True),
        "iops": _integer(item, "iops", f"{where}.iops", upper=MAX_IOPS),
        "throughput": _integer(item, "throughput", f"{where}.throughput", upper=MAX_THROUGHPUT),
        "kms_id": optional_string(item, "kms_id", f"{where}.kms_id", 255),
    }
    _check_size(cast(int, spec["size"]), f"{where}.size")  # required=True: never None
    _check_type(cast(str, spec["type"]), where)
    _check_qos(spec, where)
    return {key: value for key, value in spec.items() if value is not None}


def _check_size(size: int, where: str) -> None:
    if not MIN_SIZE_GB <= size <= MAX_SIZE_GB or size % SIZE_STEP_GB:
        raise bad_request(
            errors.INVALID_SIZE,
            f"{where} must be {MIN_SIZE_GB} to {MAX_SIZE_GB} GB in steps of "
            f"{SIZE_STEP_GB}, got {size}.",
        )


def _check_type(volume_type: str, where: str) -> None:
    product = products.product_for(volume_type)
    if product is None:
        raise bad_request(
            errors.UNSUPPORTED_TYPE, f"{where}.type {volume_type!r} is not offered here."
        )
    if product["status"] != "normal":
        raise bad_request(errors.UNSUPPORTED_TYPE, f"{where}.type {volume_type!r} is sold out.")


def _check_qos(spec: dict, where: str) -> None:
    iops, throughput = spec["iops"], spec["throughput"]
    if spec["type"] not in products.QOS_TYPES:
        if iops or throughput:
            raise bad_request(
                errors.INVALID_QOS, f"{where}: iops/throughput apply to GPSSD2 disks only."
            )
        return
    if not iops or not throughput:
        raise bad_request(errors.INVALID_QOS, f"{where}: GPSSD2 needs both iops and throughput.")
    product = products.product_for(spec["type"]) or {}
    iops_rule, throughput_rule = product["iops"], product["throughput"]
    iops_max = min(iops_rule["max"], int(iops_rule["range_by_size"] * spec["size"]))
    if not iops_rule["min"] <= iops <= iops_max:
        raise bad_request(
            errors.INVALID_QOS, f"{where}.iops must be {iops_rule['min']} to {iops_max}."
        )
    throughput_max = min(throughput_rule["max"], int(throughput_rule["range_by_iops"] * iops))
    if not throughput_rule["min"] <= throughput <= throughput_max:
        raise bad_request(
            errors.INVALID_QOS,
            f"{where}.throughput must be {throughput_rule['min']} to {throughput_max}.",
        )


def required_string(item: dict, key: str, where: str, max_length: int) -> str:
    value = optional_string(item, key, where, max_length)
    if not value:
        raise _invalid(where, "is required")
    return value


def optional_string(item: dict, key: str, where: str, max_length: int) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise _invalid(where, f"must be a string of at most {max_length} characters")
    return value


def _integer(
    item: dict, key: str, where: str, *, required: bool = False, upper: int | None = None
) -> int | None:
    value = item.get(key)
    if value is None:
        if required:
            raise _invalid(where, "is required")
        return None
    # bool is an int in Python but not in JSON: `true` is not a size.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(where, "must be an integer")
    if upper is not None and not 0 <= value <= upper:
        raise _invalid(where, f"must be 0 to {upper}")
    return value


def _invalid(where: str, problem: str) -> errors.ApiError:
    return bad_request(errors.INVALID_FIELD, f"{where} {problem}.")


def query_int(query: dict[str, list[str]], key: str, default: int, upper: int) -> int:
    """Read one integer query parameter within 0..upper."""
    values = query.get(key)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        value = -1
    if not 0 <= value <= upper:
        raise bad_request(errors.INVALID_QUERY, f"{key} must be an integer from 0 to {upper}.")
    return value


def query_list(query: dict[str, list[str]], key: str) -> list[str]:
    """Read an array parameter sent as repeated keys, comma-joined, or both."""
    return [part for value in query.get(key, []) for part in value.split(",") if part]


def query_choice(query: dict[str, list[str]], key: str, choices: set[str]) -> str | None:
    values = query.get(key)
    if not values or not values[-1]:
        return None
    if values[-1] not in choices:
        raise bad_request(
            errors.INVALID_QUERY, f"{key} must be one of {', '.join(sorted(choices))}."
        )
    return values[-1]
