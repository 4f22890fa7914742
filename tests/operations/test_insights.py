"""/insights/: requests per day, durations, refusals, desktops near the limit; who may see it."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from disks.models import Desktop, DiskRequest
from disks.selectors.insights import (
    _percentiles_in_python,
    insights_period,
    job_duration_percentiles,
    refusal_codes,
    requests_per_day,
)
from disks.services.audit import audit_event_record
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


def _request(day: date, status: str, seconds: float = 60, kind: str = "add") -> DiskRequest:
    created = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    request = DiskRequest.objects.create(
        desktop_id=f"d-{DiskRequest.objects.count()}",
        volumes=[],
        audience="helpdesk",
        status=status,
        kind=kind,
        requested_by_username="x",
        submitted_at=created,
        finished_at=created + timedelta(seconds=seconds)
        if status in DiskRequest.TERMINAL_STATUSES
        else None,
    )
    DiskRequest.objects.filter(pk=request.pk).update(created_at=created)
    return request


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_requests_per_day_count_each_outcome():
    _request(TODAY - timedelta(days=1), "succeeded")
    _request(TODAY - timedelta(days=1), "failed")
    _request(TODAY, "running")
    period = insights_period(first_day=TODAY - timedelta(days=2), last_day=None, today=TODAY)
    days = requests_per_day(period=period, today=TODAY)
    assert [day.total for day in days] == [0, 2, 1]
    assert days[1].counts["succeeded"] == 1 and days[1].counts["failed"] == 1
    assert days[2].counts["open"] == 1


def test_ended_days_are_counted_once_then_cached(django_assert_num_queries):
    _request(TODAY - timedelta(days=1), "succeeded")
    period = insights_period(first_day=TODAY - timedelta(days=5), last_day=None, today=TODAY)
    requests_per_day(period=period, today=TODAY)
    with django_assert_num_queries(2):  # the cache read and today's live count
        requests_per_day(period=period, today=TODAY)


def test_the_period_is_bounded_and_never_in_the_future():
    period = insights_period(first_day=date(2000, 1, 1), last_day=date(2100, 1, 1), today=TODAY)
    assert period.last_day == TODAY
    assert (period.last_day - period.first_day).days == 365


def test_duration_percentiles_by_kind():
    for seconds in range(1, 101):
        _request(TODAY, "succeeded", seconds=seconds)
    period = insights_period(first_day=TODAY, last_day=TODAY, today=TODAY)
    (add,) = job_duration_percentiles(period=period)
    assert (add.kind, add.count, add.p50, add.p90, add.p99) == ("add", 100, 50, 90, 99)


def test_durations_are_cached_until_another_request_of_the_period_finishes(
    django_assert_num_queries,
):
    first = _request(TODAY, "succeeded", seconds=10)
    period = insights_period(first_day=TODAY, last_day=TODAY, today=TODAY)
    assert job_duration_percentiles(period=period)[0].count == 1
    with django_assert_num_queries(2):  # the latest finish in the period, the cache read
        assert job_duration_percentiles(period=period)[0].count == 1

    # A move to a final status stamps finished_at with its own (later) time.
    later = _request(TODAY, "succeeded", seconds=20)
    assert later.finished_at > first.finished_at
    (add,) = job_duration_percentiles(period=period)
    assert (add.count, add.p99) == (2, 20)


def test_a_period_with_no_finished_request_has_no_durations(django_assert_num_queries):
    _request(TODAY, "running")
    period = insights_period(first_day=TODAY, last_day=TODAY, today=TODAY)
    with django_assert_num_queries(1):
        assert job_duration_percentiles(period=period) == []


def _nearest_rank(values: list[float], fraction: float) -> float:
    """The definition, written out: the smallest value with `fraction` of them at or below."""
    ordered = sorted(values)
    return next(v for v in ordered if sum(w <= v for w in ordered) >= fraction * len(ordered))


def test_percentiles_are_the_same_computed_by_the_database_or_in_python():
    """On PostgreSQL percentile_disc, on SQLite the Python loop: the same numbers as before."""
    durations = {
        "add": [0.25, 1.5, 1.5, 7, 30, 59.999999, 61, 600, 3601.5, 90000, 12, 12, 45.125, 2, 5],
        "expand": [float(n * n) for n in range(1, 31)],  # 30 of them: 0.9 * 30 is exact
        "delete": [42.0],
    }
    for kind, values in durations.items():
        for seconds in values:
            _request(TODAY - timedelta(days=1), "succeeded", seconds=seconds, kind=kind)
    _request(TODAY - timedelta(days=9), "failed", seconds=1, kind="add")  # outside the period
    _request(TODAY - timedelta(days=1), "running", kind="add")  # not finished
    period = insights_period(first_day=TODAY - timedelta(days=2), last_day=TODAY, today=TODAY)
    start, end = period.bounds()

    measured = job_duration_percentiles(period=period)

    assert measured == _percentiles_in_python(start, end)
    assert [row.kind for row in measured] == ["add", "delete", "expand"]
    for row in measured:
        values = durations[row.kind]
        expected = [_nearest_rank(values, fraction) for fraction in (0.5, 0.9, 0.99)]
        assert (row.count, [row.p50, row.p90, row.p99]) == (len(values), expected), row.kind


def test_refusal_codes_come_with_their_meaning():
    for code in ("WKS.0407", "WKS.0407", "WKS.SIM0105", "XYZ.1"):
        audit_event_record(
            action="disk_request.refused", outcome="failure", actor=SYSTEM, error_code=code
        )
    today = datetime.now(UTC).date()
    refusals = refusal_codes(period=insights_period(first_day=today, last_day=today))
    assert [(r.code, r.count) for r in refusals] == [
        ("WKS.0407", 2),
        ("WKS.SIM0105", 1),
        ("XYZ.1", 1),
    ]
    assert "busy" in refusals[0].meaning and "10 data disks" in refusals[1].meaning


def _desktop(name: str, disks: int) -> None:
    from django.utils import timezone

    Desktop.objects.create(
        desktop_id=name,
        computer_name=name,
        status="ACTIVE",
        data_volume_count=disks,
        synced_at=timezone.now(),
    )


def test_the_page_draws_charts_with_tables_and_no_inline_style(client, helpdesk_user):
    _request(datetime.now(UTC).date(), "succeeded")
    _desktop("PC-FULL", 10)
    _desktop("PC-NINE", 9)
    _desktop("PC-TWO", 2)
    client.force_login(helpdesk_user)
    page = client.get(reverse("disks:insights")).content.decode()
    assert page.count('<svg class="insight-chart') == 4 and page.count("<table") == 4
    assert "style=" not in page
    assert page.index("PC-FULL") < page.index("PC-NINE") and "PC-TWO" not in page


def test_the_page_takes_a_period(client, auditor):
    client.force_login(auditor)
    page = client.get(
        reverse("disks:insights"), {"date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    assert re.search(r"From 2026-01-01 to 2026-01-31", page.content.decode())


@pytest.mark.parametrize(
    ("who", "expected"),
    [("helpdesk_user", 200), ("auditor", 200), ("end_user", 403), ("no_group_user", 403)],
)
def test_helpdesk_and_auditors_only(client, request, who, expected):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("disks:insights")).status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("disks:insights"))["Location"].startswith("/accounts/login/")
