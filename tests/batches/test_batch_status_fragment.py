"""The batch page's progress: a summary and one page of desktops, problems first.

The fragment the page polls every few seconds must cost the same for 10 desktops and for
1,000: one aggregate query for the counts, two for the page of rows, never the whole table.
Batches are written directly (bulk_create) so that 1,000 desktops take no cloud.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disks.models import Batch, BatchItem, DiskRequest
from disks.selectors import batches as selectors

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status

# Session, user with its audience groups (one query: disks/selectors/rows.py), the batch, the
# summary, a page of items and their requests. The same for any batch size.
FRAGMENT_QUERIES = 6


def make_batch(outcomes: list[str], *, finished: bool = False) -> Batch:
    """A submitted batch, one desktop per outcome: a request status, "skipped" or "waiting"."""
    now = timezone.now()
    batch = Batch.objects.create(
        created_by_username="hana.helpdesk",
        status=Batch.Status.FINISHED if finished else Batch.Status.RUNNING,
        volumes=[{"type": "SSD", "size": 100}],
        submitted_at=now - timedelta(minutes=3),
        finished_at=now if finished else None,
    )
    items = BatchItem.objects.bulk_create(
        BatchItem(
            batch=batch,
            desktop_id=f"b{batch.pk}-desktop-{index:04d}",
            desktop_name=f"PC-{index:04d}",
            user_name=f"user{index}",
            skip_reason="The desktop is SHUTOFF" if outcome == "skipped" else "",
        )
        for index, outcome in enumerate(outcomes)
    )
    DiskRequest.objects.bulk_create(
        DiskRequest(
            desktop_id=item.desktop_id,
            desktop_name=item.desktop_name,
            audience=DiskRequest.Audience.HELPDESK,
            status=outcome,
            volumes=[{"type": "SSD", "size": 100}],
            batch=batch,
            requested_by_username="hana.helpdesk",
            idempotency_key=uuid.uuid4(),
            progress=40 if outcome == Status.RUNNING else None,
            error_message="The cloud could not add the disks: no capacity"
            if outcome == Status.FAILED
            else "",
        )
        for item, outcome in zip(items, outcomes, strict=True)
        if outcome not in ("skipped", "waiting")
    )
    return batch


def mixed(size: int) -> list[str]:
    """Mostly done, with some failed, running, waiting and skipped among them."""
    cycle = [Status.SUCCEEDED] * 6 + [Status.FAILED, Status.RUNNING, "waiting", "skipped"]
    return [cycle[index % len(cycle)] for index in range(size)]


def fragment(client, batch: Batch, **query) -> str:
    url = reverse("disks:helpdesk-batch-status", args=[batch.pk])
    response = client.get(url, query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="(batch-item-\d+)"', html)


def test_a_running_batch_polls_a_summary_and_one_page_of_rows(helpdesk_client):
    batch = make_batch(mixed(120))
    html = fragment(helpdesk_client, batch)
    assert 'hx-trigger="every' in html
    assert "72 done, 12 running, 12 failed, 12 skipped, 12 waiting" in html
    assert len(row_ids(html)) == selectors.BATCH_ROWS_PER_PAGE
    assert "1\u201350 of 120" in html and "Page 1 of 3" in html
    assert 'id="batch-summary"' in html and 'id="batch-progress"' in html


def test_a_finished_batch_stops_polling_and_offers_the_retry(helpdesk_client):
    batch = make_batch([Status.SUCCEEDED, Status.FAILED, "skipped"], finished=True)
    html = fragment(helpdesk_client, batch)
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "1 done, 0 running, 1 failed, 1 skipped, 0 waiting" in html
    assert 'value="retry"' in html
    assert len(row_ids(html)) == 3 and "Page 1 of" not in html  # one page: no page links


def test_problems_come_first_failed_then_running_waiting_skipped_and_done(helpdesk_client):
    outcomes = [Status.SUCCEEDED, "waiting", Status.NEEDS_REVIEW, "skipped", Status.RUNNING]
    outcomes += [Status.FAILED, Status.SUBMITTING]
    batch = make_batch(outcomes)
    item_ids = list(batch.items.order_by("id").values_list("id", flat=True))
    expected = [2, 5, 4, 6, 1, 3, 0]  # failed (chosen order), running, waiting, skipped, done
    assert row_ids(fragment(helpdesk_client, batch)) == [
        f"batch-item-{item_ids[index]}" for index in expected
    ]


def test_the_poll_keeps_the_page_in_view_and_every_page_is_reachable(helpdesk_client):
    batch = make_batch([Status.SUCCEEDED] * 120)
    first = row_ids(fragment(helpdesk_client, batch))
    second = fragment(helpdesk_client, batch, page="2")
    status_url = reverse("disks:helpdesk-batch-status", args=[batch.pk])
    assert f'hx-get="{status_url}?page=2"' in second
    assert "51\u2013100 of 120" in second
    third = row_ids(fragment(helpdesk_client, batch, page="3"))
    every = first + row_ids(second) + third
    assert len(third) == 20 and len(set(every)) == 120
    assert row_ids(fragment(helpdesk_client, batch, page="99")) == third  # past the end
    assert row_ids(fragment(helpdesk_client, batch, page="x")) == first


def test_without_javascript_the_page_shows_the_rows_and_links_to_the_other_pages(
    helpdesk_client,
):
    batch = make_batch([Status.SUCCEEDED] * 60)
    url = reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    html = helpdesk_client.get(url, {"page": "2"}).content.decode()
    assert len(row_ids(html)) == 10 and "Page 2 of 2" in html
    assert f'href="{url}?page=1#batch-desktops" rel="prev"' in html
    assert 'id="status-announcer"' in html


def test_only_the_summary_is_announced_not_the_rows(helpdesk_client):
    batch = make_batch([Status.SUCCEEDED] * 6 + [Status.FAILED] + [Status.RUNNING] * 3)
    html = fragment(helpdesk_client, batch)
    assert "aria-live" not in html and 'role="status"' not in html
    announcement = re.search(r'data-announce="([^"]*)"', html)
    assert announcement is not None
    assert announcement.group(1) == (
        f"Batch #{batch.pk}: In progress, more than 50% finished, 1 failed."
    )


@pytest.mark.parametrize("size", [10, 1000])
def test_the_fragment_costs_the_same_queries_for_10_and_1000_desktops(helpdesk_client, size):
    batch = make_batch(mixed(size))
    fragment(helpdesk_client, batch)  # warm: the session and the groups cached where they are
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        html = fragment(helpdesk_client, batch)
    assert len(queries) == FRAGMENT_QUERIES, [query["sql"] for query in queries]
    assert len(row_ids(html)) == min(size, selectors.BATCH_ROWS_PER_PAGE)
    assert len(html) < 20_000  # the whole table of 1,000 was about 210 KB


def test_the_summary_counts_in_one_query(helpdesk_client):
    batch = make_batch(mixed(1000))
    with CaptureQueriesContext(connection) as queries:
        progress = selectors.batch_progress(batch)
    assert len(queries) == 1 and "GROUP BY" in queries[0]["sql"]
    assert (progress.total, progress.done, progress.failed) == (1000, 600, 100)
    assert (progress.running, progress.waiting, progress.skipped) == (100, 100, 100)
