"""Top-level URLs: the admin, Django's auth views, the health probe and the disks app."""

from django.contrib import admin
from django.urls import include, path

from workspace_admin import health

urlpatterns = [
    path("admin/", admin.site.urls),
    # Directory sign-in: the login page (password and SSO) and the OpenID Connect redirect
    # and callback (/accounts/oidc/sso/login/ and .../login/callback/); disks/directory/.
    path("accounts/", include("disks.directory.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("", include("disks.urls")),
]
