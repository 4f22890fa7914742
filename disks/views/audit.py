"""Auditors (group `auditor`): the audit history, to review, export and verify; read-only.

Every view requires the auditor audience (superusers count as auditors). Nothing here
changes the database: "Verify now" only walks the chain and caches the verdict.
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, cast

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from disks.access import AUDITOR, audience_required
from disks.audit_chain import audit_chain_verdict_cached, audit_chain_verify_requested
from disks.http import HtmxHttpRequest
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


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


class DayInput(forms.DateInput):
    """A date picker that keeps what was typed when it is not a date.

    A browser empties an `<input type="date">` whose value is not a valid date, so a bad
    date from the address bar would vanish while its error is shown: such a value is
    rendered in a plain text box instead, where it can be read and corrected.
    """

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if widget["value"] and not _is_iso_date(str(widget["value"])):
            widget["type"] = "text"
            widget["attrs"]["placeholder"] = "YYYY-MM-DD"
        return context


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False,
        label=gettext_lazy("From (UTC)"),
        widget=DayInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
    )
    date_to = forms.DateField(
        required=False,
        label=gettext_lazy("To (UTC)"),
        widget=DayInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
    )
    actor = forms.CharField(
        required=False,
        max_length=150,
        label=gettext_lazy("Actor"),
        help_text=gettext_lazy("A username or its beginning."),
    )
    desktop = forms.CharField(
        required=False,
        max_length=64,
        label=gettext_lazy("Desktop"),
        help_text=gettext_lazy("Its id or exact name."),
    )
    action = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Action"),
        choices=[("", gettext_lazy("Any action")), *AuditEvent.Action.choices],
    )
    outcome = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Outcome"),
        choices=[("", gettext_lazy("Any outcome")), *AuditEvent.Outcome.choices],
    )
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Details contain"))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def active_filters(self) -> list[tuple[str, str]]:
        """The filters in force, as (label, value shown to people); invalid ones are left out."""
        self.is_valid()
        active = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if isinstance(field, forms.ChoiceField):
                value = dict(cast(list[tuple[Any, Any]], field.choices)).get(value, value)
            active.append((str(field.label), str(value)))
        return active

    def filters(self) -> AuditFilters:
        """The valid part of the query; a field with an error filters nothing."""
        self.is_valid()
        return AuditFilters(
            **{name: value for name, value in self.cleaned_data.items() if value is not None}
        )


@require_GET
@audience_required(AUDITOR)
def event_list(request: HtmxHttpRequest) -> HttpResponse:
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


def _partial(request: HtmxHttpRequest) -> str | None:
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
def chain_verify(request: HtmxHttpRequest) -> HttpResponse:
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
def event_export_csv(request: HttpRequest) -> HttpResponseBase:
    """The matching events as CSV, oldest first, streamed: memory stays flat at any size.

    The first rows say when it was made and which filters produced it (each a single cell
    starting with "#"), then a blank row, then the header and the events.

    UTF-8 with a byte-order mark, so that Excel reads non-ASCII names correctly (other
    tools read it as `utf-8-sig`). A cell that a spreadsheet would run as a formula (it
    starts with = + - @, a tab or a carriage return) gets an apostrophe in front, which
    spreadsheets take as "this is text".
    """
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
        )
        return HttpResponseBadRequest(
            _("Cannot export with these filters: %(problems)s") % {"problems": problems}
        )
    rows = audit_event_export_rows(filters=form.filters())
    now = datetime.now(UTC)
    preamble = _export_preamble(form, now)
    response = StreamingHttpResponse(
        _csv_lines(rows, preamble), content_type="text/csv; charset=utf-8"
    )
    filename = f"audit-events-{now:%Y%m%dT%H%M%SZ}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    """A file-like object whose write() hands back the line, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _export_preamble(form: AuditFilterForm, now: datetime) -> list[str]:
    """The export's first rows: what it is, when it was made, and the filters that made it."""
    active = form.active_filters()
    described = "; ".join(f"{label} = {value}" for label, value in active)
    return [
        _("# Workspace Disk Admin audit history exported %(when)s")
        % {"when": now.isoformat(timespec="seconds")},
        _("# Filters: %(filters)s") % {"filters": described}
        if active
        else _("# Filters: none (every event)"),
    ]


# The header row in the reader's language. The msgid is the column's field name, so an
# English file keeps the names scripts read; the values below it stay as stored.
COLUMN_HEADERS = {
    "sequence": pgettext_lazy("CSV column", "sequence"),
    "occurred_at": pgettext_lazy("CSV column", "occurred_at"),
    "actor_username": pgettext_lazy("CSV column", "actor_username"),
    "source_ip": pgettext_lazy("CSV column", "source_ip"),
    "user_agent": pgettext_lazy("CSV column", "user_agent"),
    "audience": pgettext_lazy("CSV column", "audience"),
    "channel": pgettext_lazy("CSV column", "channel"),
    "action": pgettext_lazy("CSV column", "action"),
    "outcome": pgettext_lazy("CSV column", "outcome"),
    "desktop_id": pgettext_lazy("CSV column", "desktop_id"),
    "desktop_name": pgettext_lazy("CSV column", "desktop_name"),
    "disk_request_id": pgettext_lazy("CSV column", "disk_request_id"),
    "error_code": pgettext_lazy("CSV column", "error_code"),
    "api_request_id": pgettext_lazy("CSV column", "api_request_id"),
    "details": pgettext_lazy("CSV column", "details"),
    "previous_hash": pgettext_lazy("CSV column", "previous_hash"),
    "hash": pgettext_lazy("CSV column", "hash"),
}


def _csv_lines(rows: Iterable[tuple], preamble: Iterable[str] = ()) -> Iterator[str]:
    writer = csv.writer(_Echo())
    head = "".join(writer.writerow([line]) for line in preamble)
    headers = [str(COLUMN_HEADERS.get(name, name)) for name in EXPORT_COLUMNS]
    yield "\ufeff" + head + ("\r\n" if head else "") + writer.writerow(headers)
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
