"""Staff's front door to webhooks: register and edit them per site, send a test
ping, renew a secret, and read the delivery log (read-only).

The secret is shown once, on the page after the webhook is made or its secret
renewed; afterwards only its first characters (a lost secret is renewed, not
looked up). Staff who are not superusers see the webhooks of the sites they
moderate only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meydan.sites.models import Site
from meydan.webhooks import services
from meydan.webhooks.addresses import Refused, check_registration
from meydan.webhooks.models import Event, Webhook, WebhookDelivery

REVEAL = "meydan_webhook_secrets_once"


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this address hears of. A test ping is always allowed."),
    )

    class Meta:
        model = Webhook
        fields = ["site", "name", "url", "events", "format", "active"]

    def clean_url(self):
        try:
            return check_registration(self.cleaned_data["url"])
        except Refused as refused:
            raise ValidationError(
                _("Meydan does not send webhooks to this address: %(why)s"),
                params={"why": refused},
                code="refused",
            ) from None


def _own(queryset, request, site_path: str):
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{site_path}__moderators": request.user})


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["__str__", "site", "format", "event_list", "active", "created"]
    list_filter = ["active", "format", "site"]
    readonly_fields = ["secret_hint", "created"]
    actions = ["send_ping", "renew_secret"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    @admin.display(description=_("secret"))
    def secret_hint(self, obj):
        return obj.secret_hint if obj.pk else _("made when you save; shown once")

    def get_queryset(self, request):
        return _own(super().get_queryset(request), request, "site")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "site":
            if not request.user.is_superuser:
                kwargs["queryset"] = Site.objects.filter(moderators=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("site") if change else None
        services.webhook_save(obj, previous_site_id=previous)

    def delete_model(self, request, obj):
        services.webhook_delete(obj)

    def delete_queryset(self, request, queryset):
        for webhook in queryset:
            services.webhook_delete(webhook)

    def response_add(self, request, obj, post_url_continue=None):
        return self._reveal(request, [obj], made=True)

    def get_urls(self):
        secret = path(
            "secret/",
            self.admin_site.admin_view(self.secret_view),
            name="webhooks_webhook_secret",
        )
        return [secret, *super().get_urls()]

    def _reveal(self, request, webhooks, *, made: bool):
        """Redirect (so that a reload posts nothing again) to the page that shows
        these secrets once: the session holds which webhooks, never a secret."""
        request.session[REVEAL] = {"ids": [w.pk for w in webhooks], "made": made}
        return HttpResponseRedirect(reverse("admin:webhooks_webhook_secret"))

    def secret_view(self, request):
        """GET: the secrets of the webhooks just made or renewed, this once."""
        reveal = request.session.pop(REVEAL, None) or {"ids": [], "made": False}
        webhooks = list(self.get_queryset(request).filter(pk__in=reveal["ids"]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Webhook secret"),
            "webhooks": webhooks,
            "made": reveal["made"],
            "opts": self.model._meta,
        }
        # admin_view() marks it never to be cached (no-store).
        return TemplateResponse(request, "admin/webhooks/secret.html", context)

    @admin.action(description=_("Send a test ping"))
    def send_ping(self, request, queryset):
        count = 0
        for webhook in queryset:
            services.webhook_ping(webhook)
            count += 1
        self.message_user(
            request,
            ngettext(
                "A test ping is queued; its answer appears in the webhook deliveries.",
                "%(n)d test pings are queued; their answers appear in the webhook deliveries.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Make a new secret (the old one stops working)"))
    def renew_secret(self, request, queryset):
        webhooks = list(queryset)
        for webhook in webhooks:
            services.webhook_renew_secret(webhook)
        return self._reveal(request, webhooks, made=False)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """What the worker did with each call, and what the receiver answered."""

    list_display = [
        "created", "webhook", "event", "status", "attempts", "response_code",
        "response_excerpt", "error", "next_attempt",
    ]  # fmt: skip
    list_filter = ["status", "event", "webhook__site"]
    search_fields = ["error", "response_excerpt", "uuid", "event_id"]
    list_select_related = ["webhook"]
    readonly_fields = fields = [
        "created", "webhook", "event", "uuid", "event_id", "status", "attempts",
        "response_code", "response_excerpt", "error", "enqueued_at", "last_attempt",
        "next_attempt", "finished",
    ]  # fmt: skip

    def get_queryset(self, request):
        return _own(super().get_queryset(request), request, "webhook__site")

    def has_add_permission(self, request):
        return False  # deliveries are made by events, never typed in

    def has_change_permission(self, request, obj=None):
        return False
