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
- A passkey account (accounts/passkeys.py) has no first factor besides its passkey
  or a recovery code: allauth asks it for no second one, lets it change its passkeys
  for a while after it used one, never removes its last passkey, and shows its
  display name on the reader's device, never an internal username.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from meydan.accounts import drafts, passkeys
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

    def get_login_stages(self):
        """allauth's, with its second-factor stage replaced by one that knows passkey
        accounts (PasskeyAccountAuthenticateStage)."""
        stock = "allauth.mfa.stages.AuthenticateStage"
        ours = f"{__name__}.PasskeyAccountAuthenticateStage"
        return [ours if stage == stock else stage for stage in super().get_login_stages()]

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks to authenticate again before passkeys or recovery codes change.
        A passkey account that used a passkey or a recovery code within allauth's window
        (ACCOUNT_REAUTHENTICATION_TIMEOUT) has just done that; one that did not is sent
        to use a passkey again (accounts/passkey_views.py)."""
        request = getattr(context, "request", None)
        user = getattr(request, "user", None)
        if (
            app == "allauth.mfa"
            and passkeys.is_passkey_account(user)
            and passkeys.authenticated_recently(request, user)
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


class PasskeyAccountAuthenticateStage(AuthenticateStage):
    """allauth asks anyone who has a passkey and did not sign in with it for a second
    factor. A passkey account has no first one: the recovery code it has just used *is*
    its sign-in (its next step is adding a new passkey)."""

    def _should_handle(self, request) -> bool:
        user = self.login.user
        if passkeys.is_passkey_account(user) and passkeys.authenticated_recently(request, user):
            return False
        return super()._should_handle(request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """A passkey account keeps at least one passkey: without one, allauth also drops
        its recovery codes, and nothing would sign its owner in again."""
        if authenticator.type != Authenticator.Type.WEBAUTHN:
            return super().can_delete_authenticator(authenticator)
        if not passkeys.is_passkey_account(authenticator.user):
            return super().can_delete_authenticator(authenticator)
        return passkeys.passkeys_of(authenticator.user).exclude(pk=authenticator.pk).exists()

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """The relying party is the host the reader's browser is on (allauth's default:
        the passkey must be made for the origin that uses it); its name is the public
        address the operator set (MEYDAN_PUBLIC_URL), or that host."""
        entity = super().get_public_key_credential_rp_entity()
        public = getattr(settings, "MEYDAN_PUBLIC_URL", "")
        entity["name"] = public.split("://", 1)[-1] if public else entity["id"]
        return entity

    def get_public_key_credential_user_entity(self, user) -> dict:
        """The reader's display name on their device's list of passkeys, not an internal
        username; the id stays allauth's (it finds the account at sign-in)."""
        entity = super().get_public_key_credential_user_entity(user)
        profile = Profile.objects.filter(user=user).first()
        if profile is not None and profile.passkey_account:
            entity |= {"name": profile.display_name, "display_name": profile.display_name}
        return entity


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
