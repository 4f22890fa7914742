"""Filters, keyset pagination and the summary of the audit history."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disks.models import AuditEvent
from disks.selectors.audit import (
    AuditFilters,
    audit_event_list,
    audit_event_page,
    audit_summary,
)
from tests.audit.conftest import append, event
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome
DAY = datetime(2025, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def history():
    """Eight events over four days, of several actors, desktops, actions and outcomes."""
    return append(
        event(occurred_at=DAY - timedelta(days=3), actor_username="anna.admin", desktop_id="d-1", desktop_name="WKS-ONE"),
        event(occurred_at=DAY - timedelta(days=2), actor_username="annette", action=Action.REQUEST_ACCEPTED, outcome=Outcome.SUCCESS, desktop_id="d-1", desktop_name="WKS-ONE"),
        event(occurred_at=DAY - timedelta(days=2), actor_username="bob", action=Action.REQUEST_REFUSED, outcome=Outcome.FAILURE, error_code="WKS.0407", desktop_id="d-2", desktop_name="WKS-TWO", details={"message": "Desktop is BUSY"}),
        event(occurred_at=DAY - timedelta(days=1), actor_username="", audience="system", action=Action.JOB_STATUS_CHANGED, outcome=Outcome.SUCCESS, desktop_id="d-2", desktop_name="WKS-TWO"),
        event(occurred_at=DAY - timedelta(days=1, seconds=-1), actor_username="mallory", audience="system", action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE),
        event(occurred_at=DAY, actor_username="anna.admin", desktop_id="d-3", desktop_name="WKS-THREE", details={"note": "Größe geändert \"quoted\""}),
        event(occurred_at=DAY + timedelta(hours=11, minutes=59), actor_username="bob", desktop_id="d-3", desktop_name="WKS-THREE"),
        event(occurred_at=DAY + timedelta(hours=12), audience="system", actor_username="", action=Action.INVENTORY_SYNCED, outcome=Outcome.INFO, details={"total": 3}),
    )  # fmt: skip


def sequences(**filters) -> list[int]:
    return list(
        audit_event_list(filters=AuditFilters(**filters)).values_list("sequence", flat=True)
    )


def test_newest_first_without_filters(history):
    assert sequences() == [8, 7, 6, 5, 4, 3, 2, 1]


def test_dates_are_inclusive_whole_utc_days(history):
    assert sequences(date_from=date(2025, 3, 8), date_to=date(2025, 3, 9)) == [5, 4, 3, 2]
    # #7 is at 23:59 on the 10th, #8 at midnight starting the 11th.
    assert sequences(date_from=date(2025, 3, 10), date_to=date(2025, 3, 10)) == [7, 6]
    assert sequences(date_from=date(2025, 3, 11)) == [8]
    assert sequences(date_to=date(2025, 3, 7)) == [1]


def test_actor_matches_a_username_or_its_beginning(history):
    assert sequences(actor="bob") == [7, 3]
    assert sequences(actor="ann") == [6, 2, 1]
    assert sequences(actor="anna.admin") == [6, 1]


def test_desktop_matches_an_id_or_an_exact_name(history):
    assert sequences(desktop="d-2") == [4, 3]
    assert sequences(desktop="WKS-THREE") == [7, 6]
    assert sequences(desktop="WKS") == []


def test_action_and_outcome(history):
    assert sequences(action=Action.REQUEST_SUBMITTED) == [7, 6, 1]
    assert sequences(outcome=Outcome.FAILURE) == [5, 3]
    assert sequences(action=Action.REQUEST_REFUSED, outcome=Outcome.SUCCESS) == []


def test_free_text_searches_the_details_case_insensitively(history):
    assert sequences(q="busy") == [3]
    assert sequences(q="total") == [8]


def test_free_text_finds_non_ascii_and_quotes_on_every_database(history):
    assert sequences(q="größe") == [6]
    assert sequences(q='"quoted"') == [6]


def test_a_desktop_matched_on_one_column_is_filtered_on_that_column_alone(history):
    # So that PostgreSQL reads that column's (value, sequence) index in order.
    by_name = str(audit_event_list(filters=AuditFilters(desktop="WKS-TWO")).query)
    assert " OR " not in by_name and '"desktop_name" = WKS-TWO' in by_name
    unknown = str(audit_event_list(filters=AuditFilters(desktop="nowhere")).query)
    assert " OR " not in unknown


def test_a_time_range_also_bounds_the_sequences_read(history):
    filters = AuditFilters(date_from=date(2025, 3, 8), date_to=date(2025, 3, 8))
    sql = str(audit_event_list(filters=filters).query)
    assert '"sequence" > 1' in sql and '"sequence" < 4' in sql


def test_a_time_range_keeps_events_stamped_slightly_out_of_order():
    # Two writers whose clocks disagree by a few seconds: #3 was written after #2 but
    # carries an earlier time. Both still land in their own day.
    midnight = datetime(2025, 6, 2, tzinfo=UTC)
    append(
        event(occurred_at=midnight - timedelta(days=3)),
        event(occurred_at=midnight + timedelta(seconds=5)),
        event(occurred_at=midnight - timedelta(seconds=2)),
        event(occurred_at=midnight + timedelta(days=3)),
    )
    assert sequences(date_from=date(2025, 6, 2), date_to=date(2025, 6, 2)) == [2]
    assert sequences(date_from=date(2025, 6, 1), date_to=date(2025, 6, 1)) == [3]
    assert sequences(date_to=date(2025, 6, 1)) == [3, 1]
    assert sequences(date_from=date(2025, 6, 2)) == [4, 2]


def test_filters_combine(history):
    assert sequences(actor="anna", date_from=date(2025, 3, 10), desktop="d-3") == [6]


# Keyset pages -------------------------------------------------------------------------------


@pytest.fixture
def many():
    return append(*(event(actor_username="even" if n % 2 == 0 else "odd") for n in range(1, 121)))


def test_pages_walk_older_and_back_newer_without_gaps(many):
    first = audit_event_page(filters=AuditFilters(), size=50)
    assert [e.sequence for e in first.events] == list(range(120, 70, -1))
    assert (first.newer_after, first.older_before, first.at_newest) == (None, 71, True)
    second = audit_event_page(filters=AuditFilters(), before=71, size=50)
    assert [e.sequence for e in second.events] == list(range(70, 20, -1))
    assert (second.newer_after, second.older_before) == (70, 21)
    last = audit_event_page(filters=AuditFilters(), before=21, size=50)
    assert [e.sequence for e in last.events] == list(range(20, 0, -1))
    assert (last.newer_after, last.older_before) == (20, None)
    back = audit_event_page(filters=AuditFilters(), after=20, size=50)
    assert [e.sequence for e in back.events] == list(range(70, 20, -1))
    assert (back.newer_after, back.older_before) == (70, 21)
    newest_again = audit_event_page(filters=AuditFilters(), after=70, size=50)
    assert [e.sequence for e in newest_again.events] == list(range(120, 70, -1))
    assert newest_again.newer_after is None


def test_pages_keep_their_filters(many):
    page = audit_event_page(filters=AuditFilters(actor="even"), before=100, size=10)
    assert [e.sequence for e in page.events] == list(range(98, 78, -2))
    assert (page.newer_after, page.older_before) == (98, 80)


def test_a_page_is_two_small_queries_with_no_offset_or_count(many):
    with CaptureQueriesContext(connection) as queries:
        audit_event_page(filters=AuditFilters(actor="odd"), before=99, size=50)
    sql = [query["sql"].upper() for query in queries.captured_queries]
    assert len(sql) == 2, "the page, and one EXISTS for the other direction"
    assert not any("OFFSET" in statement or "COUNT(" in statement for statement in sql)
    assert all("LIMIT" in statement for statement in sql)


def test_an_empty_page_beyond_the_end(many):
    page = audit_event_page(filters=AuditFilters(), before=1)
    assert page.events == [] and page.older_before is None and not page.at_newest


# Summary ------------------------------------------------------------------------------------


def test_the_summary_counts_per_day_and_outcome(history):
    summary = audit_summary(
        filters=AuditFilters(date_from=date(2025, 3, 7), date_to=date(2025, 3, 11))
    )
    assert summary.per_day == [
        (date(2025, 3, 7), 1),
        (date(2025, 3, 8), 2),
        (date(2025, 3, 9), 2),
        (date(2025, 3, 10), 2),
        (date(2025, 3, 11), 1),
    ]
    assert {value: count for value, _, count in summary.per_outcome} == {
        "success": 2,
        "failure": 2,
        "pending": 3,
        "info": 1,
    }
    assert summary.total == 8 and not summary.clipped


def test_the_summary_follows_the_other_filters(history):
    summary = audit_summary(filters=AuditFilters(actor="bob"), today=date(2025, 3, 12))
    assert summary.total == 2
    assert (summary.first_day, summary.last_day) == (date(2025, 2, 11), date(2025, 3, 12))
    assert len(summary.per_day) == 30


def test_the_summary_stops_at_today(history):
    summary = audit_summary(
        filters=AuditFilters(date_from=date(2025, 3, 1), date_to=date(2025, 12, 31)),
        today=date(2025, 3, 11),
    )
    assert (summary.first_day, summary.last_day) == (date(2025, 3, 1), date(2025, 3, 11))
    assert summary.total == 8


def test_the_summary_covers_at_most_90_days(history):
    summary = audit_summary(
        filters=AuditFilters(date_from=date(2024, 1, 1), date_to=date(2025, 3, 10))
    )
    assert summary.clipped
    assert len(summary.per_day) == 90
    assert summary.first_day == date(2024, 12, 11)


def test_the_summary_counts_ended_days_once_and_today_live():
    from datetime import UTC, datetime, timedelta

    from django.core.cache import cache

    from disks.selectors.audit import AuditFilters, audit_summary
    from disks.services.audit import audit_event_record

    cache.clear()
    audit_event_record(action="inventory.synced", outcome="success", actor=SYSTEM)
    today = datetime.now(UTC).date()
    first = audit_summary(filters=AuditFilters(), today=today)
    assert first.total == 1
    audit_event_record(action="inventory.synced", outcome="failure", actor=SYSTEM)
    second = audit_summary(filters=AuditFilters(), today=today)
    assert second.total == 2, "today is counted live"
    tomorrow = audit_summary(filters=AuditFilters(), today=today + timedelta(days=1))
    assert tomorrow.total == 2
    again = audit_summary(filters=AuditFilters(), today=today + timedelta(days=1))
    assert again.per_day == tomorrow.per_day
