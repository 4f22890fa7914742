"""The official huaweicloudsdkworkspace SDK, signing with AK/SK, against the simulator."""

import time

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkworkspace.v2 import (
    AddDesktopsVolumesReq,
    AddDesktopVolumesReq,
    AddDesktopVolumesRequest,
    AddVolumesReq,
    AddVolumesRequest,
    DeleteDesktopVolumesRequest,
    DeleteVolumesReq,
    ExpandDesktopsVolumesReq,
    ExpandDesktopVolumeRequest,
    ExpandVolumeReq,
    ExpandVolumesReq,
    ExpandVolumesRequest,
    ListDesktopsDetailRequest,
    ListItaSubJobsRequest,
    ListVolumeProductInfoRequest,
    ShowDesktopDetailRequest,
    ShowJobRequest,
    ShowQuotasRequest,
    Volume,
)

from tests.sim.conftest import find_desktop, signed, v2

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def poll_until_terminal(sdk, job_id, timeout=10.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sdk.show_job(ShowJobRequest(job_id=job_id))
        seen.append(job.status)
        if job.status in ("SUCCESS", "FAIL"):
            return job, seen
        time.sleep(0.01)
    raise AssertionError(f"job still {seen[-1]} after {timeout}s")


def test_it_lists_desktops_with_paging(sim, sdk):
    first = sdk.list_desktops_detail(ListDesktopsDetailRequest(offset=0, limit=20))
    rest = sdk.list_desktops_detail(ListDesktopsDetailRequest(offset=20, limit=1000))

    assert first.total_count == rest.total_count == len(sim.state.desktops)
    ids = [d.desktop_id for d in first.desktops + rest.desktops]
    assert len(ids) == len(set(ids)) == first.total_count
    desktop = first.desktops[0]
    assert desktop.root_volume.device == "/dev/vda"
    assert desktop.attach_user_infos[0].user_name == desktop.user_name


def test_it_filters_desktops_by_user_status_ids_and_name(sim, sdk):
    mine = sdk.list_desktops_detail(ListDesktopsDetailRequest(user_name="alice.wong"))
    assert mine.total_count > 0
    for desktop in mine.desktops:
        names = {info.user_name for info in desktop.attach_user_infos} | {desktop.user_name}
        assert "alice.wong" in names

    off = sdk.list_desktops_detail(ListDesktopsDetailRequest(status="SHUTOFF"))
    assert off.total_count > 0
    assert {d.status for d in off.desktops} == {"SHUTOFF"}

    wanted = [d.desktop_id for d in mine.desktops[:2]]
    by_id = sdk.list_desktops_detail(ListDesktopsDetailRequest(desktop_id=wanted))
    assert sorted(d.desktop_id for d in by_id.desktops) == sorted(wanted)

    name = mine.desktops[0].computer_name
    by_name = sdk.list_desktops_detail(ListDesktopsDetailRequest(computer_name=name))
    assert [d.computer_name for d in by_name.desktops] == [name]


def test_desktop_ids_may_also_be_comma_joined(sim):
    first, second, third = list(sim.state.desktops)[:3]
    query = f"desktop_id={first},{second}&desktop_id={third}"

    listing = signed(sim, "GET", v2(sim, f"/desktops/detail?{query}")).json()

    assert {d["desktop_id"] for d in listing["desktops"]} == {first, second, third}


def test_it_shows_one_desktop_with_its_data_volumes(sim, sdk):
    seed = find_desktop(sim, disks=9)

    desktop = sdk.show_desktop_detail(ShowDesktopDetailRequest(desktop_id=seed["desktop_id"]))

    volumes = desktop.desktop.data_volumes
    assert len(volumes) == 9
    assert [v.device for v in volumes] == [f"/dev/vd{c}" for c in "bcdefghij"]
    assert all(len(v.id) == 32 and len(v.volume_id) == 36 for v in volumes)
    assert all(v.display_name and v.create_time.endswith("Z") for v in volumes)


def test_it_lists_volume_products_with_gpssd2_ranges_and_a_sold_out_type(sdk):
    products = sdk.list_volume_product_info(ListVolumeProductInfoRequest()).volumes

    by_type = {p.volume_type: p for p in products}
    assert {"SAS", "SSD", "GPSSD", "GPSSD2"} <= set(by_type)
    assert by_type["GPSSD2"].iops.min < by_type["GPSSD2"].iops.max
    assert by_type["GPSSD2"].throughput.max > 0
    assert [p.status for p in products].count("sellout") == 1


def test_add_desktop_volumes_runs_a_job_that_attaches_the_disks(sim, sdk, clock):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    body = AddVolumesReq(volumes=[Volume(type="SAS", size=20), Volume(type="SSD", size=100)])

    added = sdk.add_desktop_volumes(AddDesktopVolumesRequest(desktop_id=desktop_id, body=body))
    busy = sdk.show_desktop_detail(ShowDesktopDetailRequest(desktop_id=desktop_id)).desktop
    waiting = sdk.show_job(ShowJobRequest(job_id=added.job_id))
    clock.advance(0.03)
    running = sdk.show_job(ShowJobRequest(job_id=added.job_id))
    clock.advance(1)
    job, _ = poll_until_terminal(sdk, added.job_id)

    assert busy.task_status == "addingVolumes"
    assert not busy.data_volumes
    assert (waiting.status, waiting.sub_jobs[0].process) == ("WAITING", 0)
    assert running.status == "RUNNING"
    assert 0 < running.sub_jobs[0].process < 100
    assert job.status == "SUCCESS"
    assert [(s.status, s.process) for s in job.sub_jobs] == [("SUCCESS", 100)]
    done = sdk.show_desktop_detail(ShowDesktopDetailRequest(desktop_id=desktop_id)).desktop
    assert done.task_status == ""
    assert [(v.type, v.size, v.device) for v in done.data_volumes] == [
        ("SAS", 20, "/dev/vdb"),
        ("SSD", 100, "/dev/vdc"),
    ]


def test_add_desktop_volumes_returns_the_job_hints(sim, sdk):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    body = AddVolumesReq(volumes=[Volume(type="GPSSD", size=10)])

    response = sdk.add_desktop_volumes(AddDesktopVolumesRequest(desktop_id=desktop_id, body=body))

    raw = response.raw_content
    assert b'"maxProvisionTime": 30' in raw
    assert b'"minProvisionTime": 1' in raw
    assert b'"periodicQueryTime": 1' in raw
    endpoint = f"{sim.url}/v2/{sim.config.project_id}/workspace-jobs/{response.job_id}"
    assert f'"getJobEndpoint": "{endpoint}"'.encode() in raw


def test_add_volumes_runs_one_job_with_a_sub_job_per_desktop(sim, sdk):
    targets = [d for d in sim.state.desktops.values() if d["status"] == "ACTIVE"]
    targets = [d for d in targets if not d["task_status"] and len(d["data_volumes"]) <= 5][:3]
    items = [
        AddDesktopVolumesReq(desktop_id=d["desktop_id"], volumes=[Volume(type="SAS", size=50)])
        for d in targets
    ]

    added = sdk.add_volumes(AddVolumesRequest(body=AddDesktopsVolumesReq(desktop_volumes=items)))
    job, _ = poll_until_terminal(sdk, added.job_id)

    assert job.status == "SUCCESS"
    assert job.sub_jobs_total == 3
    assert {s.entities.desktop_id for s in job.sub_jobs} == {d["desktop_id"] for d in targets}
    sub_jobs = sdk.list_ita_sub_jobs(ListItaSubJobsRequest(job_id=added.job_id))
    assert sub_jobs.total_count == 3
    assert {s.status for s in sub_jobs.jobs} == {"SUCCESS"}
    for seed in targets:
        desktop = sim.desktop(seed["desktop_id"])
        assert desktop["data_volumes"][-1]["size"] == 50


def test_list_ita_sub_jobs_filters_by_status(sim, sdk):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    body = AddVolumesReq(volumes=[Volume(type="SAS", size=10)])
    added = sdk.add_desktop_volumes(AddDesktopVolumesRequest(desktop_id=desktop_id, body=body))
    sim.finish_job(added.job_id, "fail", "WKS.00010321", "backup setting failed")

    failed = sdk.list_ita_sub_jobs(ListItaSubJobsRequest(job_id=added.job_id, status="FAILED"))
    running = sdk.list_ita_sub_jobs(ListItaSubJobsRequest(job_id=added.job_id, status="RUNNING"))

    assert [(j.status, j.error_code) for j in failed.jobs] == [("FAILED", "WKS.00010321")]
    assert running.total_count == 0


def test_every_sdk_call_is_logged_as_signed(sim, sdk):
    sdk.list_volume_product_info(ListVolumeProductInfoRequest())
    sdk.list_desktops_detail(ListDesktopsDetailRequest(limit=1))

    log = sim.requests_log()
    assert [e["operation"] for e in log] == ["ListVolumeProductInfo", "ListDesktopsDetail"]
    assert all(e["auth"] == "aksk" and e["auth_ok"] for e in log)
    assert sim.requests_log("ListDesktopsDetail")[0]["query"] == "limit=1"


def test_show_quotas_gives_the_disk_count_and_capacity(sim, sdk):
    response = sdk.show_quotas(ShowQuotasRequest())

    by_type = {r.type: r for r in response.quotas.resources}
    assert by_type["volumes"].quota == 1000
    assert by_type["volumes"].used == sum(
        1 + len(d["data_volumes"]) for d in sim.state.desktops.values()
    )
    assert by_type["volume_gigabytes"].quota == 200_000
    assert by_type["volume_gigabytes"].unit == "GB"
    assert response.site_quotas == []


def test_add_volumes_past_quota_is_a_403_for_the_sdk(sim, sdk):
    sim.set_quotas(volumes=0)
    item = AddDesktopVolumesReq(
        desktop_id=find_desktop(sim, disks=0)["desktop_id"], volumes=[Volume(type="SAS", size=10)]
    )

    with pytest.raises(ClientRequestException) as caught:
        sdk.add_volumes(AddVolumesRequest(body=AddDesktopsVolumesReq(desktop_volumes=[item])))

    assert (caught.value.status_code, caught.value.error_code) == (403, "WKS.SIM0501")


def test_expand_desktop_volume_grows_the_disk(sim, sdk):
    desktop = find_desktop(sim, disks=2)
    volume_id, new_size = desktop["data_volumes"][0]["volume_id"], 1500
    request = ExpandDesktopVolumeRequest(
        desktop_id=desktop["desktop_id"],
        volume_id=volume_id,
        body=ExpandVolumeReq(new_size=new_size),
    )

    response = sdk.expand_desktop_volume(request)
    job, _ = poll_until_terminal(sdk, response.job_id)

    assert (job.job_type, job.status) == ("expandVolumes", "SUCCESS")
    detail = sdk.show_desktop_detail(ShowDesktopDetailRequest(desktop_id=desktop["desktop_id"]))
    first = detail.desktop.data_volumes[0]
    assert (first.volume_id, first.size) == (volume_id, new_size)


def test_expand_volumes_grows_disks_of_many_desktops(sim, sdk):
    targets = [find_desktop(sim, disks=2), find_desktop(sim, disks=4)]
    items = [
        ExpandVolumesReq(
            desktop_id=d["desktop_id"], volume_id=d["data_volumes"][0]["volume_id"], new_size=3000
        )
        for d in targets
    ]
    body = ExpandDesktopsVolumesReq(desktop_volumes_expansion=items)

    response = sdk.expand_volumes(ExpandVolumesRequest(body=body))
    job, _ = poll_until_terminal(sdk, response.job_id)
    sub_jobs = sdk.list_ita_sub_jobs(ListItaSubJobsRequest(job_type="expandVolumes"))

    assert job.status == "SUCCESS" and job.sub_jobs_total == 2
    assert {s.job_id for s in sub_jobs.jobs} == {response.job_id}
    for desktop in targets:
        assert sim.desktop(desktop["desktop_id"])["data_volumes"][0]["size"] == 3000


def test_delete_desktop_volumes_removes_the_disks(sim, sdk):
    desktop = find_desktop(sim, disks=4)
    doomed = [v["volume_id"] for v in desktop["data_volumes"][:2]]
    request = DeleteDesktopVolumesRequest(
        desktop_id=desktop["desktop_id"], body=DeleteVolumesReq(volume_ids=doomed)
    )

    response = sdk.delete_desktop_volumes(request)
    job, _ = poll_until_terminal(sdk, response.job_id)

    assert (job.job_type, job.status) == ("deleteVolumes", "SUCCESS")
    detail = sdk.show_desktop_detail(ShowDesktopDetailRequest(desktop_id=desktop["desktop_id"]))
    remaining = {v.volume_id for v in detail.desktop.data_volumes}
    assert len(remaining) == 2 and not remaining & set(doomed)


def test_the_sdk_sees_an_expand_of_the_system_disk_refused(sim, sdk):
    desktop = find_desktop(sim, disks=2)
    request = ExpandDesktopVolumeRequest(
        desktop_id=desktop["desktop_id"],
        volume_id=desktop["root_volume"]["volume_id"],
        body=ExpandVolumeReq(new_size=200),
    )

    with pytest.raises(ClientRequestException) as caught:
        sdk.expand_desktop_volume(request)

    assert (caught.value.status_code, caught.value.error_code) == (400, "WKS.SIM0110")
