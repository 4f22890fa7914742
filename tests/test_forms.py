"""The add-disk form: the browser's limits and the server's checks come from rules.py."""

import re

import pytest

from disks import rules
from disks.forms import DiskFormSet, DiskRowForm

SAS = rules.DiskType("SAS", "High I/O (SAS)")
GPSSD2 = rules.DiskType(
    "GPSSD2", "GPSSD2", iops_min=3000, iops_max=128000, throughput_min=125, throughput_max=1000
)
TYPES = (SAS, GPSSD2)


def row(data=None):
    return DiskRowForm(data, disk_types=TYPES)


def formset(rows, *, existing=0):
    data = {"disks-TOTAL_FORMS": str(len(rows)), "disks-INITIAL_FORMS": "0"}
    for index, values in enumerate(rows):
        data.update({f"disks-{index}-{key}": value for key, value in values.items()})
    return DiskFormSet(
        data,
        prefix="disks",
        disk_types=TYPES,
        free_slots=rules.free_disk_slots(existing),
        existing_disks=existing,
    )


def attributes(html: str, name: str) -> dict[str, str]:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag)) | {
        flag: "" for flag in ("required",) if re.search(rf"\b{flag}\b", tag)
    }


def test_size_input_carries_the_rules_as_html_attributes():
    attrs = attributes(str(row()), "size")
    assert attrs["type"] == "number"
    assert attrs["min"] == str(rules.MIN_DISK_GB) == "10"
    assert attrs["max"] == str(rules.MAX_DISK_GB) == "32760"
    assert attrs["step"] == str(rules.DISK_SIZE_STEP_GB) == "10"
    assert "required" in attrs


def test_type_select_offers_exactly_the_given_types():
    html = str(row()["type"])
    assert re.findall(r'<option value="(\w+)"', html) == ["SAS", "GPSSD2"]


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (rules.MIN_DISK_GB - 10, "between 10 and 32760"),
        (rules.MAX_DISK_GB + 10, "between 10 and 32760"),
        (25, "steps of 10 GB: choose 20 or 30"),
    ],
)
def test_it_refuses_sizes_outside_the_rules(size, message):
    form = row({"type": "SAS", "size": str(size)})
    assert not form.is_valid()
    assert message in form.errors["size"][0]


@pytest.mark.parametrize("size", [rules.MIN_DISK_GB, 20, rules.MAX_DISK_GB])
def test_it_accepts_sizes_at_the_bounds(size):
    assert row({"type": "SAS", "size": str(size)}).is_valid()


def test_it_refuses_a_type_not_offered():
    form = row({"type": "ESSD", "size": "10"})
    assert not form.is_valid()
    assert "type" in form.errors


def test_gpssd2_needs_iops_and_throughput_within_range():
    missing = row({"type": "GPSSD2", "size": "100"})
    assert not missing.is_valid()
    assert "need" in missing.errors["iops"][0]
    out_of_range = row({"type": "GPSSD2", "size": "100", "iops": "10", "throughput": "125"})
    assert not out_of_range.is_valid()
    assert "between 3000 and 128000" in out_of_range.errors["iops"][0]
    good = row({"type": "GPSSD2", "size": "100", "iops": "3000", "throughput": "125"})
    assert good.is_valid(), good.errors
    assert good.volume_spec().iops == 3000


def test_types_without_qos_drop_hidden_iops():
    form = row({"type": "SAS", "size": "100", "iops": "3000", "throughput": "200"})
    assert form.is_valid()
    assert form.volume_spec().iops is None and form.volume_spec().throughput is None


def test_qos_types_are_marked_for_the_stylesheet():
    html = str(row()["type"])
    assert '<option value="GPSSD2" data-needs-qos="true">' in html
    assert '<option value="SAS">' in html


def test_formset_refuses_more_disks_than_free_slots():
    rows = [{"type": "SAS", "size": "10"}] * 3
    assert formset(rows, existing=7).is_valid()
    too_many = formset(rows, existing=8)
    assert not too_many.is_valid()
    assert "already has 8 data disks and can take only 2 more" in too_many.non_form_errors()[0]


def test_formset_never_takes_more_than_ten_disks():
    rows = [{"type": "SAS", "size": "10"}] * 11
    assert not formset(rows).is_valid()


def test_formset_needs_at_least_one_disk():
    assert not formset([]).is_valid()
