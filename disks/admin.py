"""Django admin: desktops and requests to look at; the audit history strictly read-only;
API tokens (made and revoked, never shown again) and webhook endpoints."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from disks.actor import Actor, ActorAudience
from disks.models import (
    ApiToken,
    AuditEvent,
    Desktop,
    DiskRequest,
    WebhookEndpoint,
    WebhookEvent,
)
from disks.services.api_tokens import api_token_create, api_token_revoke, api_token_scopes_for
from disks.webhooks.signing import endpoint_secret, new_salt


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


class ApiTokenAddForm(forms.ModelForm):
    expires_days = forms.IntegerField(min_value=1, initial=90, label=_("Expires after (days)"))

    class Meta:
        model = ApiToken
        fields = ("user", "name", "scope")

    def clean(self):
        cleaned = super().clean() or {}
        user, scope = cleaned.get("user"), cleaned.get("scope")
        if user is not None and scope and scope not in dict(api_token_scopes_for(user)):
            self.add_error("scope", _("A token cannot do more than its owner."))
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins make tokens for anyone (shown once, on the next page) and revoke them."""

    list_display = (
        "name",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("scope",)
    search_fields = ("name", "user__username")
    actions = ["revoke"]
    add_form = ApiTokenAddForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        api_token, token = api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_days=form.cleaned_data["expires_days"],
            actor=Actor.from_request(request, audience=ActorAudience.HELPDESK),
        )
        obj.pk, obj.key_hash = api_token.pk, api_token.key_hash
        obj.created_at, obj.expires_at = api_token.created_at, api_token.expires_at
        request._new_api_token = token

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "api_token": obj,
            "new_token": getattr(request, "_new_api_token", ""),
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/disks/apitoken/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        actor = Actor.from_request(request, audience=ActorAudience.HELPDESK)
        for api_token in queryset:
            api_token_revoke(api_token=api_token, actor=actor)


class WebhookEndpointForm(forms.ModelForm):
    # The stored URL is never shown again (a robot's URL carries its token): blank keeps it.
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "off", "size": 80}),
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "format", "events", "scope", "owner", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["url"] = ""
            self.fields["url"].required = False
            self.fields["url"].help_text = _(
                "Stored encrypted and not shown again (%(host)s). Leave it blank to keep it."
            ) % {"host": urlsplit(self.instance.url).hostname or "?"}

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url and self.instance.pk:
            return self.instance.url
        if urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(_("Only http and https URLs."))
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Register endpoints; the signing secret is shown once, after the add."""

    form = WebhookEndpointForm
    list_display = ("name", "host", "format", "scope", "is_active", "paused_at", "deliveries_page")
    list_filter = ("format", "scope", "is_active")

    @admin.display(description=_("Host"))
    def host(self, obj):
        return urlsplit(obj.url).hostname

    @admin.display(description=_("Deliveries"))
    def deliveries_page(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("disks:webhook-endpoint-detail", args=[obj.pk]),
            _("open"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret_salt = new_salt()
            obj.owner = obj.owner or request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "endpoint": obj,
            "secret": endpoint_secret(obj.secret_salt),
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/disks/webhookendpoint/created.html", context)
        add_never_cache_headers(response)
        return response
