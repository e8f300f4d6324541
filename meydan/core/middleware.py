"""Security headers that Django 5.2 has no setting for, and the onion (core/onion.py).

Django 5.2 has no Content-Security-Policy support (it arrives in 6.0). Our policy is
one constant string — no nonces, because no page of ours has inline script — so
setting it here, with the other headers, is simpler than adding django-csp for it.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware.security import SecurityMiddleware

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for the two-factor setup QR code; a data: image makes no request.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"


SIGNIN_PREFIX = "/accounts/"
POPUP_PREFIXES = ("/accounts/", "/embed/")


def _signin_policy() -> str:
    """The policy for sign-in pages: their form is answered by a redirect to the
    provider, and browsers apply form-action to redirects too. Providers are https;
    an OpenID Connect issuer configured on plain http (a test or intranet one) is
    added by name."""
    from urllib.parse import urlsplit

    sources = ["'self'", "https:"]
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", []):
        url = urlsplit(app.get("settings", {}).get("server_url", ""))
        if url.scheme == "http" and url.netloc:
            sources.append(f"http://{url.netloc}")
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action " + " ".join(sources))


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = (
            _signin_policy() if request.path.startswith(SIGNIN_PREFIX) else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        if request.path.startswith(POPUP_PREFIXES):
            # The sign-in popup must stay able to talk to the page that opened it
            # (SecurityMiddleware's COOP: same-origin would cut it off).
            response.headers.setdefault("Cross-Origin-Opener-Policy", "unsafe-none")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def is_onion_request(request) -> bool:
    host = settings.MEYDAN_ONION_HOST
    if not host:
        return False
    try:
        asked = request.get_host()
    except DisallowedHost:  # answered with a 400 further on, as before
        return False
    return asked.rsplit(":", 1)[0].lower() == host


class OnionAwareSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware, minus the https redirect for requests that came
    through the onion, plus the Onion-Location header on the pages of the ordinary
    name."""

    def process_request(self, request):
        if is_onion_request(request):
            return None
        return super().process_request(request)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        origin = settings.MEYDAN_ONION_URL
        if (
            origin
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not is_onion_request(request)
        ):
            response.headers.setdefault("Onion-Location", origin + request.get_full_path())
        return response
