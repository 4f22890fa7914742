"""`manage.py directory_check USERNAME`: what the directory and SSO settings make of one person.

Prints, for LDAP: the server, the user's DN, name and email, their groups and the roles
these give; for OpenID Connect: whether the issuer's discovery document answers and its
endpoints (an SSO user's claims are only known when they sign in); and the desktops whose
user name matches. Exits with an error when the directory does not answer or has no such
user. Never prints a password.
"""

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from disks.directory.backends import DirectoryLDAPBackend, DirectoryUnavailable
from disks.directory.usernames import username_normalise
from disks.selectors.portal import desktop_list_for_user


class Command(BaseCommand):
    help = (
        "Look a user up in the configured directory and show their DN, groups, roles and desktops."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "username", help="as typed at sign-in: name, DOMAIN\\name or name@domain"
        )

    def handle(self, *args, username: str, **options):
        name = username_normalise(username)
        self.stdout.write(f"user name: {name}")
        self.stdout.write(f"local sign-in: {settings.LOCAL_LOGIN_FOR}")
        problems = []
        if settings.AUTH_LDAP_SERVER_URI:
            problems += self._ldap(name)
        else:
            self.stdout.write("LDAP: not configured (LDAP_SERVER_URI is empty)")
        if settings.OIDC_ENABLED:
            problems += self._oidc()
        else:
            self.stdout.write("OpenID Connect: not configured (OIDC_ISSUER is empty)")
        desktops = desktop_list_for_user(user=get_user_model()(username=name))
        self.stdout.write(f"desktops: {desktops.count()}")
        for desktop in desktops[:50]:
            self.stdout.write(f"  {desktop.computer_name} ({desktop.desktop_id}) {desktop.status}")
        if problems:
            raise CommandError("; ".join(problems))

    def _ldap(self, name: str) -> list[str]:
        backend = DirectoryLDAPBackend()
        self.stdout.write(f"LDAP: {settings.AUTH_LDAP_SERVER_URI}")
        try:
            ldap_user = backend.directory_lookup(name)
            if ldap_user is None:
                self.stdout.write("  not found (or excluded by LDAP_USER_FILTER)")
                return [f"the directory has no user {name!r}"]
            groups = sorted(ldap_user.group_dns) if _group_search_set() else []
            roles = backend.roles_of(ldap_user)
        except DirectoryUnavailable as error:
            self.stdout.write(f"  the directory is not answering ({error})")
            return ["the directory is not answering"]
        attrs = ldap_user.attrs or {}
        self.stdout.write(f"  DN: {ldap_user.dn}")
        for label, attr in (("name", "cn"), ("email", "mail")):
            self.stdout.write(f"  {label}: {', '.join(attrs.get(attr, [])) or '-'}")
        self.stdout.write(f"  groups: {len(groups)}")
        for group in groups:
            self.stdout.write(f"    {group}")
        self.stdout.write(f"  roles: {', '.join(sorted(roles)) or 'none (sees whom to ask)'}")
        return []

    def _oidc(self) -> list[str]:
        issuer = settings.OIDC_ISSUER.rstrip("/")
        self.stdout.write(f"OpenID Connect: {issuer} ({settings.OIDC_PROVIDER_NAME})")
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            self.stdout.write(f"  discovery failed: {type(error).__name__}")
            return ["the OpenID provider's discovery document did not load"]
        for key in ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
            self.stdout.write(f"  {key}: {document.get(key, '-')}")
        self.stdout.write(
            f"  roles from the {settings.OIDC_GROUPS_CLAIM!r} claim at sign-in; "
            f"user name from {settings.OIDC_USERNAME_CLAIM!r}"
        )
        return []


def _group_search_set() -> bool:
    return any(settings.DIRECTORY_LDAP_ROLE_GROUPS.values())
