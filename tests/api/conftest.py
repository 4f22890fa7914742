"""API fixtures (helpers are in tests/api/helpers.py)."""

import pytest
from django.contrib.auth.models import Group

from tests.api.helpers import ApiClient, make_token


@pytest.fixture
def helpdesk_end_user(django_user_model):
    """Alice, who is both helpdesk and a desktop user: four eyes apply to her own requests."""
    user = django_user_model.objects.create_user(username="alice.wong", password="pw-x-123456")
    for name in ("helpdesk", "end_user"):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def helpdesk_api(helpdesk_user):
    """An API client with a helpdesk-scoped token of the helpdesk user's."""
    return ApiClient(make_token(helpdesk_user, "helpdesk"))


@pytest.fixture
def alice_api(end_user):
    """An API client with an end-user token of Alice's."""
    return ApiClient(make_token(end_user, "end_user"))
