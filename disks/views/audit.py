"""Auditors (group `auditor`): the audit history, to review, export and verify; read-only.

Every view requires the auditor audience (superusers count as auditors). Nothing here
changes the database: "Verify now" only walks the chain and caches the verdict.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from disks.access import AUDITOR, audience_required
from disks.audit_chain import audit_chain_verdict_cached, audit_chain_verify_requested
from disks.models import AuditEvent
from disks.selectors.audit import (
    EXPORT_COLUMNS,
    AuditFilters,
    AuditSummary,
    audit_event_chain_position,
    audit_event_export_rows,
    audit_event_get,
    audit_event_page,
    audit_summary,
)
from disks.services.audit_forwarding import audit_forwarding_status

LIST_TEMPLATE = "disks/audit/event_list.html"
CHART_WIDTH, CHART_HEIGHT = 720, 120
EXPORT_LINES_PER_CHUNK = 500
MAX_SEQUENCE = 2**63 - 1  # the database's bigint
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = frozenset("=+-@\t\r")


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False, label="From (UTC)", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To (UTC)", widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(
        required=False, max_length=150, label="Actor", help_text="A username or its beginning."
    )
    desktop = forms.CharField(
        required=False, max_length=64, label="Desktop", help_text="Its id or exact name."
    )
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    q = forms.CharField(required=False, max_length=100, label="Details contain")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> AuditFilters:
        """The valid part of the query; a field with an error filters nothing."""
        self.is_valid()
        return AuditFilters(
            **{name: value for name, value in self.cleaned_data.items() if value is not None}
        )


@require_GET
@audience_required(AUDITOR)
def event_list(request: HttpRequest) -> HttpResponse:
    """The history, newest first, filtered; htmx swaps the results or just the rows."""
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    context = {
        "form": form,
        "page": audit_event_page(
            filters=filters, before=_cursor(request, "before"), after=_cursor(request, "after")
        ),
    }
    partial = _partial(request)
    if partial != "event-rows":
        # Paging through the rows does not recount the summary: that is the heavier query.
        summary = audit_summary(filters=filters)
        context |= {"summary": summary, "chart": _chart(summary)}
    if partial is None:
        context["verdict"] = audit_chain_verdict_cached()
        context["forwarding"] = audit_forwarding_status()
    template = f"{LIST_TEMPLATE}#{partial}" if partial else LIST_TEMPLATE
    return render(request, template, context)


def _cursor(request: HttpRequest, name: str) -> int | None:
    """A sequence from the query string; anything else (or out of range) means none."""
    value = request.GET.get(name, "")
    if not value.isdecimal() or len(value) > len(str(MAX_SEQUENCE)):
        return None
    return int(value) if int(value) <= MAX_SEQUENCE else None


def _partial(request: HttpRequest) -> str | None:
    """The fragment an htmx request asks for: the rows (paging) or all results (filters)."""
    if not request.htmx or request.htmx.boosted:
        return None
    return "event-rows" if request.htmx.target == "event-rows" else "results"


def _chart(summary: AuditSummary) -> dict:
    """Bar geometry for the events-per-day SVG, in the viewBox's units."""
    peak = max((count for _, count in summary.per_day), default=0)
    slot = CHART_WIDTH / len(summary.per_day)
    bars = []
    for index, (day, count) in enumerate(summary.per_day):
        # A day with events stays visible however busy the busiest day was.
        height = max(CHART_HEIGHT * count / peak, 1.5) if count else 0
        bars.append(
            {
                "day": day,
                "count": count,
                "x": round(index * slot + slot * 0.1, 2),
                "y": round(CHART_HEIGHT - height, 2),
                "width": round(slot * 0.8, 2),
                "height": round(height, 2),
            }
        )
    return {"bars": bars, "peak": peak, "width": CHART_WIDTH, "height": CHART_HEIGHT}


@require_POST
@audience_required(AUDITOR)
def chain_verify(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain and cache the verdict ("Verify now"); a long chain goes to the worker.

    A heavier read, hence POST; it records no event and changes no audit row.
    """
    queued = audit_chain_verify_requested() is None
    if request.htmx:
        context = {"verdict": audit_chain_verdict_cached(), "verify_queued": queued}
        return render(request, f"{LIST_TEMPLATE}#chain-verdict", context)
    query = request.GET.urlencode()
    return redirect(reverse("disks:audit-event-list") + (f"?{query}" if query else ""))


@require_GET
@audience_required(AUDITOR)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = audit_event_get(pk=pk)
    details = json.dumps(
        event.details, indent=2, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder
    )
    context = {
        "event": event,
        "details": details,
        "chain": audit_event_chain_position(event=event),
    }
    return render(request, "disks/audit/event_detail.html", context)


@require_GET
@audience_required(AUDITOR)
def event_export_csv(request: HttpRequest) -> HttpResponse:
    """The matching events as CSV, oldest first, streamed: memory stays flat at any size.

    UTF-8 with a byte-order mark, so that Excel reads non-ASCII names correctly (other
    tools read it as `utf-8-sig`). A cell that a spreadsheet would run as a formula (it
    starts with = + - @, a tab or a carriage return) gets an apostrophe in front, which
    spreadsheets take as "this is text".
    """
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"Cannot export with these filters: {problems}")
    rows = audit_event_export_rows(filters=form.filters())
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = f"audit-events-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    """A file-like object whose write() hands back the line, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow(_csv_row(row)))
        # A few hundred lines per chunk: fewer, larger writes, still a small buffer.
        if len(lines) == EXPORT_LINES_PER_CHUNK:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


_TIME_COLUMN = EXPORT_COLUMNS.index("occurred_at")
_DETAILS_COLUMN = EXPORT_COLUMNS.index("details")


def _csv_row(row: tuple) -> list:
    """One event as CSV cells: text neutralised, time in ISO 8601 UTC, details as JSON.

    Written as one comprehension rather than a call per cell: it runs a million times.
    """
    cells = [
        ("'" + value if value[:1] in FORMULA_STARTS else value)
        if type(value) is str
        else ("" if value is None else value)
        for value in row
    ]
    cells[_TIME_COLUMN] = row[_TIME_COLUMN].astimezone(UTC).isoformat()
    cells[_DETAILS_COLUMN] = json.dumps(row[_DETAILS_COLUMN], sort_keys=True, ensure_ascii=False)
    return cells
