"""Tolerant parsing of the API's answers into typed results."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from disks.client import AddVolumesResult, VolumeExpansion, VolumeJobResult, VolumeSpec
from disks.client.parsing import (
    parse_add_volumes,
    parse_desktop_detail,
    parse_desktop_page,
    parse_job,
    parse_quotas,
    parse_sub_job_page,
    parse_volume,
    parse_volume_job,
    parse_volume_products,
)


def test_the_add_volumes_answer_may_carry_the_job_hints():
    data = {
        "job_id": "j-1",
        "getJobEndpoint": "https://cbc/jobs/j-1",
        "maxProvisionTime": 30,
        "minProvisionTime": 1,
        "periodicQueryTime": 2,
        "unknown": True,
    }

    result = parse_add_volumes(data, "req-1")

    assert result.job_id == "j-1"
    assert result.get_job_endpoint == "https://cbc/jobs/j-1"
    assert (result.max_provision_minutes, result.min_provision_minutes) == (30, 1)
    assert result.periodic_query_minutes == 2
    assert result.request_id == "req-1"


def test_the_add_volumes_answer_may_be_just_the_job_id():
    result = parse_add_volumes({"job_id": "j-1"}, None)

    assert result.get_job_endpoint is None
    assert result.max_provision_minutes is None
    assert result.min_provision_minutes is None
    assert result.periodic_query_minutes is None


def test_the_add_volumes_answer_needs_a_job_id():
    with pytest.raises(ValueError, match="job_id"):
        parse_add_volumes({"getJobEndpoint": "x"}, None)


def sub_job(status, process=None, **extra):
    return {"id": f"s-{status}", "job_id": "j-1", "status": status, "process": process, **extra}


@pytest.mark.parametrize(
    "status, sub_statuses, terminal, succeeded",
    [
        ("WAITING", [], False, False),
        ("RUNNING", ["RUNNING"], False, False),
        ("SUCCESS", ["SUCCESS", "SUCCESS"], True, True),
        ("COMPLETE", ["SUCCESS"], True, True),
        ("COMPLETE", ["SUCCESS", "FAILED"], True, False),
        ("FAIL", ["FAILED"], True, False),
        ("FAILED", [], True, False),
        ("success", ["success"], True, True),
    ],
)
def test_job_states(status, sub_statuses, terminal, succeeded):
    job = parse_job(
        {"id": "j-1", "status": status, "sub_jobs": [sub_job(s) for s in sub_statuses]}, None
    )

    assert job.is_terminal is terminal
    assert job.succeeded is succeeded
    assert job.failed is (terminal and not succeeded)


def test_job_progress_is_the_mean_of_the_sub_jobs_that_report_one():
    data = {
        "id": "j-1",
        "status": "RUNNING",
        "sub_jobs": [sub_job("RUNNING", 40), sub_job("RUNNING", 81), sub_job("WAITING")],
    }

    assert parse_job(data, None).progress == 60
    assert parse_job({"id": "j-1", "status": "RUNNING"}, None).progress is None


def test_a_failed_job_keeps_its_error_and_the_sub_job_errors():
    data = {
        "id": "j-1",
        "job_type": "addVolumes",
        "status": "FAIL",
        "job_error_code": "WKS.00010109",
        "fail_reason": "no capacity",
        "sub_jobs": [
            sub_job(
                "FAILED",
                error_code="WKS.0500",
                fail_reason="disk failed",
                entities={"desktop_id": "d-1"},
                new_field=[1],
            )
        ],
        "sub_jobs_total": 1,
    }

    job = parse_job(data, "req-2")

    assert (job.job_error_code, job.fail_reason, job.request_id) == (
        "WKS.00010109",
        "no capacity",
        "req-2",
    )
    (failed,) = job.sub_jobs
    assert (failed.error_code, failed.fail_reason, failed.desktop_id) == (
        "WKS.0500",
        "disk failed",
        "d-1",
    )


def test_sub_job_pages():
    page = parse_sub_job_page({"total_count": 7, "jobs": [sub_job("SUCCESS", 100)]}, None)

    assert page.total_count == 7
    assert page.jobs[0].process == 100


DESKTOP = {
    "desktop_id": "d-1",
    "computer_name": "PC-01",
    "status": "ACTIVE",
    "task_status": "",
    "user_name": "Alice",
    "attach_user_infos": [
        {"user_id": "u1", "user_name": "alice", "user_group": "users", "type": "USER"},
        {"user_id": "u2", "user_name": "Bob", "user_group": "users"},
        {"user_id": "g1", "user_name": "engineers", "type": "GROUP"},
    ],
    "enterprise_project_id": "0",
    "root_volume": {"id": "r", "volume_id": "rv", "type": "SAS", "size": 80, "device": "/dev/vda"},
    "data_volumes": [
        {"id": "b", "type": "SSD", "size": 20, "device": "/dev/vdc", "iops": 3000},
        {"id": "a", "type": "SAS", "size": 10, "device": "/dev/vdb", "bill_resource_id": "x"},
    ],
    "created": "2022-01-21T06:57:47.459Z",
    "availability_zone": "az-1",
    "process": None,
    "metadata": {"os_type": "Windows"},
}


def test_a_desktop_with_its_users_and_disks():
    desktop = parse_desktop_detail({"desktop": DESKTOP}, None)

    assert desktop.user_names == ("Alice", "Bob")
    assert [volume.device for volume in desktop.data_volumes] == ["/dev/vdb", "/dev/vdc"]
    assert desktop.data_volumes[1].iops == 3000
    assert desktop.root_volume.size == 80
    assert desktop.attach_users[1].type == "USER"
    assert desktop.process is None


def test_a_desktop_wrapped_in_a_list_as_in_the_api_example():
    assert parse_desktop_detail({"desktop": [DESKTOP]}, None).desktop_id == "d-1"


def test_a_desktop_without_disks_or_users():
    desktop = parse_desktop_detail({"desktop": {"desktop_id": "d-2"}}, None)

    assert desktop.data_volumes == ()
    assert desktop.root_volume is None
    assert desktop.user_names == ()


def test_desktop_pages():
    page = parse_desktop_page({"desktops": [DESKTOP], "total_count": 51}, None)

    assert page.total_count == 51
    assert page.desktops[0].computer_name == "PC-01"


def test_volume_products():
    data = {
        "volumes": [
            {
                "resource_spec_code": "workspace.volume.sas",
                "volume_type": "SAS",
                "status": "normal",
                "name": [
                    {"language": "zh-cn", "value": "高IO"},
                    {"language": "en-us", "value": "High I/O"},
                ],
            },
            {
                "resource_spec_code": "workspace.volume.gpssd2",
                "volume_type": "GPSSD2",
                "status": "sellout",
                "name": [{"language": "zh-cn", "value": "通用型SSD V2"}],
                "iops": {"min": 3000, "max": 128000, "range_by_size": 500},
                "throughput": {"min": 125, "max": 1000, "range_by_iops": 0.25},
            },
        ]
    }

    sas, gpssd2 = parse_volume_products(data, None)

    assert (sas.name, sas.is_available, sas.needs_qos) == ("High I/O", True, False)
    assert (gpssd2.name, gpssd2.is_available, gpssd2.needs_qos) == ("通用型SSD V2", False, True)
    assert (gpssd2.iops_min, gpssd2.iops_max, gpssd2.iops_range_by_size) == (3000, 128000, 500.0)
    assert gpssd2.throughput_range_by_iops == 0.25


def test_a_volume_spec_sends_only_what_is_set():
    assert VolumeSpec("SAS", 10).to_json() == {"type": "SAS", "size": 10}
    assert VolumeSpec("GPSSD2", 20, iops=3000, throughput=125, kms_id="k").to_json() == {
        "type": "GPSSD2",
        "size": 20,
        "iops": 3000,
        "throughput": 125,
        "kms_id": "k",
    }


def test_every_disk_operation_answers_with_the_same_job_result():
    result = parse_volume_job({"job_id": "j-9"}, "req-9")

    assert isinstance(result, VolumeJobResult)
    assert AddVolumesResult is VolumeJobResult
    assert (result.job_id, result.request_id) == ("j-9", "req-9")


def test_a_volume_expansion_is_sent_as_the_api_item():
    item = VolumeExpansion("d-1", "v-1", 120)

    assert item.to_json() == {"desktop_id": "d-1", "volume_id": "v-1", "new_size": 120}


def test_a_volume_carries_both_ids_and_its_creation_time():
    volume = parse_volume(
        {
            "id": "fd4597cb80b311ecaf56fa163ed8e03f",
            "volume_id": "230432f1-44a4-47a1-862e-cd0b65c04bd1",
            "type": "SAS",
            "size": 100,
            "device": "/dev/vdb",
            "create_time": "2022-03-28T00:00:00Z",
        }
    )

    assert volume.id == "fd4597cb80b311ecaf56fa163ed8e03f"
    assert volume.volume_id == "230432f1-44a4-47a1-862e-cd0b65c04bd1"
    assert (volume.type, volume.size, volume.device) == ("SAS", 100, "/dev/vdb")
    assert volume.create_time == "2022-03-28T00:00:00Z"
    assert volume.created_at == datetime(2022, 3, 28, tzinfo=UTC)


def test_a_volume_stays_json_friendly_for_the_inventory():
    volume = parse_volume({"type": "SAS", "size": 10, "create_time": "2022-03-28T00:00:00Z"})

    stored = json.loads(json.dumps(dataclasses.asdict(volume)))

    assert "created_at" not in stored
    assert stored["create_time"] == "2022-03-28T00:00:00Z"


@pytest.mark.parametrize(
    ("create_time", "expected"),
    [
        ("2022-03-28T10:11:12.345Z", datetime(2022, 3, 28, 10, 11, 12, 345000, tzinfo=UTC)),
        ("2022-03-28 10:11:12", datetime(2022, 3, 28, 10, 11, 12, tzinfo=UTC)),
        ("2022-03-28T18:11:12+08:00", datetime(2022, 3, 28, 10, 11, 12, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_a_volume_creation_time_is_read_leniently(create_time, expected):
    volume = parse_volume({"type": "SAS", "size": 10, "create_time": create_time})

    assert volume.created_at == expected


QUOTAS = {
    "quotas": {
        "resources": [
            {"type": "general_instances", "quota": 50, "used": 3, "unit": ""},
            {"type": "volumes", "quota": 100, "used": 98, "unit": "count"},
            {"type": "volume_gigabytes", "quota": 5000, "used": 4900, "unit": "GB"},
        ]
    },
    "site_quotas": [],
}


def test_quotas_keep_the_disk_count_and_gigabytes():
    quotas = parse_quotas(QUOTAS, "req-1")

    assert (quotas.volumes.quota, quotas.volumes.used, quotas.volumes.remaining) == (100, 98, 2)
    assert (quotas.gigabytes.quota, quotas.gigabytes.remaining) == (5000, 100)
    assert quotas.request_id == "req-1"


@pytest.mark.parametrize(
    ("disks", "gigabytes", "fits"),
    [(2, 100, True), (3, 10, False), (1, 110, False), (0, 100, True), (0, 0, True)],
)
def test_room_for_needs_both_quotas(disks, gigabytes, fits):
    assert parse_quotas(QUOTAS, None).room_for(disks, gigabytes) is fits


def test_a_quota_used_past_its_limit_has_no_room_left():
    data = {"quotas": {"resources": [{"type": "volumes", "quota": 10, "used": 12}]}}

    quotas = parse_quotas(data, None)

    assert quotas.volumes.remaining == 0
    assert not quotas.room_for(1, 0)
    assert quotas.room_for(0, 10**6)  # no volume_gigabytes listed: no GB limit known


def test_minus_one_is_no_limit():
    data = {"quotas": {"resources": [{"type": "volume_gigabytes", "quota": -1, "used": 7}]}}

    quotas = parse_quotas(data, None)

    assert quotas.gigabytes.unlimited and quotas.gigabytes.remaining is None
    assert quotas.room_for(5, 10**9)


def test_a_quotas_answer_without_quotas_is_unreadable():
    with pytest.raises(KeyError):
        parse_quotas({"site_quotas": []}, None)
