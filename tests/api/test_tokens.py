"""API tokens: shown once, stored as a hash, scoped, expiring, revocable, rate-limited.

A bad token of any kind is the same 401; the token never reaches a log, a page after the
first, a database row or the audit history.
"""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disks.access import user_audiences
from disks.models import ApiRateWindow, ApiToken, AuditEvent
from disks.selectors.api_tokens import api_token_for_hash
from disks.services.api_rate import api_rate_windows_prune
from disks.services.api_tokens import api_token_scopes_for, token_hash
from tests.api.helpers import ApiClient, make_token
from tests.factories import run_manage

pytestmark = pytest.mark.django_db


def all_rows_text() -> str:
    """Every row of every table, as text: where a leaked token would show."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_the_page_shows_a_new_token_once_and_stores_only_its_hash(client, helpdesk_user):
    client.force_login(helpdesk_user)
    url = reverse("disks:api-token-list")
    made = client.post(url, {"name": "nightly report", "scope": "helpdesk:read", "expires_days": 7})
    assert made.status_code == 200
    token = made.context["new_token"]
    assert token.startswith("wda_") and len(token) > 40
    assert token in made.content.decode()
    assert made["Cache-Control"].startswith("max-age=0")
    api_token = ApiToken.objects.get()
    assert api_token.key_hash == token_hash(token)
    assert api_token.scope == "helpdesk:read"
    assert token not in client.get(url).content.decode(), "shown once"
    assert token not in all_rows_text()


def test_a_token_cannot_be_wider_than_its_owner(client, end_user):
    assert [value for value, _label in api_token_scopes_for(end_user)] == [
        "end_user",
        "end_user:read",
    ]
    client.force_login(end_user)
    client.post(
        reverse("disks:api-token-list"), {"name": "x", "scope": "helpdesk", "expires_days": 7}
    )
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("how", ["unknown", "expired", "revoked", "owner inactive", "empty"])
def test_every_bad_token_is_the_same_401(helpdesk_user, client, how):
    token = make_token(helpdesk_user, "helpdesk")
    api_token = ApiToken.objects.get()
    if how == "unknown":
        token = token[:-4] + "AAAA"
    elif how == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        client.force_login(helpdesk_user)
        client.post(reverse("disks:api-token-revoke", args=[api_token.pk]))
        client.logout()
    elif how == "owner inactive":
        helpdesk_user.is_active = False
        helpdesk_user.save()
    elif how == "empty":
        token = ""
    response = ApiClient(token).get("/desktops")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "type": "about:blank",
        "title": "Not authenticated",
        "status": 401,
        "detail": "Send a valid API token as 'Authorization: Bearer <token>'.",
    }


def test_the_command_prints_a_new_token_once(helpdesk_user, transactional_db, settings):
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": _database_url(settings)}
    result = run_manage(
        "api_token_create", "hana.helpdesk", "--name", "ci", "--expires-days", "3", env=env
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("wda_")
    assert token not in result.stderr
    api_token = ApiToken.objects.get(name="ci")
    assert api_token.key_hash == token_hash(token)
    assert (api_token.expires_at - timezone.now()).days in (2, 3)


def _database_url(settings) -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def test_calls_past_the_rate_limit_are_told_when_to_come_back(helpdesk_user, settings, synced):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    client = ApiClient(make_token(helpdesk_user, "helpdesk"))
    assert [client.get("/disk-requests").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/disk-requests")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["title"] == "Too many requests"
    other = ApiClient(make_token(helpdesk_user, "helpdesk", name="other"))
    assert other.get("/disk-requests").status_code == 200, "the limit is per token"


def test_the_count_is_one_row_per_token_and_minute_and_bad_tokens_are_not_counted(
    helpdesk_user, settings, synced
):
    settings.API_RATE_LIMIT_PER_MINUTE = 100
    client = ApiClient(make_token(helpdesk_user, "helpdesk"))
    for _ in range(3):
        assert client.get("/disk-requests").status_code == 200
    assert ApiClient("wda_not-a-token").get("/disk-requests").status_code == 401
    window = ApiRateWindow.objects.get()
    assert window.calls == 3
    assert window.key == f"token:{ApiToken.objects.get().pk}"
    assert window.window_start.second == 0 and window.window_start.microsecond == 0


def test_passed_minutes_are_pruned_and_the_current_one_kept():
    now = timezone.now().replace(second=0, microsecond=0)
    for minutes_ago in (0, 1, 3, 60):
        ApiRateWindow.objects.create(
            key="token:1", window_start=now - timedelta(minutes=minutes_ago), calls=5
        )
    assert api_rate_windows_prune(now=now) == 2
    assert sorted(ApiRateWindow.objects.values_list("window_start", flat=True)) == [
        now - timedelta(minutes=1),
        now,
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_the_counter_table_skips_the_write_ahead_log_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [ApiRateWindow._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)


def test_a_status_call_costs_three_statements(helpdesk_user, settings, synced):
    """The token with its user and the user's audiences, the rate count (one upsert), the request.

    last_used_at is written at most once a minute: the first call writes it, the next not.
    """
    from tests.factories import desktop_of

    settings.API_RATE_LIMIT_PER_MINUTE = 100
    client = ApiClient(make_token(helpdesk_user, "helpdesk"))
    desktop = desktop_of(synced, "alice.wong")
    submitted = client.post(
        f"/desktops/{desktop}/disk-requests", {"volumes": [{"type": "SAS", "size": 20}]}
    )
    assert submitted.status_code == 201
    url = f"/disk-requests/{submitted.json()['id']}"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 3, statements
    assert "ON CONFLICT" in statements[1]
    assert not any("disks_cache" in sql or 'last_used_at" =' in sql for sql in statements)


@pytest.mark.parametrize("superuser", [False, True])
def test_the_token_comes_with_its_owner_and_audiences_as_the_orm_reads_them(
    helpdesk_user, superuser
):
    """One hand-written query: its values are converted as the ORM's are (SQLite: text, 0/1)."""
    helpdesk_user.is_superuser = superuser
    helpdesk_user.save()
    token = make_token(helpdesk_user, "helpdesk:read")
    expected = ApiToken.objects.select_related("user").get()

    found = api_token_for_hash(token_hash(token))

    assert found is not None
    for field in ApiToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.expires_at.tzinfo is not None and found.is_usable and found.read_only
    for field in type(helpdesk_user)._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(expected.user, field.attname)
    assert found.user.is_active is True and found.user.is_superuser is superuser
    audiences = {"helpdesk", "auditor"} if superuser else {"helpdesk"}
    assert user_audiences(found.user) == audiences
    assert api_token_for_hash(token_hash(token + "x")) is None


def test_writes_are_audited_with_channel_api_and_the_tokens_name_never_the_token(
    helpdesk_user, end_user, synced, caplog
):
    from tests.factories import desktop_of

    caplog.set_level(logging.DEBUG)
    token = make_token(helpdesk_user, "helpdesk", name="provisioning bot")
    response = ApiClient(token).post(
        f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests",
        {"volumes": [{"type": "SAS", "size": 20}]},
        key="first",
    )
    assert response.status_code == 201, response.json()
    submitted = AuditEvent.objects.get(action=AuditEvent.Action.REQUEST_SUBMITTED)
    assert submitted.channel == "api"
    assert submitted.actor_username == "hana.helpdesk"
    assert submitted.details["token"] == "provisioning bot"
    assert token not in all_rows_text()
    assert token not in caplog.text
    made = AuditEvent.objects.get(action=AuditEvent.Action.API_TOKEN_CREATED)
    assert made.details["name"] == "provisioning bot"


def test_admins_make_a_token_shown_once_and_revoke_it(client, helpdesk_user, django_user_model):
    admin = django_user_model.objects.create_superuser("ada.admin", password="x-123456789")
    client.force_login(admin)
    made = client.post(
        reverse("admin:disks_apitoken_add"),
        {"user": helpdesk_user.pk, "name": "for hana", "scope": "helpdesk:read", "expires_days": 5},
    )
    assert made.status_code == 200, made.content
    token = made.context["new_token"]
    api_token = ApiToken.objects.get()
    assert api_token.key_hash == token_hash(token) and api_token.user == helpdesk_user
    assert token not in client.get(reverse("admin:disks_apitoken_changelist")).content.decode()
    too_wide = client.post(
        reverse("admin:disks_apitoken_add"),
        {"user": helpdesk_user.pk, "name": "x", "scope": "auditor", "expires_days": 5},
    )
    assert too_wide.status_code == 200 and ApiToken.objects.count() == 1
    client.post(
        reverse("admin:disks_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [api_token.pk]},
    )
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert ApiClient(token).get("/desktops").status_code == 401
