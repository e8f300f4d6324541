"""The comment forms for the server-rendered (no JavaScript) path.

Field rules come from comments.validation, the same ones the service applies.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from meydan.comments import validation
from meydan.comments.form_token import form_token_issue


class CommentForm(forms.Form):
    """What everyone writes: the comment, and which comment it answers.

    A signed-in reader uses this form as it is: who they are comes from the session.
    """

    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
        strip=False,
        required=False,  # emptiness is reported by validation.clean_body, in our words
    )
    parent = forms.CharField(required=False, widget=forms.HiddenInput)
    # Spam guards (moderation.checks.form_guard): a signed timestamp, and a field
    # people never see or fill (hidden by CSS, skipped by keyboard and screen readers).
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)
    # The solved proof of work (moderation.checks.pow), filled in by pow.js; without
    # it (no JavaScript) a guest's comment waits for a moderator.
    altcha = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    homepage = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    # Email notifications (meydan.notifications): off unless ticked; a guest confirms
    # by email first.
    notify_comments = forms.BooleanField(
        label=_("Notify me of follow-up comments by email"), required=False
    )
    notify_scope = forms.ChoiceField(
        label=_("Which comments"),
        choices=[("thread", _("all new comments")), ("replies", _("only replies to me"))],
        initial="thread",
        required=False,
        widget=forms.RadioSelect,
    )
    notify_posts = forms.BooleanField(label=_("Notify me of new posts by email"), required=False)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["body"].widget.attrs["maxlength"] = site.max_comment_length
        if not self.is_bound:
            self.initial["form_token"] = form_token_issue()

    def full_clean(self):
        super().full_clean()
        # The page comes back with the errors: the first field to fix takes the focus
        # (autofocus, so without JavaScript too); the form's own errors, shown above
        # the fields, take it first (form.html).
        for name, field in self.fields.items():
            if name in self.errors and not field.widget.is_hidden:
                field.widget.attrs["autofocus"] = True
                break

    def clean_body(self):
        return validation.clean_body(
            self.cleaned_data.get("body", ""), self.site.max_comment_length
        )

    def clean_notify_scope(self):
        return self.cleaned_data.get("notify_scope") or "thread"

    def clean_parent(self):
        value = (self.cleaned_data.get("parent") or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 18:
            raise forms.ValidationError(
                _("The comment you are replying to does not exist on this page any more.")
            )
        return int(value)


class GuestCommentForm(CommentForm):
    """A guest also gives their email (never published), name and website."""

    email = forms.CharField(
        label=_("Email"),
        help_text=_("Required, never published."),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
    )
    name = forms.CharField(
        label=_("Name"),
        help_text=_("Required."),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 100}),
    )
    website = forms.CharField(
        label=_("Website"),
        help_text=_("Optional."),
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url", "maxlength": 200}),
    )
    remember = forms.BooleanField(
        label=_("Save my name, email and website in this browser for the next time I comment."),
        required=False,
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, site=site, **kwargs)
        # Site.require_name_email off: both may stay empty (the name becomes
        # "Anonymous", see comments.services.posting.validated).
        self.names_required = site.require_name_email
        if not self.names_required:
            self.fields["email"].help_text = _("Optional, never published.")
            self.fields["name"].help_text = _("Optional.")

    def clean_name(self):
        return validation.clean_name(
            self.cleaned_data.get("name", ""), required=self.names_required
        )

    def clean_email(self):
        return validation.clean_email(
            self.cleaned_data.get("email", ""), required=self.names_required
        )

    def clean_website(self):
        return validation.clean_website(self.cleaned_data.get("website", ""))
