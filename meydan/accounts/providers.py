"""How each sign-in provider is named and read: labels and icons, the profile
read from allauth's data, and the sign-in options of this installation (from
allauth's settings and its database-backed apps, cached briefly)."""

from dataclasses import dataclass

# Our names for allauth's provider ids, as readers know them.
PROVIDER_LABELS = {
    "wordpress": "WordPress.com",
    "google": "Google",
    "twitter_oauth2": "X",
    "facebook": "Facebook",
}
# The order of the icons under "Leave a Reply", as on the page we imitate.
PROVIDER_ORDER = ["wordpress", "google", "twitter_oauth2", "facebook"]
ICONS = {
    "passkey": "passkey",
    "wordpress": "wordpress",
    "google": "google",
    "twitter_oauth2": "x",
    "facebook": "facebook",
}

_NAME_KEYS = ["name", "display_name", "preferred_username", "username", "login", "nickname"]


def provider_key(provider) -> str:
    """The id that names this provider in URLs and on stored accounts: an OpenID
    Connect app's own id ("oidc"), else the provider's ("google")."""
    app = getattr(provider, "app", None)
    return (getattr(app, "provider_id", "") or provider.id) if app is not None else provider.id


def provider_label(provider) -> str:
    """'Google', 'X', or the operator's name for an OpenID Connect provider."""
    return PROVIDER_LABELS.get(provider.id, provider.name)


def provider_label_for_id(provider_id: str) -> str:
    """The name for a stored provider id; the configured name for other providers."""
    if provider_id == "passkey":  # a passkey account (accounts/passkeys.py)
        from django.utils.translation import gettext

        return gettext("passkey")
    if provider_id in PROVIDER_LABELS:
        return PROVIDER_LABELS[provider_id]
    from django.conf import settings

    for app in settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", []):
        if app.get("provider_id") == provider_id:
            return app.get("name", provider_id)
    return provider_id


def provider_icon(provider_id: str) -> str:
    return ICONS.get(provider_id, "openid")


@dataclass(frozen=True)
class ProviderProfile:
    name: str
    picture_url: str


def profile_from_social_account(account) -> ProviderProfile:
    """Display name and picture from a SocialAccount's provider data. (The address
    and whether it is verified are allauth's: EmailAddress, filled by its adapters.)"""
    raw = account.extra_data or {}
    # OpenID Connect keeps {"userinfo": …, "id_token": …}; X wraps its profile in "data".
    data: dict = {}
    for nested in ("id_token", "userinfo", "data"):
        if isinstance(raw.get(nested), dict):
            data.update(raw[nested])
    data.update({k: v for k, v in raw.items() if k not in ("id_token", "userinfo", "data")})
    name = ""
    for key in _NAME_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            name = value.strip()
            break
    if not name:
        given = " ".join(str(data.get(k, "")).strip() for k in ("given_name", "family_name"))
        name = given.strip()
    provider_account = account.get_provider_account()
    if not name:
        name = str(provider_account.to_str() or "").split("@")[0]
    picture = ""
    try:
        picture = provider_account.get_avatar_url() or ""
    except (AttributeError, KeyError, TypeError):
        picture = ""
    if not picture:
        for key in ("picture", "avatar_URL", "profile_image_url", "avatar_url"):
            value = data.get(key)
            if isinstance(value, str):
                picture = value
                break
            if isinstance(value, dict):  # Facebook: {"data": {"url": ...}}
                picture = str((value.get("data") or {}).get("url", ""))
                break
    return ProviderProfile(
        name=(name or "Reader")[:100],
        picture_url=picture if picture.startswith(("https://", "http://")) else "",
    )


@dataclass(frozen=True)
class SigninOption:
    id: str
    label: str
    icon: str


SIGNIN_OPTIONS_KEY = "meydan:signin-options"
SIGNIN_OPTIONS_SECONDS = 60


def signin_options(request) -> list[SigninOption]:
    """The providers the operator configured (env vars or admin), icon order first.

    Cached for a minute (allauth reads its SocialApp table on every call, and every
    signed-out page asks); a change in the admin drops it (receivers.py)."""
    from django.core.cache import cache

    options = cache.get(SIGNIN_OPTIONS_KEY)
    if options is None:
        options = _signin_options(request)
        cache.set(SIGNIN_OPTIONS_KEY, options, SIGNIN_OPTIONS_SECONDS)
    return options


def forget_signin_options() -> None:
    from django.core.cache import cache

    cache.delete(SIGNIN_OPTIONS_KEY)


def _signin_options(request) -> list[SigninOption]:
    from allauth.socialaccount.adapter import get_adapter

    providers = get_adapter().list_providers(request)
    rank = {pid: i for i, pid in enumerate(PROVIDER_ORDER)}
    providers.sort(key=lambda p: (rank.get(p.id, len(rank)), provider_label(p)))
    return [
        SigninOption(provider_key(p), provider_label(p), provider_icon(provider_key(p)))
        for p in providers
    ]
