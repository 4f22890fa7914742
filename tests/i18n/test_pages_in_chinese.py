"""Every page, rendered for a Chinese reader, shows no English words.

The pages of each audience are rendered with Accept-Language: zh-CN; the text a person sees
(and the attributes they hear: title, aria-label, placeholder, alt) must hold no English word
outside a short list of names the Chinese console writes the same way. The catalog tests
prove every string is translated; this proves the pages use the translations (no string
built around them, no literal left in a view).
"""

import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Each audience's pages, with their arguments from the `world` fixture (tests/conftest.py).
HELPDESK_PAGES = [
    ("disks:helpdesk-home", lambda w: []),
    ("disks:helpdesk-desktop-list", lambda w: []),
    ("disks:helpdesk-desktop-detail", lambda w: [w["desktop"]]),
    ("disks:helpdesk-disk-add", lambda w: [w["desktop"]]),
    ("disks:helpdesk-disk-expand", lambda w: [w["disk_desktop"], w["disk"]]),
    ("disks:helpdesk-disk-delete", lambda w: [w["disk_desktop"]]),
    ("disks:helpdesk-request-list", lambda w: []),
    ("disks:helpdesk-request-detail", lambda w: [w["running"].pk]),
    ("disks:helpdesk-request-status", lambda w: [w["running"].pk]),
    ("disks:helpdesk-approval-list", lambda w: []),
    ("disks:helpdesk-batch-list", lambda w: []),
    ("disks:helpdesk-batch-new", lambda w: []),
    ("disks:helpdesk-batch-detail", lambda w: [w["batch"].pk]),
    ("disks:helpdesk-batch-status", lambda w: [w["batch"].pk]),
]
PORTAL_PAGES = [
    ("disks:portal-home", lambda w: []),
    ("disks:portal-disk-add", lambda w: [w["desktop"]]),
    ("disks:portal-disk-expand", lambda w: [w["disk_desktop"], w["disk"]]),
    ("disks:portal-request-detail", lambda w: [w["running"].pk]),
    ("disks:portal-request-status", lambda w: [w["running"].pk]),
]
AUDIT_PAGES = [("disks:audit-event-list", lambda w: [])]


# Words a Chinese page may show: names, units, codes. Each with its reason.
SAME_IN_CHINESE = {
    "Workspace": "the cloud service's name (in the brand, Workspace 数据盘管理)",
    "API": "as the console writes it",
    "ID": "as the console writes it",
    "IOPS": "the cloud's own name for the figure",
    "IO": "in the console's disk type names (普通IO, 高IO)",
    "GB": "unit",
    "TB": "unit",
    "MiB": "unit (MiB/s)",
    "UTC": "a time zone",
    "CSV": "a file format",
    "ACTIVE": "the cloud's status code, shown beside the words",
    "SHUTOFF": "the cloud's status code",
    "HTTP": "a protocol",
    "Bearer": "an HTTP header's value",
    "Authorization": "an HTTP header's name",
    "token": "inside <code>Authorization: Bearer <token></code>",
    "Webhook": "as the console writes it",
    "Django": "the framework's admin",
    "English": "a language is offered in its own name (English, 简体中文)",
    "SATA": "a disk type's code",
    "SAS": "a disk type's code",
    "SSD": "a disk type's code",
    "GPSSD": "a disk type's code",
    "ESSD": "a disk type's code",
    "Windows": "a product name",
    "diskmgmt": "a Windows program's file name",
    "msc": "a Windows program's file name",
}

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TAG = re.compile(r"<[^>]+>")
SKIPPED = re.compile(r"<(script|style|code|time|pre|svg)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
READ_ATTRIBUTE = re.compile(r'\s(?:title|aria-label|placeholder|alt)="([^"]*)"')
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# The cloud's own codes, shown as it sends them: task names (addingVolumes), devices (vdb).
CLOUD_CODE = re.compile(r"^(?:[a-z]+[A-Z]\w*|vd[a-z]+)$")
# Ids (UUIDs, 32-hex request ids) are removed whole before words are looked for.
HEX_ID = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b"
)
# Time zones are listed by their IANA names (Asia/Shanghai), as the browser reports them.
TIME_ZONE_OPTION = re.compile(r'<select name="time_zone".*?</select>', re.DOTALL)


def english_words(html: str, known: set[str]) -> set[str]:
    """The English words on a page, less names, codes and the data shown (usernames, ids)."""
    html = TIME_ZONE_OPTION.sub(" ", SKIPPED.sub(" ", html))
    heard = " ".join(READ_ATTRIBUTE.findall(html))
    text = HEX_ID.sub(" ", unescape(TAG.sub(" ", html) + " " + heard))
    return {
        word
        for word in WORD.findall(text)
        if word not in SAME_IN_CHINESE
        and word not in known
        and not re.search(r"\d", word)
        and not CLOUD_CODE.match(word)
    }


def data_words(world: dict) -> set[str]:
    """Words that are data, not interface: names of people and desktops, disk ids."""
    from disks.models import Desktop

    words = set()
    for desktop in Desktop.objects.all():
        words |= set(
            WORD.findall(
                f"{desktop.computer_name} {desktop.desktop_id} {desktop.user_name} "
                f"{desktop.availability_zone} {desktop.data_volumes} {desktop.root_volume}"
            )
        )
    for person in world["people"].values():
        if person is not None:
            words |= set(WORD.findall(person.username))
    return words


@pytest.mark.parametrize(
    ("who", "pages"),
    [("helpdesk", HELPDESK_PAGES), ("alice", PORTAL_PAGES), ("auditor", AUDIT_PAGES)],
)
def test_pages_in_chinese_have_no_english_left(client, chinese_world, who, pages):
    world = chinese_world
    client.force_login(world["people"][who])
    known = data_words(world)
    left = {}
    for url_name, args in pages:
        url = reverse(url_name, args=args(world))
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
        assert page.status_code == 200, url
        assert CHINESE.search(page.content.decode()), url
        words = english_words(page.content.decode(), known)
        if words:
            left[url_name] = sorted(words)
    assert not left, left


def first_event_pk() -> int:
    from disks.models import AuditEvent

    return AuditEvent.objects.order_by("sequence").first().pk


# Pages the access matrix does not list: home, preferences, tokens, insights, audit detail.
OTHER_PAGES = {
    "helpdesk": [
        ("disks:preferences", lambda w: []),
        ("disks:api-token-list", lambda w: []),
        ("disks:insights", lambda w: []),
    ],
    "alice": [("disks:api-token-list", lambda w: []), ("disks:preferences", lambda w: [])],
    "auditor": [
        ("disks:audit-event-detail", lambda w: [first_event_pk()]),
        ("disks:insights", lambda w: []),
    ],
    "nobody": [("disks:home", lambda w: [])],
}


@pytest.mark.parametrize("who", list(OTHER_PAGES))
def test_other_pages_in_chinese_have_no_english_left(client, chinese_world, who):
    test_pages_in_chinese_have_no_english_left(client, chinese_world, who, OTHER_PAGES[who])


def test_the_sign_in_and_lock_out_pages_are_in_chinese(client, settings):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert CHINESE.search(page.content.decode())
    assert not english_words(page.content.decode(), set())
