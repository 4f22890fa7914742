"""Every refusal reaches the SDK as a ClientRequestException with the documented status and code."""

import datetime as real_datetime

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.signer import signer as sdk_signer
from huaweicloudsdkworkspace.v2 import (
    AddDesktopsVolumesReq,
    AddDesktopVolumesReq,
    AddDesktopVolumesRequest,
    AddVolumesReq,
    AddVolumesRequest,
    ListDesktopsDetailRequest,
    ShowDesktopDetailRequest,
    ShowJobRequest,
    Volume,
)

from tests.sim.conftest import find_desktop, sdk_client

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def refusal(call) -> tuple[int, str]:
    with pytest.raises(ClientRequestException) as caught:
        call()
    assert caught.value.request_id  # the SDK read X-Request-Id
    return caught.value.status_code, caught.value.error_code


def add(sdk, desktop_id, *volumes):
    body = AddVolumesReq(volumes=list(volumes))
    return sdk.add_desktop_volumes(AddDesktopVolumesRequest(desktop_id=desktop_id, body=body))


@pytest.mark.parametrize(
    ("volume", "code"),
    [
        (Volume(type="SAS", size=0), "WKS.SIM0102"),
        (Volume(type="SAS", size=5), "WKS.SIM0102"),
        (Volume(type="SAS", size=32770), "WKS.SIM0102"),
        (Volume(type="SAS", size=15), "WKS.SIM0102"),
        (Volume(type="NVME", size=10), "WKS.SIM0103"),
        (Volume(type="SATA", size=10), "WKS.SIM0103"),
        (Volume(type="GPSSD2", size=100), "WKS.SIM0106"),
        (Volume(type="GPSSD2", size=100, iops=3000), "WKS.SIM0106"),
        (Volume(type="SAS", size=100, iops=3000, throughput=125), "WKS.SIM0106"),
    ],
    ids=[
        "size-0",
        "size-5",
        "size-over-max",
        "size-not-step",
        "unknown-type",
        "sold-out-type",
        "gpssd2-no-qos",
        "gpssd2-no-throughput",
        "qos-on-sas",
    ],
)
def test_it_refuses_a_bad_volume(sim, sdk, volume, code):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]

    assert refusal(lambda: add(sdk, desktop_id, volume)) == (400, code)
    assert not sim.state.jobs


def test_it_accepts_the_size_bounds_and_gpssd2_with_qos(sim, sdk):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    volumes = [
        Volume(type="SAS", size=10),
        Volume(type="SSD", size=32760),
        Volume(type="GPSSD2", size=100, iops=3000, throughput=125),
    ]

    assert add(sdk, desktop_id, *volumes).job_id


def test_it_refuses_no_volumes_and_more_than_ten(sim, sdk):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    eleven = [Volume(type="SAS", size=10)] * 11

    assert refusal(lambda: add(sdk, desktop_id)) == (400, "WKS.SIM0104")
    assert refusal(lambda: add(sdk, desktop_id, *eleven)) == (400, "WKS.SIM0104")


def test_it_refuses_more_than_ten_data_disks_in_all(sim, sdk):
    nine = find_desktop(sim, disks=9)["desktop_id"]
    ten = find_desktop(sim, disks=10)["desktop_id"]
    two = [Volume(type="SAS", size=10)] * 2

    assert refusal(lambda: add(sdk, nine, *two)) == (400, "WKS.SIM0105")
    assert refusal(lambda: add(sdk, ten, Volume(type="SAS", size=10))) == (400, "WKS.SIM0105")
    assert add(sdk, nine, Volume(type="SAS", size=10)).job_id


def test_it_refuses_an_unknown_desktop_and_job(sdk):
    missing = "00000000-0000-4000-8000-000000000000"

    assert refusal(lambda: add(sdk, missing, Volume(type="SAS", size=10))) == (404, "WKS.SIM0201")
    show = ShowDesktopDetailRequest(desktop_id=missing)
    assert refusal(lambda: sdk.show_desktop_detail(show)) == (404, "WKS.SIM0201")
    job = ShowJobRequest(job_id=missing)
    assert refusal(lambda: sdk.show_job(job)) == (404, "WKS.SIM0202")


@pytest.mark.parametrize("status", ["SHUTOFF", "ERROR", "HIBERNATED"])
def test_it_refuses_a_desktop_that_is_not_active(sim, sdk, status):
    desktop_id = find_desktop(sim, status=status)["desktop_id"]

    assert refusal(lambda: add(sdk, desktop_id, Volume(type="SAS", size=10))) == (
        409,
        "WKS.SIM0301",
    )


def test_it_refuses_a_desktop_busy_with_another_task(sim, sdk):
    desktop_id = find_desktop(sim, task_status="rebuilding")["desktop_id"]

    assert refusal(lambda: add(sdk, desktop_id, Volume(type="SAS", size=10))) == (
        409,
        "WKS.SIM0302",
    )


def test_it_refuses_a_second_add_while_disks_are_being_added(sim, sdk, clock):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    add(sdk, desktop_id, Volume(type="SAS", size=10))

    assert refusal(lambda: add(sdk, desktop_id, Volume(type="SAS", size=10))) == (
        400,
        "WKS.0407",
    )
    assert len(sim.state.jobs) == 1


def test_a_batch_is_refused_as_a_whole(sim, sdk):
    idle = find_desktop(sim, disks=0)["desktop_id"]
    off = find_desktop(sim, status="SHUTOFF")["desktop_id"]
    items = [
        AddDesktopVolumesReq(desktop_id=d, volumes=[Volume(type="SAS", size=10)])
        for d in (idle, off)
    ]
    request = AddVolumesRequest(body=AddDesktopsVolumesReq(desktop_volumes=items))

    assert refusal(lambda: sdk.add_volumes(request)) == (409, "WKS.SIM0301")
    assert not sim.state.jobs
    assert sim.desktop(idle)["task_status"] == ""


def test_a_batch_of_more_than_100_desktops_is_refused(sim, sdk):
    items = [
        AddDesktopVolumesReq(desktop_id=f"desktop-{n}", volumes=[Volume(type="SAS", size=10)])
        for n in range(101)
    ]
    request = AddVolumesRequest(body=AddDesktopsVolumesReq(desktop_volumes=items))

    assert refusal(lambda: sdk.add_volumes(request)) == (400, "WKS.SIM0104")


def test_a_wrong_secret_key_is_refused(sim):
    sdk = sdk_client(sim, sk="not-the-secret-key")

    assert refusal(lambda: sdk.list_desktops_detail(ListDesktopsDetailRequest())) == (
        401,
        "APIGW.0301",
    )
    assert sim.requests_log()[-1]["auth_ok"] is False


def test_a_signature_older_than_15_minutes_is_refused(sim, sdk, monkeypatch):
    class TwentyMinutesAgo(real_datetime.datetime):
        @classmethod
        def utcnow(cls):
            return real_datetime.datetime.utcnow() - real_datetime.timedelta(minutes=20)

    monkeypatch.setattr(sdk_signer, "datetime", TwentyMinutesAgo)

    assert refusal(lambda: sdk.list_desktops_detail(ListDesktopsDetailRequest())) == (
        401,
        "APIGW.0301",
    )


def test_a_signature_14_minutes_old_is_accepted(sim, sdk, monkeypatch):
    class FourteenMinutesAgo(real_datetime.datetime):
        @classmethod
        def utcnow(cls):
            return real_datetime.datetime.utcnow() - real_datetime.timedelta(minutes=14)

    monkeypatch.setattr(sdk_signer, "datetime", FourteenMinutesAgo)

    assert sdk.list_desktops_detail(ListDesktopsDetailRequest(limit=1)).total_count > 0
