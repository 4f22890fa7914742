"""The add-disk form, built from rules.py: the browser's HTML limits and the server's checks
come from the same constants, so they cannot drift apart."""

import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from disks import rules
from disks.client import VolumeSpec
from disks.models import DiskRequest


def validate_disk_size(value: int) -> None:
    problem = rules.size_error(value)
    if problem:
        raise ValidationError(problem, code="disk_size")


def _at_most(max_size_gb: int):
    def validate(value: int) -> None:
        if value > max_size_gb:
            raise ValidationError(
                _("Disks requested here are at most %(max)s GB; ask the helpdesk for more.")
                % {"max": max_size_gb},
                code="policy_size",
            )

    return validate


class DiskSizeField(forms.IntegerField):
    """A data disk size in GB: HTML min/max/step and server validation from rules.py."""

    default_validators = [validate_disk_size]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Our words, from rules.py, for every way a size can be wrong: the same message shows
        # while typing (live validation) and after a submit, in the same place.
        # Lazy: the field is built once, at import; the words are read in each page's language.
        self.error_messages["required"] = lazy(rules.size_missing_error, str)()
        self.error_messages["invalid"] = lazy(rules.size_not_a_number_error, str)()
        self.help_text = lazy(rules.size_hint, str)()

    def to_python(self, value):
        # int() would take "1e3" only through float(); Django refuses it, but say why in
        # our words: digits only.
        if isinstance(value, str) and value.strip() and not value.strip().isdigit():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            min=rules.MIN_DISK_GB,
            max=rules.MAX_DISK_GB,
            step=rules.DISK_SIZE_STEP_GB,
            inputmode="numeric",
        )
        if self.required:
            # Formsets leave `required` out of their rows' HTML; a size is always needed, and
            # the browser should know it before the round trip.
            attrs["required"] = True
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

    type = forms.ChoiceField(label=gettext_lazy("Disk type"))
    size = DiskSizeField(label=gettext_lazy("Size (GB)"))
    iops = forms.IntegerField(label=gettext_lazy("IOPS"), required=False, min_value=0)
    throughput = forms.IntegerField(
        label=gettext_lazy("Throughput (MiB/s)"), required=False, min_value=0
    )

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
            size = self.fields["size"]
            size.widget.attrs["max"] = max_size_gb
            size.validators.append(_at_most(max_size_gb))
            size.help_text = rules.size_hint(max_size_gb)
            size.error_messages["required"] = rules.size_missing_error(max_size_gb)
            size.error_messages["invalid"] = rules.size_not_a_number_error(max_size_gb)
        self.disk_types = {disk_type.name: disk_type for disk_type in disk_types}
        type_field = cast(forms.ChoiceField, self.fields["type"])
        type_field.choices = [(t.name, t.label) for t in disk_types]
        type_field.widget = DiskTypeSelect(
            choices=type_field.choices,
            qos_types=frozenset(t.name for t in disk_types if t.needs_qos),
        )
        self._describe_qos_ranges([t for t in disk_types if t.needs_qos])

    def _describe_qos_ranges(self, qos_types: list[rules.DiskType]) -> None:
        """Show each QoS field's range under it (and as min/max when one type needs QoS)."""
        for name, low, high in (
            ("iops", "iops_min", "iops_max"),
            ("throughput", "throughput_min", "throughput_max"),
        ):
            hints = [
                _("%(type)s: %(low)s to %(high)s.")
                % {
                    "type": t.name,
                    "low": rules.grouped(getattr(t, low)),
                    "high": rules.grouped(getattr(t, high)),
                }
                for t in qos_types
                if getattr(t, low) is not None and getattr(t, high) is not None
            ]
            self.fields[name].help_text = " ".join(hints)
            if len(qos_types) == 1 and hints:
                self.fields[name].widget.attrs.update(
                    min=getattr(qos_types[0], low), max=getattr(qos_types[0], high)
                )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
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
            self.add_error(
                name,
                _("%(type)s disks need %(label)s.") % {"type": cleaned["type"], "label": label},
            )
        elif (low is not None and value < low) or (high is not None and value > high):
            self.add_error(
                name,
                _("%(label)s must be between %(low)s and %(high)s.")
                % {"label": label, "low": low, "high": high},
            )

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

    # Set by BaseFormSet at run time; django-stubs does not declare them.
    error_messages: dict[str, Any]
    renderer: Any

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
        # Django's own ("Please submit at most 10 forms.") speaks of forms; we speak of disks.
        self.error_messages["too_many_forms"] = rules.too_many_rows_error(self.max_num)
        self.error_messages["too_few_forms"] = _("Add at least one disk.")

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
            raise ValidationError(rules.too_many_rows_error(self.max_rows), code="too_many_rows")
        problem = rules.too_many_disks_error(self.existing_disks, self.total_form_count())
        if problem:
            raise ValidationError(problem, code="too_many_disks")

    def volume_specs(self) -> list[VolumeSpec]:
        return [form.volume_spec() for form in self.forms]


# formset_factory is typed as returning a plain BaseFormSet; it returns our subclass.
DiskFormSet = cast(
    type[BaseDiskFormSet],
    forms.formset_factory(
        DiskRowForm,
        formset=BaseDiskFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        max_num=rules.MAX_DATA_DISKS_PER_DESKTOP,
        absolute_max=rules.MAX_DATA_DISKS_PER_DESKTOP,
        validate_max=True,
    ),
)


class DiskRequestForm(forms.Form):
    """What the request carries besides its disks."""

    # The request the cloud refused, when the form is shown again to fix it (_disk_form.html).
    refused_request: DiskRequest | None = None

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    enterprise_project_id = forms.CharField(
        label=gettext_lazy("Enterprise project (billing)"),
        max_length=36,
        required=False,
        help_text=gettext_lazy(
            "The enterprise project the new disks are billed to and managed in. It starts as "
            "the desktop's own; change it only when the disks belong to another project. "
            '"0" is the default project.'
        ),
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


# Expand and delete ----------------------------------------------------------------------------


def _grows(size_gb: int, max_size_gb: int):
    """The validator of one disk's new size: rules.py's expand rule, then the ceiling."""

    def validate(value: int) -> None:
        problem = rules.expand_size_error(size_gb, value)
        if problem:
            raise ValidationError(problem, code="expand_size")
        if value > max_size_gb:
            raise ValidationError(
                _("Disks grow here to at most %(max)s GB; ask the helpdesk for more.")
                % {"max": max_size_gb},
                code="policy_size",
            )

    return validate


class NewSizeField(forms.IntegerField):
    """A data disk's size after an expand, in GB: HTML min/max/step and server checks from
    rules.py (larger than the disk, 10..32760 in steps of 10) and the ceiling given."""

    def __init__(self, *, size_gb: int, max_size_gb: int = rules.MAX_DISK_GB, **kwargs):
        self.size_gb = size_gb
        self.max_size_gb = max_size_gb
        super().__init__(validators=[_grows(size_gb, max_size_gb)], **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            min=rules.smallest_expansion_gb(self.size_gb),
            max=self.max_size_gb,
            step=rules.DISK_SIZE_STEP_GB,
            inputmode="numeric",
        )
        return attrs


class ExpandForm(forms.Form):
    """The new size of one data disk (`new_size`), and optionally of the desktop's other data
    disks (`also_<volume id>`, blank: unchanged): all go in one request."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        disk: dict,
        others: list[dict] | tuple = (),
        max_size_gb: int = rules.MAX_DISK_GB,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.disks = {"new_size": disk}
        self.fields["new_size"] = NewSizeField(
            size_gb=disk["size"], max_size_gb=max_size_gb, label=_("New size (GB)")
        )
        for other in others:
            name = f"also_{other['volume_id']}"
            self.disks[name] = other
            self.fields[name] = NewSizeField(
                size_gb=other["size"],
                max_size_gb=max_size_gb,
                required=False,
                label=_("New size of %(device)s (GB)") % {"device": other.get("device") or ""},
            )

    @classmethod
    def fresh(cls, **kwargs) -> "ExpandForm":
        return cls(initial={"idempotency_key": uuid.uuid4()}, **kwargs)

    @property
    def other_fields(self) -> list:
        return [self[name] for name in self.disks if name != "new_size"]

    def new_sizes(self) -> dict[str, int]:
        """{EVS volume id: new size} for every disk given a new size (valid forms only)."""
        return {
            disk["volume_id"]: self.cleaned_data[name]
            for name, disk in self.disks.items()
            if self.cleaned_data.get(name)
        }

    def changes(self) -> list[dict]:
        """Each disk given a valid new size: old, new and the difference (what the page shows)."""
        cleaned = getattr(self, "cleaned_data", {})
        return [
            {
                "disk": disk,
                "size": disk["size"],
                "new_size": cleaned[name],
                "added": cleaned[name] - disk["size"],
            }
            for name, disk in self.disks.items()
            if cleaned.get(name)
        ]

    @property
    def added_gb(self) -> int:
        return sum(change["added"] for change in self.changes())


class DeleteForm(forms.Form):
    """The typed confirmation of a deletion: the desktop's computer name."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    confirmation = forms.CharField(
        label=_("Type the desktop's computer name to confirm"), max_length=64
    )

    @classmethod
    def fresh(cls) -> "DeleteForm":
        return cls(initial={"idempotency_key": uuid.uuid4()})


class BatchDesktopsForm(forms.Form):
    """A batch's desktops as pasted, besides those ticked in the inventory (`desktop`)."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    pasted = forms.CharField(
        label=_("Or paste computer names, desktop ids or user names, one a line"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
