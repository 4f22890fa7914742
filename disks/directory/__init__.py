"""Directory sign-in: LDAP / Active Directory and OpenID Connect, beside local accounts.

- `usernames`: "DOMAIN\\name" and "name@domain" become the name the desktops use.
- `backends`: the local (break-glass) backend and the LDAP backend (django-auth-ldap).
- `oidc`: the OpenID Connect sign-in (django-allauth's provider) and its session backend.
- `roles`: audience groups from directory groups or claims, recorded when they change.
- `middleware`: re-reads an LDAP user's groups every DIRECTORY_RECHECK_MINUTES.
- `audit`: the one place that writes this package's audit events.

Settings come from workspace_admin/directory_settings.py.
"""
