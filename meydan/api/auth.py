"""Who is calling the API: a signed-in reader (widget bearer token, or the session
on Meydan's own pages) or a guest.

A session counts only with a valid CSRF token: a cookie is ambient authority,
a bearer token is not. Guests need neither: what they post carries their
name and email, and proves nothing about them.
"""

from django.middleware.csrf import CsrfViewMiddleware

from meydan.accounts.identity import Commenter, commenter_for_request, commenter_for_user
from meydan.accounts.tokens import widget_token_verify
from meydan.core.errors import TokenInvalid


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_ok(request) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    return _CsrfCheck(lambda r: None).process_view(request, None, (), {}) is None


def api_commenter(request, site=None) -> Commenter | None:
    """The signed-in reader behind this request, or None for a guest.

    A bearer token that is bad, expired, revoked or for another site than `site`
    raises TokenInvalid (401), so the widget can ask the reader to sign in again
    instead of silently posting as a guest. So does one sent by a browser from
    another page than the one it was handed to: a token that leaked to another
    origin does not work in a reader's browser there. (A program outside a browser
    can send any Origin; for it the token itself is the secret.)
    """
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        claims = widget_token_verify(header.removeprefix("Bearer ").strip())
        if claims is None or (site is not None and claims.site_id != site.pk):
            raise TokenInvalid()
        origin = (request.headers.get("Origin") or "").rstrip("/")
        if origin and claims.origin and origin != claims.origin:
            raise TokenInvalid()
        return commenter_for_user(claims.user, provider_id=claims.provider)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and _csrf_ok(request):
        return commenter_for_request(request)
    return None
