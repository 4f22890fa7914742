"""Who acts: a small immutable value built once at the edge and passed to the services.

A view, an API endpoint, a task or a management command knows who is acting and from
where; a service should not have to dig that out of an `HttpRequest` (it could not be
called from a task or a command without faking one). So each edge builds an `Actor`, and
services, the request lifecycle and the audit history take it. See docs/design.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from disks.access import client_ip
from disks.models.audit import Audience as ActorAudience
from disks.models.audit import Channel

if TYPE_CHECKING:
    from django.http import HttpRequest

USER_AGENT_MAX_LENGTH = 300


# The audit history's own values (AuditEvent.Audience, AuditEvent.Channel): an actor is
# recorded as it is.
__all__ = ["Actor", "ActorAudience", "Channel"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A person (or the system itself) acting through one audience and one channel.

    `user` is None for the system and for someone who is not signed in (a failed login
    names the username they tried in `username`).
    """

    user: Any
    username: str
    audience: ActorAudience
    channel: Channel
    client_ip: str | None = None
    user_agent: str = ""
    # The name of the API token a call was made with (channel API), for the audit details.
    token_name: str = ""

    @classmethod
    def system(cls, channel: Channel = Channel.WORKER) -> Actor:
        """The product acting on its own: the worker's polls, the sweep, a scheduled sync."""
        return cls(user=None, username="", audience=ActorAudience.SYSTEM, channel=channel)

    @classmethod
    def for_user(
        cls, user: Any, *, audience: ActorAudience, channel: Channel = Channel.COMMAND
    ) -> Actor:
        """A signed-in user acting outside a web request (a command, a test)."""
        return cls(user=user, username=user.get_username(), audience=audience, channel=channel)

    @classmethod
    def from_request(cls, request: HttpRequest, *, audience: ActorAudience) -> Actor:
        """The signed-in user of a web request, with the client's address and browser."""
        user = request.user if request.user.is_authenticated else None
        return cls(
            user=user,
            username=user.get_username() if user is not None else "",
            audience=audience,
            channel=Channel.WEB,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH],
        )

    @classmethod
    def from_api_call(
        cls, request: HttpRequest, *, user: Any, audience: ActorAudience, token_name: str = ""
    ) -> Actor:
        """The owner of an API token (or a signed-in browser) calling /api/v1/."""
        return cls(
            user=user,
            username=user.get_username(),
            audience=audience,
            channel=Channel.API,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH],
            token_name=token_name,
        )

    @classmethod
    def anonymous(cls, request: HttpRequest | None, *, username: str) -> Actor:
        """Someone not signed in who claimed `username` (a failed or locked-out sign-in)."""
        return cls.at_sign_in(request, username=username)

    @classmethod
    def at_sign_in(
        cls, request: HttpRequest | None, *, user: Any = None, username: str = ""
    ) -> Actor:
        """Someone signing in: the user once their credentials are verified, else the name
        they claimed; from the request's address and browser when there is a request."""
        return cls(
            user=user,
            username=user.get_username() if user is not None else username,
            audience=ActorAudience.SYSTEM,
            channel=Channel.WEB,
            client_ip=client_ip(request) if request is not None else None,
            user_agent=(
                request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH] if request else ""
            ),
        )

    @property
    def is_system(self) -> bool:
        return self.user is None and not self.username

    def through(self, audience: ActorAudience) -> Actor:
        """The same person acting through another audience (an approver acts as helpdesk)."""
        return replace(self, audience=audience)
