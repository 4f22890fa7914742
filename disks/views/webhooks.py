"""Admins (the `disks.view_webhookendpoint` permission; superusers have it): a webhook
endpoint's page with its deliveries and every attempt, and "send again".

Endpoints are registered in the Django admin. The page shows the URL's host only: a
group robot's URL carries its token.
"""

from urllib.parse import urlsplit

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from disks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from disks.webhooks.delivery import webhook_delivery_resend

DELIVERIES_SHOWN = 50


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "disks/forbidden.html", {"needed": "admin"}, status=403)


@require_GET
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("disks.view_webhookendpoint"):
        return _forbidden(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    deliveries = endpoint.deliveries.prefetch_related(
        Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-id"))
    )[:DELIVERIES_SHOWN]
    context = {
        "endpoint": endpoint,
        "host": urlsplit(endpoint.url).hostname,
        "deliveries": deliveries,
        "can_resend": request.user.has_perm("disks.change_webhookendpoint"),
    }
    return render(request, "disks/webhooks/endpoint_detail.html", context)


@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("disks.change_webhookendpoint"):
        return _forbidden(request)
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    webhook_delivery_resend(delivery=delivery)
    return redirect("disks:webhook-endpoint-detail", pk=delivery.endpoint_id)
