"""RSS 2.0 and Atom feeds of published comments: one page's thread, and a site's latest.

Written with Django's own feed generator (django.utils.feedgenerator), which escapes
and dates everything as the specs ask. What goes in: published comments only, their
sanitised HTML (the same `body_html` the pages show), the author's name and never their
email, a permalink (/c/<id>) as link and guid.

Caching: a thread's feed is keyed by the thread's version, like the API's pages, so its
ETag is exact and a 304 costs no query when the thread state is cached. A site's feed
would need every thread's version; it is built at most once a minute per format and
language instead, and its ETag is a digest of those bytes.
"""

import hashlib
from urllib.parse import quote

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from meydan.comments import caching
from meydan.comments.models import Comment, Thread
from meydan.core.errors import MeydanError, NotFound
from meydan.core.views import error_page
from meydan.sites.lookup import page_key_for, site_for_slug

ITEMS = 50
SITE_FEED_SECONDS = 60
FEED_SECONDS = 3600  # a thread's feed: its version is in the key, so it never goes stale
FORMATS = {
    "rss": (feedgenerator.Rss201rev2Feed, "application/rss+xml; charset=utf-8"),
    "atom": (feedgenerator.Atom1Feed, "application/atom+xml; charset=utf-8"),
}
# Feed readers poll; a minute's caching in between is what they expect, and the ETag
# makes the next poll a 304.
CACHE_CONTROL = "public, max-age=60"


@require_safe
def thread_feed(request, site: str, fmt: str):
    """GET /feeds/<site>/thread.(rss|atom)?url=PAGE — the page's published comments,
    newest first (at most 50). A page with no comments yet has an empty feed."""
    try:
        feed_class, content_type = _format(fmt)
        site_obj = site_for_slug(site)
        key, url = page_key_for(site_obj, request.GET.get("url", ""))
    except MeydanError as error:
        return _no_feed(request, error)
    thread_id, version, _count = caching.thread_state(site_obj.pk, key)
    lang = get_language()
    etag = f'"f{thread_id}-v{version}-{fmt}-{lang}"'
    if etag in request.headers.get("If-None-Match", ""):
        return _response(b"", content_type, etag, status=304)
    cache_key = f"meydan:feed:t:{site_obj.pk}:{thread_id}:{version}:{fmt}:{lang}"
    body = cache.get(cache_key) if thread_id else None
    if body is None:
        thread = Thread.objects.filter(pk=thread_id).first() if thread_id else None
        body = _thread_feed_bytes(request, feed_class, site_obj, thread, url)
        if thread_id:
            cache.set(cache_key, body, FEED_SECONDS)
    return _response(body, content_type, etag)


@require_safe
def site_feed(request, site: str, fmt: str):
    """GET /feeds/<site>/latest.(rss|atom) — the site's 50 newest published comments."""
    try:
        feed_class, content_type = _format(fmt)
        site_obj = site_for_slug(site)
    except MeydanError as error:
        return _no_feed(request, error)
    cache_key = f"meydan:feed:s:{site_obj.pk}:{fmt}:{get_language()}"
    cached = cache.get(cache_key)
    if cached is None:
        body = _site_feed_bytes(request, feed_class, site_obj)
        cached = (f'"s{hashlib.sha256(body).hexdigest()[:24]}"', body)
        cache.set(cache_key, cached, SITE_FEED_SECONDS)
    etag, body = cached
    if etag in request.headers.get("If-None-Match", ""):
        return _response(b"", content_type, etag, status=304)
    return _response(body, content_type, etag)


def _format(fmt: str):
    if fmt not in FORMATS:
        raise NotFound(_("Feeds come as .rss (RSS 2.0) or .atom (Atom)."))
    return FORMATS[fmt]


def _no_feed(request, error: MeydanError) -> HttpResponse:
    return error_page(request, error.status, _("No feed here"), str(error.message))


def _response(body: bytes, content_type: str, etag: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type, status=status)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _published(queryset):
    return queryset.filter(status=Comment.Status.APPROVED).select_related("thread")


def _thread_feed_bytes(request, feed_class, site, thread, url) -> bytes:
    title = thread.title if thread is not None and thread.title else url
    feed = feed_class(
        # Translators: the title of a feed of one article's comments.
        title=_("Comments on “%(title)s”") % {"title": title},
        link=request.build_absolute_uri(thread.get_absolute_url() if thread else url),
        description=_("Readers' comments on “%(title)s” (%(site)s), newest first.")
        % {"title": title, "site": site.name},
        language=get_language(),
        feed_url=request.build_absolute_uri(),
        feed_guid=request.build_absolute_uri(
            reverse("feeds:thread", args=[site.slug, "atom"]) + "?url=" + _quote(url)
        ),
    )
    comments = _published(Comment.objects.filter(thread=thread)).order_by("-seq")[:ITEMS]
    for comment in comments if thread is not None else ():
        # Translators: a feed item's title: the comment's author.
        _add(feed, request, comment, _("Comment by %(name)s") % {"name": comment.author_name})
    return _write(feed)


def _site_feed_bytes(request, feed_class, site) -> bytes:
    feed = feed_class(
        # Translators: the title of a feed of the newest comments on a whole site.
        title=_("Latest comments on %(site)s") % {"site": site.name},
        link=_site_home(request, site),
        description=_("The newest readers' comments on %(site)s.") % {"site": site.name},
        language=get_language(),
        feed_url=request.build_absolute_uri(),
        feed_guid=request.build_absolute_uri(reverse("feeds:latest", args=[site.slug, "atom"])),
    )
    comments = _published(Comment.objects.filter(thread__site=site)).order_by("-created", "-pk")
    for comment in comments[:ITEMS]:
        title = comment.thread.title or comment.thread.key
        # Translators: a feed item's title: who commented on which article.
        item_title = _("%(name)s on “%(title)s”") % {"name": comment.author_name, "title": title}
        _add(feed, request, comment, item_title)
    return _write(feed)


def _add(feed, request, comment: Comment, title: str) -> None:
    link = request.build_absolute_uri(reverse("comment-permalink", args=[comment.pk]))
    feed.add_item(
        title=title,
        link=link,
        unique_id=link,
        unique_id_is_permalink=True,
        description=comment.body_html,  # sanitised when it was written (comments.rendering)
        author_name=comment.author_name,  # never the email, which is not ours to publish
        pubdate=comment.created,
        updateddate=comment.edited or comment.created,
    )


def _write(feed) -> bytes:
    return feed.writeString("utf-8").encode()


def _quote(url: str) -> str:
    return quote(url, safe="")


def _site_home(request, site) -> str:
    """The site's front page: this server's when it serves the site, else its domain's."""
    if not site.domain or request.get_host().split(":")[0] == site.domain:
        return request.build_absolute_uri("/")
    return f"https://{site.domain}/"
