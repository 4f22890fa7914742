"""Make an API token for a user and print it once: `manage.py api_token_create USERNAME --name N`."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from disks.actor import Actor, Channel
from disks.services.api_tokens import api_token_create, api_token_scopes_for


class Command(BaseCommand):
    help = "Make an API token for USERNAME and print it (it is never shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument(
            "--scope",
            default=None,
            help="helpdesk, helpdesk:read, end_user, end_user:read or auditor "
            "(default: the user's first audience, read and write).",
        )

    def handle(self, *args, username, name, expires_days, scope, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(username)s.") % {"username": username})
        scopes = [value for value, _label in api_token_scopes_for(user)]
        if not scopes:
            raise CommandError(
                _("%(username)s is in no audience group: a token could do nothing.")
                % {"username": username}
            )
        try:
            api_token, token = api_token_create(
                user=user,
                name=name,
                scope=scope or scopes[0],
                expires_days=expires_days,
                actor=Actor.system(channel=Channel.COMMAND),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            _(
                "Token “%(name)s” for %(username)s, scope %(scope)s, expires %(expires)s. "
                "Shown once; keep it safe:"
            )
            % {
                "name": api_token.name,
                "username": username,
                "scope": api_token.scope,
                "expires": f"{api_token.expires_at:%Y-%m-%d}",
            }
        )
        self.stdout.write(token)
