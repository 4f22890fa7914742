"""The session's user is read with its audiences in one query (disks/selectors/rows.py).

Every session backend's get_user (local, LDAP, OpenID Connect) replaces Django's read: the same user, field for field, as the
ORM reads it (SQLite hands over datetimes as text and booleans as 0 or 1), the audiences
the groups give, and still none for an unknown, inactive or no-longer-local account.
"""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disks.access import user_audiences
from disks.directory.backends import DirectoryLDAPBackend, LocalBackend
from disks.directory.oidc import OIDCSessionBackend
from disks.selectors.rows import user_with_audiences

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("superuser", [False, True])
def test_the_user_is_what_the_orm_reads_with_its_audiences(helpdesk_user, superuser):
    helpdesk_user.is_superuser = superuser
    helpdesk_user.groups.add(Group.objects.get_or_create(name="end_user")[0])
    helpdesk_user.save()
    expected = type(helpdesk_user).objects.get(pk=helpdesk_user.pk)

    with CaptureQueriesContext(connection) as queries:
        user = LocalBackend().get_user(helpdesk_user.pk)
        audiences = user_audiences(user)

    assert len(queries) == 1
    for field in type(helpdesk_user)._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
    assert user.is_active is True and user.is_superuser is superuser
    assert user.date_joined.tzinfo is not None
    assert audiences == (
        {"helpdesk", "end_user", "auditor"} if superuser else {"helpdesk", "end_user"}
    )


def test_unknown_malformed_inactive_and_non_local_accounts_get_no_user(
    helpdesk_user, end_user, settings
):
    assert user_with_audiences(10**9) is None
    assert user_with_audiences("not a number") is None
    end_user.is_active = False
    end_user.save()
    assert LocalBackend().get_user(end_user.pk) is None
    settings.LOCAL_LOGIN_FOR = "staff"
    assert LocalBackend().get_user(helpdesk_user.pk) is None


@pytest.mark.parametrize("backend", [LocalBackend, DirectoryLDAPBackend, OIDCSessionBackend])
def test_every_session_backend_reads_the_user_with_its_audiences(end_user, backend):
    """Portal users sign in by the directory or SSO: their sessions get the one query too."""
    with CaptureQueriesContext(connection) as queries:
        user = backend().get_user(end_user.pk)
        assert user_audiences(user) == {"end_user"}
    assert len(queries) == 1 and user.username == "alice.wong"
    if backend is DirectoryLDAPBackend:
        assert user.ldap_user is not None  # as django-auth-ldap's own get_user leaves it
    end_user.is_active = False
    end_user.save()
    assert backend().get_user(end_user.pk) is None


def test_leaving_a_group_takes_effect_on_the_next_page(client, helpdesk_user):
    client.force_login(helpdesk_user, backend="disks.directory.backends.LocalBackend")
    assert client.get(reverse("disks:helpdesk-desktop-list")).status_code == 200

    helpdesk_user.groups.clear()

    assert client.get(reverse("disks:helpdesk-desktop-list")).status_code == 403
