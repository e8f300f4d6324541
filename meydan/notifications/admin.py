from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meydan.core import sealing
from meydan.notifications.models import Delivery, Suppression


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What the worker did with each message, and what the mail server said."""

    list_display = ["created", "kind", "to_shown", "subject", "status", "attempts", "answer"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "answer"]
    # The address is sealed (core.sealing): its mask is shown, the sealed copy and
    # the message waiting to be sent are not.
    readonly_fields = fields = [
        "created", "kind", "to_shown", "subject", "status", "attempts", "answer", "finished",
        "enqueued_at", "last_attempt", "next_attempt",
    ]  # fmt: skip

    @admin.display(description=_("to"))
    def to_shown(self, obj):
        return obj.to_shown

    def get_search_results(self, request, queryset, search_term):
        if "@" in search_term:
            return queryset.filter(to_hash=sealing.email_hash(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # messages are queued by Meydan, never typed in

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses that get no more mail. Delete one to send to it again."""

    list_display = ["shown", "reason", "created"]
    search_fields = ["reason"]
    readonly_fields = fields = ["shown", "reason", "created"]

    def get_search_results(self, request, queryset, search_term):
        if "@" in search_term:
            return queryset.filter(address_hash=sealing.email_hash(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False
