"""The access matrix: every URL of the URL conf for every kind of person.

Generated from the resolver: a URL added without a rule in RULES fails
`test_every_url_has_an_access_rule`, so that nobody ships a page without deciding who may
open it. Allowed -> 200 (or the action's redirect); wrong audience -> 403; anonymous ->
the login page; another user's desktop or request in the portal -> 404. The admin (staff
only) is checked for every one of its URLs, none of these people being staff.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from tests.security.conftest import PERSONAS, walk_urls

pytestmark = pytest.mark.django_db

HELPDESK = {"helpdesk", "helpdesk_end_user"}
END_USERS = {"alice", "bob", "helpdesk_end_user"}
OK = {200, 302}


@dataclass(frozen=True)
class Rule:
    """Who may use a URL: anyone, signed_in, helpdesk, end_user, own (Alice's), auditor."""

    who: str
    method: str = "GET"
    args: Callable[[dict], list] = field(default=lambda world: [])
    data: Callable[[dict], dict] = field(default=lambda world: {})
    htmx: bool = False
    # For rules open to anyone: the statuses that are right (a page or a redirect).
    answers: frozenset[int] = frozenset(OK)


def _desktop(world):
    return [world["desktop"]]


def _running(world):
    return [world["running"].pk]


def _pending(world):
    return [world["pending"].pk]


RULES = {
    "login": Rule("anyone"),
    "logout": Rule("anyone", "POST"),
    "password_change": Rule("signed_in"),
    "password_change_done": Rule("signed_in"),
    "password_reset": Rule("anyone"),
    "password_reset_done": Rule("anyone"),
    "password_reset_confirm": Rule("anyone", args=lambda world: ["MQ", "not-a-token"]),
    "password_reset_complete": Rule("anyone"),
    "healthz": Rule("anyone"),
    "javascript-catalog": Rule("anyone"),
    # Probes answer anyone; metrics only a bearer token or an allowed address (none here).
    "readyz": Rule("anyone", answers=frozenset({200, 503})),
    "metrics": Rule("anyone", answers=frozenset({403})),
    # SSO with no provider configured (as in these tests): an unknown provider is a 404.
    "openid_connect_login": Rule(
        "anyone", "POST", args=lambda world: ["oidc"], answers=frozenset({404})
    ),
    "openid_connect_callback": Rule(
        "anyone", args=lambda world: ["oidc"], answers=frozenset({404})
    ),
    "disks:preferences": Rule("signed_in"),
    "disks:api-docs": Rule("signed_in"),
    # Anyone in an audience (tokens are never wider than their owner); no audience: 403.
    "disks:api-token-list": Rule("in_an_audience"),
    # Only the token's owner finds it: for anyone else (and for a token that is not there)
    # it is a 404, never a hint that it exists.
    "disks:api-token-revoke": Rule(
        "signed_in", "POST", args=lambda world: [999999], answers=frozenset({404})
    ),
    # Webhook endpoints are the admins' (Django permissions); none of these people is one.
    "disks:webhook-endpoint-detail": Rule("admin", args=lambda world: [1]),
    "disks:webhook-delivery-resend": Rule("admin", "POST", args=lambda world: [1]),
    "disks:language-set": Rule(
        "signed_in", "POST", data=lambda world: {"language": "en", "next": "/"}
    ),
    "disks:home": Rule("signed_in"),
    "disks:helpdesk-home": Rule("helpdesk"),
    "disks:helpdesk-approval-approve-many": Rule(
        "helpdesk", "POST", data=lambda world: {"pk": [world["pending"].pk]}
    ),
    "disks:helpdesk-batch-list": Rule("helpdesk"),
    "disks:helpdesk-batch-new": Rule("helpdesk"),
    "disks:helpdesk-batch-detail": Rule("helpdesk", args=lambda world: [world["batch"].pk]),
    "disks:helpdesk-batch-status": Rule(
        "helpdesk", args=lambda world: [world["batch"].pk], htmx=True
    ),
    "disks:helpdesk-desktop-list": Rule("helpdesk"),
    "disks:helpdesk-desktop-sync": Rule("helpdesk", "POST"),
    "disks:helpdesk-desktop-detail": Rule("helpdesk", args=_desktop),
    "disks:helpdesk-desktop-refresh": Rule("helpdesk", "POST", args=_desktop),
    "disks:helpdesk-disk-add": Rule("helpdesk", args=_desktop),
    "disks:helpdesk-request-list": Rule("helpdesk"),
    "disks:helpdesk-request-detail": Rule("helpdesk", args=_running),
    "disks:helpdesk-request-status": Rule("helpdesk", args=_running, htmx=True),
    "disks:helpdesk-approval-list": Rule("helpdesk"),
    "disks:helpdesk-approval-approve": Rule("helpdesk", "POST", args=_pending),
    "disks:helpdesk-approval-reject": Rule(
        "helpdesk", "POST", args=_pending, data=lambda world: {"reason": "no"}
    ),
    "disks:helpdesk-disk-expand": Rule(
        "helpdesk", args=lambda world: [world["disk_desktop"], world["disk"]]
    ),
    "disks:helpdesk-disk-delete": Rule(
        "helpdesk",
        args=lambda world: [world["disk_desktop"]],
        data=lambda world: {"volume": [world["disk"]]},
    ),
    "disks:portal-disk-expand": Rule(
        "own", args=lambda world: [world["disk_desktop"], world["disk"]]
    ),
    "disks:portal-home": Rule("end_user"),
    "disks:portal-disk-add": Rule("own", args=_desktop),
    "disks:portal-request-detail": Rule("own", args=_running),
    "disks:portal-request-status": Rule("own", args=_running, htmx=True),
    "disks:insights": Rule("helpdesk_or_auditor"),
    "disks:audit-event-list": Rule("auditor"),
    "disks:audit-event-detail": Rule("auditor", args=lambda world: [world["event"].pk]),
    "disks:audit-event-export": Rule("auditor"),
    "disks:audit-chain-verify": Rule("auditor", "POST"),
}


def expected(rule: Rule, who: str) -> set[int] | str:
    """The statuses allowed for `who`, or "login" for a redirect to the login page."""
    if rule.who == "anyone":
        return set(rule.answers)
    if who == "anonymous":
        return "login"
    if rule.answers != frozenset(OK):
        return set(rule.answers)
    allowed = {
        "signed_in": True,
        "helpdesk": who in HELPDESK,
        "end_user": who in END_USERS,
        "own": who == "alice",
        "auditor": who == "auditor",
        "in_an_audience": who != "nobody",
        "helpdesk_or_auditor": who in HELPDESK or who == "auditor",
        "admin": False,
    }[rule.who]
    if allowed:
        return OK
    if rule.who == "own" and who in END_USERS:
        return {404}  # another user's object: not even its existence shows
    return {403}


def app_url_names() -> set[str]:
    """Every page URL; the JSON API (api-v1:) has its own matrix in tests/api/test_access.py."""
    return {
        name for _, name, _ in walk_urls() if not (name or "").startswith(("admin:", "api-v1:"))
    }


def test_every_url_has_an_access_rule():
    unruled = app_url_names() - set(RULES)
    assert not unruled, f"URLs without an access rule in {__file__}: {sorted(unruled)}"
    assert not set(RULES) - app_url_names(), "rules for URLs that no longer exist"


def as_person(client, world, who):
    person = world["people"][who]
    if person is not None:
        client.force_login(person)
    return client


@pytest.mark.parametrize("who", PERSONAS)
def test_every_url_answers_each_person_as_its_rule_says(client, world, who):
    as_person(client, world, who)
    wrong = []
    # Signing out last, or every URL after it would be asked anonymously.
    for name, rule in sorted(RULES.items(), key=lambda item: item[0] == "logout"):
        url = reverse(name, args=rule.args(world))
        headers = {"HTTP_HX_REQUEST": "true"} if rule.htmx else {}
        send = client.post if rule.method == "POST" else client.get
        response = send(url, rule.data(world), **headers)
        want = expected(rule, who)
        if want == "login":
            if response.status_code != 302 or not response["Location"].startswith(
                "/accounts/login/?next="
            ):
                wrong.append((name, response.status_code, "login"))
        elif response.status_code not in want:
            wrong.append((name, response.status_code, sorted(want)))
    assert wrong == [], f"{who}: (url, got, expected)"


# The admin: staff only --------------------------------------------------------------------


def admin_paths() -> list[tuple[str, str]]:
    """(name, path) of every admin URL, its parameters filled with sample values."""
    paths = []
    for route, name, _ in walk_urls():
        if not route.startswith("admin/"):
            continue
        if name == "admin:app_list":
            path = "admin/disks/"
        elif "(?P<url>" in route:
            path = "admin/no-such-page/"
        else:
            path = re.sub(r"<(?:\w+:)?\w+>", "1", route)
        paths.append((name or "admin:(unnamed)", "/" + path))
    return paths


@pytest.mark.parametrize("who", PERSONAS)
def test_the_admin_lets_none_of_them_in(client, world, who):
    as_person(client, world, who)
    wrong = []
    for name, path in admin_paths():
        response = client.get(path)
        if name == "admin:login":
            ok = response.status_code == 200
        elif name == "admin:logout":
            ok = response.status_code in (302, 405)  # to the admin's index (and its login)
        else:
            # Anonymous: the site's login first (LoginRequiredMiddleware); others: the admin's.
            ok = response.status_code == 302 and response["Location"].startswith(
                ("/admin/login/", "/accounts/login/")
            )
        if not ok:
            wrong.append((name, path, response.status_code))
    assert len(admin_paths()) > 40
    assert wrong == []
