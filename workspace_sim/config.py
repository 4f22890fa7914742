"""Simulator settings, with the demo defaults the dashboard's demo mode relies on."""

from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED_PATH = Path(__file__).with_name("seed.json")

# How long a job takes at speed 1.0. One disk: 2 s WAITING + 8 s RUNNING, about 10 s in all;
# each further disk on the same desktop adds a second of RUNNING.
JOB_WAITING_SECONDS = 2.0
JOB_RUNNING_SECONDS = 8.0
JOB_SECONDS_PER_EXTRA_DISK = 1.0

# The hints AddDesktopVolumes returns (minutes, as the real CBC contract gives them).
MAX_PROVISION_MINUTES = 30
MIN_PROVISION_MINUTES = 1
PERIODIC_QUERY_MINUTES = 1

# The tenant's disk quotas (ShowQuotas): roomy enough that the seed (190 disks, about
# 40 000 GB, system disks included) and a demo never reach them; -1 means no limit.
DEFAULT_QUOTA_VOLUMES = 1000
DEFAULT_QUOTA_GIGABYTES = 200_000


@dataclass(frozen=True)
class SimConfig:
    """Everything a simulator instance needs; the CLI maps one option to each field."""

    host: str = "127.0.0.1"
    port: int = 8001
    project_id: str = "7d5c2a9e4b1f4c3a8e6d0b2f9a1c3e5d"
    ak: str = "WSDEMOAK0SIMULATOR01"
    sk: str = "wsdemo-sk-not-a-secret-0000000000000000"
    iam_user: str = "wsdemo-admin"
    iam_password: str = "wsdemo-password"  # noqa: S105 (public demo default, not a secret)
    iam_domain: str = "wsdemo-account"
    seed_path: Path | None = None
    state_path: Path | None = None
    speed: float = 1.0
    quota_volumes: int = DEFAULT_QUOTA_VOLUMES
    quota_gigabytes: int = DEFAULT_QUOTA_GIGABYTES
    region: str = "ap-southeast-3"
    token_ttl_seconds: float = 24 * 3600
    clock_skew_seconds: float = 15 * 60
    max_body_bytes: int = 1024 * 1024
    request_log_size: int = 100_000
    access_log: bool = False

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if min(self.quota_volumes, self.quota_gigabytes) < -1:
            raise ValueError("a quota is a count of at least 0, or -1 for no limit")

    @property
    def seed_file(self) -> Path:
        return self.seed_path or DEFAULT_SEED_PATH

    def job_durations(self, disk_count: int) -> tuple[float, float]:
        """Return (waiting, running) seconds of one sub-job adding `disk_count` disks."""
        running = JOB_RUNNING_SECONDS + JOB_SECONDS_PER_EXTRA_DISK * max(disk_count - 1, 0)
        return JOB_WAITING_SECONDS / self.speed, running / self.speed
