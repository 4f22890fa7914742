"""Every client method against the simulator over real HTTP, in both auth modes."""

import time

import pytest

from disks.client import Job, VolumeSpec, WorkspaceClient, WorkspaceRefused


def wait_for_job(client: WorkspaceClient, job_id: str) -> Job:
    """Poll ShowJob until the job ends (a fraction of a second at the fixture's speed)."""
    deadline = time.monotonic() + 10
    while not (job := client.show_job(job_id)).is_terminal and time.monotonic() < deadline:
        time.sleep(0.02)
    return job


def test_list_desktops_detail_pages_through_the_inventory(client, simulator):
    first = client.list_desktops_detail(offset=0, limit=10)
    second = client.list_desktops_detail(offset=10, limit=10)

    assert first.total_count >= 50
    assert len(first.desktops) == len(second.desktops) == 10
    assert not {d.desktop_id for d in first.desktops} & {d.desktop_id for d in second.desktops}
    assert all(entry["auth_ok"] for entry in simulator.requests_log())


def test_list_desktops_detail_filters(client):
    everyone = client.list_desktops_detail(limit=100).desktops
    owner = everyone[0].user_name
    wanted = [everyone[1].desktop_id, everyone[2].desktop_id]

    by_user = client.list_desktops_detail(user_name=owner, limit=100).desktops
    by_id = client.list_desktops_detail(desktop_ids=wanted).desktops
    active = client.list_desktops_detail(status="ACTIVE", limit=100).desktops

    assert by_user and all(owner in d.user_names for d in by_user)
    assert sorted(d.desktop_id for d in by_id) == sorted(wanted)
    assert active and all(d.status == "ACTIVE" for d in active)


def test_show_desktop_detail_returns_the_desktop_and_its_disks(client, idle_desktop):
    desktop = client.show_desktop_detail(idle_desktop)

    assert desktop.desktop_id == idle_desktop
    assert desktop.status == "ACTIVE"
    assert desktop.root_volume is not None and desktop.root_volume.device == "/dev/vda"
    assert desktop.user_names


def test_an_unknown_desktop_is_refused_as_not_found(client):
    with pytest.raises(WorkspaceRefused) as caught:
        client.show_desktop_detail("00000000-0000-0000-0000-000000000000")

    assert caught.value.status == 404
    assert "desktop was not found" in caught.value.human_message
    assert caught.value.request_id


def test_list_volume_product_info(client):
    products = client.list_volume_product_info()
    some = client.list_volume_product_info(volume_type=["SAS", "SSD"])

    assert {"SAS", "SSD"} <= {p.volume_type for p in products}
    assert {p.volume_type for p in some} == {"SAS", "SSD"}
    assert any(p.needs_qos for p in products)


def test_add_desktop_volumes_starts_a_job_that_adds_the_disks(client, simulator, idle_desktop):
    before = client.show_desktop_detail(idle_desktop)

    result = client.add_desktop_volumes(
        idle_desktop, [VolumeSpec("SAS", 10), VolumeSpec("SSD", 20)], enterprise_project_id="0"
    )
    job = wait_for_job(client, result.job_id)
    after = client.show_desktop_detail(idle_desktop)

    assert result.request_id
    assert result.max_provision_minutes is not None
    assert result.periodic_query_minutes is not None
    assert job.id == result.job_id and job.succeeded and not job.failed
    assert [s.desktop_id for s in job.sub_jobs] == [idle_desktop]
    assert len(after.data_volumes) == len(before.data_volumes) + 2
    assert len(simulator.requests_log("AddDesktopVolumes")) == 1


def test_add_volumes_adds_disks_to_many_desktops_in_one_job(client, simulator):
    page = client.list_desktops_detail(status="ACTIVE", limit=100)
    targets = [d.desktop_id for d in page.desktops if not d.task_status and len(d.data_volumes) < 9]
    targets = targets[:2]

    result = client.add_volumes({desktop_id: [VolumeSpec("SAS", 10)] for desktop_id in targets})
    job = wait_for_job(client, result.job_id)
    sub_jobs = client.list_ita_sub_jobs(job_id=result.job_id)

    assert job.succeeded
    assert sorted(s.desktop_id for s in job.sub_jobs) == sorted(targets)
    assert sub_jobs.total_count == 2
    assert {s.job_id for s in sub_jobs.jobs} == {result.job_id}


def test_a_failed_job_reports_its_error(client, simulator, idle_desktop):
    simulator.fail_next_job("WKS.00010109", "The computer name is empty.")

    result = client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])
    job = wait_for_job(client, result.job_id)
    failed = client.list_ita_sub_jobs(job_id=result.job_id, status="FAILED")

    assert job.is_terminal and job.failed and not job.succeeded
    assert job.job_error_code == "WKS.00010109"
    assert job.fail_reason == "The computer name is empty."
    assert failed.total_count == 1


def test_an_invalid_disk_is_refused_with_the_apis_message(client, simulator, idle_desktop):
    with pytest.raises(WorkspaceRefused) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 15)])

    error = caught.value
    assert error.status == 400
    assert error.error_code and error.error_msg
    assert error.human_message == f"The Workspace API refused the request: {error.error_msg}"
    assert error.outcome_unknown is False
    assert len(simulator.requests_log("AddDesktopVolumes")) == 1


def test_a_desktop_in_the_wrong_state_is_a_conflict(client, simulator, idle_desktop):
    simulator.patch_desktop(idle_desktop, status="SHUTOFF")

    with pytest.raises(WorkspaceRefused) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.status == 409
    assert "conflicts with the desktop's current state" in caught.value.human_message


def test_a_second_add_while_disks_are_being_added_is_refused(client, simulator, idle_desktop):
    simulator.patch_desktop(idle_desktop, task_status="addingVolumes")

    with pytest.raises(WorkspaceRefused) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert (caught.value.status, caught.value.error_code) == (400, "WKS.0407")


def test_an_unknown_job_is_refused_as_not_found(client):
    with pytest.raises(WorkspaceRefused) as caught:
        client.show_job("00000000-0000-0000-0000-000000000000")

    assert caught.value.status == 404
    assert "job was not found" in caught.value.human_message
