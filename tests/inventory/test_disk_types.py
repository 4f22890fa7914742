"""disk_types_offered: ListVolumeProductInfo, cached, with fallbacks when the API is down."""

import pytest
from django.core.cache import cache

from disks.services.inventory import (
    DISK_TYPES_CACHE_KEY,
    DISK_TYPES_STALE_CACHE_KEY,
    disk_types_offered,
)

# More than the client's retries, so every attempt of one call fails.
DOWN = 10


def product_calls(sim) -> int:
    return len(sim.requests_log("ListVolumeProductInfo"))


def api_down(sim) -> None:
    sim.inject_fault("ListVolumeProductInfo", "status", count=DOWN, status=503)


def test_it_offers_the_types_on_sale(workspace):
    offer = disk_types_offered()

    assert [disk_type.name for disk_type in offer.types] == ["SAS", "SSD", "GPSSD", "GPSSD2"]
    assert offer.get("SATA") is None, "sold out"
    assert offer.note == ""
    assert offer.get("SAS").label == "High I/O (SAS)"
    assert not offer.get("SAS").needs_qos


def test_gpssd2_carries_its_iops_and_throughput_ranges(workspace):
    gpssd2 = disk_types_offered().get("GPSSD2")

    assert gpssd2.needs_qos
    assert (gpssd2.iops_min, gpssd2.iops_max) == (3000, 128000)
    assert (gpssd2.throughput_min, gpssd2.throughput_max) == (125, 1000)
    assert disk_types_offered().get("GPSSD").iops_min is None


def test_a_second_call_is_answered_from_the_cache(workspace):
    first = disk_types_offered()

    second = disk_types_offered()

    assert second == first
    assert product_calls(workspace) == 1


def test_with_the_api_down_and_nothing_cached_it_offers_the_documented_types(workspace):
    api_down(workspace)

    offer = disk_types_offered()

    assert [disk_type.name for disk_type in offer.types] == ["SAS", "SSD", "GPSSD"]
    assert "could not be refreshed" in offer.note
    assert "documented types" in offer.note
    assert product_calls(workspace) >= 1


def test_with_the_api_down_after_a_good_fetch_it_offers_the_last_good_list(workspace):
    good = disk_types_offered()
    cache.delete(DISK_TYPES_CACHE_KEY)  # ten minutes later
    api_down(workspace)

    offer = disk_types_offered()

    assert offer.types == good.types
    assert offer.get("GPSSD2").iops_max == 128000
    assert "last known list" in offer.note
    assert product_calls(workspace) >= 2


def test_a_fallback_is_not_cached_as_fresh(workspace):
    api_down(workspace)
    disk_types_offered()
    workspace.clear_faults()

    offer = disk_types_offered()

    assert offer.note == ""
    assert offer.get("GPSSD2") is not None
    assert cache.get(DISK_TYPES_STALE_CACHE_KEY) == offer


@pytest.mark.parametrize("kind", ["html", "malformed", "empty"])
def test_an_unreadable_answer_falls_back_too(workspace, kind):
    workspace.inject_fault("ListVolumeProductInfo", kind, count=DOWN)

    offer = disk_types_offered()

    assert [disk_type.name for disk_type in offer.types] == ["SAS", "SSD", "GPSSD"]
    assert offer.note
