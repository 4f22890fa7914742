"""API fixtures (helpers are in tests/api/helpers.py)."""

import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def helpdesk_end_user(django_user_model):
    """Alice, who is both helpdesk and a desktop user: four eyes apply to her own requests."""
    user = django_user_model.objects.create_user(username="alice.wong", password="pw-x-123456")
    for name in ("helpdesk", "end_user"):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
