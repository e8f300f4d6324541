from django.contrib import admin

from meydan.notifications.models import Delivery, Suppression


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What the worker did with each message, and what the mail server said."""

    list_display = ["created", "kind", "to", "subject", "status", "attempts", "answer"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "answer"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False  # messages are queued by Meydan, never typed in

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses that get no more mail. Delete one to send to it again."""

    list_display = ["address", "reason", "created"]
    search_fields = ["address", "reason"]
    readonly_fields = ["address", "reason", "created"]

    def has_add_permission(self, request):
        return False
