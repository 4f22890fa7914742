"""The secret hunt: with recognisable fake credentials in settings and the environment, use
the dashboard the way its people do, then look for the credentials everywhere it writes:
every page, the logs, every table of the database (the cache's pickles too), the CSV export
and the DEBUG 500 page. Both ways of signing in to the cloud: AK/SK, and an IAM user (whose
token is a credential too)."""

import base64
import logging
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from disks.client import auth as client_auth
from disks.client import clear_token_cache, reset_client
from tests.factories import desktop_of
from tests.security.conftest import FAKE_SECRETS, leaked
from tests.security.test_access_matrix import RULES, expected
from tests.security.test_error_pages import runserver_environ

pytestmark = pytest.mark.django_db

FAKE_SK = FAKE_SECRETS["HUAWEICLOUD_SDK_SK"]
FAKE_IAM_PASSWORD = FAKE_SECRETS["IAM_PASSWORD"]


@pytest.fixture(params=["aksk", "iam"])
def cloud(request, settings, fake_secrets):
    """A simulator that only accepts the fake credentials, and the dashboard pointed at it."""
    from workspace_sim.testing import running_simulator

    with running_simulator(sk=FAKE_SK, iam_password=FAKE_IAM_PASSWORD, speed=50) as sim:
        settings.WORKSPACE_ENDPOINT = settings.WORKSPACE_IAM_ENDPOINT = sim.url
        settings.WORKSPACE_PROJECT_ID = sim.config.project_id
        settings.WORKSPACE_TIMEOUT = (2.0, 5.0)
        if request.param == "aksk":
            settings.WORKSPACE_AK, settings.WORKSPACE_SK = sim.config.ak, FAKE_SK
            settings.WORKSPACE_SECURITY_TOKEN = FAKE_SECRETS["HUAWEICLOUD_SDK_SECURITY_TOKEN"]
        else:
            settings.WORKSPACE_AK = settings.WORKSPACE_SK = ""
            settings.WORKSPACE_IAM_USERNAME = sim.config.iam_user
            settings.WORKSPACE_IAM_PASSWORD = FAKE_IAM_PASSWORD
            settings.WORKSPACE_IAM_DOMAIN = sim.config.iam_domain
        settings.ROOT_URLCONF = "tests.security.urls"  # the site plus a view that fails
        reset_client()
        clear_token_cache()
        yield sim
        reset_client()
        clear_token_cache()


def issued_tokens() -> list[str]:
    return [token.value for token in client_auth._tokens.values() if hasattr(token, "value")]


def use_the_dashboard(sim, people) -> list[str]:
    """Sign in, sync, add disks, get refused, approve, review, export; return what was shown."""
    from disks.services.inventory import desktop_inventory_sync
    from disks.services.polling import disk_request_poll_if_due

    shown = []
    client = Client(raise_request_exception=False)
    client.post(reverse("login"), {"username": "hana.helpdesk", "password": "wrong"})
    desktop_inventory_sync()
    client.force_login(people["helpdesk"])
    shown.append(client.post(reverse("disks:helpdesk-desktop-sync")).content)
    desktop_id = desktop_of(sim, "alice.wong")
    form = {
        "action": "submit",
        "idempotency_key": str(uuid.uuid4()),
        "enterprise_project_id": "0",
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-0-type": "SAS",
        "disks-0-size": "20",
    }
    shown.append(client.post(reverse("disks:helpdesk-disk-add", args=[desktop_id]), form).content)
    sim.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0001", "error_msg": "Invalid parameter."},
    )
    other = desktop_of(sim, "bob.martin")
    refused = {**form, "idempotency_key": str(uuid.uuid4())}
    shown.append(client.post(reverse("disks:helpdesk-disk-add", args=[other]), refused).content)
    from disks.models import DiskRequest

    for disk_request in DiskRequest.objects.exclude(job_id=""):
        if sim.job(disk_request.job_id)["status"] not in ("SUCCESS", "FAIL"):
            sim.finish_job(disk_request.job_id)
        DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=None)
        disk_request_poll_if_due(disk_request=DiskRequest.objects.get(pk=disk_request.pk))
    return shown


def every_page(world_people, world) -> list[str]:
    """Every page of RULES (GET) as each person allowed to see it, and the CSV export."""
    pages = []
    for who, person in world_people.items():
        if person is None:
            continue
        client = Client(raise_request_exception=False)
        client.force_login(person)
        for name, rule in RULES.items():
            if rule.method != "GET" or expected(rule, who) != {200, 302}:
                continue
            response = client.get(reverse(name, args=rule.args(world)))
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            pages.append(content.decode(errors="replace"))
    return pages


def database_dump() -> str:
    """Every row of every table, the cache's pickled values decoded."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                lines.append(f"{table}: {row!r}")
                if table == "disks_cache":
                    pickled = base64.b64decode(row[1])
                    lines.append(pickled.decode("latin-1"))
    return "\n".join(lines)


def debug_500_page(settings) -> str:
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", **runserver_environ())
    assert response.status_code == 500
    settings.DEBUG = False
    return response.content.decode()


def _a_batch(cloud, people):
    import uuid

    from disks.client import VolumeSpec
    from disks.services.batches import batch_preview_create
    from tests.factories import helpdesk_actor

    return batch_preview_create(
        desktop_ids=[desktop_of(cloud, "alice.wong", data_disks=None)],
        volumes=[VolumeSpec("SAS", 10)],
        actor=helpdesk_actor(people["helpdesk"]),
        idempotency_key=uuid.uuid4(),
    )


def test_no_credential_shows_anywhere(cloud, people, settings, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    shown = use_the_dashboard(cloud, people)
    from disks.models import AuditEvent, Batch, Desktop, DiskRequest

    disk_desktop = desktop_of(cloud, "alice.wong", data_disks=10)
    world = {
        "desktop": desktop_of(cloud, "alice.wong", data_disks=None),
        "disk_desktop": disk_desktop,
        "disk": Desktop.objects.get(desktop_id=disk_desktop).sorted_data_volumes[0]["volume_id"],
        "running": DiskRequest.objects.order_by("pk").first(),
        "pending": DiskRequest.objects.order_by("pk").first(),
        "event": AuditEvent.objects.order_by("sequence").first(),
        "batch": Batch.objects.order_by("pk").first() or _a_batch(cloud, people),
    }
    texts = [page.decode(errors="replace") for page in shown]
    texts += every_page(people, world)
    texts.append(debug_500_page(settings))
    texts.append(database_dump())
    captured = capsys.readouterr()
    texts += [caplog.text, captured.out, captured.err]
    secrets = list(issued_tokens())
    assert DiskRequest.objects.count() >= 2, "the flow did not run"
    assert "AddDesktopVolumes" in caplog.text, "no client log captured"
    everything = "\n".join(texts)
    assert leaked(everything) == []
    assert [token for token in secrets if token in everything] == []
