"""The quota on the single add-disk form: shown to the helpdesk, checked before any call."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disks.client import VolumeSpec
from disks.models import DiskRequest
from disks.services.requests import disk_request_submit
from tests.factories import desktop_of, helpdesk_actor, portal_actor, seeded_desktop

pytestmark = pytest.mark.django_db


def submit(actor, desktop_id, size=100):
    return disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", size)],
        actor=actor,
        idempotency_key=uuid.uuid4(),
    )


def test_the_helpdesk_form_shows_the_quota(synced, helpdesk_client):
    synced.set_quotas(volumes=500, volume_gigabytes=51200)
    used = synced.quotas()["quotas"]["resources"]
    disks_used = next(r["used"] for r in used if r["type"] == "volumes")
    desktop_id = seeded_desktop(synced, data_disks=0)
    page = helpdesk_client.get(reverse("disks:helpdesk-disk-add", args=[desktop_id]))
    assert f"Quota: {disks_used} of 500 disks" in page.content.decode()
    assert "of 50 TB used" in page.content.decode()


def test_a_request_past_the_quota_is_refused_with_the_numbers_before_any_call(
    synced, helpdesk_user
):
    quotas = synced.set_quotas(volume_gigabytes=-1)["quotas"]["resources"]
    used = next(r["used"] for r in quotas if r["type"] == "volumes")
    synced.set_quotas(volumes=used)
    with pytest.raises(ValidationError) as refused:
        submit(helpdesk_actor(helpdesk_user), seeded_desktop(synced, data_disks=0))
    assert f"{used} used + 1 new = {used + 1} disks, over the quota of {used}" in str(refused.value)
    assert not synced.requests_log("AddDesktopVolumes")
    assert DiskRequest.objects.count() == 0


def test_the_portal_is_refused_in_plain_words_without_the_tenants_numbers(synced, end_user):
    quotas = synced.quotas()["quotas"]["resources"]
    gb_used = next(r["used"] for r in quotas if r["type"] == "volume_gigabytes")
    synced.set_quotas(volume_gigabytes=gb_used + 50)
    with pytest.raises(ValidationError) as refused:
        submit(portal_actor(end_user), desktop_of(synced, "alice.wong"))
    words = " ".join(refused.value.messages)
    assert "allowance is used up" in words and str(gb_used) not in words
    assert not synced.requests_log("AddDesktopVolumes")


def test_a_quota_read_that_fails_never_blocks_a_submit_and_is_not_shown(
    synced, helpdesk_user, helpdesk_client
):
    synced.inject_fault("ShowQuotas", "status", count=10, status=500)
    desktop_id = seeded_desktop(synced, data_disks=0)
    page = helpdesk_client.get(reverse("disks:helpdesk-disk-add", args=[desktop_id]))
    assert "Quota:" not in page.content.decode()
    request = submit(helpdesk_actor(helpdesk_user), desktop_id)
    assert request.status == DiskRequest.Status.RUNNING
