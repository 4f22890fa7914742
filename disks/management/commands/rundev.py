"""`manage.py rundev`: the whole product on one machine, for development and demos.

Migrates, creates the demo accounts, then starts the Workspace simulator, the background
worker (run_worker) and the dashboard (runserver on 127.0.0.1:8000) as child processes.
Ctrl-C stops everything it started.
Refuses to run with DEBUG off: demo accounts have published passwords.
"""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from disks.actor import Actor, Channel
from disks.client import WorkspaceError
from disks.services.demo import demo_logins_ensure
from disks.services.inventory import desktop_inventory_sync

STATE_DIR = Path(settings.BASE_DIR) / "var"


def _port_is_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def _wait_for_port(host: str, port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if _port_is_open(host, port):
            return
        if process.poll() is not None:
            raise CommandError(f"{name} exited with status {process.returncode} while starting.")
        time.sleep(0.1)
    raise CommandError(f"{name} did not start listening on {host}:{port} within 15 seconds.")


class Command(BaseCommand):
    help = "Run the simulator and the dashboard together (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="dashboard address")
        parser.add_argument(
            "--no-simulator", action="store_true", help="do not start the Workspace simulator"
        )

    def handle(self, *args, addr: str, no_simulator: bool, **options):
        if not settings.DEBUG:
            raise CommandError("rundev is for development: run it with DEBUG=true (make run).")
        # A SIGTERM (not only Ctrl-C) also stops the children: SystemExit runs the finally.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        logins = demo_logins_ensure()
        STATE_DIR.mkdir(exist_ok=True)
        children: list[subprocess.Popen] = []
        try:
            if settings.WORKSPACE_DEMO and not no_simulator:
                children.append(self._start_simulator())
            self._sync_inventory()
            children.append(self._start(["manage.py", "run_worker", "--interval", "0.5"]))
            children.append(self._start(["manage.py", "runserver", "--noreload", addr]))
            self._print_banner(addr, logins)
            self._wait(children)
        finally:
            self._stop(children)

    def _start(self, argv: list[str]) -> subprocess.Popen:
        # The argv is built in this module, never from user input.
        return subprocess.Popen([sys.executable, *argv], cwd=settings.BASE_DIR)  # noqa: S603

    def _start_simulator(self) -> subprocess.Popen:
        host, port = settings.WORKSPACE_ENDPOINT.rsplit("//", 1)[1].rsplit(":", 1)
        if _port_is_open(host, int(port)):
            raise CommandError(
                f"Something already listens on {host}:{port} (a simulator left running?). "
                "Stop it, or set WORKSPACE_ENDPOINT to another address."
            )
        state = STATE_DIR / "simulator-state.json"
        argv = ["-m", "workspace_sim", "--host", host, "--port", port, "--state", str(state)]
        argv.append("--quiet")
        process = self._start(argv)
        _wait_for_port(host, int(port), process, "The Workspace simulator")
        return process

    def _sync_inventory(self) -> None:
        """Fill the desktop list before the first page is shown (a failure is only reported)."""
        try:
            summary = desktop_inventory_sync(actor=Actor.system(Channel.COMMAND))
        except WorkspaceError as error:
            self.stderr.write(
                f"Could not sync desktops from {settings.WORKSPACE_ENDPOINT}: {error}"
            )
        else:
            self.stdout.write(
                f"Synced {summary.total} desktops from {settings.WORKSPACE_ENDPOINT}."
            )

    def _print_banner(self, addr: str, logins) -> None:
        lines = [f"Workspace Disk Admin: http://{addr}/", "Demo logins:"]
        lines += [f"  {login.role:<28} {login.username} / {login.password}" for login in logins]
        if settings.WORKSPACE_DEMO:
            lines.append(f"Workspace API: simulator at {settings.WORKSPACE_ENDPOINT}")
        lines.append("Press Ctrl-C to stop everything.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _wait(self, children: list[subprocess.Popen]) -> None:
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            return
        stopped = next(child for child in children if child.poll() is not None)
        command = " ".join(str(part) for part in list(stopped.args)[1:3])  # type: ignore[arg-type]
        raise CommandError(f"{command} stopped (status {stopped.returncode}).")

    def _stop(self, children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
