"""The proof-of-work challenge a guest's browser solves before posting
(moderation/checks/pow.py; docs/bot-defence.md)."""

from django.conf import settings
from django.views.decorators.cache import never_cache
from ninja import Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from meydan.api.v1.schemas import READ_ERRORS
from meydan.core.privacy import client_ip
from meydan.moderation.checks.pow_challenge import challenge_issue
from meydan.sites.lookup import page_key_for, site_for_slug

router = Router(tags=["comments"])


class ChallengeOut(Schema):
    enabled: bool = Field(
        description="False when this server does not ask for proof of work: post without it"
    )
    algorithm: str | None = Field(None, description="SHA-256")
    challenge: str | None = Field(None, description="hex SHA-256 of salt + the secret number")
    maxnumber: int | None = Field(None, description="The secret number is at most this")
    salt: str | None = None
    signature: str | None = Field(None, description="HMAC of the challenge (the server's)")
    expires: int | None = Field(None, description="Seconds since the epoch; ask again after")


@router.get("/challenge", response={200: ChallengeOut, **READ_ERRORS})
@decorate_view(never_cache)
def challenge(request, site: str, url: str):
    """GET /api/v1/challenge?site=…&url=… — a signed proof-of-work challenge (ALTCHA,
    protocol v1) for a comment on that page.

    Find the number n in [0, maxnumber] with SHA-256(salt + n) == challenge, and send
    `altcha` with POST /comments: base64 of the JSON
    {"algorithm", "challenge", "number", "salt", "signature"}. Without it (or with a
    wrong, expired or used one) a guest's comment waits for a moderator. The work
    asked rises while the site, the page or the address is flooded.
    """
    the_site = site_for_slug(site)
    key, _url = page_key_for(the_site, url)
    if not settings.MEYDAN_POW:
        return {"enabled": False}
    return {
        "enabled": True,
        **challenge_issue(site_key=the_site.slug, page_key=key, ip=client_ip(request)),
    }
