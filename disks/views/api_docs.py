"""Any signed-in user: the API's interactive documentation (Swagger UI, vendored).

Linked from the header for staff. Served from our own static files, so it works under the
strict Content-Security-Policy with no other origin.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(request, "disks/api/docs.html")
