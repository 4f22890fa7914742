"""Plumbing for bench/run.py: processes that always stop, ports, wrk, timed requests, machine.

Nothing here knows the dashboard; run.py says what to measure.
"""

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "var" / "bench"
VENV_BIN = Path(sys.executable).parent
STOP_SECONDS = 15


class BenchError(RuntimeError):
    """Something the run cannot measure around; the message says what and where to look."""


# Processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path


class Processes:
    """Every process the run starts, each in its own session; stop() ends them all.

    Used as a context manager, and SIGTERM/SIGHUP are turned into SystemExit, so that the
    processes are stopped on success, on an error and on Ctrl-C alike. Each is stopped by
    its own process group id (the group it leads), never by name.
    """

    def __init__(self) -> None:
        self.running: list[Process] = []

    def __enter__(self) -> "Processes":
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _exit_on_signal)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = WORK / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            popen = subprocess.Popen(  # noqa: S603 (our own argv)
                argv,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.running.append(process)
        return process

    def stop(self, process: Process) -> None:
        if process.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
            try:
                process.popen.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(STOP_SECONDS)
        # Anything the leader left behind in its group (gunicorn's workers) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def peak_rss_kb(pid: int) -> int:
    """VmHWM: the most resident memory the process has had since the last reset."""
    return _status_kb(pid, "VmHWM")


def rss_kb(pid: int) -> int:
    return _status_kb(pid, "VmRSS")


def reset_peak_rss(pid: int) -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise BenchError(f"no {field} for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: Process, *, timeout: float = 30, **kwargs) -> requests.Response:
    """Wait until `url` answers (anything below 500); fail early if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        if process.popen.poll() is not None:
            raise BenchError(f"{process.name} exited; see {process.log}")
        with contextlib.suppress(requests.RequestException):
            response = requests.get(url, timeout=2, allow_redirects=False, **kwargs)
            if response.status_code < 500:
                return response
        if time.monotonic() > deadline:
            raise BenchError(f"{process.name} did not answer {url} in {timeout:.0f} s")
        time.sleep(0.2)


def run(argv: list[str], env: dict[str, str], *, timeout: float) -> str:
    """Run a command to completion (bounded); return its stdout, or fail with its output."""
    try:
        done = subprocess.run(  # noqa: S603 (our own argv)
            argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(argv)} took longer than {timeout:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def run_json(argv: list[str], env: dict[str, str], *, timeout: float = 120) -> dict:
    return json.loads(run(argv, env, timeout=timeout).strip().splitlines()[-1])


# The load tool -------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package when missing and allowed (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("wrk is missing: install it (Debian: apt-get install wrk) and rerun.")
    print("installing wrk (apt-get install wrk) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-qq"]
    subprocess.run([*apt, "update"], env=env, check=True, capture_output=True, timeout=600)  # noqa: S603
    known = subprocess.run(["apt-cache", "show", "wrk"], capture_output=True, timeout=60)  # noqa: S607
    if known.returncode != 0:
        raise BenchError("wrk is missing and apt knows no `wrk` package here; install it by hand.")
    subprocess.run(  # noqa: S603
        [*apt, "install", "-y", "wrk"], env=env, check=True, capture_output=True, timeout=600
    )
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get installed wrk but it is not on PATH")
    return found


def ensure_profiler() -> None:
    """pyinstrument in the project venv, for the profiles of missed targets (not a dependency)."""
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("installing pyinstrument into the venv (profiles only) ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "pyinstrument"],
            check=True,
            timeout=600,
        )


@dataclass
class WrkResult:
    url: str
    connections: int
    seconds: float
    requests: int
    rps: float
    latency_ms_avg: float
    bad_responses: int
    socket_errors: int

    def check(self) -> "WrkResult":
        if self.requests == 0 or self.bad_responses:
            raise BenchError(
                f"wrk on {self.url}: {self.bad_responses} of {self.requests} responses were "
                "not 2xx/3xx; the figure would measure an error page"
            )
        return self


def wrk(
    url: str, *, connections: int, seconds: int, headers: dict[str, str], threads: int = 1
) -> WrkResult:
    """One wrk run (bounded by its own -d plus a margin); parse its summary."""
    argv = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--latency", "--timeout", "10s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603
        [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    out = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        url=url,
        connections=connections,
        seconds=seconds,
        requests=int(_found(r"(\d+) requests in", out)),
        rps=float(_found(r"Requests/sec:\s+([\d.]+)", out)),
        latency_ms_avg=_ms(_found(r"Latency\s+([\d.]+\w+)", out)),
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern` in wrk's output; a BenchError when wrk said otherwise."""
    match = re.search(pattern, text)
    if match is None:
        raise BenchError(f"wrk's output has no {pattern!r}:\n{text}")
    return match.group(1)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise BenchError(f"wrk gave a latency of {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


# Sequential timed requests -----------------------------------------------------------------


@dataclass
class Timings:
    """Server time (the Server-Timing header bench.wsgi adds) and client time, in ms."""

    server_ms: list[float]
    client_ms: list[float]

    def add(self, server: float, client: float) -> None:
        self.server_ms.append(server)
        self.client_ms.append(client)

    @property
    def median_server(self) -> float:
        return statistics.median(self.server_ms)

    @property
    def median_client(self) -> float:
        return statistics.median(self.client_ms)


def server_ms(response: requests.Response) -> float:
    match = re.search(r"app;dur=([\d.]+)", response.headers.get("Server-Timing", ""))
    if not match:
        raise BenchError(f"no Server-Timing header from {response.url}")
    return float(match.group(1))


def timed_gets(
    http: requests.Session, url: str, *, count: int, warmup: int = 3, expect: bytes = b""
) -> Timings:
    """GET `url` `count` times in a row (after a few warm-up requests); keep the timings."""
    return alternating_gets({url: (http, url)}, count=count, warmup=warmup, expect=expect)[url]


def alternating_gets(
    targets: dict[str, tuple[requests.Session, str]],
    *,
    count: int,
    warmup: int = 3,
    expect: bytes = b"",
) -> dict[str, Timings]:
    """GET each target's URL in turn, `count` rounds (after warm-up rounds); their timings.

    Side by side: whatever the machine does meanwhile falls on every target alike.
    """
    timings = {name: Timings([], []) for name in targets}
    for index in range(warmup + count):
        for name, (http, url) in targets.items():
            timed = timed_get(http, url, expect=expect)
            if index >= warmup:
                timings[name].add(*timed)
    return timings


def timed_get(http: requests.Session, url: str, *, expect: bytes = b"") -> tuple[float, float]:
    """GET `url` once, checked (200 and `expect` in the body); its (server, client) ms."""
    started = time.perf_counter()
    response = http.get(url, timeout=300, allow_redirects=False)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or expect not in response.content:
        raise BenchError(f"GET {url} answered {response.status_code} without {expect!r}")
    return server_ms(response), elapsed


# The machine ---------------------------------------------------------------------------------


def machine(pg_version: str) -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg_version,
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "wrk": _wrk_version(),
    }


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)  # noqa: S607
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
