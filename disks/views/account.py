"""Any signed-in user with an audience: their own API tokens.

A user makes tokens no wider than their own audiences, sees the new token once (on the
answer to the POST, never again: no redirect, no message stored in a cookie), and
revokes their own tokens; anyone else's token is a 404.
"""

from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from disks.access import END_USER, HELPDESK, user_audiences
from disks.actor import Actor, ActorAudience
from disks.models import ApiToken
from disks.services.api_tokens import api_token_create, api_token_revoke, api_token_scopes_for


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"))
    expires_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = cast(forms.ChoiceField, self.fields["scope"])
        scope.choices = api_token_scopes_for(user)
        days = cast(forms.IntegerField, self.fields["expires_days"])
        days.max_value = settings.API_TOKEN_MAX_EXPIRY_DAYS
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_EXPIRY_DAYS))
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_EXPIRY_DAYS
        days.initial = settings.API_TOKEN_DEFAULT_EXPIRY_DAYS


def _actor(request: HttpRequest) -> Actor:
    """The user, recorded through their widest dashboard audience (auditors: none of those)."""
    audiences = user_audiences(request.user)
    if HELPDESK in audiences:
        return Actor.from_request(request, audience=ActorAudience.HELPDESK)
    if END_USER in audiences:
        return Actor.from_request(request, audience=ActorAudience.PORTAL)
    return Actor.from_request(request, audience=ActorAudience.SYSTEM)


@never_cache
@require_http_methods(["GET", "POST"])
def api_token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens and a form to make one; the answer to a good POST shows it once."""
    if not user_audiences(request.user):
        return render(request, "disks/forbidden.html", {"needed": "helpdesk"}, status=403)
    form = ApiTokenForm(request.POST or None, user=request.user)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _api_token, new_token = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_days=form.cleaned_data["expires_days"],
                actor=_actor(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ApiTokenForm(user=request.user)
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user__username=request.user.get_username()),
    }
    return render(request, "disks/account/api_tokens.html", context)


@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    api_token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    api_token_revoke(api_token=api_token, actor=_actor(request))
    return redirect("disks:api-token-list")
