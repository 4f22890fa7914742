"""Quotas, expand and delete against the simulator over real HTTP, in both auth modes."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from disks.client import (
    Job,
    VolumeExpansion,
    VolumeSpec,
    WorkspaceClient,
    WorkspaceRefused,
    WorkspaceUnavailable,
)


def wait_for_job(client: WorkspaceClient, job_id: str) -> Job:
    """Poll ShowJob until the job ends (a fraction of a second at the fixture's speed)."""
    deadline = time.monotonic() + 10
    while not (job := client.show_job(job_id)).is_terminal and time.monotonic() < deadline:
        time.sleep(0.02)
    return job


@pytest.fixture
def frozen(simulator):
    """Stop the simulator's clock so a job stays running until the test moves time on."""
    now = [time.time()]
    simulator.state.clock = lambda: now[0]

    def advance(seconds: float = 1.0) -> None:
        now[0] += seconds

    return advance


@pytest.fixture
def two_disk_desktop(simulator) -> str:
    """An ACTIVE, idle desktop with exactly two data disks."""
    desktop = next(
        d
        for d in simulator.state.desktops.values()
        if d["status"] == "ACTIVE" and not d["task_status"] and len(d["data_volumes"]) == 2
    )
    return desktop["desktop_id"]


def seed_totals(simulator) -> tuple[int, int]:
    volumes = [
        volume
        for desktop in simulator.state.desktops.values()
        for volume in [desktop["root_volume"], *desktop["data_volumes"]]
    ]
    return len(volumes), sum(volume["size"] for volume in volumes)


# -- show_quotas -----------------------------------------------------------------------


def test_show_quotas_returns_disk_count_and_gigabytes(client, simulator):
    disks, gigabytes = seed_totals(simulator)

    quotas = client.show_quotas()

    assert (quotas.volumes.quota, quotas.volumes.used) == (1000, disks)
    assert (quotas.gigabytes.quota, quotas.gigabytes.used) == (200_000, gigabytes)
    assert quotas.gigabytes.unit == "GB"
    assert quotas.volumes.remaining == 1000 - disks
    assert quotas.request_id


def test_room_for_follows_the_quotas_the_simulator_sets(client, simulator):
    disks, gigabytes = seed_totals(simulator)
    simulator.set_quotas(volumes=disks + 2, volume_gigabytes=gigabytes + 100)

    quotas = client.show_quotas()

    assert quotas.room_for(2, 100)
    assert not quotas.room_for(3, 10)
    assert not quotas.room_for(1, 110)
    assert quotas.room_for(0, 100)


def test_an_unlimited_quota_never_runs_out(client, simulator):
    simulator.set_quotas(volumes=-1)

    quotas = client.show_quotas()

    assert quotas.volumes.unlimited and quotas.volumes.remaining is None
    assert quotas.room_for(10_000, 0)


# -- adds past quota -----------------------------------------------------------------------


def test_add_desktop_volumes_past_quota_is_refused_as_a_quota_problem(
    client, simulator, idle_desktop
):
    disks, _ = seed_totals(simulator)
    simulator.set_quotas(volumes=disks)

    with pytest.raises(WorkspaceRefused) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    error = caught.value
    assert (error.status, error.error_code) == (403, "WKS.SIM0501")
    assert error.quota_exceeded
    assert error.human_message.startswith("The tenant's disk quota does not allow this:")
    assert "no permission" not in error.human_message


def test_add_volumes_past_quota_is_refused_as_a_whole(client, simulator):
    _, gigabytes = seed_totals(simulator)
    simulator.set_quotas(volume_gigabytes=gigabytes + 50)
    page = client.list_desktops_detail(status="ACTIVE", limit=100)
    targets = [d.desktop_id for d in page.desktops if not d.task_status][:2]

    with pytest.raises(WorkspaceRefused) as caught:
        client.add_volumes({desktop_id: [VolumeSpec("SAS", 30)] for desktop_id in targets})

    assert caught.value.quota_exceeded
    assert simulator.state.jobs == {}


def test_add_volumes_returns_the_job_id_and_request_id(client, simulator, idle_desktop):
    result = client.add_volumes({idle_desktop: [VolumeSpec("SAS", 10)]})

    assert result.job_id in simulator.state.jobs
    assert result.request_id
    assert result.get_job_endpoint is None  # AddVolumes answers the job id only


# -- expand ---------------------------------------------------------------------------------


def test_expand_desktop_volume_grows_the_disk_once_the_job_succeeds(
    client, frozen, two_disk_desktop
):
    disk = client.show_desktop_detail(two_disk_desktop).data_volumes[0]

    result = client.expand_desktop_volume(two_disk_desktop, disk.volume_id, disk.size + 100)
    during = client.show_desktop_detail(two_disk_desktop)
    frozen()
    job = wait_for_job(client, result.job_id)
    after = client.show_desktop_detail(two_disk_desktop)

    assert result.request_id
    assert during.task_status == "expandingVolumes"
    assert job.job_type == "expandVolumes" and job.succeeded
    assert [s.desktop_id for s in job.sub_jobs] == [two_disk_desktop]
    grown = next(v for v in after.data_volumes if v.volume_id == disk.volume_id)
    assert grown.size == disk.size + 100
    assert after.task_status == ""


def test_expand_volumes_grows_disks_on_many_desktops_in_one_job(client, simulator):
    page = client.list_desktops_detail(status="ACTIVE", limit=100)
    desktops = [d for d in page.desktops if not d.task_status and d.data_volumes][:3]
    expansions = [
        VolumeExpansion(d.desktop_id, d.data_volumes[0].volume_id, d.data_volumes[0].size + 10)
        for d in desktops
    ]

    result = client.expand_volumes(expansions)
    job = wait_for_job(client, result.job_id)
    listed = client.list_ita_sub_jobs(job_type="expandVolumes")

    assert job.succeeded and len(job.sub_jobs) == 3
    assert {s.job_id for s in listed.jobs} == {result.job_id}
    for expansion in expansions:
        disks = client.show_desktop_detail(expansion.desktop_id).data_volumes
        assert next(v.size for v in disks if v.volume_id == expansion.volume_id) == (
            expansion.new_size
        )


@pytest.mark.parametrize(
    ("new_size", "code"),
    [(15, "WKS.SIM0102"), (32770, "WKS.SIM0102"), (10, "WKS.SIM0109")],
    ids=["not-a-multiple-of-10", "above-32760", "not-larger"],
)
def test_expand_refuses_a_bad_new_size(client, two_disk_desktop, new_size, code):
    disk = client.show_desktop_detail(two_disk_desktop).data_volumes[0]

    with pytest.raises(WorkspaceRefused) as caught:
        client.expand_desktop_volume(two_disk_desktop, disk.volume_id, new_size)

    assert (caught.value.status, caught.value.error_code) == (400, code)


def test_expand_of_the_system_disk_is_refused(client, two_disk_desktop):
    root = client.show_desktop_detail(two_disk_desktop).root_volume

    with pytest.raises(WorkspaceRefused) as caught:
        client.expand_desktop_volume(two_disk_desktop, root.volume_id, root.size + 10)

    assert (caught.value.status, caught.value.error_code) == (400, "WKS.SIM0110")


def test_expand_by_the_short_id_is_not_found(client, two_disk_desktop):
    disk = client.show_desktop_detail(two_disk_desktop).data_volumes[0]

    with pytest.raises(WorkspaceRefused) as caught:
        client.expand_desktop_volume(two_disk_desktop, disk.id, disk.size + 10)

    assert caught.value.status == 404
    assert "desktop or disk was not found" in caught.value.human_message


def test_expand_while_another_disk_job_runs_is_a_conflict(client, frozen, two_disk_desktop):
    first, second = client.show_desktop_detail(two_disk_desktop).data_volumes
    client.delete_desktop_volumes(two_disk_desktop, [first.volume_id])

    with pytest.raises(WorkspaceRefused) as caught:
        client.expand_desktop_volume(two_disk_desktop, second.volume_id, second.size + 10)

    assert (caught.value.status, caught.value.error_code) == (409, "WKS.SIM0304")


def test_expand_past_the_gigabyte_quota_is_refused(client, simulator, two_disk_desktop):
    _, gigabytes = seed_totals(simulator)
    simulator.set_quotas(volume_gigabytes=gigabytes)
    disk = client.show_desktop_detail(two_disk_desktop).data_volumes[0]

    with pytest.raises(WorkspaceRefused) as caught:
        client.expand_desktop_volume(two_disk_desktop, disk.volume_id, disk.size + 10)

    assert caught.value.quota_exceeded


# -- delete ---------------------------------------------------------------------------------


def test_delete_desktop_volumes_removes_the_disks_once_the_job_succeeds(
    client, frozen, two_disk_desktop
):
    doomed, kept = client.show_desktop_detail(two_disk_desktop).data_volumes

    result = client.delete_desktop_volumes(two_disk_desktop, [doomed.volume_id])
    during = client.show_desktop_detail(two_disk_desktop)
    frozen()
    job = wait_for_job(client, result.job_id)
    after = client.show_desktop_detail(two_disk_desktop)

    assert during.task_status == "deletingVolumes" and len(during.data_volumes) == 2
    assert job.job_type == "deleteVolumes" and job.succeeded
    assert [v.volume_id for v in after.data_volumes] == [kept.volume_id]


def test_a_failed_delete_keeps_the_disks_and_reports_the_error(client, simulator, two_disk_desktop):
    simulator.fail_next_job("WKS.00010110", "No valid IP address.")
    doomed = client.show_desktop_detail(two_disk_desktop).data_volumes[0]

    result = client.delete_desktop_volumes(two_disk_desktop, [doomed.volume_id])
    job = wait_for_job(client, result.job_id)

    assert job.failed and job.job_error_code == "WKS.00010110"
    assert len(client.show_desktop_detail(two_disk_desktop).data_volumes) == 2


def test_delete_of_the_system_disk_is_refused(client, two_disk_desktop):
    root = client.show_desktop_detail(two_disk_desktop).root_volume

    with pytest.raises(WorkspaceRefused) as caught:
        client.delete_desktop_volumes(two_disk_desktop, [root.volume_id])

    assert (caught.value.status, caught.value.error_code) == (400, "WKS.SIM0110")


def test_delete_of_more_than_ten_disks_is_refused(client, two_disk_desktop):
    with pytest.raises(WorkspaceRefused) as caught:
        client.delete_desktop_volumes(two_disk_desktop, [f"v-{n}" for n in range(11)])

    assert (caught.value.status, caught.value.error_code) == (400, "WKS.SIM0104")


# -- POSTs and faults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", ["ExpandDesktopVolume", "ExpandVolumes", "DeleteDesktopVolumes", "AddVolumes"]
)
def test_a_disk_post_is_not_retried_on_a_503(make_client, simulator, two_disk_desktop, operation):
    client = make_client()
    disk = client.show_desktop_detail(two_disk_desktop).data_volumes[0]
    calls = {
        "ExpandDesktopVolume": lambda: client.expand_desktop_volume(
            two_disk_desktop, disk.volume_id, disk.size + 10
        ),
        "ExpandVolumes": lambda: client.expand_volumes(
            [VolumeExpansion(two_disk_desktop, disk.volume_id, disk.size + 10)]
        ),
        "DeleteDesktopVolumes": lambda: client.delete_desktop_volumes(
            two_disk_desktop, [disk.volume_id]
        ),
        "AddVolumes": lambda: client.add_volumes({two_disk_desktop: [VolumeSpec("SAS", 10)]}),
    }
    simulator.inject_fault(operation, "status", status=503)

    with pytest.raises(WorkspaceUnavailable) as caught:
        calls[operation]()

    assert caught.value.outcome_unknown is True
    assert len(simulator.requests_log(operation)) == 1
    assert simulator.state.jobs == {}


def test_show_quotas_is_retried_as_a_get(make_client, simulator, sleeps):
    simulator.inject_fault("ShowQuotas", "status", status=503)

    quotas = make_client().show_quotas()

    assert quotas.volumes is not None
    assert len(simulator.requests_log("ShowQuotas")) == 2
    assert len(sleeps) == 1


# -- the desktop detail the dashboard reads -----------------------------------------------------


def test_each_data_disk_carries_its_ids_type_size_device_and_creation_time(client, simulator):
    page = client.list_desktops_detail(limit=100)
    disks = [volume for desktop in page.desktops for volume in desktop.data_volumes]

    assert disks
    for disk in disks:
        assert len(disk.id) == 32 and len(disk.volume_id) == 36
        assert disk.type and disk.size >= 10 and disk.device.startswith("/dev/vd")
        assert disk.created_at is not None and disk.created_at.tzinfo is not None


def test_a_disk_just_added_is_seen_as_new(client, simulator, idle_desktop):
    before = datetime.now(UTC) - timedelta(seconds=2)

    result = client.add_desktop_volumes(idle_desktop, [VolumeSpec("SSD", 20)])
    wait_for_job(client, result.job_id)
    disks = client.show_desktop_detail(idle_desktop).data_volumes

    newest = max(disks, key=lambda disk: disk.created_at)
    assert (newest.type, newest.size) == ("SSD", 20)
    assert newest.created_at >= before
