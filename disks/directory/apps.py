from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "disks.directory"
    label = "disks_directory"
    verbose_name = "Directory sign-in"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django_auth_ldap.backend import ldap_error

        from disks.directory import signals

        # Replace the disks app's failed-login receiver with ours, which adds the sign-in
        # method to the same event (auth.login_failed). "disks" is before this app in
        # INSTALLED_APPS, so its receiver is connected by now.
        user_login_failed.disconnect(dispatch_uid="disks.login_failed_record")
        user_login_failed.connect(
            signals.login_failed_record, dispatch_uid="disks.directory.login_failed_record"
        )
        ldap_error.connect(signals.ldap_error_noted, dispatch_uid="disks.directory.ldap_error")
