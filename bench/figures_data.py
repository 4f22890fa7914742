"""Figures 3 (inventory), 4 (audit) and 4b (insights): the same pages on a small and a
large database."""

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import (
    FILTERED_ACTOR,
    LIVE_DB,
    PAGE_REQUESTS,
    PG_SERVER,
    session,
)
from bench.harness import (
    BenchError,
    Timings,
    alternating_gets,
    children,
    peak_rss_kb,
    reset_peak_rss,
    rss_kb,
    timed_get,
)

RATIO_TARGET = 1.5
# Figure 4b: first loads (the insights' cached daily counts dropped before each) per page.
COLD_REQUESTS = 10
YEAR_REQUESTS = 10


def insights_pages() -> dict[str, str]:
    """The default period (the last 30 days) and the longest (366 days, to today)."""
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date()
    return {"month": "/insights/", "year": f"/insights/?date_from={year_ago:%Y-%m-%d}"}


# The deep page is the list's last page: keyset paging reads it backwards (`?last=1`, what
# the "Last" link asks for), where `?page=N` used OFFSET.
DESKTOP_PAGES = {"first": "/desktops/", "deep": "/desktops/?last=1"}


def desktop_pages(desktops: int) -> dict[str, str]:
    return DESKTOP_PAGES


def audit_pages(held: dict) -> dict[str, str]:
    """First page, one actor's events, and a page 90% of the way back in the history."""
    first, last = held["first_sequence"], held["last_sequence"]
    deep = first + (last - first) // 10
    return {
        "first": "/audit/",
        "filtered": f"/audit/?actor={FILTERED_ACTOR}",
        "deep": f"/audit/?before={deep}",
    }


def measure(bench, sides: dict[str, dict]) -> dict[str, dict]:
    """Figures 3, 4 and 4b on both datasets, their GETs alternating (small, large, small, ...).

    Side by side, as figure 1's rounds are: whatever else the machine does meanwhile (a
    checkpoint after the data was written, another process) falls on both sides alike, not
    on whichever dataset happened to be measured at that moment. Each side has its own
    gunicorn; `sides[name]` holds its env, gunicorn, base URL, cookies, held and sizes.
    """
    for name, side in sides.items():
        desktops, events = side["sizes"]
        print(f"figures 3 and 4 on {name}: {desktops:,} desktops / {events:,} events", flush=True)
        side["helpdesk"] = session(side["base"], side["cookies"], "helpdesk")
        side["auditor"] = session(side["base"], side["cookies"], "auditor")
    result: dict[str, dict] = {name: {"desktops": {}, "audit": {}, "queries": {}} for name in sides}
    kinds = []
    if bench.wants("3"):
        kinds.append(("desktops", "helpdesk", lambda side: DESKTOP_PAGES, b'id="results"'))
    if bench.wants("4"):
        kinds.append(
            ("audit", "auditor", lambda side: audit_pages(side["held"]), b'id="event-rows"')
        )
    for kind, role, pages_of, marker in kinds:
        for key in pages_of(next(iter(sides.values()))):
            targets = {
                name: (side[role], side["base"] + pages_of(side)[key])
                for name, side in sides.items()
            }
            timings = alternating_gets(targets, count=PAGE_REQUESTS, expect=marker)
            for name in sides:
                result[name][kind][key] = timings[name]
        for name, side in sides.items():
            specs = [{"path": path} for path in pages_of(side).values()]
            counts = bench.djtool(
                side["env"], "count-queries", "--role", role, "--requests", json.dumps(specs)
            )
            result[name]["queries"].update(counts)
    if bench.wants("4") or bench.wants("4b"):
        insights = measure_insights(bench, sides)
        for name in sides:
            result[name]["insights"] = insights[name]
    if bench.wants("4"):
        for name, side in sides.items():
            export = measure_export(side["gunicorn"], side["auditor"], side["base"])
            if export["rows"] != side["sizes"][1]:
                raise BenchError(f"the export gave {export['rows']} rows, not {side['sizes'][1]}")
            result[name]["export"] = export
    return result


def measure_insights(bench, sides: dict[str, dict]) -> dict[str, dict]:
    """/insights/ as an auditor, both datasets alternating: first loads (the cached daily
    counts dropped before each) and repeat loads."""
    marker = b'id="per-day-title"'
    pages = insights_pages()
    measured: dict[str, dict] = {name: {"first": {}, "repeat": {}} for name in sides}
    for key, path in pages.items():
        repeat = PAGE_REQUESTS if key == "month" else YEAR_REQUESTS
        cold = COLD_REQUESTS if key == "month" else max(3, YEAR_REQUESTS // 2)
        first = _first_loads(sides, path, cold, marker)
        targets = {name: (side["auditor"], side["base"] + path) for name, side in sides.items()}
        again = alternating_gets(targets, count=repeat, expect=marker)
        for name in sides:
            measured[name]["first"][key] = first[name]
            measured[name]["repeat"][key] = again[name]
    for name, side in sides.items():
        specs = [{"path": path} for path in pages.values()]
        counts = bench.djtool(
            side["env"], "count-queries", "--role", "auditor", "--requests", json.dumps(specs)
        )
        measured[name]["queries"] = {key: counts[path]["queries"] for key, path in pages.items()}
    return measured


def _first_loads(
    sides: dict[str, dict], path: str, count: int, marker: bytes
) -> dict[str, Timings]:
    """GET `path` on each side in turn, `count` rounds, each after dropping that side's
    cached per-day counts.

    What the first visitor of a day meets: the counts of the days that have ended are
    computed again (their cache keys carry the period, so a new day is a new key).
    """
    timings = {name: Timings([], []) for name in sides}
    connections = {}
    try:
        for name, side in sides.items():
            side["auditor"].get(side["base"] + path, timeout=300)  # warm the process
            database = side["env"]["DATABASE_URL"].rsplit("/", 1)[-1]
            connections[name] = psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True)
        for _ in range(count):
            for name, side in sides.items():
                connections[name].execute(
                    "DELETE FROM disks_cache WHERE cache_key LIKE %s", ["%insights:%"]
                )
                timings[name].add(*timed_get(side["auditor"], side["base"] + path, expect=marker))
    finally:
        for connection in connections.values():
            connection.close()
    return timings


def measure_export(gunicorn, auditor, base: str) -> dict:
    """Stream the whole CSV export; the serving worker's peak RSS and its growth."""
    workers = children(gunicorn.popen.pid)
    for worker in workers:
        reset_peak_rss(worker)
    before = {worker: rss_kb(worker) for worker in workers}
    started = time.perf_counter()
    response = auditor.get(f"{base}/audit/export.csv", stream=True, timeout=(5, 900))
    if response.status_code != 200:
        raise BenchError(f"the CSV export answered {response.status_code}")
    size = lines = 0
    first = b""
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
        first = first or chunk
    # The export opens with '# ...' rows (what it is, when, which filters) and a blank line
    # (after the byte-order mark), then the header: the rows are the lines after the header.
    head_lines = first.split(b"\n")
    header = next(
        number
        for number, line in enumerate(head_lines)
        if line.strip() and not line.lstrip(b'\xef\xbb\xbf"').startswith(b"#")
    )
    seconds = time.perf_counter() - started
    peaks = {worker: peak_rss_kb(worker) for worker in workers}
    served = max(workers, key=lambda worker: peaks[worker] - before[worker])
    return {
        "peak_kb": peaks[served],
        "growth_kb": peaks[served] - before[served],
        "before_kb": before[served],
        "seconds": seconds,
        "bytes": size,
        "rows": lines - header - 1,
    }


def judge(bench, measured: dict, held: dict) -> None:
    if bench.wants("3"):
        _judge_inventory(bench, measured, held)
    if bench.wants("4"):
        _judge_audit(bench, measured, held)
    if bench.wants("4") or bench.wants("4b"):
        _judge_insights(bench, measured, held)
    _profile_misses(bench, held)


def _judge_inventory(bench, measured: dict, held: dict) -> None:
    small, large = measured["small"], measured["large"]
    n_small, n_large = (f"{held[name]['desktops']:,}" for name in ("small", "large"))
    rows3 = [
        _ratio_row(f"desktop list, {key} page", small["desktops"][key], large["desktops"][key])
        for key in ("first", "deep")
    ]
    desktop_counts = {
        name: [
            measured[name]["queries"][path]["queries"] for path in desktop_pages(desktops).values()
        ]
        for name, desktops in (
            ("small", held["small"]["desktops"]),
            ("large", held["large"]["desktops"]),
        )
    }
    flat = desktop_counts["small"] + desktop_counts["large"]
    rows3.append(
        {
            "what": "SQL queries per page (first, deep; small then large)",
            "measured": " / ".join(str(count) for count in flat),
            "ratio": "same" if len(set(flat)) == 1 else "differ",
            "target": "the same count",
            "ok": len(set(flat)) == 1,
        }
    )
    bench.figures["3"] = {
        "title": f"Inventory ({n_small} vs {n_large} desktops)",
        "rows": rows3,
        "details": _page_details(measured, "desktops", held)
        + _query_details(measured, "small", desktop_pages(held["small"]["desktops"]))
        + _query_details(measured, "large", desktop_pages(held["large"]["desktops"])),
    }


def _judge_audit(bench, measured: dict, held: dict) -> None:
    small, large = measured["small"], measured["large"]
    e_small, e_large = (f"{held[name]['events']:,}" for name in ("small", "large"))
    rows4 = [
        _ratio_row(f"audit, {key} page", small["audit"][key], large["audit"][key])
        for key in ("first", "filtered", "deep")
    ]
    peak_ratio = large["export"]["peak_kb"] / small["export"]["peak_kb"]
    rows4.append(
        {
            "what": f"CSV export peak memory ({e_large} vs {e_small} events)",
            "measured": f"{large['export']['peak_kb'] / 1024:.0f} vs {small['export']['peak_kb'] / 1024:.0f} MiB",
            "ratio": f"{peak_ratio:.2f}",
            "target": f"<= {RATIO_TARGET}",
            "ok": peak_ratio <= RATIO_TARGET,
        }
    )
    bench.figures["4"] = {
        "title": f"Audit ({e_small} vs {e_large} events)",
        "rows": rows4,
        "details": _page_details(measured, "audit", held) + _export_details(measured),
    }


def _judge_insights(bench, measured: dict, held: dict) -> None:
    small, large = measured["small"]["insights"], measured["large"]["insights"]
    e_small, e_large = (f"{held[name]['events']:,}" for name in ("small", "large"))
    rows = []
    for kind, label in (("first", "first load (daily counts computed)"), ("repeat", "repeat load")):
        row = _ratio_row(
            f"insights, last 30 days, {label}", small[kind]["month"], large[kind]["month"]
        )
        rows.append({**row, "label": "4b"})
    counts = [small["queries"]["month"], large["queries"]["month"]]
    rows.append(
        {
            "label": "4b",
            "what": "insights: SQL queries per page (small, large; repeat load)",
            "measured": " / ".join(str(count) for count in counts),
            "ratio": "same" if len(set(counts)) == 1 else "differ",
            "target": "the same count",
            "ok": len(set(counts)) == 1,
        }
    )
    figure = bench.figures.setdefault(
        "4", {"title": f"Audit ({e_small} vs {e_large} events)", "rows": [], "details": []}
    )
    figure["rows"] += rows
    figure["details"] += _insights_details(measured, held)


def _insights_details(measured: dict, held: dict) -> list[str]:
    pages = insights_pages()
    lines = [
        "4b, the operations page `/insights/` (auditor), on the same two databases:",
        "",
        "| period | dataset | requests held | load | GETs | median server ms | median client ms | queries (repeat) |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for key in pages:
        for name in ("small", "large"):
            insights = measured[name]["insights"]
            for kind in ("first", "repeat"):
                timings = insights[kind][key]
                lines.append(
                    f"| `{pages[key]}` | {name} | {held[name].get('requests', 0):,} | {kind} "
                    f"| {len(timings.server_ms)} | {timings.median_server:.1f} "
                    f"| {timings.median_client:.1f} | {insights['queries'][key]} |"
                )
    lines += [
        "",
        "A first load is a GET after the cached per-day counts (requests by outcome, refusal "
        "codes) were deleted from the cache table: what the first visitor of a day meets. A "
        "repeat load finds the counts of the days that have ended cached and counts today "
        "live. The job durations (p50/p90/p99) are read afresh on every load.",
        "",
    ]
    return lines


def _ratio_row(what: str, small, large) -> dict:
    ratio = large.median_server / small.median_server
    return {
        "what": f"{what}: median server time",
        "measured": f"{large.median_server:.1f} vs {small.median_server:.1f} ms",
        "ratio": f"{ratio:.2f}",
        "target": f"<= {RATIO_TARGET}",
        "ok": ratio <= RATIO_TARGET,
    }


def _page_details(measured: dict, kind: str, held: dict) -> list[str]:
    pages = (
        {name: desktop_pages(held[name]["desktops"]) for name in held}
        if kind == "desktops"
        else {name: audit_pages(held[name]) for name in held}
    )
    lines = [
        "| page | dataset | path | median server ms | median client ms | queries |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for key in measured["small"][kind]:
        for name in ("small", "large"):
            timings = measured[name][kind][key]
            path = pages[name][key]
            queries = measured[name]["queries"][path]["queries"]
            lines.append(
                f"| {key} | {name} | `{path}` | {timings.median_server:.1f} "
                f"| {timings.median_client:.1f} | {queries} |"
            )
    lines.append("")
    return lines


def _query_details(measured: dict, name: str, pages: dict) -> list[str]:
    lines = [f"SQL of the {name} dataset's pages:", ""]
    for path in pages.values():
        lines.append(f"- `{path}`:")
        lines += [
            f"  - `{' '.join(sql.split())[:160]}`" for sql in measured[name]["queries"][path]["sql"]
        ]
    lines.append("")
    return lines


def _export_details(measured: dict) -> list[str]:
    lines = [
        "| export | rows | MiB sent | seconds | worker RSS before | peak RSS | growth |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("small", "large"):
        export = measured[name]["export"]
        lines.append(
            f"| {name} | {export['rows']:,} | {export['bytes'] / 1048576:.1f} "
            f"| {export['seconds']:.1f} | {export['before_kb'] / 1024:.0f} MiB "
            f"| {export['peak_kb'] / 1024:.0f} MiB | {export['growth_kb'] / 1024:.1f} MiB |"
        )
    lines.append("")
    lines.append(
        "Peak RSS is the serving gunicorn worker's VmHWM, reset just before the request; "
        "growth is that peak minus the worker's RSS before it."
    )
    return lines


def _profile_misses(bench, held: dict) -> None:
    """Profile, on the large dataset, every page whose target was missed."""
    env = bench.env(f"{LIVE_DB}_large")
    pages = {
        "3": ("helpdesk", desktop_pages(held["large"]["desktops"]), ("first", "deep")),
        "4": ("auditor", audit_pages(held["large"]), ("first", "filtered", "deep")),
    }
    for figure, (role, paths, keys) in pages.items():
        if figure not in bench.figures:
            continue
        profiles = []
        own_rows = [row for row in bench.figures[figure]["rows"] if "label" not in row]
        for key, row in zip(keys, own_rows, strict=False):
            if not row["ok"]:
                spec = [{"path": paths[key]}]
                profiles.append(bench.profile(f"figure-{figure}-{key}", env, role, spec, 20))
        insights_missed = any(
            row.get("label") == "4b" and not row["ok"] for row in bench.figures[figure]["rows"]
        )
        if insights_missed:
            spec = [{"path": insights_pages()["month"]}]
            profiles.append(bench.profile("figure-4b-insights", env, "auditor", spec, 20))
        if profiles:
            bench.figures[figure]["profiles"] = [p for p in profiles if p]
