from django import forms
from django.utils.translation import gettext_lazy as _

from meydan.comments.models import Comment
from meydan.core.errors import ReasonInvalid
from meydan.moderation.models import Flag
from meydan.moderation.statements import report_reason_clean


class ReportForm(forms.Form):
    """A reader's report (the no-JS page /c/<id>/report): a reason from the closed
    list, and their own words (required for "Other")."""

    reason = forms.ChoiceField(
        label=_("Why do you report this comment?"),
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    note = forms.CharField(
        label=_("In your words"),
        max_length=Flag.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “Other”; optional otherwise. The moderators read it."),
    )

    def clean(self):
        data = super().clean()
        if "reason" in data:
            try:
                data["reason"], data["note"] = report_reason_clean(
                    data["reason"], data.get("note", "")
                )
            except ReasonInvalid as error:
                self.add_error(error.field, str(error.message))
        return data


class RemovalForm(forms.Form):
    """The statement of reasons that goes with a removal in the queue (spam, trash,
    delete): empty means the action's default (moderation.statements)."""

    removal_reason = forms.ChoiceField(
        choices=[("", _("Default for the action"))] + list(Comment.RemovalReason.choices),
        required=False,
    )
    removal_note = forms.CharField(max_length=Comment.REMOVAL_NOTE_MAX, required=False)


class BanForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Ban by"),
        choices=[("email", _("Email")), ("ip", _("IP (keyed hash)")), ("user", _("Account"))],
    )
    value = forms.CharField(label=_("Value"), max_length=254)
    site = forms.TypedChoiceField(label=_("Site"), coerce=int, choices=())
    days = forms.IntegerField(
        label=_("For how many days"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Empty: until lifted."),
    )
    shadow = forms.BooleanField(
        label=_("Shadow ban (the author still sees their comments; nobody else does)"),
        required=False,
    )
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.pk, s.name) for s in sites]


class EditForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 8}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))


class ImportForm(forms.Form):
    """An export file from another system (or Meydan), imported in the background."""

    site = forms.TypedChoiceField(label=_("Into site"), coerce=int, choices=())
    file = forms.FileField(
        label=_("Export file"),
        help_text=_(
            "WordPress WXR, Disqus XML, an Isso database, a Commento or Remark42 export, "
            "or Meydan JSON. The format is recognised from the content."
        ),
    )
    format = forms.ChoiceField(label=_("Format"), required=False, choices=())
    maps = forms.CharField(
        label=_("Address rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One a line, applied in order: host:OLD=NEW, prefix:OLD=NEW, https, slash:add, "
            "slash:strip."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only count what would happen, change nothing"), required=False
    )

    def __init__(self, *args, sites, formats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.pk, s.name) for s in sites]
        self.fields["format"].choices = [("", _("Recognise it"))] + [(f, f) for f in formats]

    def clean_maps(self):
        from meydan.interchange.urlmap import MapError, UrlMap
        from meydan.interchange.wording import import_error_display

        rules = [line.strip() for line in self.cleaned_data["maps"].splitlines() if line.strip()]
        for rule in rules:
            if rule.startswith("csv:"):
                raise forms.ValidationError(
                    _("A CSV of addresses can be given on the command line (meydan import).")
                )
        try:
            UrlMap.parse(rules)
        except MapError as error:
            raise forms.ValidationError(
                import_error_display(error.code, error.params, str(error))
            ) from None
        return rules
