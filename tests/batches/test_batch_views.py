"""The batch pages: choose (ticked, all matching, pasted), preview, submit, progress."""

import uuid

import pytest
from django.urls import reverse

from disks.models import Batch, BatchChunk, DiskRequest
from disks.services import batch_chunks, batch_polling
from tests.factories import seeded_desktop

pytestmark = pytest.mark.django_db


def new_batch_post(desktops=(), pasted="", size="20", **extra):
    return {
        "action": "preview",
        "idempotency_key": str(uuid.uuid4()),
        "desktop": list(desktops),
        "pasted": pasted,
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-0-type": "SAS",
        "disks-0-size": size,
        **extra,
    }


def test_the_inventory_has_a_checkbox_column_and_select_all_matching(synced, helpdesk_client):
    page = helpdesk_client.get(reverse("disks:helpdesk-desktop-list"), {"status": "SHUTOFF"})
    html = page.content.decode()
    assert 'form="batch-select"' in html and 'name="desktop"' in html
    assert "match=1" in html and "status=SHUTOFF" in html


def test_select_all_matching_takes_every_page_of_the_filter(synced, helpdesk_client):
    page = helpdesk_client.get(reverse("disks:helpdesk-batch-new"), {"match": "1", "status": ""})
    assert len(page.context["chosen"]) == 54  # the whole seed, not the first 25


def test_pasted_names_that_match_nothing_are_listed_back(synced, helpdesk_client):
    response = helpdesk_client.post(
        reverse("disks:helpdesk-batch-new"),
        new_batch_post(pasted="AWONG-PC01\nno-such-pc\nbob.martin\n"),
    )
    assert response.status_code == 200
    assert "no-such-pc" in response.content.decode()
    assert "AWONG-PC01" not in str(response.context["unknown"])
    assert Batch.objects.count() == 0


def test_preview_then_submit_then_progress(synced, helpdesk_client, helpdesk_user):
    ready = seeded_desktop(synced, data_disks=0)
    off = seeded_desktop(synced, status="SHUTOFF", data_disks=0)
    response = helpdesk_client.post(
        reverse("disks:helpdesk-batch-new"), new_batch_post(desktops=[ready, off])
    )
    batch = Batch.objects.get()
    assert response["Location"] == reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    preview = helpdesk_client.get(response["Location"]).content.decode()
    assert "1 ready" in preview and "1 will be skipped" in preview and "SHUTOFF" in preview
    assert "1 cloud call" in preview
    assert not synced.requests_log("AddVolumes")

    url = reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    helpdesk_client.post(url, {"action": "submit"})
    helpdesk_client.post(url, {"action": "submit"})  # resent: the same batch
    batch.refresh_from_db()
    assert batch.status == Batch.Status.SENDING
    batch_chunks.batch_send(batch=batch)  # what the worker does
    assert len(synced.requests_log("AddVolumes")) == 1
    status = helpdesk_client.get(
        reverse("disks:helpdesk-batch-status", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )
    html = status.content.decode()
    assert 'hx-trigger="every' in html and "0 done, 1 running" in html
    calls = len(synced.requests_log())
    chunk = BatchChunk.objects.get(batch=batch)
    synced.finish_job(chunk.job_id)
    helpdesk_client.get(reverse("disks:helpdesk-batch-status", args=[batch.pk]))
    assert len(synced.requests_log()) == calls, "the status fragment never calls the cloud"
    BatchChunk.objects.filter(pk=chunk.pk).update(next_poll_at=chunk.sent_at)
    chunk.refresh_from_db()
    batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    html = helpdesk_client.get(reverse("disks:helpdesk-batch-status", args=[batch.pk])).content
    assert b"1 done, 0 running" in html and b"hx-trigger" not in html
    request = DiskRequest.objects.get(batch=batch)
    detail = helpdesk_client.get(reverse("disks:helpdesk-request-detail", args=[request.pk]))
    assert f"batch #{batch.pk}" in detail.content.decode()


def test_over_quota_the_preview_shows_the_numbers_and_offers_to_cut(synced, helpdesk_client):
    used = next(r["used"] for r in synced.quotas()["quotas"]["resources"] if r["type"] == "volumes")
    synced.set_quotas(volumes=used + 1)
    desktops = [seeded_desktop(synced, data_disks=0)]
    desktops.append(seeded_desktop(synced, data_disks=0, exclude=desktops))
    helpdesk_client.post(reverse("disks:helpdesk-batch-new"), new_batch_post(desktops=desktops))
    batch = Batch.objects.get()
    url = reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    html = helpdesk_client.get(url).content.decode()
    assert f"{used} used + 2 new = {used + 2} disks" in html and 'value="cut"' in html
    assert 'value="submit"' not in html
    helpdesk_client.post(url, {"action": "submit"})
    assert not synced.requests_log("AddVolumes")
    helpdesk_client.post(url, {"action": "cut"})
    html = helpdesk_client.get(url).content.decode()
    assert "1 ready" in html and 'value="submit"' in html


def test_the_batch_and_its_audit_event_link_to_each_other(synced, client, django_user_model):
    from disks.models import AuditEvent

    admin = django_user_model.objects.create_superuser("ada.admin", password="x")
    client.force_login(admin)
    client.post(
        reverse("disks:helpdesk-batch-new"),
        new_batch_post(desktops=[seeded_desktop(synced, data_disks=0)]),
    )
    batch = Batch.objects.get()
    batch_url = reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    client.post(batch_url, {"action": "submit"})
    event = AuditEvent.objects.get(action="disk_batch.submitted")
    assert event.details["desktops"] == 1 and event.details["new_disks"] == 1
    event_url = reverse("disks:audit-event-detail", args=[event.pk])
    assert event_url in client.get(batch_url).content.decode()
    assert batch_url in client.get(event_url).content.decode()


def test_a_batch_of_the_most_desktops_with_the_most_disk_rows_is_accepted(
    synced, helpdesk_client, settings
):
    """1,000 desktops post more fields than Django's default 1,000 (DATA_UPLOAD_MAX_NUMBER_FIELDS)."""
    from disks import rules
    from disks.services.batches import MAX_BATCH_DESKTOPS

    desktops = [f"desktop-{index:04d}" for index in range(MAX_BATCH_DESKTOPS)]
    rows = rules.MAX_DATA_DISKS_PER_DESKTOP
    data = new_batch_post(desktops=desktops, action="add", csrfmiddlewaretoken="x" * 64)
    data["disks-TOTAL_FORMS"] = str(rows)
    data |= {f"disks-{index}-type": "SAS" for index in range(rows)}
    data |= {f"disks-{index}-size": "20" for index in range(rows)}
    fields = len(desktops) + len(data) - 1
    assert fields > 1_000, "more than Django's default allows"
    assert fields <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    response = helpdesk_client.post(reverse("disks:helpdesk-batch-new"), data)

    assert response.status_code == 200
    assert len(response.context["chosen"]) == MAX_BATCH_DESKTOPS
