"""The passkey pages: sign up with a display name and a passkey, sign in with it, use
a recovery code, and manage one's passkeys (accounts/passkeys.py says what is kept).

Thin views around allauth's own WebAuthn and recovery-code flows. They are ours and
not allauth's views because allauth's sign-up by passkey starts with an email
address, its passkey login sends errors to the staff sign-in page, and its passkey
pages assume a password account; the ceremonies, checks, storage and rate limits are
allauth's (allauth.mfa.webauthn.internal, allauth.mfa.*.internal.flows).

Pages with a WebAuthn step carry the options in a JSON <script> block and run
accounts/passkeys.js with allauth's webauthn-json (our CSP allows no inline script).
"""

from allauth.account.internal.flows.login import perform_login
from allauth.account.internal.flows.signup import complete_signup
from allauth.account.models import Login
from allauth.core import ratelimit
from allauth.core.exceptions import ReauthenticationRequired
from allauth.core.internal import ratelimit as internal_ratelimit
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal import flows as codes_flows
from allauth.mfa.webauthn.forms import LoginWebAuthnForm, SignupWebAuthnForm
from allauth.mfa.webauthn.internal import auth as webauthn_auth
from allauth.mfa.webauthn.internal import flows as webauthn_flows
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from meydan.accounts import passkeys
from meydan.accounts.forms import CredentialForm, PasskeyNameForm, PasskeyRenameForm, RecoveryForm
from meydan.accounts.redirects import is_same_site_path
from meydan.core.middleware import is_onion_request

# What python-fido2 and allauth raise on a malformed answer that their own parsing
# does not turn into a form error; a forged answer must get the form's message.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _next(request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if is_same_site_path(candidate) else default


def _with_next(url: str, next_path: str) -> str:
    return f"{url}?{urlencode({'next': next_path})}"


def _enabled() -> None:
    if not passkeys.passkeys_enabled():
        raise Http404("Passkey accounts are turned off on this server.")


def _host_is_ip(request) -> bool:
    host = request.get_host().rsplit(":", 1)[0].strip("[]")
    return host.replace(".", "").isdigit() or ":" in host


def _plain_onion(request) -> bool:
    return is_onion_request(request) and not request.is_secure()


def _page(request, template, context, status=200):
    context.setdefault("next", _next(request))
    context.setdefault("ip_host", _host_is_ip(request))
    # A passkey is bound to an https name (or localhost): python-fido2 refuses the
    # answer of a plain-http onion, so say so before the reader's device is asked.
    context.setdefault("plain_onion", _plain_onion(request))
    context.setdefault("public_url", settings.MEYDAN_PUBLIC_URL)
    host = request.get_host()
    context.setdefault("port", host.rsplit(":", 1)[1] if host.count(":") == 1 else "8000")
    return render(request, f"accounts/{template}", context, status=status)


def _passkey_user(request):
    """The signed-in passkey account, or 404 (staff manage theirs in allauth's pages)."""
    _enabled()
    if not passkeys.is_passkey_account(request.user):
        raise Http404("This is for passkey accounts.")
    return request.user


def _confirm_first(request, back: str):
    """allauth wants a fresh proof before passkeys or codes change: use a passkey again."""
    messages.info(
        request, _("To change your passkeys, confirm it is you: sign in with one of them again.")
    )
    return HttpResponseRedirect(_with_next(reverse("accounts:passkey-signin"), back))


# --- Sign in ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_signin(request):
    """GET/POST /passkey/?next=… — sign in with a passkey, typing nothing (the
    passkey says whose it is); links to signing up and to a recovery code."""
    _enabled()
    error = ""
    if request.method == "POST":
        # allauth's limit for its own passkey login (10 a minute per address).
        limited = internal_ratelimit.consume_or_429(
            request, app="allauth.mfa", action="webauthn_login"
        )
        if limited is not None:
            return limited
        form = CredentialForm(request.POST)
        if form.is_valid():
            login_form = LoginWebAuthnForm(data={"credential": form.cleaned_data["credential"]})
            try:
                valid = login_form.is_valid()
            except MALFORMED:
                valid = False
            if valid:
                authenticator = login_form.cleaned_data["credential"]
                login = Login(user=authenticator.user, redirect_url=_next(request))
                return webauthn_flows.perform_passwordless_login(request, authenticator, login)
        error = _("That passkey did not sign you in. Try again, or use a recovery code.")
    options = webauthn_auth.begin_authentication(user=None)
    status = 400 if error else 200
    return _page(
        request, "passkey_signin.html", {"options": options, "error": error}, status=status
    )


# --- Sign up ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_signup(request):
    """GET/POST /passkey/new/?next=… — pick a display name; the answer to the
    POST is the second step, where the device creates the passkey."""
    _enabled()
    if _plain_onion(request):  # no account held for a name that could never get a passkey
        status = 400 if request.method == "POST" else 200
        return _page(request, "passkey_signup.html", {"form": None}, status=status)
    if request.method != "POST":
        form = PasskeyNameForm(initial={"display_name": passkeys.pending_signup_name(request)})
        return _page(request, "passkey_signup.html", {"form": form})
    form = PasskeyNameForm(request.POST)
    if form.is_valid():
        if not ratelimit.consume(request, action="signup"):
            form.add_error(None, _("Too many sign-ups from here just now. Wait a minute."))
            return _page(request, "passkey_signup.html", {"form": form}, status=429)
        try:
            options = passkeys.passkey_signup_begin(request, form.cleaned_data["display_name"])
        except ValidationError as error:
            form.add_error("display_name", error)
        else:
            name = form.cleaned_data["display_name"]
            return _page(request, "passkey_create.html", {"options": options, "name": name})
    return _page(request, "passkey_signup.html", {"form": form}, status=400)


@never_cache
@require_POST
def passkey_signup_finish(request):
    """POST /passkey/new/finish/ — the device's new passkey: the account is made,
    the reader signed in, and their recovery codes shown (once)."""
    _enabled()
    form = CredentialForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["credential"][0])
        user = passkeys.passkey_signup_complete(request, form.cleaned_data["credential"])
    except (ValidationError, *MALFORMED) as error:
        message = (
            error.messages[0]
            if isinstance(error, ValidationError)
            else _("Your device’s answer could not be checked, so no passkey was saved.")
        )
        name_form = PasskeyNameForm(initial={"display_name": passkeys.pending_signup_name(request)})
        return _page(
            request, "passkey_signup.html", {"form": name_form, "error": message}, status=400
        )
    codes = _with_next(reverse("accounts:passkey-codes"), _next(request))
    return complete_signup(request, user=user, redirect_url=codes)


# --- Recovery codes -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_recover(request):
    """GET/POST /passkey/recover/?next=… — lost every passkey: the display name
    and one recovery code (used up) sign the reader in, to add a new passkey."""
    _enabled()
    form = RecoveryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name, code = form.cleaned_data["display_name"], form.cleaned_data["code"]
        user = passkeys.passkey_account_for_name(name)
        if user is None:
            # Unknown names cost as much as wrong codes (allauth's limit on failures).
            ratelimit.consume(request, action="login_failed", key=f"passkey:{name.lower()}")
            form.add_error(None, _("That name and recovery code do not match. Check both."))
        else:
            code_form = AuthenticateForm(data={"code": code}, user=user)
            if code_form.is_valid():
                code_form.save()  # allauth: the code is used up, and the use recorded
                messages.success(
                    request,
                    _(
                        "You are signed in with a recovery code, which cannot be used again. "
                        "Now add a passkey on this device."
                    ),
                )
                add = _with_next(reverse("accounts:passkey-add"), _next(request))
                return perform_login(request, Login(user=user, redirect_url=add))
            for error in code_form.errors.as_data().get("code", []):
                if error.code == "incorrect_code":
                    message = _("That name and recovery code do not match. Check both.")
                else:  # allauth's limit on failed attempts
                    message = error.messages[0]
                form.add_error(None, message)
    status = 400 if form.is_bound and form.errors else 200
    return _page(request, "passkey_recover.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_codes(request):
    """GET /account/passkeys/codes/?next=… — the recovery codes, shown once; POST makes
    a new set (the old codes stop working) and shows it once."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(_with_next(reverse("accounts:passkey-signin"), request.path))
    _passkey_user(request)
    back = _with_next(request.path, _next(request, "/account/"))
    try:
        if request.method == "POST":
            codes_flows.generate_recovery_codes(request)
        wrapper, can_view = codes_flows.view_recovery_codes(request)
    except ReauthenticationRequired:
        return _confirm_first(request, back)
    codes = wrapper.get_unused_codes() if wrapper is not None and can_view else []
    return _page(
        request, "passkey_codes.html", {"codes": codes, "continue_to": _next(request, "/account/")}
    )


# --- Managing one's passkeys --------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_add(request):
    """GET/POST /account/passkeys/add/?next=… — add a passkey (another device, or this
    one after a recovery code)."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(_with_next(reverse("accounts:passkey-signin"), request.path))
    user = _passkey_user(request)
    back = _with_next(request.path, _next(request, "/account/"))
    error = ""
    try:
        if request.method == "POST":
            form = CredentialForm(request.POST)
            check = None
            if form.is_valid():
                check = SignupWebAuthnForm(
                    data={"name": "", "credential": form.cleaned_data["credential"]}, user=user
                )
                try:
                    valid = check.is_valid()
                except MALFORMED:
                    valid = False
                if valid:
                    name = passkeys.next_passkey_name(user)
                    webauthn_flows.add_authenticator(
                        request, name=name, credential=check.cleaned_data["credential"]
                    )
                    return HttpResponseRedirect(_next(request, "/account/#passkeys"))
            error = _("Your device’s answer could not be checked, so no passkey was added.")
        options = webauthn_flows.begin_registration(request, user, passwordless=True)
    except ReauthenticationRequired:
        return _confirm_first(request, back)
    return _page(
        request,
        "passkey_add.html",
        {"options": options, "error": error, "continue_to": _next(request, "/account/")},
        status=400 if error else 200,
    )


def _own_passkey(request, pk: int) -> Authenticator:
    user = _passkey_user(request)
    return get_object_or_404(Authenticator, pk=pk, user=user, type=Authenticator.Type.WEBAUTHN)


@require_POST
def passkey_rename(request, pk: int):
    """POST /account/passkeys/<id>/rename/ — give a passkey a name one recognises."""
    if not request.user.is_authenticated:
        raise Http404("Sign in first.")
    authenticator = _own_passkey(request, pk)
    form = PasskeyRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return HttpResponseRedirect("/account/#passkeys")
    try:
        webauthn_flows.rename_authenticator(request, authenticator, form.cleaned_data["name"])
    except ReauthenticationRequired:
        return _confirm_first(request, "/account/#passkeys")
    messages.success(request, _("Passkey renamed."))
    return HttpResponseRedirect("/account/#passkeys")


@require_POST
def passkey_remove(request, pk: int):
    """POST /account/passkeys/<id>/remove/ — never the last one: it is the account."""
    if not request.user.is_authenticated:
        raise Http404("Sign in first.")
    authenticator = _own_passkey(request, pk)
    if not get_mfa_adapter().can_delete_authenticator(authenticator):
        messages.error(
            request,
            _(
                "This is your only passkey, so it stays: add another one (on another "
                "device, say) before you remove it."
            ),
        )
        return HttpResponseRedirect("/account/#passkeys")
    try:
        webauthn_flows.remove_authenticator(request, authenticator)
    except ReauthenticationRequired:
        return _confirm_first(request, "/account/#passkeys")
    return HttpResponseRedirect("/account/#passkeys")
