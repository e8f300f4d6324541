"""GET /api/v1/live/stream?site=…&url=… — a page's published comment count as
Server-Sent Events, for readers who keep the page open ("2 new comments — show").

An ASGI application of its own, run by `meydan live` (granian, --interface asgi) beside
the WSGI server; in production nginx routes this one path to it. Written against ASGI
directly rather than through Django's request cycle: a connection lasts as long as the
reader stays, and an event is a few bytes written to thousands of them at once, which
Django's views (one thread per open request under WSGI) cannot do.

    Each process holds ONE Redis subscription (MEYDAN_LIVE_CHANNEL: meydan/live/
    publish.py) and fans each message out to the connections watching that page.
    A connection gets `retry:` (2-8 s at random: a restart does not bring every reader
    back in the same second), the count at once, then `data: {"count": N}` on every
    change of it, and a comment line every HEARTBEAT seconds (proxies and browsers drop
    a silent connection). Beyond MEYDAN_LIVE_STREAM_MAX connections: 503 and
    Retry-After, and the page polls GET /api/v1/live instead.

Django is set up once per process for the lookups — the site by its key and the page's
thread key (sites.lookup), the count (comments.caching) — run in a small thread pool
and remembered: a crowd arriving at one article costs one lookup per process, not one
per reader. CORS as the API: only the site's registered origins, never credentials
(EventSource sends none); another origin is refused (403) rather than holding a
connection its browser would throw away.
"""

import asyncio
import contextlib
import json
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlsplit

import redis.asyncio as aioredis
from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from meydan.comments import caching
from meydan.core.errors import MeydanError, NotFound, OriginNotAllowed
from meydan.sites.lookup import page_key_for, site_for_slug

logger = logging.getLogger(__name__)

PATH = "/api/v1/live/stream"
HEARTBEAT = 15.0  # seconds between comment lines
PAGE_SECONDS = 60.0  # how long a (site, url) -> page lookup is remembered
ERROR_SECONDS = 5.0  # … and a refused one
MAX_PAGES = 20_000  # remembered lookups per process (then forgotten all at once)
LOOKUP_THREADS = 4


class Group:
    """The connections watching one page, and the count they were last told."""

    __slots__ = ("conns", "count", "event", "ready", "version")

    def __init__(self, ready):
        self.conns: set[Conn] = set()
        self.count: int | None = None
        self.version = -1  # of the thread whose count this is: older news is ignored
        self.event = b""  # the count as an event: built once, written to every reader
        self.ready = ready  # the first count, read from the thread state

    def tell(self, count: int, version: int) -> None:
        """Tell the readers `count`, unless it is older than what they were told (two
        close commits' messages can arrive in either order) or no change."""
        if 0 < version < self.version:  # (0: the thread is gone; its count is 0)
            return
        self.version = version
        if count == self.count:
            return
        self.count = count
        self.event = f'data: {{"count": {count}}}\n\n'.encode()
        for conn in self.conns:
            conn.wake()


class Conn:
    """One open stream. Its coroutine sleeps on `waiter` (a bare future: cheaper than an
    Event and a task per wake-up, which counts at 10,000 readers a comment) until the
    count changes, a heartbeat is due, or the reader leaves."""

    __slots__ = ("beat", "gone", "waiter")

    def __init__(self):
        self.waiter: asyncio.Future | None = None
        self.beat = False
        self.gone = False

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


def _page(slug: str, url: str):
    """(site id, page key, the site) — in a worker thread, with Django's connection
    handling around it as for a request."""
    close_old_connections()
    try:
        site = site_for_slug(slug)
        key, _url = page_key_for(site, url)
        return site.pk, key, site
    finally:
        close_old_connections()


def _count(site_id: int, key: str) -> tuple[int, int]:
    """(count, version) of the page's thread: 0, 0 before it has one."""
    close_old_connections()
    try:
        state = caching.thread_state(site_id, key)
        return state.count, state.version
    finally:
        close_old_connections()


class _Shim:
    """What translation.get_language_from_request reads of a request without cookies."""

    COOKIES: dict = {}
    path_info = PATH

    def __init__(self, accept_language: str):
        self.META = {"HTTP_ACCEPT_LANGUAGE": accept_language}


def _error(status: int, code: str, message, field: str | None = None, language: str = ""):
    """An error as the API writes it, in the reader's language (Accept-Language)."""
    with translation.override(translation.get_language_from_request(_Shim(language))):
        message = str(message)
    error = {"code": code, "message": message}
    if field:
        error["fields"] = {field: [message]}
    return status, json.dumps({"error": error}).encode()


# Translators: the stream of live updates turns a reader away for now (the page asks instead)
BUSY = _("Too many readers at once: ask again later.")
# Translators: the stream of live updates could not read the page's comments for a moment
UNAVAILABLE = _("The comments are unavailable for a moment.")


class LiveStream:
    """The ASGI application (one per process: meydan/live/asgi.py)."""

    def __init__(self, redis_url=None, channel=None, max_streams=None):
        self.redis_url = redis_url or settings.MEYDAN_LIVE_REDIS_URL
        self.channel = channel or settings.MEYDAN_LIVE_CHANNEL
        self.max_streams = max_streams or settings.MEYDAN_LIVE_STREAM_MAX
        self.groups: dict[tuple[int, str], Group] = {}
        self.pages: dict[tuple[str, str], tuple[float, asyncio.Future]] = {}
        self.open = 0
        self.listener: asyncio.Task | None = None
        self.beating: asyncio.Task | None = None
        self.subscribed = asyncio.Event()
        self.pool = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="meydan-live")

    # --- the one subscription ------------------------------------------------------

    async def listen(self) -> None:
        """Subscribe, and again after a lost connection (then every watched page's
        count is read afresh: messages may have been missed meanwhile)."""
        while True:
            client = aioredis.Redis.from_url(self.redis_url, health_check_interval=30)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                await self.refresh()  # counts read before (or during an outage) may be old
                async for message in pubsub.listen():
                    if message and message.get("type") == "message":
                        self.deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis gone: keep serving heartbeats, try again
                self.subscribed.clear()
                logger.warning("live stream: Redis subscription lost (%s); retrying", error)
                await asyncio.sleep(1 + random.random())  # noqa: S311 - jitter
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def deliver(self, data: bytes) -> None:
        try:
            site_id, key, count, *version = json.loads(data)
        except (ValueError, TypeError):
            logger.warning("live stream: a message not understood: %r", data[:200])
            return
        group = self.groups.get((site_id, key))
        if group is not None:
            # No version: from a publisher of an older Meydan (during an upgrade).
            group.tell(count, version[0] if version else group.version)

    async def refresh(self) -> None:
        loop = asyncio.get_running_loop()
        for (site_id, key), group in list(self.groups.items()):
            with contextlib.suppress(Exception):
                group.tell(*await loop.run_in_executor(self.pool, _count, site_id, key))

    async def heartbeats(self) -> None:
        """Every HEARTBEAT seconds, one sweep over all open streams."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            for group in list(self.groups.values()):
                for conn in group.conns:
                    conn.beat = True
                    conn.wake()

    def start(self) -> None:
        if self.listener is None or self.listener.done():
            loop = asyncio.get_running_loop()
            self.listener = loop.create_task(self.listen())
            self.beating = loop.create_task(self.heartbeats())

    # --- lookups ---------------------------------------------------------------------

    async def page(self, slug: str, url: str):
        """(site id, key, site), remembered; concurrent readers of one page share one
        lookup. Raises the lookup's MeydanError."""
        now = time.monotonic()
        known = self.pages.get((slug, url))
        if known is None or known[0] < now:
            if len(self.pages) >= MAX_PAGES:
                self.pages.clear()
            future = asyncio.get_running_loop().run_in_executor(self.pool, _page, slug, url)
            known = (now + PAGE_SECONDS, future)
            self.pages[(slug, url)] = known
            try:
                await future
            except MeydanError:
                self.pages[(slug, url)] = (now + ERROR_SECONDS, future)
            except Exception:
                del self.pages[(slug, url)]  # a database or cache outage: not remembered
                raise
        return await known[1]

    def group(self, site_id: int, key: str) -> Group:
        group = self.groups.get((site_id, key))
        if group is None:
            ready = asyncio.get_running_loop().run_in_executor(self.pool, _count, site_id, key)
            group = self.groups[(site_id, key)] = Group(ready)

            def first_count(future, group=group):
                if group.count is None and not future.cancelled() and not future.exception():
                    group.tell(*future.result())

            ready.add_done_callback(first_count)
        return group

    def leave(self, site_id: int, key: str, group: Group, conn: Conn) -> None:
        group.conns.discard(conn)
        if not group.conns and self.groups.get((site_id, key)) is group:
            del self.groups[(site_id, key)]

    # --- ASGI --------------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if scope["type"] != "http":
            return None
        if scope["path"] != PATH:
            return await self.reply(send, *_error(404, "not_found", NotFound.message))
        if scope["method"] != "GET":
            # Translators: an HTTP request method other than GET reached the stream of live updates
            status, body = _error(405, "method_not_allowed", _("Only GET is answered here."))
            return await self.reply(send, status, body, [(b"allow", b"GET")])
        headers = {name.lower(): value for name, value in scope["headers"]}
        origin = headers.get(b"origin", b"").decode("latin-1")
        language = headers.get(b"accept-language", b"").decode("latin-1")
        try:
            pairs = parse_qsl(
                scope["query_string"].decode("latin-1"), keep_blank_values=True, errors="strict"
            )
        except (UnicodeDecodeError, ValueError):
            pairs = []
        params = dict(pairs)
        if len(params) != len(pairs) or set(params) != {"site", "url"}:
            # Translators: site and url are the names of the request's parameters; keep them
            message = _("Give site and url, once each: ?site=<data-meydan-site>&url=<the page>.")
            return await self.reply(send, *_error(400, "invalid", message, None, language))
        try:
            site_id, key, site = await self.page(params["site"], params["url"])
        except MeydanError as error:
            status, body = _error(error.status, error.code, error.message, error.field, language)
            return await self.reply(send, status, body)
        except Exception:
            logger.exception("live stream: lookup failed")
            return await self.busy(send, UNAVAILABLE, language)
        cors = []
        if origin:
            host = headers.get(b"host", b"").decode("latin-1")
            if site.allows_origin(origin):
                cors = [(b"access-control-allow-origin", origin.encode("latin-1"))]
            elif urlsplit(origin).netloc != host:
                message = OriginNotAllowed.message
                status, body = _error(403, "origin_not_allowed", message, None, language)
                return await self.reply(send, status, body)
        if self.open >= self.max_streams:
            return await self.busy(send, BUSY, language)
        self.start()
        await self.stream(receive, send, site_id, key, cors, language)
        return None

    async def stream(self, receive, send, site_id, key, cors, language) -> None:
        group = self.group(site_id, key)
        conn = Conn()
        group.conns.add(conn)
        self.open += 1
        watcher = asyncio.ensure_future(_watch(receive, conn))
        try:
            if group.count is None:
                await asyncio.wait({group.ready, watcher}, return_when="FIRST_COMPLETED")
                if conn.gone:
                    return
                if group.count is None:  # the count could not be read: try again later
                    await self.busy(send, UNAVAILABLE, language)
                    return
            headers = [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
                (b"vary", b"Origin"),
                *cors,
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            sent = group.count
            retry = random.randint(2000, 8000)  # noqa: S311 - jitter, not a secret
            body = f"retry: {retry}\n\n".encode() + group.event
            loop = asyncio.get_running_loop()
            while not conn.gone:
                if body is None:  # what changed, also while the last write was under way
                    if group.count != sent:
                        sent, body = group.count, group.event
                    elif conn.beat:
                        body, conn.beat = b":\n\n", False
                    else:
                        conn.waiter = loop.create_future()
                        await conn.waiter
                        conn.waiter = None
                        continue
                await send({"type": "http.response.body", "body": body, "more_body": True})
                body = None
        except (OSError, RuntimeError):
            return  # the reader went away while we wrote (ASGI servers raise either)
        finally:
            self.open -= 1
            self.leave(site_id, key, group, conn)
            watcher.cancel()

    async def reply(self, send, status: int, body: bytes, extra=()) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def busy(self, send, message, language: str) -> None:
        status, body = _error(503, "unavailable", message, None, language)
        retry = str(random.randint(30, 90)).encode()  # noqa: S311 - spread the returns
        await self.reply(send, status, body, [(b"retry-after", retry)])

    async def lifespan(self, receive, send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                for task in (self.listener, self.beating):
                    if task is not None:
                        task.cancel()
                self.pool.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _watch(receive, conn: Conn) -> None:
    """Until the reader leaves; then its stream ends."""
    while (await receive())["type"] != "http.disconnect":
        pass
    conn.gone = True
    conn.wake()
