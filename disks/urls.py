"""URLs of the disks app, one block per audience (see docs/design.md's URL map)."""

from django.urls import path

from disks.views import (
    account,
    api_docs,
    approvals_bulk,
    audit,
    batches,
    helpdesk,
    home,
    insights,
    portal,
    preferences,
    volumes,
    webhooks,
)

app_name = "disks"

urlpatterns = [
    path("", home.home, name="home"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("preferences/language/", preferences.language_set, name="language-set"),
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
    path(
        "desktops/<str:desktop_id>/disks/delete/",
        volumes.helpdesk_disk_delete,
        name="helpdesk-disk-delete",
    ),
    path(
        "desktops/<str:desktop_id>/disks/<str:volume_id>/expand/",
        volumes.helpdesk_disk_expand,
        name="helpdesk-disk-expand",
    ),
    path("requests/", helpdesk.request_list, name="helpdesk-request-list"),
    path("requests/<int:pk>/", helpdesk.request_detail, name="helpdesk-request-detail"),
    path("requests/<int:pk>/status/", helpdesk.request_status, name="helpdesk-request-status"),
    path("overview/", home.helpdesk_home, name="helpdesk-home"),
    path("approvals/", helpdesk.approval_list, name="helpdesk-approval-list"),
    path(
        "approvals/approve/",
        approvals_bulk.approval_approve_many,
        name="helpdesk-approval-approve-many",
    ),
    path(
        "approvals/<int:pk>/approve/", helpdesk.approval_approve, name="helpdesk-approval-approve"
    ),
    path("approvals/<int:pk>/reject/", helpdesk.approval_reject, name="helpdesk-approval-reject"),
    path("batches/", batches.batch_list, name="helpdesk-batch-list"),
    path("batches/new/", batches.batch_new, name="helpdesk-batch-new"),
    path("batches/<int:pk>/", batches.batch_detail, name="helpdesk-batch-detail"),
    path("batches/<int:pk>/status/", batches.batch_status, name="helpdesk-batch-status"),
]

portal_patterns = [
    path("portal/", portal.home, name="portal-home"),
    path("portal/desktops/<str:desktop_id>/disks/add/", portal.disk_add, name="portal-disk-add"),
    path(
        "portal/desktops/<str:desktop_id>/disks/<str:volume_id>/expand/",
        volumes.portal_disk_expand,
        name="portal-disk-expand",
    ),
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

account_patterns = [
    path("account/api-tokens/", account.api_token_list, name="api-token-list"),
    path(
        "account/api-tokens/<int:pk>/revoke/",
        account.api_token_revoke_view,
        name="api-token-revoke",
    ),
    path("api/v1/docs", api_docs.api_docs, name="api-docs"),
    path("webhooks/<int:pk>/", webhooks.endpoint_detail, name="webhook-endpoint-detail"),
    path(
        "webhooks/deliveries/<int:pk>/resend/",
        webhooks.delivery_resend,
        name="webhook-delivery-resend",
    ),
]

urlpatterns += account_patterns
