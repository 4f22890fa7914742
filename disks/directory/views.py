"""The sign-in page, for everyone: a password form (local and LDAP accounts) and, when an
OpenID provider is configured, a "Sign in with <name>" button."""

from typing import Any, cast
from urllib.parse import urlsplit

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.providers.openid_connect import views as openid_connect_views
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from disks.directory.forms import DirectoryAuthenticationForm
from disks.directory.oidc import PROVIDER_ID, DirectorySocialAccountAdapter


class DirectoryLoginView(LoginView):
    authentication_form = DirectoryAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.OIDC_ENABLED:
            context["sso_login_url"] = reverse(
                "openid_connect_login", kwargs={"provider_id": PROVIDER_ID}
            )
            context["sso_provider_name"] = settings.OIDC_PROVIDER_NAME
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if settings.OIDC_ENABLED:
            # The SSO form posts here and is redirected to the provider: browsers check
            # that redirect against form-action too.
            issuer = urlsplit(settings.OIDC_ISSUER)
            policy: dict[str, Any] = dict(settings.SECURE_CSP)
            policy["form-action"] = [
                *policy.get("form-action", []),
                f"{issuer.scheme}://{issuer.netloc}",
            ]
            # What django.views.decorators.csp.csp_override sets; here the policy depends on
            # settings read per request, so the decorator (fixed at import) cannot be used.
            cast(Any, response)._csp_config = policy
        return response


login = DirectoryLoginView.as_view()


@login_not_required
def sso_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect login (redirect to the provider), with outages handled."""
    return _provider_reachable(openid_connect_views.login, request, provider_id)


@login_not_required
def sso_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's callback (code exchange, ID token, sign-in), with outages handled."""
    return _provider_reachable(openid_connect_views.callback, request, provider_id)


def _provider_reachable(view, request: HttpRequest, provider_id: str) -> HttpResponse:
    """Run an allauth view; when the provider does not answer, say so on the login page.

    allauth handles a provider's refusals itself (through the adapter's
    on_authentication_error), but not a discovery document that cannot be fetched.
    """
    try:
        return view(request, provider_id)
    except requests.RequestException as error:
        try:
            DirectorySocialAccountAdapter().on_authentication_error(request, None, exception=error)
        except ImmediateHttpResponse as refused:
            return refused.response
        raise
