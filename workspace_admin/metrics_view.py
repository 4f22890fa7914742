"""/metrics: the Prometheus text format, for a scraper that shows a token or a known address.

Access: `Authorization: Bearer <METRICS_TOKEN>`, or a client address (as disks.access.client_ip
sees it, so behind TRUSTED_PROXY_COUNT proxies the scraper's own) inside METRICS_ALLOWED_IPS.
Everything else gets 403, also when neither is configured.
"""

import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from disks.access import client_ip
from disks.metrics import metrics_exposition


def _token_ok(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def _address_ok(request: HttpRequest) -> bool:
    address = client_ip(request)
    if not address or not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


@require_GET
@never_cache
@login_not_required
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics, or 403 without the token or an allowed address."""
    if not (_token_ok(request) or _address_ok(request)):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)
