from django.contrib import admin

from meydan.moderation.models import AuditEntry, Ban


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "site", "shadow", "expires", "created_by", "created"]
    list_filter = ["kind", "shadow", "site"]
    search_fields = ["value", "reason"]
    readonly_fields = ["created_by", "created"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the log is written by moderation.services, never edited."""

    list_display = ["created", "actor", "action", "comment_ref", "site", "note"]
    list_filter = ["action", "site"]
    search_fields = ["note", "comment_ref"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
