"""Top-level URLs: the admin, Django's auth views, the health probe, the API and the disks app."""

from django.contrib import admin
from django.urls import include, path

from disks.api.urls import api_urls
from workspace_admin import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", api_urls()),
    path("", include("disks.urls")),
]
