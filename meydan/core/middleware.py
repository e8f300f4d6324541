"""Security headers that Django 5.2 has no setting for.

Django 5.2 has no Content-Security-Policy support (it arrives in 6.0). Our policy is
one constant string — no nonces, because no page of ours has inline script — so
setting it here, with the other headers, is simpler than adding django-csp for it.
"""

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

    from django.conf import settings

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
