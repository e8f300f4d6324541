"""How the accounts app reacts to allauth's signals."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.services import profile_update_from_social


@receiver(user_logged_in)
def remember_provider_and_refresh_profile(sender, request, user, **kwargs):
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        request.session.pop(SESSION_PROVIDER_KEY, None)
        return
    request.session[SESSION_PROVIDER_KEY] = sociallogin.account.provider
    profile_update_from_social(user, sociallogin.account)
