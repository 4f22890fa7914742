from django.apps import AppConfig


class DisksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "disks"
    verbose_name = "Workspace disks"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from disks import metrics
        from disks.signals import locked_out_record, login_failed_record, preferences_to_session

        metrics.install()

        user_login_failed.connect(login_failed_record, dispatch_uid="disks.login_failed_record")
        user_locked_out.connect(locked_out_record, dispatch_uid="disks.locked_out_record")
        user_logged_in.connect(preferences_to_session, dispatch_uid="disks.preferences_to_session")
