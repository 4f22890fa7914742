"""API tokens: made and revoked by their owner (or an admin); the token is shown only once.

Only the SHA-256 of a token is stored (disks.models.ApiToken says why that is enough); the
audit history records that a token was made or revoked, with its name and scope, never
the token.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disks.access import user_audiences
from disks.actor import Actor
from disks.models import ApiToken, AuditEvent
from disks.services.audit import audit_event_record

TOKEN_PREFIX = "wda_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
TOKEN_BYTES = 32  # 256 bits


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_scopes_for(user) -> list[tuple[str, str]]:
    """The scopes `user` may give a token: none wider than the user's own audiences."""
    audiences = user_audiences(user)
    return [
        (value, str(label))
        for value, label in ApiToken.Scope.choices
        if value.split(":")[0] in audiences
    ]


def api_token_create(
    *, user, name: str, scope: str, expires_days: int | None, actor: Actor
) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it and the token itself, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, to know it by later.")})
    if scope not in dict(api_token_scopes_for(user)):
        raise ValidationError(
            {"scope": _("A token cannot do more than its owner: choose a scope you have.")}
        )
    days = settings.API_TOKEN_DEFAULT_EXPIRY_DAYS if expires_days is None else expires_days
    if not 1 <= days <= settings.API_TOKEN_MAX_EXPIRY_DAYS:
        raise ValidationError(
            {
                "expires_days": _("A token lives from 1 to %(max)s days.")
                % {"max": settings.API_TOKEN_MAX_EXPIRY_DAYS}
            }
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    api_token = ApiToken(
        user=user,
        name=name[:100],
        scope=scope,
        key_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    api_token.full_clean()
    with transaction.atomic():
        api_token.save()
        _audit(AuditEvent.Action.API_TOKEN_CREATED, api_token, actor)
    return api_token, token


def api_token_revoke(*, api_token: ApiToken, actor: Actor) -> ApiToken:
    """Revoke a token now (again: nothing happens)."""
    with transaction.atomic():
        written = ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if written:
            api_token.refresh_from_db()
            _audit(AuditEvent.Action.API_TOKEN_REVOKED, api_token, actor)
    return api_token


def _audit(action: str, api_token: ApiToken, actor: Actor) -> None:
    audit_event_record(
        action=action,
        outcome=AuditEvent.Outcome.INFO,
        actor=actor,
        details={
            "name": api_token.name,
            "scope": api_token.scope,
            "owner": api_token.user.get_username(),
            "expires_at": api_token.expires_at.isoformat(),
        },
    )
