"""How the accounts app reacts to allauth's signals."""

from allauth.account.signals import user_logged_in
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth.signals import user_logged_out
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from meydan.accounts import passkeys
from meydan.accounts.adapters import address_of
from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.providers import forget_signin_options
from meydan.accounts.services import profile_update_from_social
from meydan.accounts.tokens import widget_tokens_revoke_for_user
from meydan.core import sealing


@receiver(user_logged_in)
def remember_provider_and_refresh_profile(sender, request, user, **kwargs):
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        # A passkey account says so on its comments, as a provider's readers say theirs.
        if passkeys.is_passkey_account(user):
            request.session[SESSION_PROVIDER_KEY] = passkeys.PASSKEY
        else:
            request.session.pop(SESSION_PROVIDER_KEY, None)
        return
    request.session[SESSION_PROVIDER_KEY] = sociallogin.account.provider
    # A new reader's address was taken out of allauth's hands in the adapter's
    # save_user; a returning one's is read from this sign-in.
    address, verified = getattr(sociallogin, "meydan_address", None) or address_of(sociallogin)
    if user.is_staff or user.is_superuser:
        address, verified = "", False  # staff keep their address on their account
    profile_update_from_social(user, sociallogin.account, address=address, verified=verified)


@receiver(pre_save, sender=SocialAccount)
def mask_addresses_in_provider_profile(sender, instance, **kwargs):
    """allauth keeps what the provider said of the reader (extra_data): we keep it
    with every address masked, so that no copy of a reader's address is in clear."""
    instance.extra_data = sealing.without_addresses(instance.extra_data or {})


@receiver(user_logged_out)
def revoke_widget_tokens(sender, request, user, **kwargs):
    """Logging out of Meydan signs the reader out of every widget too: on a shared
    computer, "Log out" must mean it everywhere that computer was signed in.

    Except at a provider's callback: when a signed-in reader signs in once more (from
    another site's widget, say), allauth logs them out and in again to start a fresh
    session. That is not the reader logging out."""
    if user is None:
        return
    match = getattr(request, "resolver_match", None) if request is not None else None
    if match is not None and (match.url_name or "").endswith("_callback"):
        return
    widget_tokens_revoke_for_user(user)


@receiver(post_save, sender=SocialApp)
@receiver(post_delete, sender=SocialApp)
def signin_apps_changed(sender, **kwargs):
    """A provider added, changed or removed in the admin shows at once (in this
    process; other workers' local caches within a minute)."""
    forget_signin_options()


@receiver(setting_changed)
def signin_settings_changed(setting, **kwargs):
    if setting == "SOCIALACCOUNT_PROVIDERS":
        forget_signin_options()
