"""Threads: a page's comments, and comment counts for many pages.

The read path is built to be served without the database when nothing changed:
the site and the thread's (id, version) come from the cache, the ETag is derived
from them, a matching If-None-Match answers 304 at once, and the JSON of a page
is cached per (thread, version, page, order).
"""

import json
from typing import Literal

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from meydan.api.v1.schemas import READ_ERRORS, WRITE_ERRORS, ThreadOut
from meydan.api.v1.serialize import comment_dict, page_comments
from meydan.comments import caching, queries
from meydan.comments.models import Thread
from meydan.core import compression
from meydan.core.errors import MeydanError
from meydan.sites.lookup import page_key_for, site_for_slug

router = Router(tags=["threads"])

# Browsers revalidate every time (a cheap 304 from the cache: readers see their own
# new comment at once); shared caches (nginx, a CDN) may serve it for a second, so a
# new comment reaches readers behind a micro-cache within about a second (bench/).
CACHE_CONTROL = "public, max-age=0, s-maxage=1"
MAX_COUNT_URLS = 100


class ThreadQuery(Schema):
    site: str = Field(description="The site's public key (data-meydan-site)")
    url: str = Field(description="The page's URL, or its path")
    page: int = Field(1, ge=1, le=100_000)
    order: Literal["oldest", "newest", "top"] | None = Field(
        None, description="Oldest or newest first, or most voted first; default: the site's"
    )
    picks: bool = Field(False, description="Only the editors' picks, oldest first")


def etag_for(version: int, page: int, order: str) -> str:
    return f'"v{version}-p{page}-{order}"'


@router.get(
    "/threads",
    response={200: ThreadOut, 304: None, **READ_ERRORS},
    summary="Read a page's comments",
)
def thread_read(request, query: Query[ThreadQuery]):
    """GET /api/v1/threads?site=…&url=… — one page of a thread, in tree order.

    A page that has no comments yet answers an empty thread (threads are created by
    the first comment, not by reading). Pages hold whole top-level discussions with all
    their replies: at most the site's `page_size` discussions, ending before the one that
    would pass `page_comments` comments. Carries an ETag; If-None-Match answers 304.
    Every page carries the pinned comment (`pinned`) and the number of picks;
    `picks=true` lists the picks alone (its own pages, cached as the view "picks").
    """
    site = site_for_slug(query.site)
    key, url = page_key_for(site, query.url)
    order = query.order or site.default_order
    thread_id, version, _count = caching.thread_state(site.pk, key)
    view = "picks" if query.picks else order  # the cache's and the ETag's "order"
    etag = etag_for(version, query.page, view)
    coding = compression.chosen_coding(request.headers.get("Accept-Encoding"))
    # Vary: Accept-Language and Origin are added by their middleware.
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if matched := compression.etag_matches(request.headers.get("If-None-Match", ""), etag):
        # The 200's ETag: the coding's, but a page without a thread goes plain.
        coding = coding if thread_id else None
        headers["ETag"] = compression.not_modified_etag(matched, etag, coding)
        return _with_headers(HttpResponse(status=304), headers)
    if thread_id:
        payload, served = caching.page_payload(
            caching.Page(site.pk, thread_id, query.page, view),
            version,
            lambda: _thread_json(site, key, url, thread_id, query.page, order, query.picks),
            coding,
        )
        if served != version:  # the page before, while another reader builds this one
            etag = etag_for(served, query.page, view)
            headers["Cache-Control"] = "no-store"
        body, coding = payload.body(coding)
        headers["ETag"] = payload.etag(etag, body, coding)
    else:  # a page without a thread yet: a short answer, sent as it is
        body, coding = _thread_json(site, key, url, 0, 1, order, query.picks), None
        headers["ETag"] = etag
    response = _with_headers(HttpResponse(body, content_type="application/json"), headers)
    if coding is not None:
        response["Content-Encoding"] = coding
    return response


def _thread_json(*args) -> bytes:
    # UTF-8 as it is (JSON's own encoding), not \uXXXX: a Russian or Persian thread's
    # JSON is less than half the bytes, a third less in gzip (bench/wire_bytes.py).
    return json.dumps(_thread_payload(*args), ensure_ascii=False).encode()


def _with_headers(response: HttpResponse, headers: dict) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def _thread_payload(site, key, url, thread_id, page_number, order, picks=False) -> dict:
    thread = (
        Thread.objects.select_related("site", "pinned").filter(pk=thread_id).first()
        if thread_id
        else None
    )
    view = "picks" if picks else "thread"
    if thread is None:
        return {"site": site.slug, "url": url, "title": "", "open": site.comments_open,
                "count": 0, "page": 1, "pages": 1, "order": "oldest" if picks else order,
                "comments": [], "pinned": None, "picks": 0, "view": view}  # fmt: skip
    if picks:
        page = queries.thread_picks_page(thread, page=page_number)
    else:
        page = queries.thread_visible_page(thread, page=page_number, order=order)
    pinned = queries.thread_pinned(thread)
    return {
        "site": site.slug,
        "url": thread.url or url,
        "title": thread.title,
        "open": thread.accepts_comments,
        "count": thread.comment_count,
        "page": page.number,
        "pages": page.num_pages,
        "order": "oldest" if picks else order,
        "comments": page_comments(page),
        "pinned": comment_dict(pinned) if pinned is not None else None,
        "picks": thread.pick_count,
        "view": view,
    }


class LiveOut(Schema):
    count: int = Field(description="Published comments on the page now")
    poll: float = Field(
        description="Ask again about this many seconds later (each reader at random "
        "between 2/3 and 4/3 of it); 0: live updates are off, stop asking"
    )
    stream: str | None = Field(
        None,
        description="Where the same count is streamed as Server-Sent Events "
        '(GET /api/v1/live/stream?site=…&url=…: `data: {"count": N}` on every change), '
        "relative to this API's URL; absent when no stream server runs. Open it with "
        "EventSource and stop asking; if it fails, ask here again",
    )


def live_etag(count: int, seconds: float, stream: str = "") -> str:
    """The ETag of a live answer: it changes when the count does (a comment published,
    approved or removed) and when the operator changes MEYDAN_LIVE_SECONDS or starts
    or stops announcing a stream, so every open page hears of it at its next request."""
    return f'"n{count}-{seconds:g}{"-s" if stream else ""}"'


def live_body(count: int, seconds: float, stream: str = "") -> bytes:
    answer = {"count": count, "poll": seconds}
    if stream and seconds:
        answer["stream"] = stream
    return json.dumps(answer).encode()


@router.get(
    "/live",
    response={200: LiveOut, 304: None, **READ_ERRORS},
    summary="Ask whether a page has new comments",
)
def live_read(request, site: str, url: str):
    """GET /api/v1/live?site=…&url=… — the page's published comment count, for readers
    who keep the page open ("2 new comments — show"). Send the last ETag in
    If-None-Match: while nothing changed the answer is a 304 without a query (the
    count is the thread state every read uses, shared by all workers through the
    cache). Ask again after `poll` seconds, with jitter; honour Retry-After on a 429
    or 503. When a stream server runs (MEYDAN_LIVE_STREAM_URL), `stream` says where:
    pages listen there instead and come back here only if it fails. docs/scaling.md,
    "Live updates", says which to use where and why.
    """
    site_row = site_for_slug(site)
    key, _url = page_key_for(site_row, url)
    count = caching.thread_state(site_row.pk, key).count
    seconds, stream = settings.MEYDAN_LIVE_SECONDS, settings.MEYDAN_LIVE_STREAM_URL
    etag = live_etag(count, seconds, stream)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("If-None-Match", ""):
        return _with_headers(HttpResponse(status=304), headers)
    body = live_body(count, seconds, stream)
    return _with_headers(HttpResponse(body, content_type="application/json"), headers)


class CountsIn(Schema):
    site: str
    urls: list[str] = Field(max_length=MAX_COUNT_URLS)


class CountsOut(Schema):
    counts: dict[str, int | None] = Field(
        description="Published comments per URL as given; null for a URL not on the site"
    )


def counts_for(site, urls: list[str]) -> dict[str, int | None]:
    """Published comments per URL (None for a URL not on the site), from the thread
    states: no query when they are all cached. The fast path answers with it too."""
    keys: dict[str, str | None] = {}
    for url in urls:
        try:
            keys[url], _ = page_key_for(site, url)
        except MeydanError:
            keys[url] = None
    states = caching.thread_states_for_counts(site.pk, [key for key in keys.values() if key])
    return {url: states[key].count if key else None for url, key in keys.items()}


def _counts(site_slug: str, urls: list[str]) -> dict:
    return {"counts": counts_for(site_for_slug(site_slug), urls)}


@router.get("/counts", response={200: CountsOut, **READ_ERRORS})
def counts_read(request, site: str, url: Query[list[str]]):
    """GET /api/v1/counts?site=…&url=…&url=… — published comment counts (at most 100 URLs)."""
    if len(url) > MAX_COUNT_URLS:
        raise MeydanError(_("Ask for at most %(n)d URLs at once.") % {"n": MAX_COUNT_URLS})
    return _counts(site, url)


@router.post("/counts", response={200: CountsOut, **WRITE_ERRORS})
def counts_query(request, data: CountsIn):
    """POST /api/v1/counts — the same for a long list of URLs in a JSON body."""
    return _counts(data.site, data.urls)
