from django.contrib import admin

from meydan.newsroom.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "language", "published", "is_published"]
    list_filter = ["site", "language", "is_published"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published"
