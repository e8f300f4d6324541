"""Forms of the passkey pages (accounts/passkey_views.py)."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from meydan.accounts import passkeys
from meydan.comments.validation import NAME_MAX

CREDENTIAL_MAX = 64 * 1024  # a WebAuthn answer is a few KB


class PasskeyNameForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your display name"),
        help_text=_("Shown with your comments. You can use a pseudonym."),
        max_length=NAME_MAX * 2,  # the clear message about the length is the rule's own
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "maxlength": NAME_MAX}),
    )

    def clean_display_name(self):
        return passkeys.display_name_clean(self.cleaned_data.get("display_name", ""))


class CredentialForm(forms.Form):
    """The device's answer, as the page's script posts it (JSON text)."""

    credential = forms.CharField(widget=forms.HiddenInput, max_length=CREDENTIAL_MAX)

    def clean_credential(self):
        try:
            value = json.loads(self.cleaned_data["credential"])
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise forms.ValidationError(
                _("Your device’s answer could not be read. Try again."), code="invalid"
            )
        return value


class RecoveryForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your display name"),
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    code = forms.CharField(
        label=_("One of your recovery codes"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


class PasskeyRenameForm(forms.Form):
    name = forms.CharField(
        # Translators: the name a reader gives one of their passkeys ("Phone", "Laptop"),
        # not a person's name.
        label=pgettext_lazy("a passkey's name", "Name"),
        max_length=60,
        error_messages={"required": _("Give the passkey a name.")},
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the passkey a name."), code="required")
        return name
