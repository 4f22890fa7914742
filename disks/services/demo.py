"""Demo accounts for `make run`: created once, never in production mode.

The README lists these accounts (tests/test_demo_accounts.py holds the two together).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


DEMO_SUPERUSER = DemoLogin("superuser (Django admin)", "admin", "admin-demo-pass")
# alice.wong and bob.martin own desktops in the simulator's seed, so the portal shows them.
DEMO_MEMBERS = (
    (DemoLogin("helpdesk", "helen.helpdesk", "helpdesk-demo-pass"), "helpdesk"),
    (DemoLogin("end user (portal)", "alice.wong", "alice-demo-pass"), "end_user"),
    (DemoLogin("end user (portal)", "bob.martin", "bob-demo-pass"), "end_user"),
    (DemoLogin("auditor", "audrey.auditor", "auditor-demo-pass"), "auditor"),
)


def demo_logins_ensure() -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet; return every demo login.

    An existing account is left as it is (its password may have been changed since).
    """
    if not settings.DEBUG:
        raise ImproperlyConfigured("Demo accounts are for development only (DEBUG is off).")
    user_model = get_user_model()
    if not user_model.objects.filter(is_superuser=True).exists():
        user_model.objects.create_superuser(
            username=DEMO_SUPERUSER.username, password=DEMO_SUPERUSER.password, email=""
        )
    for login, group_name in DEMO_MEMBERS:
        user, created = user_model.objects.get_or_create(
            username=login.username, defaults={"email": f"{login.username}@example.com"}
        )
        if created:
            user.set_password(login.password)
            user.save()
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
    return [DEMO_SUPERUSER, *(login for login, _ in DEMO_MEMBERS)]
