"""The widget's bearer token, and the one-time claim that hands it over.

Browsers block third-party cookies, so the widget on someone else's page cannot
use Meydan's session. After sign-in in a popup on Meydan's origin — started from a
page on one of the site's registered origins, and agreed to by the reader — Meydan
hands the widget a bearer token, through postMessage to that origin or through a
claim (below); the widget sends it as `Authorization: Bearer`.

Tokens are random and stored (only their SHA-256), not signed and stateless, so
that they can be taken back at once: the widget's "Log Out" revokes its own token,
signing out of Meydan and "Sign out everywhere" revoke every token of the reader,
and deleting the account deletes them with it. Checking one costs one indexed query
(which also loads the user: the query a signed token needed anyway).

The claim is the fallback for when a provider's Cross-Origin-Opener-Policy cuts the
popup off from the page. It works like PKCE (RFC 7636): the widget keeps a random
verifier, gives the popup only its SHA-256 (the challenge), and the claim must
present the verifier. So knowing — or choosing — what is in the popup's address
does not let anyone redeem it; it is also bound to one site, one use and a short
lifetime.
"""

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from meydan.accounts.models import WidgetToken

WIDGET_TOKEN_SECONDS = 12 * 3600
TOKEN_PREFIX = "mwt_"  # noqa: S105 - not a password: marks a Meydan widget token
CLAIM_SECONDS = 120
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of 32 bytes, no padding
VERIFIER = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


@dataclass(frozen=True)
class WidgetClaims:
    user: object
    site_id: int
    provider: str
    token_id: int
    origin: str  # the page it was handed to ("" for tokens made in code)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def widget_token_issue(user, *, site_id: int, provider: str, origin: str = "") -> str:
    """A new token for `user` on one site; only its hash is stored.

    Expired tokens of the same reader are dropped here, so the table holds about one
    row per reader and site in use."""
    now = timezone.now()
    WidgetToken.objects.filter(user=user, expires__lte=now).delete()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    WidgetToken.objects.create(
        key_hash=_digest(secret),
        user=user,
        site_id=site_id,
        provider=provider,
        origin=origin[:200],
        expires=now + timedelta(seconds=WIDGET_TOKEN_SECONDS),
    )
    return secret


def widget_token_verify(token: str) -> WidgetClaims | None:
    """The claims of a live token, or None (unknown, revoked, expired, inactive user)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = (
        WidgetToken.objects.select_related("user")
        .filter(key_hash=_digest(token), expires__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    return WidgetClaims(
        user=row.user,
        site_id=row.site_id,
        provider=row.provider,
        token_id=row.pk,
        origin=row.origin,
    )


def widget_token_revoke(token_id: int) -> None:
    WidgetToken.objects.filter(pk=token_id).delete()


def widget_tokens_revoke_for_user(user) -> int:
    """Every token of this reader stops working at once; returns how many there were."""
    deleted, _ = WidgetToken.objects.filter(user=user).delete()
    return deleted


def widget_tokens_for_user(user):
    """The reader's live tokens, newest first (for /account/)."""
    return (
        WidgetToken.objects.filter(user=user, expires__gt=timezone.now())
        .select_related("site")
        .order_by("-created")
    )


# --- The claim ---------------------------------------------------------------------


def challenge_for(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding, as the widget computes it."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _claim_key(challenge: str) -> str:
    return f"meydan:signin-claim:{challenge}"


def signin_claim_store(challenge: str, *, site_id: int, origin: str, result: dict) -> None:
    """Keep the popup's result for the widget holding the challenge's verifier."""
    cache.set(
        _claim_key(challenge),
        {"site": site_id, "origin": origin, "result": result},
        CLAIM_SECONDS,
    )


def signin_claim_redeem(verifier: str, *, site_id: int, origin: str) -> dict | None:
    """The stored result, once, for the verifier of its challenge; None otherwise.

    `origin` is the request's Origin header. Only browsers are held to it, so it is
    checked as a second line; the verifier is what proves the caller is the widget
    that started the sign-in."""
    key = _claim_key(challenge_for(verifier))
    stored = cache.get(key)
    if not stored or stored["site"] != site_id or stored["origin"] != origin:
        return None
    # delete() says whether the key was still there: of two redemptions racing with
    # the same verifier, only one gets the token.
    if not cache.delete(key):
        return None
    return stored["result"]
