"""Finding the site and page a request is about (cached: the read path's only
lookups besides the thread state)."""

import re

from django.core.cache import cache
from django.utils.translation import gettext as _

from meydan.core.errors import MeydanError, NotFound, UrlNotOnSite
from meydan.core.weburl import site_path, web_url
from meydan.sites.models import Site

SITE_SECONDS = 60
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
MAX_URL = 2000
_FORBIDDEN = re.compile(r"[\x00\r\n\t ]")


def site_cache_key(slug: str) -> str:
    return f"meydan:site:{slug}"


def site_for_slug(slug: str) -> Site:
    if not _SLUG.match(slug or ""):
        raise NotFound(_("There is no site with this key. Check data-meydan-site."))
    cache_key = site_cache_key(slug)
    site = cache.get(cache_key)
    if site is None:
        site = Site.objects.filter(slug=slug).first()
        if site is None:
            raise NotFound(_("There is no site with this key. Check data-meydan-site."))
        cache.set(cache_key, site, SITE_SECONDS)
    return site


def page_key_for(site: Site, url: str) -> tuple[str, str]:
    """(thread key, canonical URL) for a page URL or path on `site`.

    The key is the URL's path: the same article reached with tracking parameters
    or an anchor is one thread. A full URL must be on one of the site's origins.
    """
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or _FORBIDDEN.search(url):
        raise MeydanError(_("Give the page's URL (at most 2,000 characters)."), field="url")
    # Read as a browser reads it (core/weburl.py): "/\\host/x" is another host.
    if url.startswith(("/", "\\")):
        path = site_path(url)
        if path is None:
            raise MeydanError(
                _("Give the page's path on this site, like /2015/06/rally/."), field="url"
            )
        path = path.split("#", 1)[0].split("?", 1)[0]
        return path, path
    parsed = web_url(url)
    if parsed is None:
        raise MeydanError(
            _("Give the page's URL, like https://blog.example.org/post/."), field="url"
        )
    if not site.allows_origin(parsed.origin):
        raise UrlNotOnSite(field="url")
    return parsed.path, parsed.origin + parsed.path
