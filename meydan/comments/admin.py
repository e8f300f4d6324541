from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meydan.comments import services, validation
from meydan.comments.models import Comment, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "site", "key", "is_open", "comment_count", "last_comment_at"]
    list_filter = ["site", "is_open"]
    search_fields = ["title", "key", "url"]
    readonly_fields = ["comment_count", "version", "created", "last_comment_at"]


def _status_action(status: str, label):
    def action(modeladmin, request, queryset):
        for comment in queryset:
            services.comment_set_status(comment, status, reason=f"admin: {request.user}")
        modeladmin.message_user(request, _("%(n)d comment(s) updated.") % {"n": len(queryset)})

    action.__name__ = f"mark_{status}"
    action.short_description = label
    return action


class CommentAdminForm(forms.ModelForm):
    """Same field rules as the comment form (comments.validation)."""

    author_url = forms.CharField(label=_("Website"), required=False, max_length=200)

    class Meta:
        model = Comment
        fields = ["author_name", "author_email", "author_url", "body", "moderation_reason"]

    def clean_author_name(self):
        return validation.clean_name(self.cleaned_data.get("author_name", ""))

    def clean_author_email(self):
        return validation.clean_email(self.cleaned_data.get("author_email", ""), required=False)

    def clean_author_url(self):
        return validation.clean_website(self.cleaned_data.get("author_url", ""))

    def clean_body(self):
        limit = self.instance.thread.site.max_comment_length
        return validation.clean_body(self.cleaned_data.get("body", ""), limit)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    form = CommentAdminForm
    list_display = ["author_name", "short_body", "thread", "status", "created"]
    list_filter = ["status", "thread__site"]
    search_fields = ["author_name", "author_email", "body"]
    list_select_related = ["thread"]
    fields = [
        "thread", "parent", "replied_to", "user", "author_name", "author_email", "author_url",
        "body", "status", "moderation_reason", "created", "edited", "ip_hash",
    ]  # fmt: skip
    readonly_fields = [
        "thread", "parent", "replied_to", "user", "status", "created", "edited", "ip_hash",
    ]  # fmt: skip
    actions = [
        _status_action(Comment.Status.APPROVED, _("Approve")),
        _status_action(Comment.Status.SPAM, _("Mark as spam")),
        _status_action(Comment.Status.TRASH, _("Move to trash")),
    ]

    @admin.display(description=_("comment"))
    def short_body(self, obj):
        return obj.body[:80]

    def has_add_permission(self, request):
        return False  # comments are posted on the site, through comments.services

    def save_model(self, request, obj, form, change):
        services.comment_edit(
            obj,
            body=form.cleaned_data["body"],
            author_name=form.cleaned_data["author_name"],
            author_email=form.cleaned_data["author_email"],
            author_url=form.cleaned_data["author_url"],
            moderation_reason=form.cleaned_data["moderation_reason"],
        )
