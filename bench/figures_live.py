"""Figures 1, 2, 5 (the dashboard against the simulator, live) and 6 (the simulator itself)."""

import re
import sys
import time
import uuid

import requests

from bench.common import (
    JOB_SECONDS,
    MEMORY_CLIENTS,
    MEMORY_REQUESTS,
    SUBMITS,
    WATCHERS,
    WRK_CONNECTIONS,
    WRK_ROUNDS,
    WRK_SECONDS,
    bound,
    median,
    requests_counter,
    sequence_from,
    session,
    write_seed,
)
from bench.harness import (
    WORK,
    BenchError,
    children,
    free_port,
    peak_rss_kb,
    server_ms,
    wait_http,
    wrk,
)


def add_disk_form(desktop: dict) -> dict[str, str]:
    """The add-disk form as a browser posts it: one 100 GB SSD, a fresh idempotency key."""
    return {
        "action": "submit",
        "idempotency_key": str(uuid.uuid4()),
        "enterprise_project_id": desktop.get("enterprise_project_id") or "0",
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-MIN_NUM_FORMS": "1",
        "disks-MAX_NUM_FORMS": "10",
        "disks-0-type": "SSD",
        "disks-0-size": "100",
    }


class Live:
    """The live database synced from the simulator, under gunicorn; helpdesk logged in."""

    def __init__(self, bench, env, sim: str, base: str, cookies: dict, idle: list[dict]) -> None:
        self.bench = bench
        self.env = env
        self.sim = sim
        self.base = base
        self.cookies = cookies
        self.idle = iter(idle)

    def next_desktop(self) -> dict:
        desktop = next(self.idle, None)
        if desktop is None:
            raise BenchError("ran out of idle desktops in the bench seed (BENCH_DESKTOPS)")
        return desktop

    def sim_log(self, operation: str = "") -> list[dict]:
        params = {"operation": operation} if operation else {}
        response = requests.get(f"{self.sim}/_sim/requests", params=params, timeout=10)
        return response.json()["requests"]

    def fragment_headers(self) -> dict[str, str]:
        name, value = self.cookies["cookie_name"], self.cookies["sessions"]["helpdesk"]
        return {"Cookie": f"{name}={value}", "HX-Request": "true"}

    def csrf(self, http: requests.Session, desktop_id: str) -> str:
        """Open the add-disk page once: the CSRF cookie and the form's token."""
        page = http.get(f"{self.base}/desktops/{desktop_id}/disks/add/", timeout=30)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or not match:
            raise BenchError(f"the add-disk page answered {page.status_code} without a form")
        return match.group(1)

    def submit(self, http: requests.Session, desktop: dict, csrf: str):
        """POST the add-disk form (one 100 GB SSD) as a browser does; return (pk, response)."""
        url = f"{self.base}/desktops/{desktop['desktop_id']}/disks/add/"
        data = {"csrfmiddlewaretoken": csrf, **add_disk_form(desktop)}
        response = http.post(url, data=data, headers={"Referer": url}, allow_redirects=False)
        if response.status_code != 302:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)
            raise BenchError(
                f"the add-disk POST answered {response.status_code}: {errors[:2] or response.text[:300]}"
            )
        return sequence_from(response.headers["Location"]), response

    # Figure 2 --------------------------------------------------------------------------

    def figure_2(self) -> None:
        print(
            "figure 2: ShowJob calls per job while 1, 20 and 100 clients watch it ...", flush=True
        )
        worker = self.bench.processes.start(
            "worker", [sys.executable, "manage.py", "run_worker", "--interval", "0.2"], self.env
        )
        time.sleep(3)
        if worker.popen.poll() is not None:
            raise BenchError(f"the worker exited; see {worker.log}")
        http = session(self.base, self.cookies, "helpdesk")
        runs = []
        for watchers in WATCHERS:
            desktop = self.next_desktop()
            csrf = self.csrf(http, desktop["desktop_id"])
            pk, _ = self.submit(http, desktop, csrf)
            load = wrk(
                f"{self.base}/requests/{pk}/status/",
                connections=watchers,
                seconds=int(JOB_SECONDS) + 5,
                headers=self.fragment_headers(),
                threads=1,
            ).check()
            state = self.bench.djtool(self.env, "wait-request", str(pk), "--timeout", "60")
            if not state["terminal"] or not state["finished_at"]:
                raise BenchError(f"request #{pk} did not finish: {state}")
            calls = [e for e in self.sim_log("ShowJob") if e["path"].endswith(state["job_id"])]
            duration = state["finished_at"] - state["submitted_at"]
            period = state["poll_interval_seconds"]
            runs.append(
                {
                    "watchers": watchers,
                    "calls": len(calls),
                    "duration": duration,
                    "period": period,
                    "bound": bound(duration, period),
                    "status": state["status"],
                    "fragments": load.requests,
                    "fragment_rps": load.rps,
                }
            )
            print(
                f"  {watchers:>3} watchers: {len(calls)} ShowJob calls in {duration:.1f} s "
                f"({load.requests} fragment requests)",
                flush=True,
            )
        self.bench.processes.stop(worker)
        counts = [run["calls"] for run in runs]
        worst_bound = min(run["bound"] for run in runs)
        ok = max(counts) <= worst_bound and max(counts) - min(counts) <= 1
        self.bench.figures["2"] = {
            "title": "Cloud calls per job",
            "rows": [
                {
                    "what": "ShowJob calls for one job, 1 / 20 / 100 clients polling",
                    "measured": " / ".join(str(count) for count in counts),
                    "ratio": f"max {max(counts)} vs bound {worst_bound}",
                    "target": "same for all, <= ceil(duration/period) + 2",
                    "ok": ok,
                }
            ],
            "details": _figure_2_details(runs),
        }

    # Figure 5 --------------------------------------------------------------------------

    def submit_floor(self, http: requests.Session, desktop: dict, csrf: str) -> float:
        """POST the same form to figure 10's floor view; return its server time."""
        url = f"{self.base}/_bench/submit-floor/"
        data = {"csrfmiddlewaretoken": csrf, **add_disk_form(desktop)}
        response = http.post(url, data=data, headers={"Referer": url}, allow_redirects=False)
        if response.status_code != 302:
            raise BenchError(
                f"the floor POST answered {response.status_code}: {response.text[:300]}"
            )
        return server_ms(response)

    def figure_5(self) -> None:
        """Figure 5 and figure 10: each add-disk POST right after a POST to the floor view."""
        print(
            f"figures 5 and 10: {SUBMITS} add-disk POSTs, each after a floor POST ...", flush=True
        )
        self.bench.djtool(self.env, "floor-table")
        http = session(self.base, self.cookies, "helpdesk")
        desktops = [self.next_desktop() for _ in range(SUBMITS)]
        csrf = self.csrf(http, desktops[0]["desktop_id"])
        for _ in range(3):  # warm-up of the floor view (the add-disk form is warm from csrf())
            self.submit_floor(http, desktops[0], csrf)
        samples = []
        upstream = 0
        for desktop in desktops:
            floor = self.submit_floor(http, desktop, csrf)
            before = max((entry["seq"] for entry in self.sim_log()), default=0)
            _, response = self.submit(http, desktop, csrf)
            calls = [entry for entry in self.sim_log() if entry["seq"] > before]
            upstream += len(calls)
            total = server_ms(response)
            sim_ms = sum(entry["duration_ms"] for entry in calls)
            add_ms = sum(e["duration_ms"] for e in calls if e["operation"] == "AddDesktopVolumes")
            samples.append(
                {
                    "total": total,
                    "sim": sim_ms,
                    "add": add_ms,
                    "own": total - sim_ms,
                    "floor": floor,
                    "calls": requests_counter(calls),
                }
            )
        # Calls per second of POST time: the rate back-to-back submissions ask of the cloud.
        self.bench.upstream_rate = upstream / (sum(s["total"] for s in samples) / 1000)
        own, add = median(s["own"] for s in samples), median(s["add"] for s in samples)
        operations = sum((s["calls"] for s in samples), start=requests_counter([]))
        if self.bench.wants("10"):
            _figure_10(self.bench, samples)
            if not self.bench.figures["10"]["rows"][0]["ok"]:
                self.bench.figures["10"]["profiles"] = [self._profile_submit()]
        if not self.bench.wants("5"):
            return
        # Issue 22 replaced this comparison with figure 10's (no POST that commits can beat
        # a 1 ms in-memory AddDesktopVolumes) and kept its numbers for continuity: reported,
        # not judged.
        self.bench.figures["5"] = {
            "title": "Submit",
            "rows": [
                {
                    "what": "add-disk POST: dashboard's own time vs simulator's AddDesktopVolumes",
                    "measured": f"own {own:.1f} ms vs {add:.2f} ms (total {median(s['total'] for s in samples):.1f} ms)",
                    "ratio": f"{own / add:.1f}x" if add else "n/a",
                    "target": "(reported; figure 10 judges the submit)",
                    "ok": None,
                }
            ],
            "details": _figure_5_details(samples, operations),
            "samples": samples,
        }

    def _profile_submit(self):
        specs = []
        for _ in range(20):
            desktop = self.next_desktop()
            specs.append(
                {
                    "method": "POST",
                    "warmup": False,
                    "path": f"/desktops/{desktop['desktop_id']}/disks/add/",
                    "data": add_disk_form(desktop),
                }
            )
        return self.bench.profile("figure-10-submit", self.env, "helpdesk", specs, repeat=1)

    # Figure 1 --------------------------------------------------------------------------

    def figure_1(self) -> None:
        """Figure 1 and, in the same rounds, 1b: the API's request status with a bearer token."""
        print("figure 1: status fragment and API status vs minimal view under gunicorn ...")
        pk = self.bench.djtool(self.env, "running-request")["pk"]
        token = self.bench.djtool(self.env, "api-token")["token"]
        headers = self.fragment_headers()
        urls = {
            "minimal": f"{self.base}/_bench/minimal/",
            "status": f"{self.base}/requests/{pk}/status/",
            "api": f"{self.base}/api/v1/disk-requests/{pk}",
        }
        # The API call carries its token and no session: a script's call, not a browser's.
        api_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        per_url = {"minimal": headers, "status": headers, "api": api_headers}
        markers = {"minimal": b"ok ", "status": b'id="request-status"', "api": b'"running"'}
        for name, marker in markers.items():
            response = requests.get(
                urls[name], headers=per_url[name], timeout=10, allow_redirects=False
            )
            if response.status_code != 200 or marker not in response.content:
                raise BenchError(f"{urls[name]} answered {response.status_code} without {marker!r}")
        rates, ratios = _alternating_rates(urls, per_url, ceiling="minimal")
        status, minimal, api = (median(rates[name]) for name in ("status", "minimal", "api"))
        ok, api_ok = ratios["status"] >= 0.5, ratios["api"] >= API_TARGET
        self.bench.figures["1"] = {
            "title": "Status fragment (1b: the API's request status)",
            "rows": [
                {
                    "what": "status fragment req/s vs minimal view (same middleware, session, user)",
                    "measured": f"{status:.0f} vs {minimal:.0f} req/s (medians)",
                    "ratio": f"{ratios['status']:.2f}",
                    "target": ">= 0.5",
                    "ok": ok,
                },
                {
                    "label": "1b",
                    "what": "API `GET /api/v1/disk-requests/{id}` (bearer token) req/s vs minimal view",
                    "measured": f"{api:.0f} vs {minimal:.0f} req/s (medians)",
                    "ratio": f"{ratios['api']:.2f}",
                    "target": f">= {API_TARGET}",
                    "ok": api_ok,
                },
            ],
            "details": [
                f"- Request #{pk}: running, 2 disks, next poll a day away (the fragment only reads).",
                "- 1b: the same request through the API with a helpdesk bearer token (scope "
                "`helpdesk`, made by `api_token_create`), no session cookie; "
                "`API_RATE_LIMIT_PER_MINUTE` set far above the load so the per-token count (one "
                "upsert into `ApiRateWindow`) still runs on every call but never refuses.",
                "- Per round (req/s): "
                + "; ".join(
                    f"minimal {m:.0f} / status {s:.0f} / API {a:.0f}"
                    for m, s, a in zip(rates["minimal"], rates["status"], rates["api"], strict=True)
                ),
            ],
        }
        profiles = []
        if not ok:
            specs_status = [{"path": f"/requests/{pk}/status/", "htmx": True}]
            profiles.append(
                self.bench.profile("figure-1-status", self.env, "helpdesk", specs_status, 500)
            )
        if not api_ok:
            specs_api = [{"path": f"/api/v1/disk-requests/{pk}", "bearer": token}]
            profiles.append(
                self.bench.profile("figure-1b-api", self.env, "helpdesk", specs_api, 500)
            )
        if profiles:
            specs_minimal = [{"path": "/_bench/minimal/"}]
            profiles.append(
                self.bench.profile("figure-1-minimal", self.env, "helpdesk", specs_minimal, 500)
            )
            self.bench.figures["1"]["profiles"] = profiles

    # Figure 11, the web half ------------------------------------------------------------

    def figure_11_web(self) -> None:
        """A fresh gunicorn's workers' peak RSS after 100 and after 10,000 mixed requests."""
        small, large = MEMORY_REQUESTS
        print(f"figure 11: gunicorn workers' memory after {small:,} and {large:,} requests ...")
        pk = self.bench.djtool(self.env, "running-request")["pk"]
        desktop = self.next_desktop()["desktop_id"]
        paths = [
            "/desktops/",
            "/desktops/?last=1",
            f"/desktops/{desktop}/",
            f"/desktops/{desktop}/disks/add/",
            f"/requests/{pk}/",
            f"/requests/{pk}/status/",
            "/requests/",
            "/approvals/",
            "/_bench/minimal/",
        ]
        gunicorn, base = self.bench.start_gunicorn("gunicorn-memory", self.env)
        workers = children(gunicorn.popen.pid)
        started = time.perf_counter()
        sent = _mixed_requests(base, self.cookies, paths, 0, small)
        after_small = {worker: peak_rss_kb(worker) for worker in workers}
        sent += _mixed_requests(base, self.cookies, paths, small, large - small)
        after_large = {worker: peak_rss_kb(worker) for worker in workers}
        seconds = time.perf_counter() - started
        if children(gunicorn.popen.pid) != workers:
            raise BenchError("a gunicorn worker was replaced during figure 11; see its log")
        self.bench.processes.stop(gunicorn)
        self.bench.memory_web = {
            "paths": paths,
            "requests": sent,
            "seconds": seconds,
            "small": max(after_small.values()),
            "large": max(after_large.values()),
            "per_worker": [(after_small[w], after_large[w]) for w in workers],
        }


def _mixed_requests(base: str, cookies: dict, paths: list[str], offset: int, count: int) -> int:
    """`count` GETs cycling through `paths` from MEMORY_CLIENTS threads; all must answer 200."""
    from concurrent.futures import ThreadPoolExecutor

    def client(index: int) -> int:
        http = session(base, cookies, "helpdesk")
        done = 0
        for number in range(offset + index, offset + count, MEMORY_CLIENTS):
            path = paths[number % len(paths)]
            headers = {"HX-Request": "true"} if path.endswith("/status/") else {}
            response = http.get(base + path, headers=headers, timeout=60, allow_redirects=False)
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code}")
            done += 1
        return done

    with ThreadPoolExecutor(MEMORY_CLIENTS) as pool:
        return sum(pool.map(client, range(MEMORY_CLIENTS)))


FLOOR_TARGET = 2.0
API_TARGET = 0.6


def _figure_10(bench, samples: list[dict]) -> None:
    own, floor = median(s["own"] for s in samples), median(s["floor"] for s in samples)
    pairs = [s["own"] / s["floor"] for s in samples]
    ratio = median(pairs)
    bench.figures["10"] = {
        "title": "Submit against a fair floor",
        "rows": [
            {
                "what": "add-disk POST's own time vs the floor (CSRF, session, user, 2 commits)",
                "measured": f"own {own:.1f} ms vs floor {floor:.1f} ms (medians)",
                "ratio": f"{ratio:.2f}x",
                "target": f"<= {FLOOR_TARGET:g}x",
                "ok": ratio <= FLOOR_TARGET,
            }
        ],
        "details": [
            f"- {len(samples)} pairs: a POST of the same form to `/_bench/submit-floor/` "
            "(bench/urls.py: CSRF checked, session and user loaded, two transactions "
            "committing one row each, a redirect), then the add-disk POST, each pair seconds "
            "apart; ratio = median of the pairs' ratios.",
            "- The add-disk POST's own time is figure 5's: `Server-Timing` minus the simulator's "
            "logged time for the POST's upstream calls.",
            "- Per pair (own / floor, ms): "
            + "; ".join(f"{s['own']:.1f} / {s['floor']:.1f}" for s in samples[:10])
            + (" ..." if len(samples) > 10 else ""),
        ],
    }


def figure_11(bench) -> None:
    """Judge figure 11 from what the live figures and figure 8 measured."""
    rows, details = [], []
    web = getattr(bench, "memory_web", None)
    if web:
        small, large = MEMORY_REQUESTS
        ratio = web["large"] / web["small"]
        rows.append(
            {
                "what": f"gunicorn worker peak RSS after {large:,} vs {small:,} mixed requests",
                "measured": f"{web['large'] / 1024:.0f} vs {web['small'] / 1024:.0f} MiB",
                "ratio": f"{ratio:.2f}",
                "target": f"<= {MEMORY_TARGET}",
                "ok": ratio <= MEMORY_TARGET,
            }
        )
        details += [
            f"- Web: a fresh gunicorn (the same 2 sync workers), {MEMORY_CLIENTS} clients "
            f"cycling through {len(web['paths'])} pages ("
            + ", ".join(f"`{p}`" for p in web["paths"])
            + f"); {web['requests']:,} requests in {web['seconds']:.0f} s. Peak RSS (VmHWM) of "
            "each worker after the first "
            f"{small:,} and after all: "
            + "; ".join(f"{a / 1024:.0f} -> {b / 1024:.0f} MiB" for a, b in web["per_worker"])
            + "; the row compares the larger of each.",
        ]
    runs = getattr(bench, "flight_runs", None)
    if runs:
        one = [run for run in runs if run["workers"] == 1]
        baseline = min(one, key=lambda run: run["count"])
        busiest = max(one, key=lambda run: run["count"])
        ratio = busiest["peak_kb"] / baseline["peak_kb"]
        rows.append(
            {
                "what": f"worker peak RSS after tracking {busiest['count']:,} vs {baseline['count']:,} jobs",
                "measured": f"{busiest['peak_kb'] / 1024:.0f} vs {baseline['peak_kb'] / 1024:.0f} MiB",
                "ratio": f"{ratio:.2f}",
                "target": f"<= {MEMORY_TARGET}",
                "ok": ratio <= MEMORY_TARGET,
            }
        )
        details.append(
            "- Worker: one `run_worker` process per run of figure 8's kind, its VmHWM read "
            "when every request it tracked had finished, just before it was stopped. The "
            f"baseline's {baseline['count']:,} jobs ran on a simulator of their own whose jobs "
            "live 30 s instead of 120 s (fewer polls each: a lower baseline, a harder ratio)."
        )
    if rows:
        bench.figures["11"] = {"title": "Memory", "rows": rows, "details": details}


MEMORY_TARGET = 1.2


def _figure_2_details(runs: list[dict]) -> list[str]:
    lines = [
        "| clients | ShowJob calls | job life seen by the dashboard | period | bound | fragment requests (req/s) | outcome |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        lines.append(
            f"| {run['watchers']} | {run['calls']} | {run['duration']:.1f} s | {run['period']} s "
            f"| {run['bound']} | {run['fragments']} ({run['fragment_rps']:.0f}) | {run['status']} |"
        )
    lines.append("")
    lines.append(
        "Clients are wrk connections polling the fragment back to back (no 2-second pause): "
        "far more than browsers would, for the job's whole life. The worker (`run_worker "
        "--interval 0.2`) polls; the fragment reads the row. A difference of one call between "
        "runs is the phase of the last poll against the job's end (the worker's lag shifts "
        "each poll a little), not a poll caused by a watcher."
    )
    return lines


def _figure_5_details(samples: list[dict], operations) -> list[str]:
    ops = ", ".join(f"{name} x{count}" for name, count in sorted(operations.items()))
    return [
        f"- {len(samples)} POSTs, each on its own idle desktop; upstream calls made: {ops}.",
        f"- Median total server time {median(s['total'] for s in samples):.1f} ms; "
        f"simulator time (sum of `duration_ms` of the POST's upstream calls) "
        f"{median(s['sim'] for s in samples):.2f} ms, of which AddDesktopVolumes "
        f"{median(s['add'] for s in samples):.2f} ms; the dashboard's own "
        f"{median(s['own'] for s in samples):.1f} ms (this includes its HTTP client and the "
        "loopback round trips).",
        "- The simulator answers from memory in about a millisecond; a real cloud's "
        "AddDesktopVolumes takes far longer, so this compares the dashboard's work with the "
        "fastest cloud imaginable. Reported, not judged: figure 10 measures the submit against "
        "a floor any committed POST can be held to.",
    ]


# Figure 6 ------------------------------------------------------------------------------------


def figure_6(bench) -> None:
    from workspace_sim.config import SimConfig

    print("figure 6: simulator ShowJob vs a minimal handler on the same server ...", flush=True)
    config = SimConfig()
    seed, idle = write_seed(WORK / "seed.json")
    sim = bench.start_simulator("simulator-fig6", seed)
    port = free_port()
    minimal_process = bench.processes.start(
        "minimal-server",
        [sys.executable, "-m", "bench.minimal_sim", "--port", str(port)],
        bench.env("unused"),
    )
    minimal = f"http://127.0.0.1:{port}"
    wait_http(f"{minimal}/", minimal_process)
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": config.iam_user,
                        "password": config.iam_password,
                        "domain": {"name": config.iam_domain},
                    }
                },
            },
            "scope": {"project": {"id": config.project_id}},
        }
    }
    token = requests.post(f"{sim}/v3/auth/tokens", json=body, timeout=10).headers["X-Subject-Token"]
    headers = {"X-Auth-Token": token}
    added = requests.post(
        f"{sim}/v2/{config.project_id}/desktops/{idle[0]['desktop_id']}/volumes",
        json={"volumes": [{"type": "SSD", "size": 100}]},
        headers=headers,
        timeout=10,
    )
    job_url = f"{sim}/v2/{config.project_id}/workspace-jobs/{added.json()['job_id']}"
    if requests.get(job_url, headers=headers, timeout=10).status_code != 200:
        raise BenchError(f"ShowJob on the simulator did not answer 200: {job_url}")
    urls = {"minimal": f"{minimal}/", "showjob": job_url}
    rates, ratio = _paired_rates(urls, headers, measured="showjob", ceiling="minimal")
    showjob, ceiling = median(rates["showjob"]), median(rates["minimal"])
    demand = max(_upstream_demand(bench), 0.5)
    bench.figures["6"] = {
        "title": "Simulator",
        "rows": [
            {
                "what": "simulator ShowJob req/s vs minimal handler (same ThreadingHTTPServer)",
                "measured": f"{showjob:.0f} vs {ceiling:.0f} req/s",
                "ratio": f"{ratio:.2f}",
                "target": ">= 0.5, and far above what the figures ask of it",
                "ok": ratio >= 0.5 and showjob >= 10 * demand,
            }
        ],
        "details": [
            "- Per round (req/s): "
            + "; ".join(
                f"minimal {m:.0f} / ShowJob {s:.0f}"
                for m, s in zip(rates["minimal"], rates["showjob"], strict=True)
            ),
            f"- The busiest upstream demand in this run: {demand:.1f} calls/s (figure 5's "
            f"back-to-back POSTs; figure 2 asks one ShowJob per 2 s): the simulator has "
            f"{showjob / demand:.0f}x headroom, so it is never the bottleneck of the other figures.",
            "- Token auth (`X-Auth-Token` from the simulator's own `POST /v3/auth/tokens`), "
            "HTTP/1.1 keep-alive on both.",
        ],
    }


def _upstream_demand(bench) -> float:
    """Upstream calls per second figure 5 drove (0 when it did not run)."""
    return getattr(bench, "upstream_rate", 0.0)


def _alternating_rates(urls: dict[str, str], headers: dict[str, dict], *, ceiling: str):
    """wrk each URL (with its own headers, after a warm-up) in WRK_ROUNDS alternating rounds;
    return the req/s of every round per name, and for each other name the median of the
    rounds' ratios to the ceiling (each round's runs are seconds apart).
    """
    for name, url in urls.items():
        wrk(url, connections=WRK_CONNECTIONS, seconds=2, headers=headers[name]).check()
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(WRK_ROUNDS):
        for name, url in urls.items():
            result = wrk(
                url, connections=WRK_CONNECTIONS, seconds=WRK_SECONDS, headers=headers[name]
            )
            rates[name].append(result.check().rps)
    ratios = {
        name: median(m / c for m, c in zip(rates[name], rates[ceiling], strict=True))
        for name in urls
        if name != ceiling
    }
    return rates, ratios


def _paired_rates(urls: dict[str, str], headers, *, measured: str, ceiling: str):
    """wrk each URL (after a warm-up) in WRK_ROUNDS alternating rounds; return the req/s
    of every round per name, and the median of the rounds' measured/ceiling ratios.

    Each round's two runs are seconds apart: the median of their ratios is steadier on a
    shared machine than the ratio of the medians.
    """
    for url in urls.values():
        wrk(url, connections=WRK_CONNECTIONS, seconds=2, headers=headers).check()
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(WRK_ROUNDS):
        for name, url in urls.items():
            result = wrk(url, connections=WRK_CONNECTIONS, seconds=WRK_SECONDS, headers=headers)
            rates[name].append(result.check().rps)
    pairs = zip(rates[measured], rates[ceiling], strict=True)
    return rates, median(m / c for m, c in pairs)
