"""OpenID Connect sign-in through django-allauth's OpenID Connect provider.

allauth runs the redirect flow (issuer discovery from its well-known document, state, PKCE,
the code exchange and the ID token's checks). This adapter decides who the person is here:
the local record named after OIDC_USERNAME_CLAIM (normalised like every other name), its
email and name from the claims, and its audiences from OIDC_GROUPS_CLAIM, at each sign-in.
"""

from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from disks.directory.audit import OIDC, directory_audit_record, sign_in_record
from disks.directory.backends import SessionUserWithAudiences, local_login_allowed
from disks.directory.roles import roles_from_groups, roles_sync
from disks.directory.usernames import username_normalise
from disks.models import AuditEvent

PROVIDER_ID = "sso"
SESSION_BACKEND = "disks.directory.oidc.OIDCSessionBackend"


class OIDCSessionBackend(SessionUserWithAudiences, ModelBackend):
    """The backend named in the session of someone signed in by SSO; it checks no password."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        return None


class DirectorySocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin) -> None:
        """Attach the sign-in to the local record of the claimed user name, and sync roles."""
        claims = oidc_claims(sociallogin.account.extra_data)
        username = username_normalise(str(claims.get(settings.OIDC_USERNAME_CLAIM) or ""))
        if not username:
            self._refuse(request, "", "no_username_claim")
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        elif user.has_usable_password() and local_login_allowed(user):
            # A break-glass account is not taken over by an SSO user of the same name.
            self._refuse(request, username, "local_account")
        elif user.has_usable_password():
            user.set_unusable_password()
        if not user.is_active:
            self._refuse(request, username, "inactive")
        _update_profile(user, claims)
        if sociallogin.account.pk is None:
            sociallogin.connect(request, user)
        elif sociallogin.account.user_id != user.pk:
            sociallogin.account.user = user
            sociallogin.account.save(update_fields=["user"])
        sociallogin.user = user
        user.backend = SESSION_BACKEND
        roles = roles_from_groups(
            _as_list(claims.get(settings.OIDC_GROUPS_CLAIM)), settings.DIRECTORY_OIDC_ROLE_GROUPS
        )
        roles_sync(user=user, roles=roles, method=OIDC, request=request)
        sign_in_record(user=user, method=OIDC, request=request)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """Record the failure, tell the person on the login page; never show allauth's page."""
        unavailable = isinstance(exception, requests.RequestException)
        reason = "provider_unavailable" if unavailable else str(error or "error")
        if unavailable:
            directory_audit_record(
                action=AuditEvent.Action.DIRECTORY_UNAVAILABLE,
                method=OIDC,
                outcome=AuditEvent.Outcome.FAILURE,
                request=request,
                details={"error": type(exception).__name__, "during": "sign-in"},
            )
        self._refuse(request, "", reason, unavailable=unavailable)

    def _refuse(self, request, username: str, reason: str, *, unavailable: bool = False):
        directory_audit_record(
            action=AuditEvent.Action.LOGIN_FAILED,
            method=OIDC,
            outcome=AuditEvent.Outcome.FAILURE,
            username=username,
            request=request,
            details={"reason": reason},
        )
        if unavailable:
            text = _("The sign-in service is not answering. Try again in a few minutes.")
        else:
            text = _("Single sign-on did not complete. Try again, or ask the helpdesk.")
        messages.error(request, text)
        raise ImmediateHttpResponse(redirect(settings.LOGIN_URL))


def oidc_claims(extra_data: dict) -> dict:
    """The ID token's claims, overlaid with the userinfo endpoint's (allauth keeps both)."""
    return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _update_profile(user, claims: dict) -> None:
    user.email = str(claims.get("email") or user.email)
    user.first_name = str(claims.get("given_name") or user.first_name)[:150]
    user.last_name = str(claims.get("family_name") or user.last_name)[:150]
    user.save()
