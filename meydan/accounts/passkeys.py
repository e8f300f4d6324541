"""Passkey accounts: a display name and a passkey, and nothing else.

No email address, no phone number, no provider, no password. django-allauth runs the
WebAuthn ceremonies and keeps the passkeys and recovery codes (allauth.mfa: its
Authenticator rows, its webauthn flows); this module adds only what allauth's own
sign-up by passkey cannot do, because that one asks for an email address first:

1. `passkey_signup_begin` — the reader picks a display name; we keep an *inactive*
   user with that name while their device creates the passkey. WebAuthn binds the
   passkey to the user's id (its "user handle", which signs them in later without
   typing anything), so the row must exist before the ceremony starts.
2. `passkey_signup_complete` — allauth checks the device's answer against the
   challenge in the session; the passkey is stored, the account becomes active and
   gets its recovery codes (shown once, accounts/passkey_views.py).

A sign-up given up half-way leaves an inactive user without a passkey; the next
sign-up from the same browser removes it, and any sign-up removes those older than
PENDING_SECONDS, so a name is not held for long by nobody.

The display name identifies the account when a recovery code is used, so it is
unique among readers (case does not count; a database constraint for passkey
accounts, and no passkey account may take a name another reader already shows).
"""

import secrets
import time

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.webauthn.forms import SignupWebAuthnForm
from allauth.mfa.webauthn.internal import flows as webauthn_flows
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from meydan.accounts.models import Profile
from meydan.comments import validation

PASSKEY = "passkey"  # the "provider" a passkey account's comments and tokens carry
PENDING_SESSION_KEY = "meydan_passkey_signup"
PENDING_SECONDS = 15 * 60
USERNAME_PREFIX = "passkey-"
# "Sign in / Sign up with a passkey" beside the providers' icons (the comment form's
# buttons, the widget's popup): ids no provider has, and the pages they open.
PASSKEY_STARTS = {"passkey": "accounts:passkey-signin", "passkey-new": "accounts:passkey-signup"}


def passkeys_enabled() -> bool:
    return bool(getattr(settings, "MEYDAN_PASSKEYS", True))


def display_name_clean(value: str) -> str:
    """The guest name's rules (comments.validation), runs of spaces made one, and not a
    name another reader already shows."""
    name = " ".join(validation.clean_name(value, required=True).split())
    if display_name_taken(name):
        raise ValidationError(
            _("Someone here already uses the name “%(name)s”. Please pick another.")
            % {"name": name},
            code="taken",
        )
    return name


def display_name_taken(name: str) -> bool:
    return (
        Profile.objects.annotate(lowered=Lower("display_name"))
        .filter(lowered=Lower(Value(name)))
        .exists()
    )


def passkey_account_for_name(name: str):
    """The active passkey account showing this name (any case), or None."""
    profile = (
        Profile.objects.annotate(lowered=Lower("display_name"))
        .filter(lowered=Lower(Value(" ".join(name.split()))), passkey_account=True)
        .filter(user__is_active=True)
        .select_related("user")
        .first()
    )
    return profile.user if profile is not None else None


def is_passkey_account(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Profile.objects.filter(user=user, passkey_account=True).exists()


def passkeys_of(user):
    """The account's passkeys, oldest first (allauth's Authenticator rows)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).order_by(
        "created_at", "pk"
    )


# --- Sign-up ------------------------------------------------------------------------


def _drop_pending(user_ids) -> None:
    get_user_model().objects.filter(
        pk__in=list(user_ids),
        is_active=False,
        meydan_profile__passkey_account=True,
        authenticator__isnull=True,
    ).delete()


def _stale_pending_ids():
    cutoff = timezone.now() - timezone.timedelta(seconds=PENDING_SECONDS)
    return (
        get_user_model()
        .objects.filter(
            username__startswith=USERNAME_PREFIX,
            is_active=False,
            date_joined__lt=cutoff,
            meydan_profile__passkey_account=True,
            authenticator__isnull=True,
        )
        .values_list("pk", flat=True)
    )


def passkey_signup_begin(request, display_name: str) -> dict:
    """Hold the name for a new account and start creating its passkey: the options for
    navigator.credentials.create() (the challenge is kept in the session by allauth).

    Raises ValidationError when the name is taken (also by a sign-up under way)."""
    name = display_name_clean(display_name)
    earlier = (request.session.get(PENDING_SESSION_KEY) or {}).get("user")
    _drop_pending([*_stale_pending_ids(), *([earlier] if earlier else [])])
    request.session.pop(PENDING_SESSION_KEY, None)
    try:
        with transaction.atomic():
            user = get_user_model()(
                username=USERNAME_PREFIX + secrets.token_hex(8), is_active=False
            )
            user.set_unusable_password()
            user.save()
            Profile.objects.create(user=user, display_name=name, passkey_account=True)
    except IntegrityError:  # the same name, a moment earlier (the unique constraint)
        raise ValidationError(
            _("Someone here already uses the name “%(name)s”. Please pick another.")
            % {"name": name},
            code="taken",
        ) from None
    request.session[PENDING_SESSION_KEY] = {"user": user.pk, "at": time.time()}
    # A passkey that signs in alone (a "discoverable", resident credential), with the
    # device's own check of its owner: allauth's passwordless registration.
    return webauthn_flows.begin_registration(request, user, passwordless=True, signup=True)


def pending_signup_name(request) -> str | None:
    """The display name of the sign-up under way in this browser, or None."""
    user = _pending_user(request)
    return user.meydan_profile.display_name if user is not None else None


def _pending_user(request):
    pending = request.session.get(PENDING_SESSION_KEY) or {}
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return (
        get_user_model()
        .objects.filter(pk=pending.get("user"), is_active=False)
        .select_related("meydan_profile")
        .first()
    )


def passkey_signup_complete(request, credential) -> object:
    """Check the device's answer and make the account: its passkey, its recovery codes,
    and a record that it just authenticated with the passkey (so allauth asks for no
    second factor). Returns the user, not yet logged in.

    Raises ValidationError when no sign-up is under way here or the answer is wrong."""
    user = _pending_user(request)
    if user is None:
        raise ValidationError(
            _("This sign-up has expired. Please pick your name again."), code="expired"
        )
    form = SignupWebAuthnForm(data={"name": "", "credential": credential}, user=user)
    if not form.is_valid():
        raise ValidationError(
            _("Your device’s answer could not be checked, so no passkey was saved. Try again."),
            code="credential",
        )
    with transaction.atomic():
        authenticator = webauthn_flows.signup_authenticator(
            request,
            user=user,
            name=_("Passkey 1"),
            credential=form.cleaned_data["credential"],
        )
        user.is_active = True
        user.save(update_fields=["is_active"])
        RecoveryCodes.activate(user)
    request.session.pop(PENDING_SESSION_KEY, None)
    post_authentication(request, authenticator, passwordless=True)
    return user


# --- Signed in ----------------------------------------------------------------------


def authenticated_recently(request, user) -> bool:
    """Whether this session proved, within allauth's reauthentication window, that it
    holds one of the account's passkeys or recovery codes."""
    from allauth.account import app_settings as account_settings

    now = time.time()
    return any(
        record.get("method") == "mfa"
        and now - record.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, user)
    )


def next_passkey_name(user) -> str:
    taken = set(passkeys_of(user).values_list("data__name", flat=True))
    number = passkeys_of(user).count() + 1
    while _("Passkey %(number)d") % {"number": number} in taken:
        number += 1
    return _("Passkey %(number)d") % {"number": number}
