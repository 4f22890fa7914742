"""The disk types this simulated region sells (ListVolumeProductInfo, docs/workspace-api.md §6.1)."""


def _product(volume_type: str, status: str, names: tuple[str, str], **qos: dict) -> dict:
    english, chinese = names
    product: dict[str, object] = {
        "resource_spec_code": f"workspace.volume.{volume_type.lower()}",
        "volume_type": volume_type,
        "volume_product_type": "workspace",
        "resource_type": "hws.resource.type.workspace.volume",
        "cloud_service_type": "hws.service.type.vdi",
        "domain_ids": [],
        "name": [{"language": "en-us", "value": english}, {"language": "zh-cn", "value": chinese}],
        "status": status,
    }
    product.update(qos)
    return product


GPSSD2_IOPS = {
    "resource_spec_code": "workspace.volume.gpssd2.iops",
    "min": 3000,
    "max": 128000,
    "range_by_size": 500.0,
}
GPSSD2_THROUGHPUT = {
    "resource_spec_code": "workspace.volume.gpssd2.throughput",
    "min": 125,
    "max": 1000,
    "range_by_iops": 0.25,
}

VOLUME_PRODUCTS = [
    _product("SAS", "normal", ("High I/O", "高IO")),
    _product("SSD", "normal", ("Ultra-high I/O", "超高IO")),
    _product("GPSSD", "normal", ("General Purpose SSD", "通用型SSD")),
    _product(
        "GPSSD2",
        "normal",
        ("General Purpose SSD V2", "通用型SSD V2"),
        iops=GPSSD2_IOPS,
        throughput=GPSSD2_THROUGHPUT,
    ),
    # Sold out in this region: listed, but AddDesktopVolumes refuses it.
    _product("SATA", "sellout", ("Common I/O", "普通IO")),
]

QOS_TYPES = {"GPSSD2"}


def product_for(volume_type: str) -> dict | None:
    return next((p for p in VOLUME_PRODUCTS if p["volume_type"] == volume_type), None)


def list_products(volume_types: set[str] | None = None) -> list[dict]:
    """Return the products, optionally only those of the given types."""
    return [p for p in VOLUME_PRODUCTS if not volume_types or p["volume_type"] in volume_types]
