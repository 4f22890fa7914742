"""Helpdesk staff (group `helpdesk`): batches of the same disks for many desktops.

Choose desktops (ticked or all matching an inventory filter, or pasted) and the disks, see
a preview (a dry run), submit, and follow the progress. Every view requires the helpdesk
audience. No view here calls the cloud except the preview and the submit, through services;
the status fragment reads the database only.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from disks import rules
from disks.access import HELPDESK, audience_required
from disks.actor import Actor, ActorAudience
from disks.forms import BaseDiskFormSet, BatchDesktopsForm, DiskFormSet
from disks.models import Batch
from disks.selectors import batches as selectors
from disks.services.batches import (
    MAX_BATCH_DESKTOPS,
    batch_cut_to_quota,
    batch_numbers,
    batch_preview_create,
    batch_quota_check,
    batch_retry_failed,
    batch_submit,
)
from disks.services.inventory import disk_types_offered
from disks.views.disk_form import FORMSET_PREFIX, ROW_FIELDS

BATCHES_PER_PAGE = 25
SHOWN_CHOSEN = 50


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, audience=ActorAudience.HELPDESK)


@require_GET
@audience_required(HELPDESK)
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.batch_list(), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "disks/batches/batch_list.html", {"page": page})


# Choosing desktops and disks ---------------------------------------------------------------


def _chosen_from_query(query: QueryDict) -> tuple[list[str], str]:
    """Desktops named in the query: ticked (`desktop`), or all matching a filter (`match`)."""
    ids = [value for value in query.getlist("desktop") if value][: MAX_BATCH_DESKTOPS + 1]
    if query.get("match"):
        matching = selectors.desktop_ids_matching(
            search=query.get("q", "").strip()[:100],
            status=query.get("status", ""),
            limit=MAX_BATCH_DESKTOPS + 1,
        )
        ids = list(dict.fromkeys([*ids, *matching]))
    problem = ""
    if len(ids) > MAX_BATCH_DESKTOPS:
        problem = _("A batch takes at most %(max)s desktops: narrow the filter.") % {
            "max": MAX_BATCH_DESKTOPS
        }
        ids = ids[:MAX_BATCH_DESKTOPS]
    return ids, problem


def _formset(offer, **kwargs) -> BaseDiskFormSet:
    return DiskFormSet(
        prefix=FORMSET_PREFIX,
        disk_types=offer.types,
        free_slots=rules.MAX_DATA_DISKS_PER_DESKTOP,
        existing_disks=0,
        **kwargs,
    )


def _rows(data, offer, action: str) -> list[dict]:
    try:
        count = int(data.get(f"{FORMSET_PREFIX}-TOTAL_FORMS", 1))
    except ValueError:
        count = 1
    count = max(1, min(count, rules.MAX_DATA_DISKS_PER_DESKTOP))
    rows = [
        {name: data.get(f"{FORMSET_PREFIX}-{index}-{name}", "") for name in ROW_FIELDS}
        for index in range(count)
    ]
    if action == "add-row" and len(rows) < rules.MAX_DATA_DISKS_PER_DESKTOP:
        rows.append({"type": offer.types[0].name if offer.types else "", "size": ""})
    elif action.startswith("remove-row-") and len(rows) > 1:
        index = action.removeprefix("remove-row-")
        if index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    return rows


@require_http_methods(["GET", "POST"])
@audience_required(HELPDESK)
def batch_new(request: HttpRequest) -> HttpResponse:
    """Choose the desktops and the disks, then preview (a dry run that saves the batch)."""
    offer = disk_types_offered()
    if request.method != "POST":
        chosen, problem = _chosen_from_query(request.GET)
        form = BatchDesktopsForm(
            initial={"idempotency_key": uuid.uuid4(), "pasted": request.GET.get("pasted", "")}
        )
        first_type = offer.types[0].name if offer.types else ""
        formset = _formset(offer, initial=[{"type": first_type}])
        if problem:
            form.add_error(None, problem)
        return _render_new(request, offer, form, formset, chosen)
    chosen, problem = _chosen_from_query(request.POST)
    action = request.POST.get("action", "preview")
    form = BatchDesktopsForm(request.POST)
    if action != "preview":
        formset = _formset(offer, initial=_rows(request.POST, offer, action))
        form.is_valid()
        return _render_new(request, offer, form, formset, chosen)
    formset = _formset(offer, data=request.POST)
    if not (form.is_valid() and formset.is_valid()) or problem:
        if problem:
            form.add_error(None, problem)
        return _render_new(request, offer, form, formset, chosen)
    pasted, unknown = selectors.desktops_for_lines(form.cleaned_data["pasted"])
    if unknown:
        form.add_error(
            "pasted",
            ngettext(
                "This line matches no desktop: %(lines)s. Correct or remove it.",
                "These lines match no desktop: %(lines)s. Correct or remove them.",
                len(unknown),
            )
            % {"lines": ", ".join(unknown)},
        )
        return _render_new(request, offer, form, formset, chosen, unknown=unknown)
    try:
        batch = batch_preview_create(
            desktop_ids=list(dict.fromkeys([*chosen, *pasted])),
            volumes=formset.volume_specs(),
            actor=_actor(request),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _render_new(request, offer, form, formset, chosen)
    return redirect("disks:helpdesk-batch-detail", pk=batch.pk)


def _render_new(request, offer, form, formset, chosen, unknown=()) -> HttpResponse:
    names = selectors.desktop_names(chosen[:SHOWN_CHOSEN])
    context = {
        "offer": offer,
        "form": form,
        "formset": formset,
        "chosen": chosen,
        "chosen_shown": [(d, names.get(d, d)) for d in chosen[:SHOWN_CHOSEN]],
        "unknown": unknown,
        "max_desktops": MAX_BATCH_DESKTOPS,
        "rows_left": rules.MAX_DATA_DISKS_PER_DESKTOP - formset.total_form_count(),
    }
    return render(request, "disks/batches/batch_new.html", context)


# One batch: preview before submit, progress after --------------------------------------------


def _status_context(request: HttpRequest, batch: Batch) -> dict:
    """The progress summary and one page of the desktops: what the polled fragment shows.

    Its queries do not grow with the batch: one GROUP BY for the counts, two for the page.
    """
    progress = selectors.batch_progress(batch)
    number = selectors.page_number(request.GET.get("page"), total=progress.total)
    return {
        "batch": batch,
        "progress": progress,
        "rows_page": selectors.batch_rows_page(batch, number=number, total=progress.total),
        "poll_seconds": settings.STATUS_FRAGMENT_POLL_SECONDS,
    }


def _detail_context(request: HttpRequest, batch: Batch) -> dict:
    if batch.status != Batch.Status.PREVIEWED:
        return {
            **_status_context(request, batch),
            "audit_event_id": selectors.batch_submitted_event_id(batch),
        }
    return {
        "batch": batch,
        "numbers": batch_numbers(batch),
        "quota_check": batch_quota_check(batch),
        "skipped": selectors.batch_skipped(batch),
        "chunk_size": settings.BATCH_CHUNK_SIZE,
    }


@require_http_methods(["GET", "POST"])
@audience_required(HELPDESK)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (with Submit) before the batch is sent; its progress afterwards."""
    batch = selectors.batch_get(pk=pk)
    if request.method == "POST":
        return _batch_action(request, batch, request.POST.get("action", ""))
    return render(request, "disks/batches/batch_detail.html", _detail_context(request, batch))


def _batch_action(request: HttpRequest, batch: Batch, action: str) -> HttpResponse:
    try:
        if action == "submit":
            batch_submit(batch=batch, actor=_actor(request))
        elif action == "cut":
            left_out = batch_cut_to_quota(batch=batch)
            messages.info(
                request,
                ngettext(
                    "%(count)s desktop left out to fit the quota.",
                    "%(count)s desktops left out to fit the quota.",
                    left_out,
                )
                % {"count": left_out},
            )
        elif action == "retry":
            # One retry batch per batch: asking again shows the same one.
            key = uuid.uuid5(batch.idempotency_key, "retry")
            retry = batch_retry_failed(batch=batch, actor=_actor(request), idempotency_key=key)
            return redirect("disks:helpdesk-batch-detail", pk=retry.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("disks:helpdesk-batch-detail", pk=batch.pk)


@require_GET
@audience_required(HELPDESK)
def batch_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled by htmx while the batch runs; it reads the database only.

    It carries the summary and the page of desktops the person is looking at (`?page=`),
    never the whole table: its cost is the same for 10 desktops and for 1,000.
    """
    batch = selectors.batch_get(pk=pk)
    context = _status_context(request, batch)
    return render(request, "disks/batches/batch_detail.html#batch-status", context)
