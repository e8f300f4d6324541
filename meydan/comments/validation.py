"""Field rules for a comment, shared by the HTML form, the API and the service.

Each function returns the cleaned value or raises ValidationError with a message
a reader understands; comments.services.comment_post applies all of them, so no
front door can skip one.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from meydan.core.weburl import web_url

NAME_MAX = 100
EMAIL_MAX = 254
WEBSITE_MAX = 200

# Lazy: these are made once, when the module loads; their words must be the reader's.
_email = EmailValidator(message=gettext_lazy("Enter a valid email address, like name@example.org."))
_website = URLValidator(
    schemes=["http", "https"],
    message=gettext_lazy("Enter a web address starting with http:// or https://."),
)


def _no_control_characters(value: str, label: str) -> None:
    """`label` is the field's untranslated name (gettext_noop), translated only for
    an error: every comment posted checks four fields, and looking up four
    translations that are almost never shown was a measurable part of a post."""
    if "\x00" in value:
        raise ValidationError(_("%(field)s contains a NUL character.") % {"field": _(label)})
    if "\ufffd" in value:
        raise ValidationError(
            _("%(field)s contains text that is not valid UTF-8.") % {"field": _(label)},
            code="encoding",
        )


def clean_name(value: str, required: bool = True) -> str:
    value = (value or "").strip()
    _no_control_characters(value, gettext_noop("Name"))
    if not value:
        if required:
            raise ValidationError(_("Please enter your name."), code="required")
        return value
    if len(value) > NAME_MAX:
        raise ValidationError(
            _("Names can be at most %(max)d characters (this one has %(n)d).")
            % {"max": NAME_MAX, "n": len(value)},
            code="max_length",
        )
    return value


def clean_email(value: str, required: bool = True) -> str:
    value = (value or "").strip()
    _no_control_characters(value, gettext_noop("Email"))
    if not value:
        if required:
            raise ValidationError(
                _("Please enter your email address. It is never published."), code="required"
            )
        return value
    if len(value) > EMAIL_MAX:
        raise ValidationError(_("That email address is too long."), code="max_length")
    _email(value)
    return value


def clean_website(value: str) -> str:
    value = (value or "").strip()
    _no_control_characters(value, gettext_noop("Website"))
    if not value:
        return ""
    if len(value) > WEBSITE_MAX:
        raise ValidationError(
            _("Web addresses can be at most %(max)d characters.") % {"max": WEBSITE_MAX},
            code="max_length",
        )
    if "://" not in value and not value.startswith(("//", "\\")) and ":" not in value.split("/")[0]:
        value = "https://" + value  # "example.org" is what people type
    # Stored as typed, but only when a browser reads it as we do (core/weburl.py):
    # no backslash, tab or newline, and the same host for the browser and for Python
    # ("http://example.com\\@evil.example" links to example.com in a browser).
    parsed = web_url(value, userinfo=True)
    if parsed is None or any(ch in value for ch in "\\\t\r\n"):
        raise ValidationError(_website.message, code="invalid")
    try:
        python_host = urlsplit(value).hostname
    except ValueError:
        python_host = None
    as_python_reads = web_url(f"http://{python_host}/") if python_host else None
    if as_python_reads is None or as_python_reads.host != parsed.host:
        raise ValidationError(_website.message, code="invalid")
    _website(value)
    return value


def clean_body(value: str, max_length: int) -> str:
    value = (value or "").strip()
    _no_control_characters(value, gettext_noop("Your comment"))
    if not value:
        raise ValidationError(_("Please write a comment before sending it."), code="required")
    if len(value) > max_length:
        raise ValidationError(
            ngettext(
                "Comments can be at most %(max)d character long (this one has %(n)d).",
                "Comments can be at most %(max)d characters long (this one has %(n)d).",
                max_length,
            )
            % {"max": max_length, "n": len(value)},
            code="max_length",
        )
    return value
