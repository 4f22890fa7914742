"""Helpdesk pages: access, inventory, the add-disk form over htmx, and the status fragment."""

import re
import uuid

import pytest
from django.urls import reverse

from disks.models import DiskRequest
from tests.factories import seeded_desktop

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def add_url(desktop_id):
    return reverse("disks:helpdesk-disk-add", args=[desktop_id])


def form_post(key=None, *rows, action="submit", project="0"):
    data = {
        "action": action,
        "idempotency_key": str(key or uuid.uuid4()),
        "enterprise_project_id": project,
        "disks-TOTAL_FORMS": str(len(rows)),
        "disks-INITIAL_FORMS": "0",
        "disks-MIN_NUM_FORMS": "1",
        "disks-MAX_NUM_FORMS": "10",
    }
    for index, (disk_type, size) in enumerate(rows):
        data[f"disks-{index}-type"] = disk_type
        data[f"disks-{index}-size"] = str(size)
    return data


@pytest.mark.parametrize("url_name", ["disks:helpdesk-desktop-list", "disks:helpdesk-request-list"])
def test_only_helpdesk_may_enter(client, helpdesk_user, auditor, no_group_user, url_name):
    url = reverse(url_name)
    assert client.get(url).status_code == 302
    for outsider in (auditor, no_group_user):
        client.force_login(outsider)
        response = client.get(url)
        assert response.status_code == 403
        assert b"This page is not for your account" in response.content
    client.force_login(helpdesk_user)
    assert client.get(url).status_code == 200


def test_home_sends_helpdesk_to_the_overview(helpdesk_client):
    assert helpdesk_client.get("/")["Location"] == reverse("disks:helpdesk-home")


def test_inventory_searches_filters_and_pages(synced, helpdesk_client):
    url = reverse("disks:helpdesk-desktop-list")
    everything = helpdesk_client.get(url)
    assert b"54 desktops" in everything.content
    assert len(re.findall(rb'href="/desktops/[0-9a-f]', everything.content)) == 25
    last = helpdesk_client.get(url, {"last": 1})
    assert "showing 30\u201354" in last.content.decode()
    by_user = helpdesk_client.get(url, {"q": "alice.wong"})
    names = set(re.findall(rb"AWONG-PC\d+", by_user.content))
    assert names and b"BMARTIN" not in by_user.content
    shutoff = helpdesk_client.get(url, {"status": "SHUTOFF"})
    assert b"badge-active" not in shutoff.content and b"badge-shutoff" in shutoff.content


def test_inventory_search_over_htmx_returns_only_the_results(synced, helpdesk_client):
    response = helpdesk_client.get(reverse("disks:helpdesk-desktop-list"), {"q": "zz"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and "No desktops found" in body


def test_refresh_from_cloud_resyncs(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.patch_desktop(desktop_id, add_data_volumes=[{"type": "SSD", "size": 50}])
    response = helpdesk_client.post(reverse("disks:helpdesk-desktop-sync"), follow=True)
    assert b"Refreshed 54 desktops: 0 new, 1 changed, 0 removed." in response.content


def test_desktop_page_shows_disks_and_requests(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=9)
    page = helpdesk_client.get(reverse("disks:helpdesk-desktop-detail", args=[desktop_id]))
    assert page.status_code == 200
    assert page.content.count(b"/dev/vd") == 10  # system disk and nine data disks
    assert b"9 of 10 (1 free)" in page.content
    assert b"Add disks" in page.content


def test_unknown_desktop_is_404(synced, helpdesk_client):
    assert helpdesk_client.get(add_url("no-such-desktop")).status_code == 404


def test_add_form_offers_what_the_cloud_sells(synced, helpdesk_client):
    page = helpdesk_client.get(add_url(seeded_desktop(synced, data_disks=0))).content.decode()
    offered = re.findall(r'<option value="(\w+)"', page)
    assert offered == ["SAS", "SSD", "GPSSD", "GPSSD2"]  # the sold-out type is not offered
    assert 'name="idempotency_key"' in page
    assert "This request adds 1; 9 more can be added." in page


def test_rows_are_added_and_removed_over_htmx_keeping_what_was_typed(synced, helpdesk_client):
    url = add_url(seeded_desktop(synced, data_disks=0))
    added = helpdesk_client.post(url, form_post(None, ("SSD", 70), action="add-row"), **HTMX)
    body = added.content.decode()
    assert body.lstrip().startswith('<div id="disk-form"')
    assert 'value="70"' in body and "This request adds 2; 8 more can be added." in body
    data = form_post(None, ("SSD", 70), ("SAS", 30), action="remove-row-0")
    removed = helpdesk_client.post(url, data, **HTMX).content.decode()
    assert 'value="30"' in removed and 'value="70"' not in removed


def test_never_more_rows_than_free_slots(synced, helpdesk_client):
    url = add_url(seeded_desktop(synced, data_disks=9))
    page = helpdesk_client.get(url).content.decode()
    assert "This request adds 1; no more can be added." in page
    assert "Add another disk" not in page
    added = helpdesk_client.post(url, form_post(None, ("SSD", 70), action="add-row"), **HTMX)
    assert "This request adds 1; no more can be added." in added.content.decode()


def test_live_validation_answers_with_the_server_rule(synced, helpdesk_client):
    url = add_url(seeded_desktop(synced, data_disks=0))
    body = helpdesk_client.post(url, form_post(None, ("SAS", 25), action="validate"), **HTMX)
    assert 'id="id_disks-0-size-errors"' in body.content.decode()
    assert "choose 20 or 30" in body.content.decode()
    assert not DiskRequest.objects.exists()


def test_submit_redirects_to_the_request_and_resending_changes_nothing(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    data = form_post(uuid.uuid4(), ("SAS", 20), ("SSD", 40))
    responses = [helpdesk_client.post(add_url(desktop_id), data) for _ in range(3)]
    disk_request = DiskRequest.objects.get()
    expected = reverse("disks:helpdesk-request-detail", args=[disk_request.pk])
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert {r["Location"] for r in responses} == {expected}
    assert len(synced.requests_log("AddDesktopVolumes")) == 1
    assert disk_request.volumes == [{"type": "SAS", "size": 20}, {"type": "SSD", "size": 40}]


def test_a_refusal_shows_on_the_form_with_code_and_request_id(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0407", "error_msg": "Disks are being added to the desktop."},
    )
    key = uuid.uuid4()
    page = helpdesk_client.post(add_url(desktop_id), form_post(key, ("GPSSD", 120))).content
    page = page.decode()
    refused = DiskRequest.objects.get()
    assert "The cloud refused the request:" in page
    assert page.count("refused the request") == 1, "the refusal is said once, not twice"
    assert "Disks are being added to the desktop." in page
    assert "Error code WKS.0407" in page
    assert f"Cloud request id {refused.api_request_id}" in page
    assert 'value="120"' in page, "the form keeps what the user typed"
    assert str(key) not in page, "the next attempt gets its own key"


def test_a_desktop_changed_behind_our_back_is_counted_as_it_is_now(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    synced.patch_desktop(desktop_id, add_data_volumes=[{"type": "SAS", "size": 10}] * 9)
    page = helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 10), ("SAS", 10)))
    assert b"already has 9 data disks and can take only 1 more" in page.content
    assert not synced.requests_log("AddDesktopVolumes")


def test_the_form_names_the_request_already_adding_disks(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    assert (
        "is already adding disks" not in helpdesk_client.get(add_url(desktop_id)).content.decode()
    )
    helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 20)))
    running = DiskRequest.objects.get()

    page = helpdesk_client.get(add_url(desktop_id)).content.decode()
    again = helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 30))).content.decode()

    for shown in (page, again):
        assert (
            f'Request <a href="{reverse("disks:helpdesk-request-detail", args=[running.pk])}">#{running.pk}</a> is already adding disks'
            in shown
        )
    assert len(synced.requests_log("AddDesktopVolumes")) == 1


def status_fragment(client, disk_request):
    url = reverse("disks:helpdesk-request-status", args=[disk_request.pk])
    return client.get(url, **HTMX).content.decode()


def test_status_fragment_polls_while_running_and_stops_when_done(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 20)))
    disk_request = DiskRequest.objects.get()
    running = status_fragment(helpdesk_client, disk_request)
    assert running.lstrip().startswith('<div id="request-status"')
    assert 'hx-trigger="every 2s"' in running and "<html" not in running
    synced.finish_job(disk_request.job_id)
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at="2000-01-01T00:00Z")
    done = status_fragment(helpdesk_client, disk_request)
    assert "The disks were added to the desktop." in done
    assert "hx-trigger" not in done and "hx-get" not in done


def test_many_watchers_cost_one_cloud_call_per_period(synced, helpdesk_client):
    desktop_id = seeded_desktop(synced, data_disks=0)
    helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 20)))
    disk_request = DiskRequest.objects.get()
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at="2000-01-01T00:00Z")
    for _ in range(20):
        status_fragment(helpdesk_client, disk_request)
    assert len(synced.requests_log("ShowJob")) == 1


def test_request_list_filters(synced, helpdesk_client, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=0)
    helpdesk_client.post(add_url(desktop_id), form_post(None, ("SAS", 20)))
    url = reverse("disks:helpdesk-request-list")
    assert b"1 request." in helpdesk_client.get(url, {"status": "running"}).content
    assert b"0 requests." in helpdesk_client.get(url, {"status": "failed"}).content
    assert b"1 request." in helpdesk_client.get(url, {"requester": "hana"}).content
    assert b"0 requests." in helpdesk_client.get(url, {"desktop": "nothing-like-it"}).content
