"""CSRF protection for forms that signed-out readers send, without a cookie.

Django's CSRF check needs a cookie, set in the reader's browser by the page that
shows the form. A reader who only reads must get no cookie at all: nothing stored on
their device may say that they read this site. So the comment form, as shown to a
signed-out reader, carries no CSRF token, and its views (the article, the no-JS
thread page, the sign-in buttons) use `csrf_protect_signed_in` instead of Django's
middleware check:

- A request with a signed-in session gets Django's full check (token and cookie),
  as before: the session is ambient authority, and the pages a signed-in reader sees
  carry the token.
- Any other request must come from a page of this site, as the browser says: its
  `Origin` header (sent with every POST by every current browser), or its `Referer`
  where there is no `Origin`. Neither, or another origin: refused. That is what a
  forged form on another site cannot fake, and it is all such a form could abuse:
  with no session there is no one to impersonate, but the comment would be posted as
  a guest from the reader's own IP address, and a draft planted in their browser.

The session cookie is SameSite=Lax, so a cross-site POST never carries it: a forged
form always arrives as signed out, and meets the origin check.
"""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.http import is_same_domain
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
REASON_ORIGIN = "The form was not sent from a page of this site (Origin or Referer)."


def own_origin(request) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'https' if request.is_secure() else 'http'}://{host}"


def _trusted(origin: str) -> bool:
    """CSRF_TRUSTED_ORIGINS, read as Django reads it (exact, or "https://*.example.org")."""
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" not in trusted:
            if origin == trusted:
                return True
            continue
        wanted, candidate = urlsplit(trusted), urlsplit(origin)
        if candidate.scheme == wanted.scheme and is_same_domain(
            candidate.netloc, wanted.netloc.lstrip("*")
        ):
            return True
    return False


def sent_from_this_site(request) -> bool:
    """Whether the browser says the request was sent by a page of this site."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if not referer:
            return False
        try:
            parts = urlsplit(referer)
        except ValueError:
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin == "null":
        return False
    return origin == own_origin(request) or _trusted(origin)


def _refuse(request, reason: str):
    return import_string(settings.CSRF_FAILURE_VIEW)(request, reason=reason)


def _django_check(request):
    """Django's own check (token against cookie, and origin), or None when it passes."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})


def csrf_protect_signed_in(view):
    """Django's CSRF check for a signed-in session; the origin check for everyone
    else (the module's docstring says why). Like Django's, it does nothing for the
    test client unless it enforces CSRF checks."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS and not getattr(
            request, "_dont_enforce_csrf_checks", False
        ):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                refusal = _django_check(request)
                if refusal is not None:
                    return refusal
            elif not sent_from_this_site(request):
                return _refuse(request, REASON_ORIGIN)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
