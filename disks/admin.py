"""Django admin: desktops and requests to look at; the audit history strictly read-only."""

from django.contrib import admin

from disks.models import AuditEvent, Desktop, DiskRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "sequence",
        "occurred_at",
        "actor_username",
        "action",
        "outcome",
        "desktop_name",
    )
    list_filter = ("action", "outcome", "audience")
    search_fields = ("actor_username", "desktop_id", "desktop_name")


@admin.register(Desktop)
class DesktopAdmin(ReadOnlyAdmin):
    list_display = ("computer_name", "desktop_id", "status", "user_name", "data_volume_count")
    search_fields = ("computer_name", "desktop_id", "user_name")


@admin.register(DiskRequest)
class DiskRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "desktop_name", "status", "requested_by_username", "created_at")
    list_filter = ("status", "audience")
