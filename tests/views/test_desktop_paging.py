"""The helpdesk's inventory pages by keyset: First / Previous / Next / Last, any depth alike."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disks.models import Desktop
from disks.selectors import inventory

pytestmark = pytest.mark.django_db

URL = reverse("disks:helpdesk-desktop-list")
DASH = "\u2013"  # the en dash of "showing 1-25"


def shown_ids(response) -> list[str]:
    return re.findall(r'name="desktop" value="([^"]+)"', response.content.decode())


def link(response, label: str) -> str | None:
    """The href of a pager link by its words, unescaped, or None when the page has none."""
    found = re.search(rf'<a href="([^"]+)"[^>]*>{label}</a>', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def follow_all(client, start: str, label: str) -> list[list[str]]:
    pages, url = [], start
    while url:
        response = client.get(url if url.startswith("/") else URL + url)
        assert response.status_code == 200
        pages.append(shown_ids(response))
        url = link(response, label)
    return pages


def in_order(*order: str) -> list[str]:
    return list(Desktop.objects.order_by(*order).values_list("desktop_id", flat=True))


def test_next_walks_the_whole_inventory_once_in_order(synced, helpdesk_client):
    pages = follow_all(helpdesk_client, URL, "Next")
    assert [len(page) for page in pages] == [25, 25, 4]
    assert [desktop for page in pages for desktop in page] == in_order(
        "computer_name", "desktop_id"
    )


def test_last_then_previous_walks_back_to_the_first_page(synced, helpdesk_client):
    everything = in_order("computer_name", "desktop_id")
    last = helpdesk_client.get(URL, {"last": "1"})
    assert shown_ids(last) == everything[-25:]
    assert f"showing 30{DASH}54" in last.content.decode()
    assert link(last, "Next") is None and link(last, "Last") is None
    pages = follow_all(helpdesk_client, link(last, "Previous"), "Previous")
    assert pages[0] == everything[4:29]
    assert pages[-1] == everything[:25], "the start of the list fills a whole first page"
    assert link(helpdesk_client.get(URL), "First") is None


def test_the_range_line_follows_the_pages(synced, helpdesk_client):
    first = helpdesk_client.get(URL)
    assert f"54 desktops. · showing 1{DASH}25" in first.content.decode()
    second = helpdesk_client.get(URL + link(first, "Next"))
    assert f"showing 26{DASH}50" in second.content.decode()
    third = helpdesk_client.get(URL + link(second, "Next"))
    assert f"showing 51{DASH}54" in third.content.decode()


def test_sorted_and_filtered_paging_keeps_the_filter_and_the_order(synced, helpdesk_client):
    start = f"{URL}?sort=-disks&status=ACTIVE"
    pages = follow_all(helpdesk_client, start, "Next")
    active = Desktop.objects.filter(status="ACTIVE")
    expected = list(
        active.order_by("-data_volume_count", "computer_name", "desktop_id").values_list(
            "desktop_id", flat=True
        )
    )
    assert [desktop for page in pages for desktop in page] == expected and len(pages) > 1
    second = link(helpdesk_client.get(start), "Next")
    assert "sort=-disks" in second and "status=ACTIVE" in second


def test_old_page_links_redirect_to_the_same_desktops(synced, helpdesk_client):
    everything = in_order("computer_name", "desktop_id")
    second = helpdesk_client.get(URL, {"page": 2, "q": ""}, follow=True)
    assert shown_ids(second) == everything[25:50]
    assert "page=" not in second.redirect_chain[0][0]
    beyond = helpdesk_client.get(URL, {"page": 99}, follow=True)
    assert shown_ids(beyond) == everything[-25:]
    # Far past any fleet (found by the property tests: SQLite refuses such an OFFSET).
    huge = helpdesk_client.get(URL, {"page": "368934881474191034"}, follow=True)
    assert shown_ids(huge) == everything[-25:]
    first = helpdesk_client.get(URL, {"page": "x"})
    assert first.status_code == 302 and first["Location"] == URL


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjogMX0", "W10", "eyJrIjpbIngiXX0"])
def test_a_made_up_cursor_shows_the_first_page(synced, helpdesk_client, cursor):
    everything = in_order("computer_name", "desktop_id")
    for name in ("after", "before"):
        response = helpdesk_client.get(URL, {name: cursor})
        assert response.status_code == 200
        assert shown_ids(response) == everything[:25]


def test_a_cursor_of_the_wrong_type_for_its_column_is_ignored(synced, helpdesk_client):
    from disks.cursors import PageCursor

    cursor = PageCursor(key=["many", "PC", "id"], position=3).encode()
    response = helpdesk_client.get(URL, {"sort": "disks", "after": cursor})
    assert response.status_code == 200 and len(shown_ids(response)) == 25


def test_past_the_cap_the_count_says_more_than(synced, helpdesk_client, monkeypatch):
    monkeypatch.setattr(inventory, "DESKTOP_COUNT_CAP", 30)
    first = helpdesk_client.get(URL).content.decode()
    assert f"More than 30 desktops. · showing 1{DASH}25" in first
    last = helpdesk_client.get(URL, {"last": "1"})
    body = last.content.decode()
    assert "showing" not in body, "the last page's position is unknown past the cap"
    assert "Add disks to all desktops matching this filter" in body
    matching = helpdesk_client.get(URL, {"status": "ACTIVE"}).content.decode()
    active = Desktop.objects.filter(status="ACTIVE").count()
    expected = "More than 30 desktops match." if active > 30 else f"{active} desktops match."
    assert expected in matching


def test_the_capped_count_reads_at_most_the_cap_plus_one(synced):
    with CaptureQueriesContext(connection) as queries:
        assert inventory.desktop_count_capped(Desktop.objects.all()) == (54, False)
    assert "LIMIT 10001" in queries[0]["sql"]


def test_the_last_page_costs_the_queries_of_the_first(synced, helpdesk_client):
    counts = []
    for query in ({}, {"last": "1"}):
        with CaptureQueriesContext(connection) as queries:
            assert helpdesk_client.get(URL, query).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not any("OFFSET" in q["sql"] for q in queries), "no OFFSET at any depth"


def test_last_and_previous_in_a_descending_sort_walk_back_through_it(synced, helpdesk_client):
    expected = list(
        Desktop.objects.order_by("-data_volume_count", "computer_name", "desktop_id").values_list(
            "desktop_id", flat=True
        )
    )
    last = helpdesk_client.get(URL, {"sort": "-disks", "last": "1"})
    assert shown_ids(last) == expected[-25:]
    pages = follow_all(helpdesk_client, link(last, "Previous"), "Previous")
    assert pages[0] == expected[4:29] and pages[-1] == expected[:25]


def test_a_search_pages_by_keyset_too(synced, helpdesk_client):
    pages = follow_all(helpdesk_client, f"{URL}?q=pc", "Next")
    shown = [desktop for page in pages for desktop in page]
    assert len(pages) > 1 and len(shown) == len(set(shown))
    matching = Desktop.objects.filter(computer_name__icontains="pc")
    assert set(shown) >= set(matching.values_list("desktop_id", flat=True))
