"""Who am I, and the site's public configuration."""

from typing import Literal

from django.urls import reverse
from django.views.decorators.cache import never_cache
from ninja import Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from meydan.accounts.providers import signin_options
from meydan.api.auth import api_commenter
from meydan.api.v1.lookup import site_for_slug
from meydan.api.v1.schemas import READ_ERRORS, WRITE_ERRORS
from meydan.moderation.checks.form_guard import form_token_issue

router = Router(tags=["session"])


class MeOut(Schema):
    signed_in: bool
    name: str | None = None
    picture: str | None = None
    provider: str | None = None
    provider_name: str | None = None


@router.get("/me", response={200: MeOut, **READ_ERRORS})
def me(request, site: str | None = None):
    """GET /api/v1/me[?site=…] — the current identity (bearer token or session), or a
    guest. With `site`, a token issued for another site is refused (401)."""
    commenter = api_commenter(request, site_for_slug(site) if site else None)
    return commenter.as_me() if commenter is not None else {"signed_in": False}


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


class SiteConfigOut(Schema):
    form_token: str = Field(description="Send with POST /comments (a signed timestamp)")
    name: str
    key: str
    comments_open: bool
    order: str
    providers: list[ProviderOut]
    signin_choice: str = Field(description="Open in a popup to choose a provider (Change)")
    limits: LimitsOut


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
        "comments_open": site.comments_open,
        "order": site.default_order,
        "providers": providers,
        "signin_choice": f"{reverse('embed:signin')}?site={site.slug}",
        "limits": {
            "max_length": site.max_comment_length,
            "max_depth": site.max_depth,
            "page_size": site.page_size,
            "edit_window_minutes": site.edit_window_minutes,
            "guest_email_required": site.require_name_email,
        },
    }


class ClaimIn(Schema):
    site: str
    nonce: str = Field(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ClaimOut(Schema):
    status: Literal["signed-in", "cancelled"]
    token: str | None = None
    expires_in: int | None = None
    me: MeOut


@router.post("/signin/claim", response={200: ClaimOut, **WRITE_ERRORS})
def signin_claim(request, data: ClaimIn):
    """POST /api/v1/signin/claim — collect the result of the sign-in popup with the
    widget's secret nonce: once, within five minutes, from the site's origin. 404
    (code "not_ready") while the reader is still signing in."""
    from django.core.cache import cache

    from meydan.core.errors import NotFound
    from meydan.embed.views import claim_key

    site = site_for_slug(data.site)
    key = claim_key(data.nonce)
    result = cache.get(key)
    origin = (request.headers.get("Origin") or "").rstrip("/")
    if not result or result["site"] != site.pk or result["origin"] != origin:
        error = NotFound("Sign-in has not finished yet.")
        error.code = "not_ready"
        raise error
    cache.delete(key)
    return {
        "status": result["status"],
        "token": result["token"] or None,
        "expires_in": result["expires_in"] if result["token"] else None,
        "me": result["me"],
    }
