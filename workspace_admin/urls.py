"""Top-level URLs: the admin, Django's auth views, the probes, metrics and the disks app."""

from django.contrib import admin
from django.urls import include, path

from workspace_admin import health, metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("", include("disks.urls")),
]
