from django import forms
from django.utils.translation import gettext_lazy as _


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
