"""The add-disk form, built from rules.py: the browser's HTML limits and the server's checks
come from the same constants, so they cannot drift apart."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from disks import rules
from disks.client import VolumeSpec


def validate_disk_size(value: int) -> None:
    problem = rules.size_error(value)
    if problem:
        raise ValidationError(problem, code="disk_size")


def _at_most(max_size_gb: int):
    def validate(value: int) -> None:
        if value > max_size_gb:
            raise ValidationError(
                f"Disks requested here are at most {max_size_gb} GB; ask the helpdesk for more.",
                code="policy_size",
            )

    return validate


class DiskSizeField(forms.IntegerField):
    """A data disk size in GB: HTML min/max/step and server validation from rules.py."""

    default_validators = [validate_disk_size]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            min=rules.MIN_DISK_GB,
            max=rules.MAX_DISK_GB,
            step=rules.DISK_SIZE_STEP_GB,
            inputmode="numeric",
        )
        return attrs


class DiskTypeSelect(forms.Select):
    """A type menu whose options say which types need IOPS and throughput (`data-needs-qos`).

    The stylesheet shows a row's IOPS and throughput fields only while such a type is
    chosen (`:has()`), so the page needs no script and no server round trip for it.
    """

    def __init__(self, *args, qos_types: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.qos_types = qos_types

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.qos_types:
            option["attrs"]["data-needs-qos"] = "true"
        return option


class DiskRowForm(forms.Form):
    """One new data disk: type, size, and IOPS/throughput for types that need them."""

    type = forms.ChoiceField(label="Disk type")
    size = DiskSizeField(label="Size (GB)")
    iops = forms.IntegerField(label="IOPS", required=False, min_value=0)
    throughput = forms.IntegerField(label="Throughput (MiB/s)", required=False, min_value=0)

    def __init__(
        self,
        *args,
        disk_types: tuple[rules.DiskType, ...],
        max_size_gb: int = rules.MAX_DISK_GB,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if max_size_gb < rules.MAX_DISK_GB:
            # A tighter limit (the portal's policy): in the browser and on the server.
            self.fields["size"].widget.attrs["max"] = max_size_gb
            self.fields["size"].validators.append(_at_most(max_size_gb))
        self.disk_types = {disk_type.name: disk_type for disk_type in disk_types}
        self.fields["type"].choices = [(t.name, t.label) for t in disk_types]
        self.fields["type"].widget = DiskTypeSelect(
            choices=self.fields["type"].choices,
            qos_types=frozenset(t.name for t in disk_types if t.needs_qos),
        )

    def clean(self):
        cleaned = super().clean()
        disk_type = self.disk_types.get(cleaned.get("type", ""))
        if disk_type is None:
            return cleaned
        if disk_type.needs_qos:
            self._check_qos_range(cleaned, "iops", disk_type.iops_min, disk_type.iops_max)
            self._check_qos_range(
                cleaned, "throughput", disk_type.throughput_min, disk_type.throughput_max
            )
        else:
            # Hidden for this type (the row may have had a QoS type before): not sent.
            cleaned["iops"] = cleaned["throughput"] = None
        return cleaned

    def _check_qos_range(self, cleaned, name: str, low: int | None, high: int | None) -> None:
        value = cleaned.get(name)
        label = self.fields[name].label
        if value is None:
            self.add_error(name, f"{cleaned['type']} disks need {label}.")
        elif (low is not None and value < low) or (high is not None and value > high):
            self.add_error(name, f"{label} must be between {low} and {high}.")

    def volume_spec(self) -> VolumeSpec:
        data = self.cleaned_data
        return VolumeSpec(
            type=data["type"],
            size=data["size"],
            iops=data.get("iops") or None,
            throughput=data.get("throughput") or None,
        )


class BaseDiskFormSet(forms.BaseFormSet):
    """The rows of one request; never more than the desktop has free slots."""

    def __init__(
        self,
        *args,
        disk_types,
        free_slots: int,
        existing_disks: int,
        max_rows: int = rules.MAX_DATA_DISKS_PER_DESKTOP,
        max_size_gb: int = rules.MAX_DISK_GB,
        **kwargs,
    ):
        self.disk_types = disk_types
        self.free_slots = free_slots
        self.existing_disks = existing_disks
        self.max_rows = max_rows
        self.max_size_gb = max_size_gb
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"disk_types": self.disk_types, "max_size_gb": self.max_size_gb}

    @property
    def empty_form(self):
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            disk_types=self.disk_types,
            max_size_gb=self.max_size_gb,
            renderer=self.renderer,
        )

    def clean(self):
        if any(self.errors):
            return
        if self.total_form_count() > self.max_rows:
            raise ValidationError(
                f"At most {self.max_rows} disks can be requested at a time here.",
                code="too_many_rows",
            )
        problem = rules.too_many_disks_error(self.existing_disks, self.total_form_count())
        if problem:
            raise ValidationError(problem, code="too_many_disks")

    def volume_specs(self) -> list[VolumeSpec]:
        return [form.volume_spec() for form in self.forms]


DiskFormSet = forms.formset_factory(
    DiskRowForm,
    formset=BaseDiskFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=rules.MAX_DATA_DISKS_PER_DESKTOP,
    absolute_max=rules.MAX_DATA_DISKS_PER_DESKTOP,
    validate_max=True,
)


class DiskRequestForm(forms.Form):
    """What the request carries besides its disks."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    enterprise_project_id = forms.CharField(
        label="Enterprise project",
        max_length=36,
        required=False,
        help_text='The desktop\'s own, or "0" for the default project.',
    )

    @classmethod
    def fresh(cls, *, enterprise_project_id: str) -> "DiskRequestForm":
        """An unbound form with a new idempotency key: one key per intended submission."""
        return cls(
            initial={
                "idempotency_key": uuid.uuid4(),
                "enterprise_project_id": enterprise_project_id or "0",
            }
        )


class BatchDesktopsForm(forms.Form):
    """A batch's desktops as pasted, besides those ticked in the inventory (`desktop`)."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    pasted = forms.CharField(
        label=_("Or paste computer names, desktop ids or user names, one a line"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
