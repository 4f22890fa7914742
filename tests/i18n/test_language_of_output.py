# ruff: noqa: RUF001  (Chinese text uses full-width colons and parentheses)
"""What each reader gets in their language: times, emails, error codes, the CSV's header."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from disks.client import VolumeSpec
from disks.models import UserPreference
from disks.services.approvals import disk_request_hold_for_approval
from disks.templatetags.disk_format import error_code_words
from tests.factories import desktop_of, portal_actor

WHEN = datetime(2026, 12, 1, 5, 5, tzinfo=UTC)


def render(source: str, **context) -> str:
    return Template("{% load when %}" + source).render(Context(context))


def test_an_exact_time_is_in_the_readers_zone_and_language():
    with timezone.override(ZoneInfo("Asia/Shanghai")), translation.override("zh-hans"):
        assert render("{{ t|exact }}", t=WHEN) == "2026年12月1日 13:05"
    with timezone.override(ZoneInfo("Europe/Paris")), translation.override("en"):
        assert render("{{ t|exact }}", t=WHEN) == "1 Dec 2026, 06:05"


def test_a_relative_time_has_the_exact_one_on_hover():
    three_minutes_ago = timezone.now() - timedelta(minutes=3, seconds=5)
    with timezone.override(ZoneInfo("Asia/Shanghai")), translation.override("zh-hans"):
        html = render("{% when t %}", t=three_minutes_ago)
    assert ">3\xa0分钟前</time>" in html or ">3 分钟前</time>" in html
    assert 'title="' in html and "CST" in html
    assert f'datetime="{three_minutes_ago.isoformat()}"' in html


def test_a_known_error_code_is_explained_in_the_readers_language():
    with translation.override("zh-hans"):
        assert error_code_words("WKS.0407") == "错误码 WKS.0407：云桌面正忙：已有磁盘正在添加。"
        assert error_code_words("WKS.9999") == "错误码 WKS.9999。"
    assert error_code_words("WKS.0407").startswith("Error code WKS.0407: The desktop was busy")


@pytest.mark.django_db
def test_the_email_is_in_the_requesters_language_whoever_acts(
    synced, end_user, helpdesk_client, django_capture_on_commit_callbacks
):
    UserPreference.objects.create(user=end_user, language="zh-hans")
    pending = disk_request_hold_for_approval(
        desktop_id=desktop_of(synced, "alice.wong"),
        volumes=[VolumeSpec("SAS", 500)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk_client.post(
            reverse("disks:helpdesk-approval-approve", args=[pending.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert [m.subject for m in mail.outbox] == [f"已批准：您的磁盘申请 #{pending.pk}"]
    assert "已由 hana.helpdesk 批准" in mail.outbox[0].body
    assert "Workspace 数据盘管理" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_csv_header_is_in_the_readers_language_and_the_values_as_stored(client, auditor):
    client.force_login(auditor)
    chinese = b"".join(
        client.get(reverse("disks:audit-event-export"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    ).decode()
    assert "序号,发生时间（UTC）,操作人," in chinese
    assert "# 筛选条件：无（全部事件）" in chinese
    english = b"".join(client.get(reverse("disks:audit-event-export"))).decode()
    assert "sequence,occurred_at,actor_username," in english
