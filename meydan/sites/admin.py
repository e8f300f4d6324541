from django.contrib import admin

from meydan.sites.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "comments_open", "hold_all", "max_depth", "page_size"]
    search_fields = ["name", "domain"]
    fieldsets = [
        (None, {"fields": ["name", "domain", "origins"]}),
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
                ]
            },
        ),
    ]
