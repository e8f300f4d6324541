"""Who am I, and the site's public configuration."""

from django.urls import reverse
from ninja import Router, Schema
from pydantic import Field

from meydan.accounts.providers import provider_icon, provider_key, provider_label
from meydan.api.auth import api_commenter
from meydan.api.v1.lookup import site_for_slug
from meydan.api.v1.schemas import READ_ERRORS

router = Router(tags=["session"])


class MeOut(Schema):
    signed_in: bool
    name: str | None = None
    picture: str | None = None
    provider: str | None = None
    provider_name: str | None = None


@router.get("/me", response={200: MeOut, **READ_ERRORS})
def me(request):
    """GET /api/v1/me — the current identity (bearer token or session), or a guest."""
    commenter = api_commenter(request)
    if commenter is None:
        return {"signed_in": False}
    return {
        "signed_in": True,
        "name": commenter.display_name,
        "picture": commenter.picture_url,
        "provider": commenter.provider_id or None,
        "provider_name": commenter.provider_name or None,
    }


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
    name: str
    key: str
    comments_open: bool
    order: str
    providers: list[ProviderOut]
    limits: LimitsOut


@router.get("/sites/{site_key}", response={200: SiteConfigOut, **READ_ERRORS})
def site_config(request, site_key: str):
    """GET /api/v1/sites/{key} — what the widget needs to know about a site."""
    from allauth.socialaccount.adapter import get_adapter
    from django.templatetags.static import static

    site = site_for_slug(site_key)
    providers = []
    for provider in get_adapter().list_providers(request):
        pid = provider_key(provider)
        providers.append(
            {
                "id": pid,
                "name": provider_label(provider),
                "icon": static(f"accounts/icons/{provider_icon(pid)}.svg"),
                "signin": f"{reverse('embed:signin')}?site={site.slug}&provider={pid}",
            }
        )
    return {
        "name": site.name,
        "key": site.slug,
        "comments_open": site.comments_open,
        "order": site.default_order,
        "providers": providers,
        "limits": {
            "max_length": site.max_comment_length,
            "max_depth": site.max_depth,
            "page_size": site.page_size,
            "edit_window_minutes": site.edit_window_minutes,
        },
    }
