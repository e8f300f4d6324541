"""Announcing a site's new post to its readers who asked for new posts by email.

Server to server: the site's own server calls it when a post is published, with the
site's secret token (`meydan site add` shows it once, `meydan site token` makes a
new one). Browsers never hold that token."""

from ninja import Router, Schema, Status
from pydantic import Field

from meydan.api.v1.schemas import WRITE_ERRORS
from meydan.core.errors import TokenInvalid
from meydan.notifications.notify import post_published
from meydan.sites.lookup import page_key_for, site_for_slug
from meydan.sites.services import site_token_valid

router = Router(tags=["posts"])


class PostIn(Schema):
    url: str = Field(
        max_length=2000, description="The new post's address, on one of the site's origins"
    )
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=500, description="A line or two, shown in the email")


class PostOut(Schema):
    announced: bool = Field(description="False when this address was announced before")


@router.post("/sites/{site_key}/posts", response={202: PostOut, **WRITE_ERRORS})
def post_announce(request, site_key: str, data: PostIn):
    """POST /api/v1/sites/{key}/posts — with `Authorization: Bearer <site token>`:
    email the site's confirmed "new posts" subscribers (once per post address)."""
    site = site_for_slug(site_key)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not site_token_valid(site, token.strip()):
        raise TokenInvalid("This call needs the site's secret token (meydan site token).")
    _key, url = page_key_for(site, data.url)
    if not url.startswith(("http://", "https://")):
        url = f"{site.origin_list[0]}{url}" if site.origin_list else url
    announced = post_published(site=site, url=url, title=data.title, summary=data.summary)
    return Status(202, {"announced": announced})
