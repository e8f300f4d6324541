"""Comments, bans and the audit log in the Django admin.

The admin is one more front door: every change goes through moderation.services,
exactly as from the queue (audited, teaching the spam filter, lifting a shadow
ban), and "delete" means "delete forever" there (replies stay under a placeholder).
Django's own delete, which would cascade to every reply, is not offered.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meydan.comments import validation
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.core import sealing
from meydan.core.errors import MeydanError
from meydan.moderation import services
from meydan.moderation.models import AuditEntry, Ban


def _moderation_action(name: str, action: str, label):
    def run(modeladmin, request, queryset):
        done = 0
        for comment in queryset.select_related("thread__site"):
            try:
                services.comment_moderate(
                    comment, action, actor=request.user, note="admin", channel="admin"
                )
                done += 1
            except MeydanError as error:
                modeladmin.message_user(request, f"#{comment.pk}: {error.message}", messages.ERROR)
        modeladmin.message_user(
            request,
            ngettext("%(n)d comment updated.", "%(n)d comments updated.", done) % {"n": done},
        )

    run.__name__ = name
    run.short_description = label
    return run


@admin.action(description=_("Delete forever (replies stay, under a placeholder)"))
def delete_forever(modeladmin, request, queryset):
    count = 0
    for comment in queryset.select_related("thread__site"):
        services.comment_delete_forever(comment, actor=request.user, channel="admin")
        count += 1
    modeladmin.message_user(
        request,
        ngettext("%(n)d comment deleted.", "%(n)d comments deleted.", count) % {"n": count},
    )


class CommentAdminForm(forms.ModelForm):
    """Same field rules as the comment form (comments.validation)."""

    author_url = forms.CharField(label=_("Website"), required=False, max_length=200)
    # The stored address is sealed (core.sealing): the admin shows its mask and can
    # replace it, not read it back.
    new_author_email = forms.CharField(
        label=_("Replace the email"),
        required=False,
        max_length=254,
        help_text=_("Leave empty to keep the address the comment has."),
    )

    class Meta:
        model = Comment
        fields = ["author_name", "author_url", "body", "moderation_reason"]

    def clean_author_name(self):
        return validation.clean_name(self.cleaned_data.get("author_name", ""))

    def clean_new_author_email(self):
        return validation.clean_email(self.cleaned_data.get("new_author_email", ""), required=False)

    def clean_author_url(self):
        return validation.clean_website(self.cleaned_data.get("author_url", ""))

    def clean_body(self):
        limit = self.instance.thread.site.max_comment_length
        return validation.clean_body(self.cleaned_data.get("body", ""), limit)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    form = CommentAdminForm
    list_display = [
        "author_name", "short_body", "thread", "status", "vote_count", "is_pick", "created",
    ]  # fmt: skip
    list_filter = ["status", "is_pick", "thread__site"]
    search_fields = ["author_name", "body"]
    list_select_related = ["thread"]
    fields = [
        "thread", "parent", "replied_to", "user", "author_name", "email_shown",
        "new_author_email", "author_url", "body", "status", "moderation_reason", "created",
        "edited", "ip_hash", "vote_count", "is_pick", "picked_at", "removal_reason",
        "removal_note", "removed_at",
    ]  # fmt: skip
    # Votes are readers' and picks moderators' (the queue's Pick button): shown, not set
    # here; so is the statement of reasons, set by the removal itself (the queue's picker;
    # the admin's actions give the default for the action).
    readonly_fields = [
        "thread", "parent", "replied_to", "user", "email_shown", "status", "created", "edited",
        "ip_hash", "vote_count", "is_pick", "picked_at", "removal_reason", "removal_note",
        "removed_at",
    ]  # fmt: skip
    actions = [
        _moderation_action("mark_approved", "approve", _("Approve")),
        _moderation_action("mark_spam", "spam", _("Mark as spam")),
        _moderation_action("mark_trash", "trash", _("Move to trash")),
        _moderation_action("mark_restore", "restore", _("Restore from the trash")),
        delete_forever,
    ]

    @admin.display(description=_("comment"))
    def short_body(self, obj):
        return obj.body[:80]

    @admin.display(description=_("email"))
    def email_shown(self, obj):
        return obj.author_email_shown or "–"

    def get_search_results(self, request, queryset, search_term):
        """An address searched for is matched by its keyed hash (addresses are sealed)."""
        if "@" in search_term:
            return queryset.filter(author_email_hash=sealing.email_hash(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # comments are posted on the site, through comments.services

    def has_delete_permission(self, request, obj=None):
        return False  # see the "Delete forever" action

    def save_model(self, request, obj, form, change):
        services.comment_moderator_edit(
            obj,
            actor=request.user,
            body=form.cleaned_data["body"],
            author_name=form.cleaned_data["author_name"],
            author_email=form.cleaned_data["new_author_email"] or None,
            author_url=form.cleaned_data["author_url"],
            # Typed text has no code: kept as written ("other"), and the stored code
            # stays when the field was left as it was.
            reason=Reason.other(form.cleaned_data["moderation_reason"])
            if "moderation_reason" in form.changed_data
            else None,
            channel="admin",
        )


class BanAdminForm(forms.ModelForm):
    class Meta:
        model = Ban
        fields = ["site", "kind", "value", "shadow", "expires", "reason"]


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    """Added and lifted through moderation.services (normalised, audited); a ban is
    not edited in place: lift it and add another."""

    form = BanAdminForm
    list_display = ["kind", "shown", "value", "site", "shadow", "expires", "created_by", "created"]
    list_filter = ["kind", "shadow", "site"]
    search_fields = ["value", "reason"]
    readonly_fields = ["created_by", "created"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            ban = services.ban_create(
                actor=request.user,
                site=data["site"],
                kind=data["kind"],
                value=data["value"],
                expires=data.get("expires"),
                shadow=data.get("shadow", False),
                reason=data.get("reason", ""),
            )
        except MeydanError as error:
            raise forms.ValidationError(str(error.message)) from None
        obj.pk = ban.pk

    def delete_model(self, request, obj):
        services.ban_lift(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for ban in queryset.select_related("site"):
            services.ban_lift(ban, actor=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the log is written by moderation.services, never edited."""

    list_display = ["created", "seq", "actor", "action", "comment_ref", "site", "note", "redacted"]
    list_filter = ["action", "site"]
    search_fields = ["note", "comment_ref"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
