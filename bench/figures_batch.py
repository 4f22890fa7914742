"""Figure 9: a helpdesk batch of 1,000 desktops through the dashboard, sent and followed.

A simulator seeded with figure 8's idle desktops (the same seed file), a database synced
from it, gunicorn, and a helpdesk session. The batch goes through the pages as a person
sends it: the new-batch form with the computer names pasted, its preview, Submit; then the
worker sends the chunks and follows their jobs to the end. See docs/benchmarks.md.
"""

import json
import math
import re
import sys

from bench.common import (
    BATCH_CHUNK,
    BATCH_DESKTOPS,
    BATCH_PARALLEL,
    BATCH_WORKERS,
    FLIGHT_REQUESTS,
    LIVE_DB,
    POLL_SECONDS,
    SIM_SPEED,
    bound,
    median,
    requests_counter,
    session,
    write_fleet_seed,
)
from bench.harness import WORK, BenchError, server_ms

FRAGMENT_TARGET = 0.5  # figure 1's: a polled fragment against the minimal view


def figure_9(bench) -> None:
    from bench.figures_live import _paired_rates
    from bench.figures_scale import _clear_sim_log, _sim_log, _wait_workers_ready

    count = BATCH_DESKTOPS
    print(f"figure 9: a batch of {count:,} desktops through the dashboard ...", flush=True)
    # Figure 8's seed (idle desktops, cached in var/bench) when it is large enough.
    seed_count = max(FLIGHT_REQUESTS, count)
    seed = write_fleet_seed(
        WORK / f"seed-flight-{seed_count}.json", seed_count, "FLIGHT-PC", idle=True
    )
    sim_process, sim = bench.start_simulator(
        "simulator-batch",
        seed,
        process=True,
        speed=SIM_SPEED,
        extra=["--quota-volumes", "-1", "--quota-gigabytes", "-1"],
    )
    database = f"{LIVE_DB}_batch"
    bench.create_database(database)
    env = {**bench.env(database, sim), "BATCH_PREVIEW_PARALLEL": str(BATCH_PARALLEL)}
    env["BATCH_CHUNK_SIZE"] = str(BATCH_CHUNK)
    bench.migrate(env)
    bench.manage(env, "sync_desktops")
    cookies = bench.djtool(env, "sessions")
    gunicorn, base = bench.start_gunicorn("gunicorn-batch", env)
    http = session(base, cookies, "helpdesk")
    names = [
        desktop["computer_name"] for desktop in json.loads(seed.read_text())["desktops"][:count]
    ]

    _clear_sim_log(sim)
    pk, preview = _preview(http, base, names)
    preview_calls = _sim_log(sim)
    page = http.get(f"{base}/batches/{pk}/", timeout=60)
    ready = re.search(r'id="preview-summary"><strong>(\d+)', page.text)
    if page.status_code != 200 or not ready or int(ready.group(1)) != count:
        raise BenchError(
            f"the preview of batch #{pk} does not show {count} ready desktops; "
            f"see {base}/batches/{pk}/ ({ready.group(1) if ready else 'no count'})"
        )

    _clear_sim_log(sim)
    submit = _submit(http, base, pk, page.text)
    submit_calls = _sim_log(sim)

    workers = [
        bench.processes.start(
            f"worker-batch-{index}",
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
            env,
        )
        for index in range(BATCH_WORKERS)
    ]
    _wait_workers_ready(workers)
    state = bench.djtool(env, "wait-batch", str(pk), "--timeout", "900", timeout=1000)
    for worker in workers:
        if worker.popen.poll() is not None:
            raise BenchError(f"{worker.name} exited; see {worker.log}")
        bench.processes.stop(worker)
    if not state["finished"]:
        raise BenchError(f"batch #{pk} did not finish in 900 s: {state}")
    run_calls = _sim_log(sim)

    # Planner statistics as autovacuum leaves them within a minute of the batch's writes.
    # (Machines of this kind run PostgreSQL with autovacuum off.) Without them the planner
    # takes the batch's 1,000 items for 2 and joins them to their requests by 1,000 index
    # lookups (5.0 ms against 3.0 for the page's query, EXPLAIN ANALYZE).
    bench.analyze(database)
    fragment = _fragment_rates(bench, base, cookies, pk, _paired_rates)
    bench.processes.stop(gunicorn)
    bench.processes.stop(sim_process)
    _judge(bench, count, preview, preview_calls, submit, submit_calls, state, run_calls, fragment)


def _csrf(text: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    if not match:
        raise BenchError("a batch page came without its CSRF token")
    return match.group(1)


def _preview(http, base: str, names: list[str]):
    """The new-batch form with the names pasted, one disk; return (pk, the POST's response).

    Pasted, not ticked: the form carries ticked desktops as one hidden field each, and 1,000
    of them with the form's own fields pass Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000).
    """
    url = f"{base}/batches/new/"
    page = http.get(url, timeout=60)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    if page.status_code != 200 or not key:
        raise BenchError(f"the new-batch page answered {page.status_code} without its form")
    data = {
        "csrfmiddlewaretoken": _csrf(page.text),
        "idempotency_key": key.group(1),
        "action": "preview",
        "pasted": "\n".join(names),
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-MIN_NUM_FORMS": "1",
        "disks-MAX_NUM_FORMS": "10",
        "disks-0-type": "SSD",
        "disks-0-size": "100",
    }
    response = http.post(url, data=data, headers={"Referer": url}, allow_redirects=False)
    found = re.search(r"/batches/(\d+)/", response.headers.get("Location", ""))
    if response.status_code != 302 or not found:
        raise BenchError(f"the batch preview POST answered {response.status_code}")
    return int(found.group(1)), response


def _submit(http, base: str, pk: int, page: str):
    url = f"{base}/batches/{pk}/"
    data = {"csrfmiddlewaretoken": _csrf(page), "action": "submit"}
    response = http.post(url, data=data, headers={"Referer": url}, allow_redirects=False)
    if response.status_code != 302:
        raise BenchError(f"the batch submit POST answered {response.status_code}")
    return response


def _fragment_rates(bench, base: str, cookies: dict, pk: int, paired_rates) -> dict:
    """The batch page's progress fragment against the minimal view, figure 1's way."""
    name, value = cookies["cookie_name"], cookies["sessions"]["helpdesk"]
    headers = {"Cookie": f"{name}={value}", "HX-Request": "true"}
    urls = {"minimal": f"{base}/_bench/minimal/", "fragment": f"{base}/batches/{pk}/status/"}
    http = session(base, cookies, "helpdesk")
    answer = http.get(urls["fragment"], headers={"HX-Request": "true"}, timeout=60)
    if answer.status_code != 200 or b'id="batch-status"' not in answer.content:
        raise BenchError(f"{urls['fragment']} answered {answer.status_code} without the summary")
    rates, ratio = paired_rates(urls, headers, measured="fragment", ceiling="minimal")
    return {
        "rates": rates,
        "ratio": ratio,
        "bytes": len(answer.content),
        "server_ms": server_ms(answer),
    }


def _status_calls(chunks: list[dict], calls: list[dict]) -> list[dict]:
    """Per chunk: its ShowJob calls (and ListItaSubJobs naming its job) against the bound."""
    from bench.figures_scale import _log_epoch

    rows = []
    for chunk in chunks:
        job = chunk["job_id"]
        polls = [c for c in calls if c["operation"] == "ShowJob" and c["path"].endswith(job)]
        showjob = len(polls)
        first = min((_log_epoch(c["time"]) for c in polls), default=None)
        subjobs = sum(
            1 for c in calls if c["operation"] == "ListItaSubJobs" and job in (c["query"] or "")
        )
        duration = (chunk["ended_at"] or 0) - (chunk["sent_at"] or 0)
        period = chunk["period"] or POLL_SECONDS
        rows.append(
            {
                **chunk,
                "calls": showjob + subjobs,
                "showjob": showjob,
                "subjobs": subjobs,
                "duration": duration,
                "periods": math.ceil(duration / period),
                "bound": bound(duration, period),
                "first_poll": first - chunk["sent_at"] if first and chunk["sent_at"] else None,
            }
        )
    return rows


def _judge(bench, count, preview, preview_calls, submit, submit_calls, state, run_calls, fragment):
    reads = [c for c in preview_calls if c["operation"] == "ListDesktopsDetail"]
    reads_ms = sum(c["duration_ms"] for c in reads)
    floor_ms = reads_ms / BATCH_PARALLEL
    preview_ms = server_ms(preview)
    submit_ms = server_ms(submit)
    submit_sim_ms = sum(c["duration_ms"] for c in submit_calls)
    own_per_desktop = (submit_ms - submit_sim_ms) / count
    operations = requests_counter(run_calls)
    writes = operations.get("AddVolumes", 0) + operations.get("AddDesktopVolumes", 0)
    expected_writes = math.ceil(count / BATCH_CHUNK)
    chunks = _status_calls(state["chunks"], run_calls)
    over = [chunk for chunk in chunks if chunk["calls"] > chunk["bound"]]
    per_period = max((c["calls"] / max(c["periods"], 1) for c in chunks), default=0)
    rows = [
        {
            "what": f"batch preview of {count:,}: server time vs its ListDesktopsDetail reads "
            f"/ {BATCH_PARALLEL} in parallel",
            "measured": f"{preview_ms:.0f} vs {floor_ms:.1f} ms ({len(reads)} reads, "
            f"{reads_ms:.1f} ms summed)",
            "ratio": f"{preview_ms / floor_ms:.1f}x" if floor_ms else "n/a",
            "target": "(reported)",
            "ok": None,
        },
        {
            "what": f"cloud write calls for {count:,} desktops",
            "measured": _calls_text(operations, ("AddVolumes", "AddDesktopVolumes")),
            "ratio": str(writes),
            "target": f"exactly ceil({count}/{BATCH_CHUNK}) = {expected_writes} AddVolumes",
            "ok": operations.get("AddVolumes", 0) == expected_writes and writes == expected_writes,
        },
        {
            "what": "status calls per chunk job (ShowJob + ListItaSubJobs)",
            "measured": f"max {max((c['calls'] for c in chunks), default=0)} "
            f"(bound {min((c['bound'] for c in chunks), default=0)}); "
            f"max {per_period:.2f} per period",
            "ratio": f"{len(over)} of {len(chunks)} over the bound",
            "target": "every chunk <= ceil(duration/period) + 2",
            "ok": not over and len(chunks) == expected_writes,
        },
        {
            "what": f"submit POST: dashboard's own time per desktop ({count:,})",
            "measured": f"{submit_ms:.0f} ms less {submit_sim_ms:.1f} ms simulator",
            "ratio": f"{own_per_desktop:.3f} ms",
            "target": "(reported)",
            "ok": None,
        },
        {
            "what": f"batch progress fragment ({count:,} desktops) req/s vs minimal view",
            "measured": f"{median(fragment['rates']['fragment']):.0f} vs "
            f"{median(fragment['rates']['minimal']):.0f} req/s (medians)",
            "ratio": f"{fragment['ratio']:.2f}",
            "target": f">= {FRAGMENT_TARGET}",
            "ok": fragment["ratio"] >= FRAGMENT_TARGET,
        },
    ]
    bench.figures["9"] = {
        "title": f"A batch of {count:,} desktops",
        "rows": rows,
        "details": _details(
            count, preview_calls, submit_calls, operations, state, chunks, fragment
        ),
    }
    if not rows[-1]["ok"]:
        env = bench.env(f"{LIVE_DB}_batch")
        spec = [{"path": f"/batches/{state['pk']}/status/", "htmx": True}]
        bench.figures["9"]["profiles"] = [
            bench.profile("figure-9-batch-status", env, "helpdesk", spec, 10)
        ]


def _calls_text(calls, names=None) -> str:
    shown = {name: n for name, n in calls.items() if names is None or name in names}
    return " + ".join(f"{n} {name}" for name, n in sorted(shown.items())) or "none"


def _details(count, preview_calls, submit_calls, operations, state, chunks, fragment):
    preview_ops = requests_counter(preview_calls)
    lines = [
        f"- Preview: `POST /batches/new/` with {count:,} computer names pasted (one field; the "
        "ticked-desktops path sends one hidden field per desktop, and 1,000 of them plus the "
        "form's own pass Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS` of 1,000). Its cloud calls: "
        + _calls_text(preview_ops)
        + f"; the simulator's time {sum(c['duration_ms'] for c in preview_calls):.1f} ms in all.",
        "- Submit: `POST /batches/<pk>/` (`action=submit`); its cloud calls: "
        + _calls_text(requests_counter(submit_calls))
        + ". The worker sends the chunks after it.",
        f"- Sending and following ({BATCH_WORKERS} worker, `run_worker --interval 0.2`; jobs "
        f"of about {10 / SIM_SPEED:.0f} s, poll period {POLL_SECONDS} s): "
        + _calls_text(operations)
        + f". Outcome: batch {state['status']}, requests "
        + ", ".join(f"{name} {n}" for name, n in sorted(state["requests"].items()))
        + ".",
        "",
        "| chunk | desktops | job life seen by the dashboard | first ShowJob after the send | ShowJob | ListItaSubJobs | periods | bound |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for chunk in chunks:
        lines.append(
            f"| {chunk['number']} | {chunk['desktops']} | {chunk['duration']:.1f} s "
            f"| {_seconds(chunk['first_poll'])} | {chunk['showjob']} | {chunk['subjobs']} | {chunk['periods']} | {chunk['bound']} |"
        )
    lines += [
        "",
        "A chunk's first status call waits for its period, and for a free worker: one worker "
        "sends every chunk of a batch in one task before it polls any of them.",
        "",
        f"- Progress fragment: `/batches/<pk>/status/` of the finished batch ({fragment['bytes']:,} "
        f"bytes, {fragment['server_ms']:.1f} ms for one), in figure 1's alternating wrk rounds. "
        "Per round (req/s): "
        + "; ".join(
            f"minimal {m:.0f} / fragment {f:.0f}"
            for m, f in zip(
                fragment["rates"]["minimal"], fragment["rates"]["fragment"], strict=True
            )
        ),
    ]
    return lines


def _seconds(value) -> str:
    return "-" if value is None else f"{value:.1f} s"
