"""Webhook URLs are sealed at rest (disks.sealing): a robot's URL carries its token."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from disks.models import WebhookEndpoint
from disks.sealing import PREFIX, seal, unseal
from disks.webhooks.signing import new_salt

ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ROBOT-TOKEN-7f3a9c"


def _stored_url(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM disks_webhookendpoint WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _endpoint(url: str = ROBOT_URL) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="WeCom", url=url, format="wecom", events=["request.failed"], secret_salt=new_salt()
    )


@pytest.mark.django_db
def test_the_row_holds_no_token_and_the_model_reads_the_url():
    endpoint = _endpoint()
    stored = _stored_url(endpoint.pk)
    assert stored.startswith(PREFIX)
    assert "ROBOT-TOKEN" not in stored and "qyapi" not in stored
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == ROBOT_URL


def test_a_rotated_key_still_opens_through_the_fallbacks(settings):
    settings.SECRET_KEY = "old-key-" + "o" * 40
    sealed = seal(ROBOT_URL)
    settings.SECRET_KEY = "new-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "o" * 40]
    assert unseal(sealed) == ROBOT_URL
    settings.SECRET_KEY_FALLBACKS = []
    assert unseal(sealed) == "", "no key opens it: the URL must be entered again"


@pytest.mark.django_db
def test_the_admin_never_shows_the_url_again_and_blank_keeps_it(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.force_login(admin)
    endpoint = _endpoint()
    url = reverse("admin:disks_webhookendpoint_change", args=[endpoint.pk])
    page = client.get(url).content.decode()
    assert "ROBOT-TOKEN" not in page
    assert "qyapi.weixin.qq.com" in page, "the help text names the host"

    form = {
        "name": "WeCom renamed",
        "url": "",
        "format": "wecom",
        "events": ["request.failed"],
        "scope": "all",
        "owner": admin.pk,
        "is_active": "on",
    }
    assert client.post(url, form).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url) == ("WeCom renamed", ROBOT_URL)

    new_url = "https://oapi.dingtalk.com/robot/send?access_token=NEW-TOKEN-1"
    assert client.post(url, {**form, "url": new_url, "format": "dingtalk"}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == new_url
    assert "NEW-TOKEN" not in _stored_url(endpoint.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_urls_stored_before_it():
    executor = MigrationExecutor(connection)
    executor.migrate([("disks", "0017_operations")])
    old_apps = executor.loader.project_state([("disks", "0017_operations")]).apps
    OldEndpoint = old_apps.get_model("disks", "WebhookEndpoint")
    pk = OldEndpoint.objects.create(
        name="old", url=ROBOT_URL, format="wecom", events=[], secret_salt=new_salt()
    ).pk
    assert _stored_url(pk) == ROBOT_URL

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert "ROBOT-TOKEN" not in _stored_url(pk)
    assert WebhookEndpoint.objects.get(pk=pk).url == ROBOT_URL
