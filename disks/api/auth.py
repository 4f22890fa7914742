"""Who calls the API: the owner of a bearer token, or a signed-in browser (with CSRF).

Either way the call is made as that user, through audiences no wider than the user's
own (re-read on every call, so leaving a group takes effect at once), and it is counted
against API_RATE_LIMIT_PER_MINUTE. An unknown, expired or revoked token is a plain 401,
with no hint which of the three it was. Tokens are never logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import SessionAuth
from ninja.security.http import HttpBearer

from disks.access import AUDITOR, END_USER, HELPDESK, user_audiences
from disks.actor import Actor, ActorAudience
from disks.api import problems
from disks.models import ApiToken
from disks.selectors.api_tokens import api_token_for_hash
from disks.services.api_rate import api_rate_count
from disks.services.api_tokens import token_hash

# Refresh last_used_at at most this often: not a write per call.
LAST_USED_RESOLUTION_SECONDS = 60

# The audit history's audience for each dashboard audience an API call acts through.
ACTOR_AUDIENCE = {HELPDESK: ActorAudience.HELPDESK, END_USER: ActorAudience.PORTAL}


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling: the user, the audiences the call may act through, and how."""

    user: Any
    audiences: frozenset[str]
    read_only: bool
    token: ApiToken | None = None

    def audience_for(self, *allowed: str, write: bool = False) -> str:
        """The first of `allowed` this caller has (helpdesk before end user); else 403."""
        for audience in allowed:
            if audience in self.audiences:
                if write and self.read_only:
                    raise problems.forbidden(_("This API token is read-only."))
                return audience
        raise problems.forbidden(_("Your role does not give access to this endpoint."))

    def actor(self, request: HttpRequest, audience: str) -> Actor:
        return Actor.from_api_call(
            request,
            user=self.user,
            audience=ACTOR_AUDIENCE.get(audience, ActorAudience.SYSTEM),
            token_name=self.token.name if self.token else "",
        )


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`."""

    def __call__(self, request: HttpRequest) -> ApiCaller | None:
        # Not HttpBearer's own __call__: with DEBUG on it logs a header it does not expect,
        # which may be a token sent with the wrong scheme.
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller | None:
        if not token:
            raise problems.unauthorized()
        api_token = api_token_for_hash(token_hash(token))
        if api_token is None or not api_token.is_usable or not api_token.user.is_active:
            raise problems.unauthorized()
        rate_limit_check(f"token:{api_token.pk}")
        _touch(api_token)
        owned = user_audiences(api_token.user)
        return ApiCaller(
            user=api_token.user,
            audiences=frozenset({api_token.audience}) & owned,
            read_only=api_token.read_only,
            token=api_token,
        )


class BrowserSessionAuth(SessionAuth):
    """A signed-in browser (the docs page): CSRF is checked on writes, as on the pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller | None:
        user = request.user
        if not user.is_authenticated:
            return None
        rate_limit_check(f"user:{user.pk}")
        audiences = user_audiences(user)
        return ApiCaller(user=user, audiences=audiences, read_only=audiences == {AUDITOR})


def rate_limit_check(key: str) -> None:
    """Count one call for `key` in this minute; 429 with Retry-After past the limit."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if not limit:
        return
    now = time.time()
    window_start = datetime.fromtimestamp(int(now // 60) * 60, tz=UTC)
    calls = api_rate_count(key, window_start)
    if calls > limit:
        raise problems.rate_limited(max(1, 60 - int(now % 60)))


def _touch(api_token: ApiToken) -> None:
    now = timezone.now()
    last = api_token.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)


def caller_from_request(request: HttpRequest) -> ApiCaller | None:
    """The caller of a view outside the routers (the OpenAPI document): token or session."""
    return BearerTokenAuth()(request) or BrowserSessionAuth()(request)
