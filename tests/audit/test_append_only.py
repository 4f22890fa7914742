"""Append-only in every layer: model, queryset, admin, and PostgreSQL's trigger."""

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from disks.admin import AuditEventAdmin
from disks.models import AuditEvent
from disks.models.audit import AuditLogIsAppendOnly
from disks.services.audit import audit_event_record
from tests.audit.conftest import postgres_only
from tests.factories import SYSTEM, helpdesk_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded():
    return audit_event_record(
        action=AuditEvent.Action.INVENTORY_SYNCED,
        outcome=AuditEvent.Outcome.SUCCESS,
        actor=SYSTEM,
        details={"total": 3},
    )


def test_save_refuses_to_change_a_written_event(recorded):
    recorded.outcome = AuditEvent.Outcome.FAILURE
    with pytest.raises(AuditLogIsAppendOnly):
        recorded.save()
    assert AuditEvent.objects.get(pk=recorded.pk).outcome == "success"


def test_delete_refuses(recorded):
    with pytest.raises(AuditLogIsAppendOnly):
        recorded.delete()
    assert AuditEvent.objects.filter(pk=recorded.pk).exists()


def test_queryset_update_and_delete_refuse(recorded):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=recorded.pk).update(outcome="failure")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=recorded.pk).outcome == "success"


def test_deleting_the_actor_leaves_the_event_and_its_username(recorded, django_user_model):
    user = django_user_model.objects.create_user(username="gone.soon", password="x-1")
    event = audit_event_record(
        action=AuditEvent.Action.REQUEST_SUBMITTED,
        outcome=AuditEvent.Outcome.PENDING,
        actor=helpdesk_actor(user),
    )
    user.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor_username == "gone.soon"


@pytest.fixture
def superuser_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-1")
    client.force_login(admin)
    return client


def test_the_admin_offers_no_add_change_or_delete(rf, recorded, django_user_model):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    model_admin = AuditEventAdmin(AuditEvent, admin.site)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, recorded)
    assert not model_admin.has_delete_permission(request, recorded)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_pages_refuse_writes_even_to_a_superuser(superuser_client, recorded):
    base = "/admin/disks/auditevent/"
    assert superuser_client.get(base).status_code == 200
    assert superuser_client.get(f"{base}add/").status_code == 403
    change_page = superuser_client.get(f"{base}{recorded.pk}/change/")
    assert change_page.status_code == 200, "viewable"
    assert b'name="_save"' not in change_page.content
    assert (
        superuser_client.post(f"{base}{recorded.pk}/change/", {"outcome": "failure"}).status_code
        == 403
    )
    assert superuser_client.post(f"{base}{recorded.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [recorded.pk], "post": "yes"}
    superuser_client.post(base, bulk)
    assert AuditEvent.objects.get(pk=recorded.pk).outcome == "success"


@postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE disks_auditevent SET outcome = 'failure' WHERE id = %s",
        "DELETE FROM disks_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_update_and_delete(recorded, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [recorded.pk])
    assert AuditEvent.objects.get(pk=recorded.pk).outcome == "success"
