"""The request's language, by meydan.core.languages' order, with the site's default
language as the last word."""

import re

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.utils.cache import patch_vary_headers

from meydan.core.errors import MeydanError
from meydan.core.languages import activate_for_request, request_language
from meydan.sites.lookup import site_for_slug
from meydan.sites.resolve import site_for_request

# GET /api/v1/sites/{key}: the site's settings for the widget, named in the path.
_SITE_PATH = re.compile(r"^/api/v1/sites/([-a-zA-Z0-9_]{1,60})/?$")


def site_language(request) -> str | None:
    """The default language of the site a request is for, or None.

    Asked only when neither the reader's choice, nor the page, nor Accept-Language
    decides. The API names its site in the `site` query parameter (a cached lookup);
    `GET /api/v1/sites/{key}` in its path; an API request without either (the
    OpenAPI document, a comment by id) has no site default. Pages are for the site of their host.
    """
    try:
        if request.path_info.startswith("/api/"):
            named = _SITE_PATH.match(request.path_info)
            slug = named[1] if named else request.GET.get("site")
            return site_for_slug(slug).language if slug else None
        return site_for_request(request).language
    except (MeydanError, Http404, DatabaseError):
        return None  # no such site, or no database for now: settings.LANGUAGE_CODE


class SiteLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary), choosing by our order."""

    def process_request(self, request):
        language = request_language(request, site_default=lambda: site_language(request))
        activate_for_request(request, language)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            patch_vary_headers(response, ("Cookie",))
        return response
