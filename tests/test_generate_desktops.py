"""`manage.py generate_desktops`: a realistic inventory, fast, never by accident."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from disks import rules
from disks.models import Desktop, DesktopUser
from disks.selectors import desktop_list, desktop_statuses

pytestmark = pytest.mark.django_db


def test_it_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true or --force"):
        call_command("generate_desktops", "10")
    assert not Desktop.objects.exists()


def test_it_adds_a_realistic_fleet_with_its_user_names(settings, capsys):
    settings.DEBUG = True
    call_command("generate_desktops", "500", "--batch-size", "120", "--seed", "3")
    assert "added 500 desktops" in capsys.readouterr().out
    assert Desktop.objects.count() == 500
    assert Desktop.objects.values("status").distinct().count() >= 4
    assert Desktop.objects.exclude(task_status="").exists()
    counts = set(Desktop.objects.values_list("data_volume_count", flat=True))
    assert {0, rules.MAX_DATA_DISKS_PER_DESKTOP} <= counts
    for desktop in Desktop.objects.filter(data_volume_count__gt=0)[:50]:
        assert len(desktop.data_volumes) == desktop.data_volume_count
        devices = [volume["device"] for volume in desktop.sorted_data_volumes]
        assert devices[0] == "/dev/vdb" and len(set(devices)) == len(devices)
    # Every owner has a DesktopUser row, and some desktops are shared.
    assert DesktopUser.objects.count() > 500
    owner = Desktop.objects.order_by("pk").first()
    assert owner in desktop_list(search=owner.user_name.upper())
    # The status filter's choices (a loose index scan) are exactly the statuses present.
    present = sorted(set(Desktop.objects.values_list("status", flat=True)))
    assert desktop_statuses() == present


def test_the_inventory_page_lists_them(settings, helpdesk_client):
    call_command("generate_desktops", "60", "--force", "--seed", "1")
    response = helpdesk_client.get(reverse("disks:helpdesk-desktop-list"))
    assert b"60 desktops" in response.content


def test_the_same_seed_twice_is_refused_cleanly(settings):
    call_command("generate_desktops", "5", "--force", "--seed", "9")
    with pytest.raises(CommandError, match="exist already"):
        call_command("generate_desktops", "5", "--force", "--seed", "9")
    assert Desktop.objects.count() == 5
