"""The operations page for helpdesk leads: /insights/. Helpdesk staff and auditors; read-only.

Charts are server-rendered SVG (no script, no inline style: classes from
static/css/operations.css), each with its numbers in a table beside it.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from disks import rules
from disks.access import AUDITOR, HELPDESK, user_audiences
from disks.selectors.insights import (
    OUTCOMES,
    desktops_near_the_disk_limit,
    insights_period,
    job_duration_percentiles,
    refusal_codes,
    requests_per_day,
)

CHART_WIDTH, CHART_HEIGHT, BAR_HEIGHT = 600, 120, 18


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"})
    )


def _svg_number(value: float) -> str:
    """A coordinate for an SVG attribute: never localized (a decimal comma would break it)."""
    return f"{round(value, 2):g}"


def _stacked_bars(per_day) -> dict:
    """Geometry of the requests-per-day chart: one stacked bar per day, one rect per outcome.

    Coordinates and the day's label are written here, once per day, not by template filters
    once per rect: a month of bars is a few hundred of them (docs/benchmarks.md, figure 4b).
    """
    peak = max((day.total for day in per_day), default=0) or 1
    slot = CHART_WIDTH / max(len(per_day), 1)
    bars = []
    for index, day in enumerate(per_day):
        label = date_format(day.day, "SHORT_DATE_FORMAT")
        y = CHART_HEIGHT
        parts = []
        for name, outcome_label in OUTCOMES:
            height = CHART_HEIGHT * day.counts[name] / peak
            if day.counts[name]:
                y -= height
                parts.append(
                    {
                        "outcome": name,
                        "title": f"{label}: {outcome_label}",
                        "y": _svg_number(y),
                        "height": _svg_number(height),
                    }
                )
        bars.append(
            {
                "day": day,
                "label": label,
                "x": _svg_number(index * slot + slot * 0.1),
                "width": _svg_number(slot * 0.8),
                "parts": parts,
            }
        )
    return {"bars": bars, "peak": peak, "width": CHART_WIDTH, "height": CHART_HEIGHT}


def _horizontal_bars(rows, value) -> dict:
    """Geometry of a horizontal bar chart; the value is also printed at the bar's end."""
    peak = max((value(row) for row in rows), default=0) or 1
    bars = [
        {
            "row": row,
            "y": index * (BAR_HEIGHT + 6),
            "width": round(400 * value(row) / peak, 2),
            "value": value(row),
        }
        for index, row in enumerate(rows)
    ]
    return {"bars": bars, "height": max(len(rows), 1) * (BAR_HEIGHT + 6), "bar_height": BAR_HEIGHT}


@require_GET
def insights(request: HttpRequest) -> HttpResponse:
    """Requests per day by outcome, job durations, refusal codes, desktops near the limit."""
    if not user_audiences(request.user) & {HELPDESK, AUDITOR}:
        return render(request, "disks/forbidden.html", {"needed": HELPDESK}, status=403)
    form = PeriodForm(request.GET)
    dates = form.cleaned_data if form.is_valid() else {}
    period = insights_period(first_day=dates.get("date_from"), last_day=dates.get("date_to"))
    per_day = requests_per_day(period=period)
    durations = job_duration_percentiles(period=period)
    refusals = refusal_codes(period=period)
    desktops = desktops_near_the_disk_limit()
    context = {
        "form": form,
        "period": period,
        "outcomes": OUTCOMES,
        "per_day": _stacked_bars(per_day),
        "durations": durations,
        "durations_chart": _horizontal_bars(durations, lambda row: row.p90),
        "refusals": refusals,
        "refusals_chart": _horizontal_bars(refusals, lambda row: row.count),
        "desktops": desktops,
        "desktops_chart": _horizontal_bars(desktops, lambda row: row.data_volume_count),
        "max_disks": rules.MAX_DATA_DISKS_PER_DESKTOP,
    }
    return render(request, "disks/insights/insights.html", context)
