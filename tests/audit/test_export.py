"""The CSV export: columns, filters, spreadsheet safety, and memory that does not grow."""

import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.http import StreamingHttpResponse

from disks.models import AuditEvent
from disks.selectors.audit import EXPORT_COLUMNS
from tests.audit.conftest import append, event

pytestmark = pytest.mark.django_db

EXPORT = "/audit/export.csv"
PREAMBLE_LINES = 3  # when it was made, the filters, a blank line


def exported(response) -> list[dict]:
    """The event rows, after the preamble that names the filters."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header_at = text.index("sequence,occurred_at,")
    return list(csv.DictReader(io.StringIO(text[header_at:])))


def preamble(response) -> list[str]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return text[: text.index("sequence,occurred_at,")].splitlines()


def test_it_streams_utf8_csv_with_a_bom_a_header_and_a_dated_attachment(auditor_client):
    append(event(actor_username="zoë", desktop_name="Bürö-7", details={"size": 20}))
    response = auditor_client.get(EXPORT)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-events-')
    assert f"{datetime.now(UTC):%Y%m%d}" in disposition
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf# Workspace Disk Admin audit history exported ")
    assert b"\r\n# Filters: none (every event)\r\n\r\nsequence,occurred_at," in body
    text = body.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text[text.index("sequence,") :])))
    assert list(row) == list(EXPORT_COLUMNS)
    assert (row["actor_username"], row["desktop_name"]) == ("zoë", "Bürö-7")


def test_rows_carry_every_column_oldest_first(auditor_client):
    first, second = append(
        event(
            occurred_at=datetime(2025, 5, 1, 8, 30, tzinfo=UTC),
            source_ip="192.0.2.1",
            user_agent="Firefox",
            desktop_id="d-1",
            error_code="WKS.0407",
            api_request_id="req-1",
            details={"b": 1, "a": [1, 2]},
        ),
        event(action=AuditEvent.Action.INVENTORY_SYNCED, audience="system", actor_username=""),
    )
    rows = exported(auditor_client.get(EXPORT))
    assert [row["sequence"] for row in rows] == ["1", "2"]
    row = rows[0]
    assert row["occurred_at"] == "2025-05-01T08:30:00+00:00"
    assert (row["source_ip"], row["user_agent"], row["desktop_id"]) == (
        "192.0.2.1",
        "Firefox",
        "d-1",
    )
    assert (row["error_code"], row["api_request_id"], row["disk_request_id"]) == (
        "WKS.0407",
        "req-1",
        "",
    )
    assert json.loads(row["details"]) == {"a": [1, 2], "b": 1}
    assert (row["previous_hash"], row["hash"]) == (first.previous_hash, first.hash)
    assert rows[1]["previous_hash"] == first.hash == second.previous_hash


def test_it_applies_the_list_filters(auditor_client):
    append(event(actor_username="anna"), event(actor_username="bob"), event(actor_username="anne"))
    rows = exported(auditor_client.get(EXPORT, {"actor": "ann"}))
    assert [row["actor_username"] for row in rows] == ["anna", "anne"]


def test_its_first_rows_name_the_filters_that_produced_it(auditor_client):
    append(event(actor_username="anna"))
    lines = preamble(auditor_client.get(EXPORT, {"actor": "ann", "outcome": "failure"}))
    assert lines[0].startswith("# Workspace Disk Admin audit history exported ")
    assert lines[1] == "# Filters: Actor = ann; Outcome = Failure"
    assert lines[2] == ""


def test_invalid_filters_are_refused_rather_than_ignored(auditor_client):
    response = auditor_client.get(EXPORT, {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 400
    assert b"end date is before the start date" in response.content


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_neutralised(auditor_client, dangerous):
    append(event(actor_username=dangerous, desktop_name=dangerous, user_agent=dangerous))
    [row] = exported(auditor_client.get(EXPORT))
    for column in ("actor_username", "desktop_name", "user_agent"):
        assert row[column] == "'" + dangerous


def test_harmless_cells_are_left_alone(auditor_client):
    append(event(actor_username="a-b", desktop_name="x=y", user_agent="'quoted"))
    [row] = exported(auditor_client.get(EXPORT))
    assert (row["actor_username"], row["desktop_name"], row["user_agent"]) == (
        "a-b",
        "x=y",
        "'quoted",
    )


# Memory ---------------------------------------------------------------------------------------


def insert_rows(first: int, last: int) -> None:
    """Insert plain rows straight in SQL, fast: the export does not care about the chain."""
    details = (
        "json_build_object('n', i, 'note', %s)"
        if connection.vendor == "postgresql"
        else "json_object('n', i, 'note', %s)"
    )
    when = "2025-01-01 00:00:00+00" if connection.vendor == "postgresql" else "2025-01-01 00:00:00"
    sql = f"""
        WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s)
        INSERT INTO disks_auditevent (sequence, occurred_at, actor_username, source_ip,
            user_agent, audience, action, outcome, desktop_id, desktop_name, error_code,
            api_request_id, details, previous_hash, hash)
        SELECT i, '{when}', 'user.' || i, '10.0.0.1', %s, 'helpdesk', 'disk_request.submitted',
            'pending', 'desktop-' || i, 'WKS-' || i, '', '', {details}, %s, %s
        FROM n
    """  # noqa: S608 (constants only; the values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, last, "Mozilla/5.0", "x" * 40, "0" * 64, "f" * 64])


def export_peak(client) -> tuple[int, int]:
    """Stream the whole export; return (rows, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        response = client.get(EXPORT)
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return lines - 1 - PREAMBLE_LINES, peak


def test_exporting_100k_events_takes_no_more_memory_than_1k(auditor_client):
    insert_rows(1, 1_000)
    export_peak(auditor_client)  # first request: imports, URL resolvers, template caches
    rows_small, peak_small = export_peak(auditor_client)
    insert_rows(1_001, 100_000)
    rows_large, peak_large = export_peak(auditor_client)
    assert (rows_small, rows_large) == (1_000, 100_000)
    # Held as Python objects, 100k rows of 16 values would take over 100 MB; streaming
    # holds one chunk of 2,000 rows at a time, whatever the total.
    print(
        f"export peak: 1k events {peak_small / 1e6:.1f} MB, 100k events {peak_large / 1e6:.1f} MB"
    )
    assert peak_large < 4 * peak_small
    assert peak_large < 16_000_000
