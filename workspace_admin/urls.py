"""Top-level URLs: the admin, Django's auth views, the probes, metrics, the API and the disks app."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from disks.api.urls import api_urls
from workspace_admin import health, metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    # Directory sign-in: the login page (password and SSO) and the OpenID Connect redirect
    # and callback (/accounts/oidc/sso/login/ and .../login/callback/); disks/directory/.
    path("accounts/", include("disks.directory.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health.healthz, name="healthz"),
    # The translations JavaScript needs, as a script of our own origin (strict CSP).
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view(packages=["disks"])),
        name="javascript-catalog",
    ),
    path("api/v1/", api_urls()),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("", include("disks.urls")),
]
