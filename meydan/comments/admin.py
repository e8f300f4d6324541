"""Threads in the admin. Comments are in moderation/admin.py: the admin is a front
door like the queue, and changes comments only through moderation's actions."""

from django.contrib import admin

from meydan.comments import services
from meydan.comments.models import Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "site", "key", "is_open", "comment_count", "pick_count", "last_comment_at",
    ]  # fmt: skip
    list_filter = ["site", "is_open"]
    search_fields = ["title", "key", "url"]
    # The pin is the editors' choice, made in the moderation workspace (audited there).
    readonly_fields = [
        "site", "comment_count", "pinned", "pick_count", "version", "created", "last_comment_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False  # a thread comes with its page's first comment

    def has_delete_permission(self, request, obj=None):
        return False  # it would take every comment with it; close the thread instead

    def save_model(self, request, obj, form, change):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        services.thread_update(obj, channel="admin", actor=request.user, **changed)
