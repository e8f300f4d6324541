from django.contrib import admin

from meydan.sites.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "domain", "comments_open", "hold_all", "max_depth", "page_size"]
    search_fields = ["name", "domain"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "domain", "origins"]}),
        (
            "Discussion policy",
            {
                "fields": [
                    "comments_open",
                    "hold_all",
                    "max_depth",
                    "page_size",
                    "default_order",
                    "max_comment_length",
                    "edit_window_minutes",
                ]
            },
        ),
    ]
