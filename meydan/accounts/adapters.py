"""Where we bend django-allauth — and nowhere else.

- Local accounts (email + password) are for moderators and admins: an admin
  creates them; nobody signs up for one from the site.
- Readers sign up implicitly with a provider (Google, …).
- After sign-in we redirect only to a path on this site ("/…"), never to an
  absolute or scheme-relative URL, whatever `next` says.
- When sign-in is cancelled or fails at the provider, the reader goes back to the
  page they came from, with a message, and the comment they had typed.
- A reader's address is kept only on their Profile, hashed and sealed
  (core.sealing): allauth's copies (the user's email, EmailAddress rows) are not
  written for readers, and the provider's profile is kept with addresses masked
  (receivers.py). Staff, who sign in with their address, keep it in clear.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from meydan.accounts import drafts
from meydan.accounts.models import Profile
from meydan.accounts.providers import provider_label
from meydan.accounts.redirects import is_same_site_path
from meydan.core import sealing


def address_of(sociallogin) -> tuple[str, bool]:
    """(the address the provider gave, whether it verified it), or ("", False)."""
    addresses = sorted(
        (a for a in sociallogin.email_addresses if a.email),
        key=lambda a: (not a.primary, not a.verified),
    )
    if addresses:
        return addresses[0].email, bool(addresses[0].verified)
    return (sociallogin.user.email or ""), False


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def is_safe_url(self, url):
        return is_same_site_path(url)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        """A new sign-in whose email address another account here already uses is
        refused at once, with the reason: we never link on an email address, and
        readers cannot "sign in to that account first" (local accounts are staff)."""
        if sociallogin.is_existing:
            return
        emails = {a.email.lower() for a in sociallogin.email_addresses if a.email}
        if sociallogin.user.email:
            emails.add(sociallogin.user.email.lower())
        if not emails:
            return
        hashes = {sealing.email_hash(email) for email in emails}
        taken = (
            Profile.objects.filter(email_hash__in=hashes).exists()
            or EmailAddress.objects.filter(email__in=emails).exists()
            or get_user_model().objects.filter(email__in=emails).exists()
        )
        if not taken:
            return
        name = provider_label(sociallogin.provider)
        messages.error(
            request,
            _(
                "The email address of your %(provider)s account is already used by another "
                "account here, so we did not sign you in. You can comment as a guest."
            )
            % {"provider": name},
        )
        back = (sociallogin.state or {}).get("next")
        if not is_same_site_path(back):
            back = drafts.return_path(request)
        raise ImmediateHttpResponse(HttpResponseRedirect(back))

    def save_user(self, request, sociallogin, form=None):
        """A new reader: saved without allauth's copies of their address; it goes to
        their Profile, hashed and sealed (receivers.remember_provider_and_refresh_profile)."""
        sociallogin.meydan_address = address_of(sociallogin)
        sociallogin.user.email = ""
        sociallogin.email_addresses = []
        user = super().save_user(request, sociallogin, form)
        if "@" in user.username:  # an OpenID provider's preferred_username may be one
            user.username = f"reader{user.pk}"
            user.save(update_fields=["username"])
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        name = provider_label(provider) if provider is not None else _("the provider")
        if error == AuthError.CANCELLED:
            message = _("Sign-in with %(provider)s was cancelled. You can comment as a guest.")
        else:
            message = _("Sign-in with %(provider)s did not work. Try again, or comment as a guest.")
        messages.error(request, message % {"provider": name})
        raise ImmediateHttpResponse(HttpResponseRedirect(drafts.return_path(request)))
