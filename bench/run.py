"""`make bench`: the dashboard's hot paths measured against their own ceilings, in one run.

Starts everything it measures on 127.0.0.1 (PostgreSQL databases of its own, the Workspace
simulator, gunicorn, the worker), drives it with wrk and with sequential timed requests, then
prints the table and writes it into docs/benchmarks.md. Every process it starts is stopped at
the end, also on an error or Ctrl-C. See docs/benchmarks.md for what each figure means.

    .venv/bin/python -m bench.run [--keep-data] [--only 1,2] [--no-profile] [--output FILE]
"""

import argparse
import json
import math
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import report
from bench.common import (
    DATA_SEED,
    DATASETS,
    EVENTS_PER_DAY,
    GUNICORN_WORKERS,
    JOB_SECONDS,
    LIVE_DB,
    PG_SERVER,
    POLL_SECONDS,
    SIM_SPEED,
    WRK_CONNECTIONS,
    WRK_ROUNDS,
    WRK_SECONDS,
    write_seed,
)
from bench.harness import (
    REPO,
    VENV_BIN,
    WORK,
    BenchError,
    Processes,
    ensure_profiler,
    ensure_wrk,
    free_port,
    load_average,
    machine,
    run,
    run_json,
    wait_http,
)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    if args.profile:
        ensure_profiler()
    bench = Bench(args)
    with Processes() as processes:
        bench.processes = processes
        try:
            bench.run_all()
        except BenchError as error:
            print(f"\nbench: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nbench: interrupted; stopping what it started", file=sys.stderr)
            return 130
    minutes = (time.monotonic() - started) / 60
    print("\n" + report.table(bench.figures))
    text = report.render(bench.context(minutes), bench.figures)
    print(f"\n{minutes:.1f} minutes in all ({bench.generation_seconds / 60:.1f} of them data).")
    output = args.output or (None if args.only else REPO / "docs" / "benchmarks.md")
    if output:
        report.write(Path(output), text)
        print(f"written to {output}")
    return 0


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="reuse the generated desktops and audit events of an earlier run if they are complete",
    )
    parser.add_argument("--only", default="", help="figures to run, e.g. 1,3 (no doc written)")
    parser.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip profiles of misses"
    )
    parser.add_argument("--output", default="", help="markdown file to write the results into")
    args = parser.parse_args(argv)
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    return args


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.secret_key = secrets.token_urlsafe(50)
        self.processes: Processes
        self.figures: dict[str, dict] = {}
        self.generation_seconds = 0.0
        self.notes: list[str] = []
        self.parts: list[tuple[str, float, float]] = []
        self.started_at = datetime.now(UTC)
        self.load_before = load_average()

    def wants(self, figure: str) -> bool:
        return not self.args.only or figure in self.args.only

    # Environment -----------------------------------------------------------------------

    def env(self, database: str, sim_url: str = "") -> dict[str, str]:
        """The dashboard's environment: production settings, bench URLs, plain-HTTP cookies."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "ENV_FILE": os.devnull,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": self.secret_key,
            "DEBUG": "false",
            # The simulator's demo credentials (production settings otherwise refuse to start
            # without cloud credentials, since commit 657e9c9).
            "WORKSPACE_DEMO": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG_SERVER}/{database}",
            "INVENTORY_SYNC_MINUTES": "0",
            "WORKSPACE_JOB_POLL_MAX_SECONDS": str(POLL_SECONDS),
            "STATUS_FRAGMENT_POLL_SECONDS": str(POLL_SECONDS),
            # Figure 1b's wrk sends thousands of API calls a minute with one token: the count
            # still runs on every call (one upsert into ApiRateWindow), but never refuses.
            "API_RATE_LIMIT_PER_MINUTE": "100000000",
        }
        if sim_url:
            env["WORKSPACE_ENDPOINT"] = sim_url
        return env

    def manage(self, env, *args, timeout: float = 600) -> str:
        return run([sys.executable, "manage.py", *args], env, timeout=timeout)

    def migrate(self, env) -> None:
        """Migrations and the database cache's table, as a deployment sets them up."""
        self.manage(env, "migrate", "--noinput", "-v0")
        self.manage(env, "createcachetable")

    def djtool(self, env, *args, timeout: float = 300) -> dict:
        return run_json([sys.executable, "-m", "bench.djtool", *args], env, timeout=timeout)

    # Databases -------------------------------------------------------------------------

    def admin(self):
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')

    def database_exists(self, name: str) -> bool:
        with self.admin() as connection:
            row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return row.fetchone() is not None

    def analyze(self, name: str, *, vacuum: bool = False) -> None:
        """Planner statistics (and the visibility map) as autovacuum would leave them.

        A freshly bulk-loaded table has none yet; without them PostgreSQL guesses, and the
        figures would measure the guesses rather than the queries.
        """
        with psycopg.connect(f"{PG_SERVER}/{name}", autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")

    def pg_version(self) -> str:
        with self.admin() as connection:
            return connection.execute("SHOW server_version").fetchone()[0]

    def prepare_dataset(self, name: str) -> dict:
        """Create (or, with --keep-data, reuse) a database of N desktops and M audit events."""
        desktops, events = DATASETS[name]
        days = math.ceil(events / EVENTS_PER_DAY)
        database = f"{LIVE_DB}_{name}"
        env = self.env(database)
        # The events come with the disk requests their submitted events stand for (the
        # insights page, figure 4b, counts requests).
        recipe = {
            "desktops": desktops,
            "events": events,
            "days": days,
            "seed": DATA_SEED,
            "requests": True,
        }
        stamp = WORK / f"{database}.json"
        if self.args.keep_data and self.database_exists(database) and stamp.exists():
            self.migrate(env)
            held = self.djtool(env, "dataset")
            same = json.loads(stamp.read_text()) == recipe
            complete = held["desktops"] == desktops and held["events"] == events
            if same and complete and held["requests"] > 0:
                print(f"  {database}: kept ({desktops} desktops, {events} events)", flush=True)
                self.analyze(database)
                return held
            print(f"  {database}: holds {held}, not {recipe}: regenerating")
        stamp.unlink(missing_ok=True)
        started = time.monotonic()
        self.create_database(database)
        self.migrate(env)
        print(f"  {database}: generating {desktops} desktops ...", flush=True)
        self.manage(env, "generate_desktops", str(desktops), "--force", "--seed", str(DATA_SEED))
        print(f"  {database}: generating {events:,} audit events over {days} days ...", flush=True)
        out = self.manage(
            env,
            "generate_audit_events",
            str(events),
            "--force",
            "--days",
            str(days),
            "--seed",
            str(DATA_SEED),
            timeout=3600,
        )
        print(f"    {out.strip()}", flush=True)
        made = self.djtool(env, "generate-requests", "--seed", str(DATA_SEED), timeout=3600)
        print(f"    and {made['requests']:,} disk requests, one per submitted event", flush=True)
        self.analyze(database, vacuum=True)
        stamp.write_text(json.dumps(recipe))
        seconds = time.monotonic() - started
        self.generation_seconds += seconds
        self.notes.append(
            f"Generated `{database}` ({desktops:,} desktops, {events:,} events, "
            f"{made['requests']:,} disk requests) in {seconds:.0f} s: {out.strip()}"
        )
        return self.djtool(env, "dataset")

    # Servers ---------------------------------------------------------------------------

    def start_simulator(
        self,
        name: str,
        seed: Path,
        *,
        process: bool = False,
        speed: float = SIM_SPEED,
        extra: tuple[str, ...] | list[str] = (),
        wait: float = 30,
    ):
        """Start a simulator; return its URL (and, with `process`, the process first)."""
        port = free_port()
        argv = [sys.executable, "-m", "workspace_sim", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--speed", f"{speed:.6f}", "--quiet", "--seed", str(seed), *extra]
        started = self.processes.start(name, argv, self.env(LIVE_DB))
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/_sim/health", started, timeout=wait)
        return (started, url) if process else url

    def start_gunicorn(self, name: str, env: dict[str, str]):
        port = free_port()
        argv = [str(VENV_BIN / "gunicorn"), "bench.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS)]
        # Sync workers, as README's production line; a long timeout only so that the export
        # of a million events is measured rather than cut (see docs/benchmarks.md).
        argv += ["--worker-class", "sync", "--timeout", "600", "--graceful-timeout", "5"]
        process = self.processes.start(name, argv, env)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", process)
        return process, base

    # The run ---------------------------------------------------------------------------

    def run_all(self) -> None:
        self.machine = machine(self.pg_version())
        print(f"bench on {self.machine['cpu']} ({self.machine['cores']} cores)", flush=True)
        self.part("static files", self.collect_static)
        if any(self.wants(figure) for figure in ("1", "2", "5", "10", "11")):
            self.part("figures 1, 1b, 2, 5, 10 (and 11's web half)", self.live_figures)
        if self.wants("3") or self.wants("4") or self.wants("4b"):
            self.part("figures 3, 4, 4b (datasets)", self.dataset_figures)
        if self.wants("7"):
            self.part("figure 7", self.figure_7)
        if self.wants("8") or self.wants("11"):
            self.part("figure 8 (and 11's worker)", self.figure_8)
        if self.wants("9"):
            self.part("figure 9", self.figure_9)
        if self.wants("6"):
            self.part("figure 6", self.figure_6)
        if self.wants("11"):
            from bench import figures_live

            figures_live.figure_11(self)
        self.load_after = load_average()

    def part(self, name: str, function) -> None:
        """Run one part of the bench and keep its wall time (and the data generated in it)."""
        started, generated = time.monotonic(), self.generation_seconds
        function()
        seconds = time.monotonic() - started
        self.parts.append((name, seconds, self.generation_seconds - generated))
        print(f"  [{name}: {seconds / 60:.1f} min]", flush=True)

    def collect_static(self) -> None:
        print("collecting static files ...", flush=True)
        self.manage(self.env(LIVE_DB), "collectstatic", "--noinput", "-v0")

    def live_figures(self) -> None:
        """Figures 2, 5 and 1: the simulator, a synced inventory, gunicorn and the worker."""
        from bench import figures_live

        print("live database, simulator and gunicorn ...", flush=True)
        seed, idle = write_seed(WORK / "seed.json")
        sim = self.start_simulator("simulator", seed)
        self.create_database(LIVE_DB)
        env = self.env(LIVE_DB, sim)
        self.migrate(env)
        self.manage(env, "sync_desktops")
        cookies = self.djtool(env, "sessions")
        gunicorn, base = self.start_gunicorn("gunicorn-live", env)
        live = figures_live.Live(self, env, sim, base, cookies, list(idle))
        if self.wants("2"):
            live.figure_2()
        if self.wants("5") or self.wants("10"):
            live.figure_5()
        if self.wants("1"):
            live.figure_1()
        self.processes.stop(gunicorn)
        if self.wants("11"):
            live.figure_11_web()

    def dataset_figures(self) -> None:
        from bench import figures_data

        print("datasets ...", flush=True)
        held = {name: self.prepare_dataset(name) for name in DATASETS}
        self.checkpoint()
        sides = {}
        for name in DATASETS:
            env = self.env(f"{LIVE_DB}_{name}")
            gunicorn, base = self.start_gunicorn(f"gunicorn-{name}", env)
            sides[name] = {
                "env": env,
                "gunicorn": gunicorn,
                "base": base,
                "cookies": self.djtool(env, "sessions"),
                "held": held[name],
                "sizes": DATASETS[name],
            }
        measured = figures_data.measure(self, sides)
        for side in sides.values():
            self.processes.stop(side["gunicorn"])
        figures_data.judge(self, measured, held)

    def checkpoint(self) -> None:
        """Write out what generating and analyzing left in memory, before measuring: a
        checkpoint started by the server in the middle of the rounds would slow them."""
        with self.admin() as connection:
            connection.execute("CHECKPOINT")

    def figure_7(self) -> None:
        from bench import figures_scale

        figures_scale.figure_7(self)

    def figure_8(self) -> None:
        from bench import figures_scale

        figures_scale.figure_8(self)

    def figure_9(self) -> None:
        from bench import figures_batch

        figures_batch.figure_9(self)

    def figure_6(self) -> None:
        from bench import figures_live

        figures_live.figure_6(self)

    def profile(self, name: str, env, role: str, specs: list[dict], repeat: int) -> dict | None:
        """A pyinstrument profile of `specs`, in-process, kept under var/bench/profiles."""
        if not self.args.profile:
            return None
        output = WORK / "profiles" / f"{name}.txt"
        output.parent.mkdir(parents=True, exist_ok=True)
        print(f"  profiling {name} ...", flush=True)
        result = self.djtool(
            env,
            "profile",
            "--role",
            role,
            "--repeat",
            str(repeat),
            "--output",
            str(output),
            "--requests",
            json.dumps(specs),
            timeout=900,
        )
        result["name"] = name
        result["text"] = output.read_text()
        return result

    def context(self, minutes: float) -> dict:
        return {
            "command": os.environ.get("BENCH_INVOKED_AS")
            or "python -m bench.run " + " ".join(sys.argv[1:]),
            "date": self.started_at.strftime("%Y-%m-%d %H:%M UTC"),
            "machine": self.machine,
            "minutes": minutes,
            "generation_minutes": self.generation_seconds / 60,
            "load": f"{self.load_before} at the start, {getattr(self, 'load_after', '?')} at the end",
            "notes": self.notes,
            "parts": self.parts,
            "settings": {
                "gunicorn": f"{GUNICORN_WORKERS} sync workers (one per core), 127.0.0.1",
                "job": f"{JOB_SECONDS:.0f} s (simulator --speed {SIM_SPEED:.4f})",
                "poll period": f"{POLL_SECONDS} s (WORKSPACE_JOB_POLL_MAX_SECONDS)",
                "wrk": f"{WRK_ROUNDS} alternating rounds of {WRK_SECONDS} s, "
                f"{WRK_CONNECTIONS} connections, 1 thread; ratio = median of the rounds' ratios",
            },
        }


if __name__ == "__main__":
    sys.exit(main())
