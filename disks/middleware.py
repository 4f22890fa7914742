"""Per-person display settings: each page in the person's language and time zone.

Runs after Django's LocaleMiddleware (which has chosen a language from the language cookie
or the browser's Accept-Language) and after authentication. A signed-in person's own choice
wins; their time zone is their choice, else the browser's (a cookie static/js/timezone.js
sets), else TIME_ZONE. Both are read from the session, never from the database.
"""

from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from disks.services.preferences import SESSION_KEY, is_time_zone

BROWSER_TIME_ZONE_COOKIE = "tz"


class PreferencesMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.session.get(SESSION_KEY, {}) if hasattr(request, "session") else {}
        language = chosen.get("language")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = chosen.get("time_zone") or unquote(request.COOKIES.get(BROWSER_TIME_ZONE_COOKIE, ""))
        if zone and is_time_zone(zone):
            timezone.activate(ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
