from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meydan.sites.models import Site
from meydan.sites.services import site_update


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "domain", "comments_open", "hold_all", "max_depth", "page_size"]
    search_fields = ["name", "domain"]
    filter_horizontal = ["moderators"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "domain", "origins", "language", "moderators"]}),
        (
            _("Discussion policy"),
            {
                "fields": [
                    "comments_open",
                    "close_after_days",
                    "require_name_email",
                    "hold_all",
                    "hold_first_comment",
                    "hold_links",
                    "moderation_words",
                    "disallowed_words",
                    "disallowed_action",
                    "flag_threshold",
                    "max_depth",
                    "page_size",
                    "page_comments",
                    "default_order",
                    "max_comment_length",
                    "edit_window_minutes",
                ]
            },
        ),
        (_("Retention"), {"fields": ["ip_hash_days", "email_days"]}),
        (_("Transparency"), {"fields": ["transparency_public"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            # announces site_changed: caches and pages forget the old policy
            site_update(obj, channel="admin", actor=request.user)
        else:
            super().save_model(request, obj, form, change)
