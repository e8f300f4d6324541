"""Who am I, and the site's public configuration."""

from typing import Literal

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from meydan.accounts.passkeys import passkeys_enabled
from meydan.accounts.providers import signin_options
from meydan.accounts.tokens import signin_claim_redeem, widget_token_revoke, widget_token_verify
from meydan.api.auth import api_commenter
from meydan.api.v1.schemas import READ_ERRORS, WRITE_ERRORS
from meydan.comments.form_token import form_token_issue
from meydan.core.errors import SigninNotReady
from meydan.core.ratelimit import rate_limit
from meydan.moderation.access import moderates_site
from meydan.moderation.models import Flag
from meydan.sites.lookup import site_for_slug

router = Router(tags=["session"])


class MeOut(Schema):
    signed_in: bool
    name: str | None = None
    picture: str | None = None
    provider: str | None = None
    provider_name: str | None = None
    moderator: bool = Field(
        False, description="With ?site=: this reader moderates the site (may pick and pin)"
    )


@router.get("/me", response={200: MeOut, **READ_ERRORS})
def me(request, site: str | None = None):
    """GET /api/v1/me[?site=…] — the current identity (bearer token or session), or a
    guest. With `site`, a token issued for another site is refused (401), and
    `moderator` says whether the reader moderates it: the widget then adds the
    moderators' buttons itself, as the thread's JSON is the same for everyone."""
    the_site = site_for_slug(site) if site else None
    commenter = api_commenter(request, the_site)
    if commenter is None:
        return {"signed_in": False}
    moderator = the_site is not None and moderates_site(commenter.user, the_site)
    return {**commenter.as_me(), "moderator": moderator}


class ProviderOut(Schema):
    id: str
    name: str
    icon: str = Field(description="Icon URL on this server")
    signin: str = Field(description="Open in a popup to sign in from the widget")


class LimitsOut(Schema):
    max_length: int
    max_depth: int
    page_size: int
    edit_window_minutes: int
    guest_email_required: bool = True


class PasskeysOut(Schema):
    signin: str = Field(description="Open in a popup to sign in with a passkey")
    signup: str = Field(description="Open in a popup to make a passkey account")


class ReasonOut(Schema):
    code: str
    label: str = Field(description="In the reader's language")
    needs_note: bool = Field(description="The reader must say more in `note`")


class SiteConfigOut(Schema):
    form_token: str = Field(description="Send with POST /comments (a signed timestamp)")
    name: str
    key: str
    default_language: str = Field(
        description="The widget's language when neither the page nor the reader names one "
        "it has (a code of settings.LANGUAGES)"
    )
    comments_open: bool
    order: str
    providers: list[ProviderOut]
    signin_choice: str = Field(description="Open in a popup to choose a provider (Change)")
    passkeys: PasskeysOut | None = Field(
        None, description="Passkey accounts (no email address), when this server has them"
    )
    limits: LimitsOut
    report_reasons: list[ReasonOut] = Field(
        description="What a reader may give as the reason of a report (POST /comments/{id}/flag)"
    )
    language: str = Field(
        description="The language of this answer's words (the widget's `lang`, else the "
        "browser's, else the site's default): README, Languages"
    )
    direction: Literal["ltr", "rtl"] = Field(description="That language's writing direction")


@router.get("/sites/{site_key}", response={200: SiteConfigOut, **READ_ERRORS})
@decorate_view(never_cache)
def site_config(request, site_key: str):
    """GET /api/v1/sites/{key} — what the widget needs to know about a site, and a
    fresh form token (so this response is never cached)."""
    from django.templatetags.static import static

    site = site_for_slug(site_key)
    providers = [
        {
            "id": option.id,
            "name": option.label,
            "icon": static(f"accounts/icons/{option.icon}.svg"),
            "signin": f"{reverse('embed:signin')}?site={site.slug}&provider={option.id}",
        }
        for option in signin_options(request)
    ]
    return {
        "form_token": form_token_issue(),
        "name": site.name,
        "key": site.slug,
        "default_language": site.language or settings.LANGUAGE_CODE,
        "comments_open": site.comments_open,
        "order": site.default_order,
        "providers": providers,
        "signin_choice": f"{reverse('embed:signin')}?site={site.slug}",
        "passkeys": {
            "signin": f"{reverse('embed:signin')}?site={site.slug}&provider=passkey",
            "signup": f"{reverse('embed:signin')}?site={site.slug}&provider=passkey-new",
        }
        if passkeys_enabled()
        else None,
        "limits": {
            "max_length": site.max_comment_length,
            "max_depth": site.max_depth,
            "page_size": site.page_size,
            "edit_window_minutes": site.edit_window_minutes,
            "guest_email_required": site.require_name_email,
        },
        "report_reasons": [
            {"code": code, "label": str(label), "needs_note": code == Flag.Reason.OTHER}
            for code, label in Flag.Reason.choices
        ],
        "language": translation.get_language(),
        "direction": "rtl" if translation.get_language_bidi() else "ltr",
    }


class ClaimIn(Schema):
    site: str
    verifier: str = Field(
        min_length=43,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The secret whose SHA-256 (base64url) the widget gave the popup",
    )


class ClaimOut(Schema):
    status: Literal["signed-in", "cancelled"]
    token: str | None = None
    expires_in: int | None = None
    me: MeOut


@router.post("/signin/claim", response={200: ClaimOut, **WRITE_ERRORS})
def signin_claim(request, data: ClaimIn):
    """POST /api/v1/signin/claim — collect the result of the sign-in popup with the
    verifier of the challenge the widget gave it: once, within two minutes, for that
    site. 404 (code "not_ready") while the reader is still signing in, and for a
    verifier that started no sign-in."""
    rate_limit(request, "signin_claim")
    site = site_for_slug(data.site)
    origin = (request.headers.get("Origin") or "").rstrip("/")
    result = signin_claim_redeem(data.verifier, site_id=site.pk, origin=origin)
    if result is None:
        raise SigninNotReady()
    return result


@router.post("/signout", response={204: None, **WRITE_ERRORS})
def signout(request):
    """POST /api/v1/signout — the widget's "Log Out": the bearer token stops working
    at once. Without a token (or with one that no longer works) there is nothing to
    do, and the answer is the same."""
    header = request.headers.get("Authorization", "")
    claims = widget_token_verify(header.removeprefix("Bearer ").strip())
    if claims is not None:
        widget_token_revoke(claims.token_id)
    return Status(204, None)
