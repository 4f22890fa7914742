"""The add-disk form's request handling, shared by the helpdesk page and the portal page.

One view serves the whole page and its htmx fragment (`#disk-form`): the same POST adds a
row, removes one, validates as the user types, or submits, by the `action` it carries.
Without JavaScript the same buttons submit the form and the server answers with the page.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from disks import rules
from disks.forms import BaseDiskFormSet, DiskFormSet, DiskRequestForm
from disks.models import Desktop, DiskRequest
from disks.services.inventory import DiskTypeOffer

ROW_FIELDS = ("type", "size", "iops", "throughput")
FORMSET_PREFIX = "disks"

# submit(form, formset) -> DiskRequest; raises ValidationError for what the user can fix.
Submitter = Callable[[DiskRequestForm, BaseDiskFormSet], DiskRequest]


@dataclass
class DiskFormPage:
    """What the page and its fragment need to render the form."""

    template: str
    desktop: Desktop
    offer: DiskTypeOffer
    request_url_name: str
    cancel_url: str
    extra_context: dict
    # The portal's policy narrows these; the helpdesk has the API's own limits.
    max_disks_per_request: int = rules.MAX_DATA_DISKS_PER_DESKTOP
    max_size_gb: int = rules.MAX_DISK_GB

    @property
    def is_portal(self) -> bool:
        """End users never see the enterprise project: it is the desktop's own for them."""
        return self.request_url_name.startswith("disks:portal-")

    @property
    def max_rows(self) -> int:
        """Never more rows than the desktop has free slots (or the policy allows)."""
        return min(self.desktop.free_disk_slots, self.max_disks_per_request)


def _formset(page: DiskFormPage, **kwargs) -> BaseDiskFormSet:
    return DiskFormSet(
        prefix=FORMSET_PREFIX,
        disk_types=page.offer.types,
        free_slots=page.desktop.free_disk_slots,
        existing_disks=page.desktop.data_volume_count,
        max_rows=page.max_disks_per_request,
        max_size_gb=page.max_size_gb,
        **kwargs,
    )


def _raw_rows(data) -> list[dict]:
    """The rows as typed (unvalidated), to re-render them after adding or removing one."""
    try:
        count = int(data.get(f"{FORMSET_PREFIX}-TOTAL_FORMS", 1))
    except ValueError:
        count = 1
    count = max(0, min(count, rules.MAX_DATA_DISKS_PER_DESKTOP))
    return [
        {name: data.get(f"{FORMSET_PREFIX}-{index}-{name}", "") for name in ROW_FIELDS}
        for index in range(count)
    ]


def _rows_changed(
    page: DiskFormPage, data, action: str
) -> tuple[DiskRequestForm, BaseDiskFormSet, str]:
    """Add or remove a row; also say which control should have the focus afterwards.

    After "Add another disk", the new row's first field. After "Remove", the row that took
    the removed one's place, or "Add another disk" when the last row went.
    """
    rows = _raw_rows(data)
    focus = ""
    if action == "add-row" and len(rows) < page.max_rows:
        rows.append({"type": page.offer.types[0].name if page.offer.types else "", "size": ""})
        focus = f"row-{len(rows) - 1}"
    elif action.startswith("remove-row-") and len(rows) > 1:
        index = action.removeprefix("remove-row-")
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if re.fullmatch(r"[0-9]{1,3}", index) and int(index) < len(rows):
            rows.pop(int(index))
            focus = f"row-{index}" if int(index) < len(rows) else "add-row"
    form = DiskRequestForm(
        initial={
            "idempotency_key": data.get("idempotency_key"),
            "enterprise_project_id": data.get("enterprise_project_id", ""),
        }
    )
    return form, _formset(page, initial=rows), focus


def _fresh(page: DiskFormPage, query) -> tuple[DiskRequestForm, BaseDiskFormSet]:
    """A new form: one row of the first type, or the disks a "Try again" link carries."""
    form = DiskRequestForm.fresh(enterprise_project_id=page.desktop.enterprise_project_id)
    first_type = page.offer.types[0].name if page.offer.types else ""
    columns = {name: query.getlist(name) for name in ROW_FIELDS}
    rows = [
        {name: (columns[name][i] if i < len(columns[name]) else "")[:12] for name in ROW_FIELDS}
        for i in range(min(len(columns["type"]), page.max_rows))
    ]
    return form, _formset(page, initial=rows or [{"type": first_type}])


def disk_form_view(request: HttpRequest, page: DiskFormPage, submit: Submitter) -> HttpResponse:
    """Handle GET and every POST action of the add-disk form."""
    if request.method != "POST":
        form, formset = _fresh(page, request.GET)
        return _render(request, page, form, formset)
    action = request.POST.get("action", "submit")
    if action not in ("submit", "validate"):
        form, formset, focus = _rows_changed(page, request.POST, action)
        return _render(request, page, form, formset, focus=focus)
    form = DiskRequestForm(request.POST)
    formset = _formset(page, data=request.POST)
    form_valid, formset_valid = form.is_valid(), formset.is_valid()
    if action == "validate" or not (form_valid and formset_valid):
        return _render(request, page, form, formset)
    try:
        disk_request = submit(form, formset)
    except ValidationError as error:
        form.add_error(None, error)
        return _render(request, page, form, formset)
    return _after_submit(request, page, form, formset, disk_request)


def _after_submit(request, page, form, formset, disk_request: DiskRequest) -> HttpResponse:
    if disk_request.status == DiskRequest.Status.FAILED and not disk_request.job_id:
        # Refused by the API: say why on the form, keep what was typed, and give the next
        # attempt its own key (this one belongs to the refused request now).
        retry_form = DiskRequestForm.fresh(
            enterprise_project_id=form.cleaned_data["enterprise_project_id"]
        )
        retry_form.refused_request = disk_request
        rows = [
            {name: row.cleaned_data.get(name) or "" for name in ROW_FIELDS} for row in formset.forms
        ]
        return _render(request, page, retry_form, _formset(page, initial=rows))
    if disk_request.error_message and not disk_request.is_terminal:
        messages.warning(request, disk_request.error_message)
    return redirect(page.request_url_name, pk=disk_request.pk)


def _focus_first_error(formset: BaseDiskFormSet) -> None:
    """After a submit the server refused, start the keyboard at the first field to fix."""
    for row in formset.forms:
        for name in ROW_FIELDS:
            if row.errors.get(name):
                row.fields[name].widget.attrs["autofocus"] = True
                return


def _render(request, page: DiskFormPage, form, formset, focus: str = "") -> HttpResponse:
    if focus.startswith("row-"):
        # htmx focuses an [autofocus] element it swaps in; a full page load does too.
        row = formset.forms[int(focus.removeprefix("row-"))]
        row.fields["type"].widget.attrs["autofocus"] = True
    elif formset.is_bound and request.POST.get("action", "submit") == "submit":
        _focus_first_error(formset)
    context = {
        "focus": focus,
        "show_enterprise_project": not page.is_portal,
        "desktop": page.desktop,
        "offer": page.offer,
        "form": form,
        "formset": formset,
        "rows_left": page.max_rows - formset.total_form_count(),
        "max_disks": rules.MAX_DATA_DISKS_PER_DESKTOP,
        "request_url_name": page.request_url_name,
        "cancel_url": page.cancel_url,
        **page.extra_context,
    }
    template = page.template
    if request.htmx and not request.htmx.boosted:
        template = "disks/_disk_form.html#disk-form"
    return render(request, template, context)
