"""`manage.py generate_desktops N`: add N made-up but realistic desktops to the inventory, fast.

For benchmarks and demos only: it refuses to run unless DEBUG is on or --force is given. The
rows look like what a sync stores (ListDesktopsDetail): owners and shared users (with their
DesktopUser rows, so user search works), a mix of states and busy tasks, 0 to 10 data disks.
The next real sync removes them again, since the cloud does not list them.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from disks import rules
from disks.models import Desktop, DesktopUser

FIRST_NAMES = (
    "ana", "ben", "carla", "dmitri", "eve", "farah", "george", "hana", "ivan", "julia",
    "kenji", "lena", "marco", "nina", "omar", "paula", "quinn", "rosa", "samir", "tara",
    "umar", "vera", "wei", "xenia", "yusuf", "zoe", "aiko", "bruno", "chloe", "diego",
)  # fmt: skip
LAST_NAMES = (
    "souza", "chen", "rossi", "ivanov", "martin", "nasser", "wong", "kowalski", "haddad",
    "schmidt", "tanaka", "okafor", "novak", "garcia", "lindqvist", "oconnor", "petrov",
    "dubois", "moreau", "silva", "kim", "nguyen", "mehta", "fischer", "costa",
)  # fmt: skip
# (status, task_status, weight): mostly running and idle, as a real fleet is.
STATES = (
    ("ACTIVE", "", 80),
    ("SHUTOFF", "", 9),
    ("HIBERNATED", "", 4),
    ("ERROR", "", 2),
    ("ACTIVE", "rebuilding", 2),
    ("ACTIVE", "desktopResizing", 1),
    ("ACTIVE", "creatingWksSnapshot", 1),
    ("SHUTOFF", "restoring", 1),
)
# (data disks, weight)
DISK_COUNTS: tuple[tuple[int, int], ...] = (
    (0, 30),
    (1, 25),
    (2, 15),
    (3, 10),
    (4, 5),
    (5, 4),
    (6, 3),
    (7, 2),
    (8, 2),
)
DISK_COUNTS += ((9, 2), (rules.MAX_DATA_DISKS_PER_DESKTOP, 2))
DISK_TYPES = ("SAS", "SSD", "GPSSD")
ZONES = ("ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c")
# Most desktops in the default enterprise project, some in two others.
PROJECTS = ("0",) * 4 + (
    "5b3f0a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
)
SHARED_SHARE = 0.05  # desktops with a second user attached


class Command(BaseCommand):
    help = "Add N generated desktops to the inventory (benchmarks and demos; DEBUG or --force)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many desktops to add")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=None, help="for a repeatable fleet")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, count, batch_size, seed, force, **options):
        if not (settings.DEBUG or force):
            raise CommandError(
                "This adds made-up desktops to the inventory. It runs only with DEBUG=true "
                "or --force; never on a production inventory."
            )
        if count < 1 or batch_size < 1:
            raise CommandError("count and --batch-size must be positive.")
        maker = _DesktopMaker(random.Random(seed), timezone.now())  # noqa: S311 (made-up data)
        started = time.monotonic()
        users = 0
        for offset in range(0, count, batch_size):
            batch = [maker.desktop() for _ in range(min(batch_size, count - offset))]
            users += _store(batch)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"added {count} desktops ({users} user names) in {seconds:.1f} s; "
            f"the inventory now holds {Desktop.objects.count()}"
        )


def _store(batch: list[tuple[Desktop, tuple[str, ...]]]) -> int:
    """Insert one batch of desktops and their user names; return how many names."""
    try:
        with transaction.atomic():
            desktops = Desktop.objects.bulk_create([desktop for desktop, _ in batch])
            names = [
                DesktopUser(desktop_id=desktop.pk, user_name=name)
                for desktop, (_, user_names) in zip(desktops, batch, strict=True)
                for name in user_names
            ]
            DesktopUser.objects.bulk_create(names)
    except IntegrityError as error:
        raise CommandError(
            f"Some generated desktop ids exist already (the same --seed twice?): {error}"
        ) from error
    return len(names)


class _DesktopMaker:
    """Builds unsaved desktops, each with the (lower-cased) user names attached to it."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.desktops_of: dict[str, int] = {}
        self.states = [entry[:2] for entry in STATES]
        self.state_weights = [entry[2] for entry in STATES]
        self.disk_counts = [entry[0] for entry in DISK_COUNTS]
        self.disk_weights = [entry[1] for entry in DISK_COUNTS]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _user_name(self) -> str:
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
        return name if rng.random() < 0.5 else f"{name}{rng.randrange(2, 99)}"

    def desktop(self) -> tuple[Desktop, tuple[str, ...]]:
        rng = self.rng
        owner = self._user_name()
        number = self.desktops_of[owner] = self.desktops_of.get(owner, 0) + 1
        first, last = owner.rstrip("0123456789").split(".")
        computer_name = f"{first[0]}{last}"[:10].upper() + f"-PC{number:02d}"
        status, task_status = rng.choices(self.states, self.state_weights)[0]
        created = self.now - timedelta(days=rng.randrange(1, 900), seconds=rng.randrange(86400))
        disks = rng.choices(self.disk_counts, self.disk_weights)[0]
        data_volumes = [self._volume(computer_name, index, created) for index in range(disks)]
        users: tuple[str, ...] = (owner,)
        if rng.random() < SHARED_SHARE:
            users += (self._user_name(),)
        desktop = Desktop(
            desktop_id=self._uuid(),
            computer_name=computer_name,
            status=status,
            task_status=task_status,
            user_name=owner,
            enterprise_project_id=rng.choice(PROJECTS),
            availability_zone=rng.choice(ZONES),
            root_volume=self._volume(computer_name, None, created),
            data_volumes=data_volumes,
            data_volume_count=len(data_volumes),
            synced_at=self.now,
        )
        return desktop, tuple(dict.fromkeys(name.casefold() for name in users))

    def _volume(self, computer_name: str, index: int | None, created: datetime) -> dict:
        """A volume as the sync stores it; index None is the system disk (/dev/vda)."""
        rng = self.rng
        system = index is None
        number = index or 0
        return {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "volume_id": self._uuid(),
            "type": "SAS" if system else rng.choice(DISK_TYPES),
            "size": 100 if system else rng.randrange(10, 1010, 10),
            "device": "/dev/vda" if system else f"/dev/vd{chr(ord('b') + number)}",
            "display_name": f"{computer_name.lower()}-"
            + ("sys" if system else f"data{number + 1}"),
            "create_time": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "iops": None,
            "throughput": None,
        }
