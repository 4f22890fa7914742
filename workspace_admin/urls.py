"""Top-level URLs: the admin, Django's auth views, the health probe and the disks app."""

from django.contrib import admin
from django.urls import include, path

from disks.directory import views as directory_views
from workspace_admin import health

urlpatterns = [
    path("admin/", admin.site.urls),
    # Directory sign-in: the login page (password and SSO), then allauth's OpenID Connect
    # redirect and callback (/accounts/oidc/sso/login/ and .../login/callback/).
    path("accounts/login/", directory_views.login, name="login"),
    path("accounts/", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("", include("disks.urls")),
]
