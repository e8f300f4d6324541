from django import template
from django.templatetags.static import static

from meydan.accounts.providers import provider_icon, provider_label, provider_label_for_id
from meydan.comments.avatars import url_key

register = template.Library()


@register.filter
def provider_name(provider) -> str:
    """An allauth provider object -> the name readers know ('Google', 'X', …)."""
    return provider_label(provider)


@register.simple_tag
def provider_icon_url(provider_id: str) -> str:
    return static(f"accounts/icons/{provider_icon(provider_id)}.svg")


@register.filter
def provider_display(provider_id: str) -> str:
    """A provider id stored on a comment -> its name ('google' -> 'Google')."""
    return provider_label_for_id(provider_id)


@register.filter
def avatar_url_key(key: str) -> str:
    """A comment's stored avatar key as its picture's URL gives it (avatars.url_key)."""
    return url_key(key)


@register.simple_tag
def passkeys_enabled() -> bool:
    """Whether readers may sign up and sign in with a passkey (MEYDAN_PASSKEYS)."""
    from meydan.accounts.passkeys import passkeys_enabled as enabled

    return enabled()
