import re

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from meydan.accounts import drafts, passkeys, services
from meydan.accounts.identity import commenter_for_request
from meydan.accounts.models import Picture
from meydan.accounts.providers import provider_label_for_id, signin_options
from meydan.accounts.redirects import is_same_site_path
from meydan.accounts.tokens import widget_tokens_for_user
from meydan.comments.avatars import identicon_svg
from meydan.comments.models import Comment
from meydan.core.csrf import csrf_protect_signed_in

_KEY = re.compile(r"^[0-9a-f]{8,64}$")
# An avatar's key: 6 hex digits now, 8 or 20 in URLs given before (comments.avatars).
_AVATAR_KEY = re.compile(r"^[0-9a-f]{6,64}$")


def _enabled_passkeys() -> None:
    if not passkeys.passkeys_enabled():
        raise Http404("Passkey accounts are turned off on this server.")


@require_safe
@cache_control(public=True, max_age=31_536_000, immutable=True)
def avatar(request, key: str):
    """GET /avatars/<key>.svg — the picture never changes for a key."""
    if not _AVATAR_KEY.match(key):
        raise Http404("No such avatar.")
    return HttpResponse(identicon_svg(key), content_type="image/svg+xml")


@require_safe
@cache_control(public=True, max_age=31_536_000, immutable=True)
def picture(request, key: str):
    """GET /avatars/p/<key> — a stored profile picture (content-addressed)."""
    if not _KEY.match(key):
        raise Http404("No such picture.")
    stored = get_object_or_404(Picture, key=key)
    response = HttpResponse(bytes(stored.data), content_type=stored.content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _next_path(request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if is_same_site_path(candidate) else default


@csrf_protect_signed_in  # the buttons are in the guest form, with no CSRF token
@require_POST
def signin_start(request, provider_id: str):
    """POST /signin/<provider>/ — keep the comment being written, then sign in.

    The sign-in icons are submit buttons of the comment form, so what the reader
    typed comes along and is put back when they return.
    """
    if provider_id in passkeys.PASSKEY_STARTS:  # "Sign in / Sign up with a passkey"
        _enabled_passkeys()
        back = _next_path(request)
        drafts.draft_save(request, request.POST, back)
        target = reverse(passkeys.PASSKEY_STARTS[provider_id])
        return HttpResponseRedirect(f"{target}?{urlencode({'next': back})}")
    try:
        provider = get_social_adapter().get_provider(request, provider_id)
    except Exception:  # noqa: BLE001 - allauth raises several kinds for an unknown app
        raise Http404("This sign-in provider is not configured.") from None
    back = _next_path(request)
    drafts.draft_save(request, request.POST, back)
    return HttpResponseRedirect(provider.get_login_url(request, process="login", next=back))


@require_safe
def signin(request):
    """GET /signin/?next=… — pick a provider (the "Change" link)."""
    return render(
        request,
        "accounts/signin.html",
        {
            "options": signin_options(request),
            "next": _next_path(request),
            "commenter": commenter_for_request(request),
        },
    )


@login_required(login_url=reverse_lazy("accounts:signin"))
@require_safe
def account(request):
    """GET /account/ — linked providers, one's comments, and leaving."""
    accounts = [
        {"label": provider_label_for_id(a.provider), "since": a.date_joined}
        for a in SocialAccount.objects.filter(user=request.user)
    ]
    passkey_account = passkeys.is_passkey_account(request.user)
    comments = (
        Comment.objects.filter(user=request.user)
        # Trashed by the moderators, with a statement of reasons, its author sees why;
        # other trash (erased placeholders, older removals) stays out of the list.
        .exclude(status=Comment.Status.TRASH, removal_reason="")
        .exclude(status=Comment.Status.TRASH, body="")
        .select_related("thread")
        .order_by("-created")[:200]
    )
    return render(
        request,
        "accounts/account.html",
        {
            "commenter": commenter_for_request(request),
            "social_accounts": accounts,
            "comments": comments,
            "widget_signins": widget_tokens_for_user(request.user),
            "passkey_account": passkey_account,
            "passkeys": passkeys.passkeys_of(request.user) if passkey_account else [],
        },
    )


@login_required(login_url=reverse_lazy("accounts:signin"))
@require_POST
def sign_out_everywhere(request):
    """POST /account/sign-out-everywhere/ — end every session and widget sign-in."""
    user = request.user
    ended_sessions = services.account_sign_out_everywhere(user)
    get_account_adapter(request).logout(request)
    if ended_sessions:
        messages.success(request, _("You are signed out everywhere: here, and on every site."))
    else:
        messages.success(
            request,
            _(
                "You are signed out of every site's comments. To end your other "
                "sessions here as well, change your password."
            ),
        )
    return HttpResponseRedirect("/")


@login_required(login_url=reverse_lazy("accounts:signin"))
@require_POST
def account_delete(request):
    """POST /account/delete/ — delete the account; keep or remove the comments."""
    choice = request.POST.get("comments")
    if choice not in ("keep", "remove") or request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Choose what happens to your comments and tick the box to confirm."),
        )
        return HttpResponseRedirect("/account/#delete")
    user = request.user
    if user.is_staff or user.is_superuser:
        messages.error(request, _("Staff accounts are removed by an administrator."))
        return HttpResponseRedirect("/account/#delete")
    get_account_adapter(request).logout(request)
    services.account_delete(user, keep_comments=choice == "keep", channel="form", actor=user)
    messages.success(request, _("Your account has been deleted."))
    return HttpResponseRedirect("/")
