"""CORS for the API: only the origins sites registered, never with credentials.

The widget authenticates with a bearer token, not cookies, so responses never
carry Access-Control-Allow-Credentials, and a wildcard is never sent. Which
origins exist is cached briefly (sites change rarely).
"""

from django.core.cache import cache

from meydan.core.errors import OriginNotAllowed
from meydan.sites.models import Site

ORIGINS_KEY = "meydan:cors-origins"
ORIGINS_SECONDS = 60
API_PREFIX = "/api/"
ALLOWED_HEADERS = "Authorization, Content-Type, If-None-Match, X-Meydan-Edit-Token, X-Meydan-Voter"
ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"


def known_origins() -> frozenset[str]:
    origins = cache.get(ORIGINS_KEY)
    if origins is None:
        origins = frozenset(
            origin for site in Site.objects.only("origins") for origin in site.origin_list
        )
        cache.set(ORIGINS_KEY, origins, ORIGINS_SECONDS)
    return origins


def forget_origins() -> None:
    cache.delete(ORIGINS_KEY)


class CorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        allowed = origin is not None and origin.rstrip("/") in known_origins()
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            from django.http import HttpResponse

            response = HttpResponse(status=204 if allowed else 403)
            if allowed:
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.headers.setdefault("Vary", "Origin")
        if "Origin" not in response["Vary"]:
            response["Vary"] = response["Vary"] + ", Origin"
        return response


def check_origin(request, site: Site) -> None:
    """A browser on another origin may write only for a site that registered it
    (every API write: comments, edits, reports, votes)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == f"{request.scheme}://{request.get_host()}":
        return
    if not site.allows_origin(origin):
        raise OriginNotAllowed()
