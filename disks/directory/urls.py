"""Sign-in URLs under /accounts/: the login page and the OpenID Connect redirect and callback.

The callback's name is allauth's own (openid_connect_callback): allauth reverses it to
build the redirect_uri it sends to the provider.
"""

from django.urls import path

from disks.directory import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("oidc/<str:provider_id>/login/", views.sso_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        views.sso_callback,
        name="openid_connect_callback",
    ),
]
