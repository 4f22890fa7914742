"""Saving a person's language and time zone, and carrying them in their session.

The choice is stored for the user (so it follows them to another browser) and copied into
the session at sign-in and on every change, so that showing a page reads it from the
session the request has already loaded, with no query of its own.
"""

from dataclasses import dataclass
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from disks.actor import Actor
from disks.models import UserPreference

SESSION_KEY = "preferences"


@dataclass(frozen=True)
class Preferences:
    language: str = ""
    time_zone: str = ""

    def as_session(self) -> dict[str, str]:
        return {"language": self.language, "time_zone": self.time_zone}


def is_time_zone(name: str) -> bool:
    return name in _time_zones()


def _time_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def user_preferences_save(*, actor: Actor, language: str, time_zone: str) -> Preferences:
    """Check and store the actor's choices; blank values mean "as the browser says"."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."), code="language")
    if time_zone and not is_time_zone(time_zone):
        raise ValidationError(
            _("%(zone)s is not a time zone this server knows.") % {"zone": time_zone},
            code="time_zone",
        )
    UserPreference.objects.update_or_create(
        user=actor.user, defaults={"language": language, "time_zone": time_zone}
    )
    return Preferences(language=language, time_zone=time_zone)


def user_preferences_load(user) -> Preferences:
    """The user's stored choices (none stored: blank)."""
    stored = UserPreference.objects.filter(user=user).values("language", "time_zone").first()
    return Preferences(**stored) if stored else Preferences()
