"""The sign-in page, for everyone: a password form (local and LDAP accounts) and, when an
OpenID provider is configured, a "Sign in with <name>" button."""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.urls import reverse

from disks.directory.forms import DirectoryAuthenticationForm
from disks.directory.oidc import PROVIDER_ID


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


login = DirectoryLoginView.as_view()
