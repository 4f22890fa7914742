"""The demo accounts `make run` creates are the ones the README promises, in the right groups."""

import re

import pytest
from django.contrib.auth import get_user_model

from disks.access import user_audiences
from disks.services.demo import DEMO_SUPERUSER, demo_logins_ensure
from tests.factories import REPO_ROOT

pytestmark = pytest.mark.django_db


def readme_demo_usernames() -> set[str]:
    """The usernames in the README's sentence about `make run`'s demo accounts."""
    readme = (REPO_ROOT / "README.md").read_text()
    sentence = re.search(r"`make run` creates demo accounts(.+?)\n\n", readme, re.S)
    assert sentence, "the README no longer lists the demo accounts"
    return set(re.findall(r"`([a-z]+\.[a-z]+)`", sentence.group(1)))


def test_the_readme_lists_exactly_the_accounts_make_run_creates(settings):
    settings.DEBUG = True
    logins = demo_logins_ensure()
    created = {login.username for login in logins} - {DEMO_SUPERUSER.username}
    assert readme_demo_usernames() == created
    assert {"alice.wong", "bob.martin", "audrey.auditor", "helen.helpdesk"} <= created


def test_each_demo_account_signs_in_to_its_audience(settings, client):
    settings.DEBUG = True
    audiences = {
        "helen.helpdesk": "helpdesk",
        "alice.wong": "end_user",
        "bob.martin": "end_user",
        "audrey.auditor": "auditor",
    }
    for login in demo_logins_ensure():
        user = get_user_model().objects.get(username=login.username)
        assert user.check_password(login.password), login.username
        if login.username in audiences:
            assert audiences[login.username] in user_audiences(user), login.username


def test_demo_accounts_are_created_once(settings):
    settings.DEBUG = True
    demo_logins_ensure()
    demo_logins_ensure()
    assert get_user_model().objects.filter(username="alice.wong").count() == 1
