"""Authentication backends: local break-glass accounts, and LDAP / Active Directory.

Order (settings.AUTHENTICATION_BACKENDS): django-axes first (a locked-out name stops
there), then LocalBackend, then DirectoryLDAPBackend, so a break-glass administrator
signs in even while the directory is down.
"""

import ldap
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from disks.directory.audit import LDAP, LOCAL, sign_in_record
from disks.directory.roles import roles_from_groups, roles_sync
from disks.directory.usernames import username_normalise
from disks.selectors.rows import user_with_audiences

# Set on the request (or probe) when the directory raised an LDAP error while serving it.
UNAVAILABLE_ATTR = "directory_unavailable"


class DirectoryUnavailable(Exception):
    """The directory did not answer (down, unreachable, or refusing our service account)."""


class SessionUserWithAudiences:
    """get_user for every backend a session can name: the user with its audiences, one query.

    Django's own read, but every page and poll asks for the audiences next (disks.access),
    so the user's row and its audience groups come in one statement (disks/selectors/rows.py;
    docs/benchmarks.md, figure 1). `session_user_allowed` is each backend's own check.
    """

    def get_user(self, user_id):
        user = user_with_audiences(user_id)
        return user if user is not None and self.session_user_allowed(user) else None

    def session_user_allowed(self, user) -> bool:
        return self.user_can_authenticate(user)  # type: ignore[attr-defined]


class LocalBackend(SessionUserWithAudiences, ModelBackend):
    """Passwords kept here: everyone's, or only staff and superusers' (LOCAL_LOGIN_FOR)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            sign_in_record(user=user, method=LOCAL, request=request)
        return user

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and local_login_allowed(user)


def local_login_allowed(user) -> bool:
    return settings.LOCAL_LOGIN_FOR == "all" or user.is_staff or user.is_superuser


def dn_normalise(dn: str) -> str:
    """Compare DNs the way the directory does: case and spaces after commas ignored."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn.casefold()))
    except ldap.DECODING_ERROR:
        return dn.casefold()


class DirectoryLDAPBackend(SessionUserWithAudiences, LDAPBackend):
    """django-auth-ldap, with names normalised, roles from groups and outages made visible.

    The local record is created or updated at every sign-in (AUTH_LDAP_ALWAYS_UPDATE_USER);
    its audience groups follow the directory groups in DIRECTORY_LDAP_ROLE_GROUPS.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username_normalise(username or "")
        if not (settings.AUTH_LDAP_SERVER_URI and name and password):
            return None
        user = super().authenticate(request, username=name, password=password)
        if user is None:
            return None
        try:
            roles = self.roles_of(user.ldap_user)
        except ldap.LDAPError as error:
            note_unavailable(request, error)
            return None
        roles_sync(user=user, roles=roles, method=LDAP, request=request)
        if not user.is_active:  # deactivated here: the directory's yes is not enough
            return None
        sign_in_record(user=user, method=LDAP, request=request)
        return user

    def session_user_allowed(self, user) -> bool:
        """Unless deactivated here since (as ModelBackend); with `ldap_user`, as LDAPBackend."""
        if not user.is_active:
            return False
        _LDAPUser(self, user=user)  # sets user.ldap_user, as LDAPBackend.get_user does
        return True

    def ldap_to_django_username(self, username: str) -> str:
        return username_normalise(username)

    def get_or_build_user(self, username, ldap_user):
        """Reuse the local record of that name, unless it is a local sign-in account.

        A break-glass administrator's account must not be taken over by a directory entry
        that happens to share its name.
        """
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and user.has_usable_password() and local_login_allowed(user):
            raise ldap_user.AuthenticationFailed("a local account of that name signs in locally")
        if not built and user.has_usable_password():
            user.set_unusable_password()
        return user, built

    def roles_of(self, ldap_user) -> frozenset[str]:
        role_groups = settings.DIRECTORY_LDAP_ROLE_GROUPS
        member_of = ldap_user.group_dns if any(role_groups.values()) else ()
        return roles_from_groups(member_of, role_groups, same=dn_normalise)

    def directory_lookup(self, username: str, probe=None) -> "_LDAPUser | None":
        """Find a user with the service account: their entry, or None if the directory has none.

        Raises DirectoryUnavailable when the directory does not answer. `probe` is the
        request (or any object) on which django-auth-ldap's error signal is noted.
        """
        probe = probe if probe is not None else _Probe()
        ldap_user = _LDAPUser(self, username=username_normalise(username), request=probe)
        found = ldap_user.dn is not None  # a search with the service account
        if getattr(probe, UNAVAILABLE_ATTR, None) is not None:
            raise DirectoryUnavailable(getattr(probe, UNAVAILABLE_ATTR))
        return ldap_user if found else None

    def directory_recheck(self, user, request=None) -> frozenset[str] | None:
        """The user's roles as the directory says now; None if it no longer knows them."""
        ldap_user = self.directory_lookup(user.get_username(), probe=request)
        if ldap_user is None:
            return None
        try:
            return self.roles_of(ldap_user)
        except ldap.LDAPError as error:
            raise DirectoryUnavailable(type(error).__name__) from error


class _Probe:
    """Stands in for a request where there is none (a management command)."""


def note_unavailable(probe, error: Exception) -> None:
    if probe is not None:
        setattr(probe, UNAVAILABLE_ATTR, type(error).__name__)
