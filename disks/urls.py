"""URLs of the disks app, one block per audience (see docs/design.md's URL map)."""

from django.urls import path

from disks.views import audit, helpdesk, home, insights, portal

app_name = "disks"

urlpatterns = [
    path("", home.home, name="home"),
]

helpdesk_patterns = [
    path("desktops/", helpdesk.desktop_list, name="helpdesk-desktop-list"),
    path("desktops/sync/", helpdesk.desktop_sync, name="helpdesk-desktop-sync"),
    path("desktops/<str:desktop_id>/", helpdesk.desktop_detail, name="helpdesk-desktop-detail"),
    path(
        "desktops/<str:desktop_id>/refresh/",
        helpdesk.desktop_refresh_view,
        name="helpdesk-desktop-refresh",
    ),
    path("desktops/<str:desktop_id>/disks/add/", helpdesk.disk_add, name="helpdesk-disk-add"),
    path("requests/", helpdesk.request_list, name="helpdesk-request-list"),
    path("requests/<int:pk>/", helpdesk.request_detail, name="helpdesk-request-detail"),
    path("requests/<int:pk>/status/", helpdesk.request_status, name="helpdesk-request-status"),
    path("approvals/", helpdesk.approval_list, name="helpdesk-approval-list"),
    path(
        "approvals/<int:pk>/approve/", helpdesk.approval_approve, name="helpdesk-approval-approve"
    ),
    path("approvals/<int:pk>/reject/", helpdesk.approval_reject, name="helpdesk-approval-reject"),
]

portal_patterns = [
    path("portal/", portal.home, name="portal-home"),
    path("portal/desktops/<str:desktop_id>/disks/add/", portal.disk_add, name="portal-disk-add"),
    path("portal/requests/<int:pk>/", portal.request_detail, name="portal-request-detail"),
    path("portal/requests/<int:pk>/status/", portal.request_status, name="portal-request-status"),
]

urlpatterns += helpdesk_patterns + portal_patterns

audit_patterns = [
    path("audit/", audit.event_list, name="audit-event-list"),
    path("insights/", insights.insights, name="insights"),
    path("audit/<int:pk>/", audit.event_detail, name="audit-event-detail"),
    path("audit/export.csv", audit.event_export_csv, name="audit-event-export"),
    path("audit/verify/", audit.chain_verify, name="audit-chain-verify"),
]

urlpatterns += audit_patterns
