"""`/preferences/`: each person's language and time zone, for every audience alike."""

from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from disks.actor import Actor, ActorAudience
from disks.services.preferences import (
    SESSION_KEY,
    Preferences,
    user_preferences_load,
    user_preferences_save,
)


def _zone_choices() -> list[tuple[str, object]]:
    browser: list[tuple[str, object]] = [("", gettext_lazy("As my browser says"))]
    return browser + [(zone, zone) for zone in sorted(available_timezones())]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("As my browser says")), *settings.LANGUAGES],
    )
    # A callable: the list of zones is built when a form is, not at import.
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), required=False, choices=_zone_choices
    )


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, audience=ActorAudience.SYSTEM)


def _save(request: HttpRequest, language: str, time_zone: str) -> Preferences:
    saved = user_preferences_save(actor=_actor(request), language=language, time_zone=time_zone)
    request.session[SESSION_KEY] = saved.as_session()
    return saved


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = user_preferences_load(request.user)
    form = PreferencesForm(request.POST or None, initial=current.as_session())
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form.cleaned_data["language"], form.cleaned_data["time_zone"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("disks:preferences")
    return render(request, "disks/preferences.html", {"form": form})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switch: save the choice, then back to the page it came from."""
    current = user_preferences_load(request.user)
    language = request.POST.get("language", "")
    try:
        _save(request, language, current.time_zone)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
