"""The read path for cached thread pages, counts and 304s, without Django's request
cycle.

A reader's `GET /api/v1/threads` is answered from the cached thread state and the
cached page bytes; building an HttpRequest, running the whole middleware stack and
django-ninja's query validation cost five times more than the answer itself
(bench/profile_request.py; numbers in docs/scaling.md). This WSGI wrapper answers
those requests itself when everything it needs is at hand, with the same status,
headers and bytes as the Django views (tests/api/test_fastpath.py compares the two
for every kind of request), and hands everything else — any miss, any parameter it
does not expect, any unusual header or setting — to Django, which answers as always.
It only reads: nothing here writes to the database or the cache.
"""

import json
import logging
import re
import time
from typing import NamedTuple
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host

from meydan.api.cors import ORIGINS_SECONDS, known_origins
from meydan.api.v1.threads import (
    CACHE_CONTROL,
    MAX_COUNT_URLS,
    counts_for,
    etag_for,
    live_body,
    live_etag,
)
from meydan.comments import caching
from meydan.core import metrics
from meydan.core.compression import chosen_coding, etag_matches, not_modified_etag
from meydan.core.errors import MeydanError
from meydan.core.languages import choose_language
from meydan.core.middleware import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY
from meydan.sites.lookup import SITE_SECONDS, page_key_for, site_for_slug

logger = logging.getLogger(__name__)

THREADS_PATH = "/api/v1/threads"
COUNTS_PATH = "/api/v1/counts"
LIVE_PATH = "/api/v1/live"
_PATHS = (THREADS_PATH, COUNTS_PATH, LIVE_PATH)
_PAGE = re.compile(r"^[1-9][0-9]{0,5}$")
_ORDERS = ("oldest", "newest", "top")
_LANGUAGES_SEEN = 1000
_SEEN = 4096  # queries, hosts and page keys remembered per process (then forgotten at once)
ERROR_LOG_SECONDS = 60


def query_pairs(query: str) -> list[tuple[str, str]]:
    """urllib.parse.parse_qsl(query, keep_blank_values=True), as Django's QueryDict
    reads it, without its generality (a third of a counts request's time)."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            if "%" in part or "+" in part:
                name, value = unquote_plus(name), unquote_plus(value)
            pairs.append((name, value))
    return pairs


class ThreadQuery(NamedTuple):
    site: str
    url: str
    page: int
    order: str | None
    picks: bool
    lang: str | None


_thread_queries: dict[str, ThreadQuery | None] = {}


def thread_query(query: str) -> ThreadQuery | None:
    """A thread read's parameters, or None where Django's validation should speak.

    A query string means the same every time, and readers of a page send the same
    one: each is read once per process (its parsing and percent-decoding were a
    sixth of a read's time)."""
    try:
        return _thread_queries[query]
    except KeyError:
        pass
    parsed = _read_thread_query(query)
    if len(_thread_queries) >= _SEEN:
        _thread_queries.clear()
    _thread_queries[query] = parsed
    return parsed


def _read_thread_query(query: str) -> ThreadQuery | None:
    pairs = query_pairs(query)
    params = dict(pairs)
    if len(params) != len(pairs) or "site" not in params or "url" not in params:
        return None  # repeated or missing parameters: Django's validation speaks
    page_text = params.get("page", "1")
    order = params.get("order")
    if not _PAGE.match(page_text) or int(page_text) > 100_000:
        return None
    if order is not None and order not in _ORDERS:
        return None
    picks = params.get("picks", "false")
    if picks not in ("true", "false"):
        return None  # other spellings of a boolean: Django's validation reads them
    return ThreadQuery(
        params["site"], params["url"], int(page_text), order, picks == "true", params.get("lang")
    )


class _Config:
    """The settings the answers depend on, read once (settings are lazy objects and
    reading twenty of them per request cost more than the answer)."""

    def __init__(self):
        self.declines = bool(
            settings.DEBUG or settings.USE_X_FORWARDED_HOST or settings.DISALLOWED_USER_AGENTS
        )
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.allowed_hosts = list(settings.ALLOWED_HOSTS)
        self.live_seconds = settings.MEYDAN_LIVE_SECONDS
        self.live_stream = settings.MEYDAN_LIVE_STREAM_URL
        fixed = [
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("Permissions-Policy", PERMISSIONS_POLICY),
        ]
        if settings.X_FRAME_OPTIONS:
            fixed.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            fixed.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            if not isinstance(policy, str):
                policy = ",".join(policy)
            fixed.append(("Referrer-Policy", policy))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            fixed.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        self.fixed = fixed
        self.hsts = None
        if settings.SECURE_HSTS_SECONDS:
            self.hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                self.hsts += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                self.hsts += "; preload"


class _Memo:
    """A few values kept in this process for as long as the shared cache keeps them
    (sites and origins: 60 s), without unpickling them from the cache each time."""

    def __init__(self, seconds: float, size: int = 1000):
        self.seconds, self.size = seconds, size
        self.items: dict = {}

    def get(self, key, compute):
        now = time.monotonic()
        item = self.items.get(key)
        if item is None or item[0] < now:
            if len(self.items) >= self.size:
                self.items.clear()
            item = (now + self.seconds, compute(key))
            self.items[key] = item
        return item[1]


class FastReads:
    def __init__(self, application):
        self.application = application
        self._languages: dict[str, str] = {}
        self._config: _Config | None = None
        self._sites = _Memo(SITE_SECONDS)
        self._origins = _Memo(ORIGINS_SECONDS, size=1)
        # (site slug, url) -> (the site, the page's key): kept while the site's memo
        # holds the same Site (its origins decide whether a full URL is on it).
        self._page_keys: dict[tuple[str, str], tuple[object, str]] = {}
        self._hosts: dict[str, bool] = {}  # Host header -> allowed (ALLOWED_HOSTS)
        self._quiet_until = 0.0
        setting_changed.connect(self._forget_config, weak=True)

    def _forget_config(self, **kwargs):
        self._config = None
        self._languages.clear()
        self._hosts.clear()

    @property
    def config(self) -> _Config:
        if self._config is None:
            self._config = _Config()
        return self._config

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path in _PATHS and environ.get("REQUEST_METHOD") == "GET":
            try:
                answer = self.answer(environ, path)
            except DatabaseError:  # an outage: Django answers it (503) and says so itself
                answer = None
            except MeydanError:  # the reader's mistake (an unknown site): Django's 4xx
                answer = None
            except Exception:  # any surprise: Django answers it, and it is counted and told
                metrics.fast_path_error()
                self.report_error(path)
                answer = None
            if answer is not None:
                # Counted under Django's route for the same endpoint (core.metrics).
                environ[metrics.ROUTE_KEY] = path
                environ[metrics.HANDLER_KEY] = metrics.FAST_PATH
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.application(environ, start_response)

    def report_error(self, path: str) -> None:
        """Log the failure with its traceback, at most once a minute per process: a
        fault here repeats on every read, and the counter has the rate."""
        now = time.monotonic()
        if now >= self._quiet_until:
            self._quiet_until = now + ERROR_LOG_SECONDS
            logger.warning(
                "The fast read path failed on %s; Django answered it instead "
                "(meydan_fast_path_errors_total counts them; the next for a minute unlogged)",
                path,
                exc_info=True,
            )

    # --- what Django would say around the view's answer ---------------------------

    def usable(self, environ) -> bool:
        """False when Django's middleware would do more than add fixed headers: a
        host it refuses, an https redirect, user-agent rules."""
        config = self.config
        if config.declines:
            return False
        if "HTTP_COOKIE" in environ:
            return False  # Django may load a session for it (and says Vary: Cookie)
        if config.ssl_redirect and not self.is_secure(environ):
            return False
        host = environ.get("HTTP_HOST")
        if not host:
            return False
        allowed = self._hosts.get(host)
        if allowed is None:
            domain, _port = split_domain_port(host)
            allowed = bool(domain) and validate_host(domain, config.allowed_hosts)
            if len(self._hosts) >= _SEEN:
                self._hosts.clear()  # a client may send any Host
            self._hosts[host] = allowed
        return allowed

    def page(self, slug: str, url: str):
        """(site, page key) as site_for_slug and page_key_for give them, remembered
        for as long as the site is (a reader's mistake raises, and is not kept)."""
        site = self._sites.get(slug, site_for_slug)
        known = self._page_keys.get((slug, url))
        if known is not None and known[0] is site:
            return site, known[1]
        key, _url = page_key_for(site, url)
        if len(self._page_keys) >= _SEEN:
            self._page_keys.clear()
        self._page_keys[(slug, url)] = (site, key)
        return site, key

    def is_secure(self, environ) -> bool:
        header = self.config.proxy_ssl_header
        if header is not None:
            name, value = header
            forwarded = environ.get(name)
            if forwarded is not None:
                return forwarded.split(",", 1)[0].strip() == value
        return environ.get("wsgi.url_scheme") == "https"

    def language(self, environ, page: str | None, site_default: str) -> str:
        """meydan.core.languages' order, without a cookie (the fast path has none)."""
        memo = (environ.get("HTTP_ACCEPT_LANGUAGE", ""), page, site_default)
        language = self._languages.get(memo)
        if language is None:
            language = choose_language(
                page=page, accept_language=memo[0], site_default=site_default
            )
            if len(self._languages) >= _LANGUAGES_SEEN:
                self._languages.clear()
            self._languages[memo] = language
        return language

    def headers(self, environ, vary: str, language: str) -> list[tuple[str, str]]:
        config = self.config
        headers = [("Vary", vary), ("Content-Language", language), *config.fixed]
        if config.hsts and self.is_secure(environ):
            headers.append(("Strict-Transport-Security", config.hsts))
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/") in self._origins.get(None, _origins):
            headers.append(("Access-Control-Allow-Origin", origin))
            headers.append(("Access-Control-Expose-Headers", "ETag, Retry-After"))
        return headers

    # --- the two endpoints ---------------------------------------------------------

    def answer(self, environ, path):
        query = environ.get("QUERY_STRING", "")
        if not query.isascii() or not self.usable(environ):
            return None
        if path == THREADS_PATH:
            return self.thread(environ, query)
        pairs = query_pairs(query)
        if path == LIVE_PATH:
            return self.live(environ, pairs)
        return self.counts(environ, pairs)

    def thread(self, environ, query: str):
        asked = thread_query(query)
        if asked is None:
            return None
        page = asked.page
        site, key = self.page(asked.site, asked.url)
        view = "picks" if asked.picks else asked.order or site.default_order  # as the view names it
        thread_id, version, _count = caching.thread_state_recent(site.pk, key)
        etag = etag_for(version, page, view)
        coding = chosen_coding(environ.get("HTTP_ACCEPT_ENCODING"))
        headers = [("Cache-Control", CACHE_CONTROL)]
        language = self.language(environ, asked.lang, site.language)
        headers += self.headers(environ, "Accept-Encoding, Accept-Language, Origin", language)
        if matched := etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), etag):
            headers += [
                ("ETag", not_modified_etag(matched, etag, coding if thread_id else None)),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", "0"),
            ]
            return "304 Not Modified", headers, b""
        if not thread_id:
            return None
        cache_key = caching.payload_key(site.pk, thread_id, version, page, view)
        payload = caching.payload_get(
            cache_key, count_miss=False, coding=coding
        )  # Django's view counts a miss
        if payload is None:
            return None  # Django builds it and caches it
        body, coding = payload.body(coding)
        headers += [
            ("ETag", payload.etag(etag, body, coding)),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        if coding is not None:
            headers.append(("Content-Encoding", coding))
        return "200 OK", headers, body

    def live(self, environ, pairs):
        """The live answer (api.v1.threads.live_read): the most frequent request of all
        when many readers keep a page open, nearly always a 304."""
        params = dict(pairs)
        if len(params) != len(pairs) or set(params) != {"site", "url"}:
            return None
        site, key = self.page(params["site"], params["url"])
        count = caching.thread_state_recent(site.pk, key).count
        seconds = self.config.live_seconds
        stream = self.config.live_stream
        etag = live_etag(count, seconds, stream)
        headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
        language = self.language(environ, None, site.language)  # the answer has no words
        headers += self.headers(environ, "Accept-Language, Origin", language)
        if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            headers += [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0")]
            return "304 Not Modified", headers, b""
        body = live_body(count, seconds, stream)
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        return "200 OK", headers, body

    def counts(self, environ, pairs):
        urls = [value for name, value in pairs if name == "url"]
        sites = [value for name, value in pairs if name == "site"]
        if len(sites) != 1 or not urls or len(urls) > MAX_COUNT_URLS:
            return None
        site = self._sites.get(sites[0], site_for_slug)
        body = json.dumps({"counts": counts_for(site, urls)}, ensure_ascii=False).encode()
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        langs = [value for name, value in pairs if name == "lang"]
        language = self.language(environ, langs[-1] if langs else None, site.language)
        return "200 OK", headers + self.headers(environ, "Accept-Language, Origin", language), body


def _origins(_key) -> frozenset[str]:
    return known_origins()
