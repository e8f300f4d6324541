"""Read-path cache keys for threads (what a reader's request can find without
the database).

- thread state: (site, page key) -> (thread id, version, published count), or
  (0, 0, 0) for a page with no thread yet. Dropped after every commit that changes the thread (see
  services.threads.thread_bump), so an ETag built from it is never stale.
- payloads (API JSON with its gzip and Brotli forms) are keyed by (thread id,
  version, …): a new version makes new keys, and old ones simply expire. Each is
  built once per version however many readers ask at once (payload_build).
"""

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connection, connections

from meydan.comments.models import Thread
from meydan.core import compression, metrics, sqlrows

STATE_SECONDS = 3600
PAYLOAD_SECONDS = 600


def thread_state_key(site_id: int, key: str) -> str:
    return f"meydan:ts:{site_id}:{key}"


class ThreadState(NamedTuple):
    id: int
    version: int
    count: int


NO_THREAD = ThreadState(0, 0, 0)
_FIELDS = ("key", "id", "version", "comment_count")


def thread_state(site_id: int, key: str) -> ThreadState:
    """The state of one page's thread; NO_THREAD when it has none yet."""
    return thread_states(site_id, [key])[key]


def thread_states(site_id: int, keys) -> dict[str, ThreadState]:
    """The states of many pages: one cache round trip, one query for the misses.

    Only a cache that every worker shares (MEYDAN_SHARED_CACHE: Redis) may answer
    this: with a per-process local-memory cache, another worker would never hear
    that a thread changed. Then the state is read from the database (one indexed
    query) — except on SQLite, which tells each connection whether anything was
    committed since it last asked (see _sqlite_states); the payloads can still be
    cached per process, as they are keyed by version.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    if not settings.MEYDAN_SHARED_CACHE:
        # One look-up of this thread's connection: each attribute of Django's
        # `connection` proxy finds it again (an asgiref Local, a tenth of a read).
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor == "sqlite":
            return _sqlite_states(db, site_id, keys)
        return _states_from_db(site_id, keys)
    backend = _backend()
    if hasattr(backend, "raw_get_many"):
        return _raw_states(backend, site_id, keys)
    cache_keys = {thread_state_key(site_id, key): key for key in keys}
    found = backend.get_many(list(cache_keys))
    states = {cache_keys[ck]: ThreadState(*state) for ck, state in found.items()}
    missing = [key for key in keys if key not in states]
    if missing:
        fresh = _states_from_db(site_id, missing)
        backend.set_many(
            {thread_state_key(site_id, key): tuple(state) for key, state in fresh.items()},
            STATE_SECONDS,
        )
        states.update(fresh)
    return states


# --- Recent states: a second old at most for counts, a quarter for pages ------------
# With a shared cache every state read was a round trip to Redis: for a page listing
# fifty articles' counts on every view, for every thread page and its 304s, for every
# reader's live poll; half of a cached page's cost on PostgreSQL + Redis. A worker
# keeps what it read for a moment instead: COUNTS_SECONDS for counts, READ_SECONDS
# for the fast path's thread pages and live answers (api/fastpath.py). A change made
# through this worker shows at once (thread_state_forget drops the entries); one made
# through another worker, within that moment, as it might behind nginx's micro-cache
# (docs/scaling.md). Django's own views (a cold page, a reader with a cookie) and
# every write still read the shared state.

COUNTS_SECONDS = 1.0
READ_SECONDS = 0.25
_RECENT_KEPT = 20_000
# (site id, page key) -> (when it was read, the state)
_recent: dict[tuple[int, str], tuple[float, ThreadState]] = {}
_forgotten = [0]  # thread_state_forget calls in this process (see thread_states_recent)


def thread_states_recent(site_id: int, keys, seconds: float) -> dict[str, ThreadState]:
    """thread_states, each read at most `seconds` ago by this worker, where the cache
    is shared (elsewhere thread_states is as cheap already: see its docstring)."""
    if not settings.MEYDAN_SHARED_CACHE:
        return thread_states(site_id, keys)
    now = time.monotonic()
    found: dict[str, ThreadState] = {}
    missing = []
    for key in keys:
        item = _recent.get((site_id, key))
        if item is not None and now - item[0] < seconds:
            found[key] = item[1]
        else:
            missing.append(key)
    if missing:
        forgotten = _forgotten[0]
        fresh = thread_states(site_id, missing)
        # A state forgotten while it was read may be the one from before the change:
        # used for this answer (as it would have been), not kept.
        if forgotten == _forgotten[0]:
            if len(_recent) >= _RECENT_KEPT:
                _recent.clear()
            for key, state in fresh.items():
                _recent[(site_id, key)] = (now, state)
        found.update(fresh)
    return found


def thread_state_recent(site_id: int, key: str) -> ThreadState:
    """One page's state for the fast path (READ_SECONDS)."""
    return thread_states_recent(site_id, (key,), READ_SECONDS)[key]


def thread_states_for_counts(site_id: int, keys) -> dict[str, ThreadState]:
    return thread_states_recent(site_id, list(dict.fromkeys(keys)), COUNTS_SECONDS)


def counts_forget() -> None:
    _recent.clear()


def _raw_states(backend, site_id: int, keys: list[str]) -> dict[str, ThreadState]:
    """thread_states through Redis as b"id:version:count" strings (core.cache says why)."""
    raw_keys = [backend.raw_key(thread_state_key(site_id, key)) for key in keys]
    states, missing = {}, []
    for key, value in zip(keys, backend.raw_get_many(raw_keys), strict=True):
        if value is None:
            missing.append(key)
        else:
            id_, version, count = value.split(b":")
            states[key] = ThreadState(int(id_), int(version), int(count))
    if missing:
        fresh = _states_from_db(site_id, missing)
        backend.raw_set_many(
            {
                backend.raw_key(thread_state_key(site_id, key)): b"%d:%d:%d" % state
                for key, state in fresh.items()
            },
            STATE_SECONDS,
        )
        states.update(fresh)
    return states


def _states_from_db(site_id: int, keys: list[str]) -> dict[str, ThreadState]:
    """One indexed query (site_id, key is unique). Written as SQL rather than through
    the ORM: this runs on every read when the cache is not shared, and building the
    ORM query cost more than running it (bench/profile_request.py)."""
    states = dict.fromkeys(keys, NO_THREAD)
    with connection.cursor() as cursor:
        cursor.execute(sqlrows.statement(_states_sql, len(keys)), [site_id, *keys])
        for key, *state in cursor.fetchall():
            states[key] = ThreadState(*state)
    return states


class _SqliteStates(threading.local):
    raw = None  # the connection the states were read on (held: its id is never reused)
    stamp: tuple | None = None
    states: dict | None = None


_sqlite_memo = _SqliteStates()
_SQLITE_MEMO_ENTRIES = 20_000


def sqlite_stamp(raw) -> tuple:
    """Changes whenever the database may have changed under this connection.

    PRAGMA data_version changes when another connection (another worker) commits;
    total_changes counts this connection's own writes. Both unchanged: every row
    this connection read since is still what the database holds.
    """
    return (raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes)


def _sqlite_states(db, site_id: int, keys: list[str]) -> dict[str, ThreadState]:
    """Thread states remembered per worker thread for as long as nothing at all was
    committed to the database (by any process): a read costs one PRAGMA, not a query."""
    raw = db.connection
    if raw is None:
        db.ensure_connection()
        raw = db.connection
    stamp = sqlite_stamp(raw)
    memo = _sqlite_memo
    if (
        memo.raw is not raw  # a new connection: its counters started afresh
        or memo.stamp != stamp
        or len(memo.states) > _SQLITE_MEMO_ENTRIES
    ):
        memo.raw, memo.stamp, memo.states = raw, stamp, {}
    known = memo.states
    missing = [key for key in keys if (site_id, key) not in known]
    if missing:
        for key, state in _states_from_db(site_id, missing).items():
            known[(site_id, key)] = state
    return {key: known[(site_id, key)] for key in keys}


def _states_sql(n: int) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _FIELDS)
    placeholders = ", ".join(["%s"] * n)
    table = quote(Thread._meta.db_table)
    where = f"{quote('site_id')} = %s AND {quote('key')} IN ({placeholders})"
    return f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608 - names from the model


def thread_state_forget(pages) -> None:
    """Drop the cached states of these (site id, page key) pairs: the callers know
    them, so forgetting needs no query after the commit."""
    pages = list(pages)
    _forgotten[0] += 1
    for page in pages:
        _recent.pop(page, None)
    backend = _backend()
    state_keys = [thread_state_key(site_id, key) for site_id, key in pages]
    if hasattr(backend, "raw_delete_many"):
        backend.raw_delete_many([backend.raw_key(key) for key in state_keys])
    else:
        backend.delete_many(state_keys)


def page_state_forget(site_id: int, key: str) -> None:
    """A thread was created for this page: forget the cached "no thread yet"."""
    thread_state_forget([(site_id, key)])


# --- Payloads ----------------------------------------------------------------------
# A payload's key holds the thread's version, so its bytes never change: every worker
# may keep the ones it served in its own memory, in front of the Django cache (which
# unpickles, or fetches from Redis, on every get). Bounded in bytes, least recently
# used out first. A payload is the page's JSON in plain, gzip and Brotli bytes: all
# three in the shared cache, made when the page is built; in a worker's own memory the
# codings its readers asked for, another made from them when first asked for
# (core/compression.py, Payload): a read picks the bytes.


def payload_key(site_id: int, thread_id: int, version: int, page: int, order: str) -> str:
    return f"meydan:api-thread:{site_id}:{thread_id}:{version}:{page}:{order}"


class Payload:
    """A page's JSON in the codings made of it so far (plain, gzip, Brotli).

    With a cache every worker shares (Redis), the builder makes both compressed forms
    at once and the shared cache keeps all three (`of`), so that no worker compresses
    again. What a worker keeps in its own memory, and all that the local-memory layout
    keeps, is the coding its readers asked for: a page built or fetched for a reader
    who accepts Brotli is kept as its Brotli bytes alone (about a fifth of the JSON),
    and another coding is made from it when first asked for (`body`), once per version
    per worker. Browsers all accept Brotli; `make bench`'s plain read keeps plain JSON,
    its gzip read gzip alone (201 pages of ~86 KB: ~17 MB of JSON, ~4 MB of gzip).

    A page still asked for in Brotli MEYDAN_BROTLI_SETTLE_SECONDS after this worker
    got it is compressed again at Brotli's slowest quality, in the background
    (compression.settler), and those bytes replace the first ones (`settled`): a
    page that changes every few seconds is never worth it, one that has settled is
    read many times more."""

    __slots__ = ("plain", "gzip", "br", "key", "born", "settling", "settled")

    def __init__(self, plain: bytes | None, gzip: bytes | None = None, br: bytes | None = None):
        self.plain, self.gzip, self.br = plain, gzip, br
        self.key: str | None = None  # where the local store keeps it (its size grows)
        self.born = time.monotonic()
        self.settling = False  # offered to the settler (once)
        self.settled: bytes | None = None  # the Brotli bytes at the slowest quality

    @classmethod
    def of(cls, plain: bytes) -> "Payload":
        """All three codings (for the shared cache)."""
        forms = compression.compressed(plain)
        return cls(plain, forms.get(compression.GZIP), forms.get(compression.BROTLI))

    @classmethod
    def made(cls, plain: bytes, coding: str | None) -> "Payload":
        """The page in the coding a reader asked for, and in no other."""
        if coding in (compression.GZIP, compression.BROTLI) and len(plain) >= compression.MIN_BYTES:
            return cls(None, **{_FORMS[coding]: compression.compress(plain, coding)})
        return cls(plain)

    def __iter__(self):  # tuple(payload): what the shared cache stores
        return iter((self.plain, self.gzip, self.br))

    def __eq__(self, other) -> bool:
        return isinstance(other, Payload) and tuple(self) == tuple(other)

    __hash__ = None

    def body(self, coding: str | None) -> tuple[bytes, str | None]:
        """(bytes, coding) for a reader who accepts `coding` ("br", "gzip" or None):
        the plain bytes where that form is not worth making. A coding not held yet is
        made now from one that is, and kept (two readers at once may both make it: the
        same bytes)."""
        name = _FORMS.get(coding)
        if name is not None and (self.plain is None or len(self.plain) >= compression.MIN_BYTES):
            form = getattr(self, name)
            if form is None:
                form = compression.compress(self.json(), coding)
                setattr(self, name, form)
                local_payloads.grown(self)
            elif coding == compression.BROTLI and not self.settling:
                self._offer_to_settle()
            return form, coding
        plain = self.plain
        if plain is None:
            plain = self.plain = self.json()
            local_payloads.grown(self)
        return plain, None

    def etag(self, etag: str, body: bytes, coding: str | None) -> str:
        """The ETag of `body`, as body() gave it: the settled Brotli bytes have their
        own (compression.etag_for_coding)."""
        return compression.etag_for_coding(etag, coding, settled=body is self.settled)

    def _offer_to_settle(self) -> None:
        seconds = settings.MEYDAN_BROTLI_SETTLE_SECONDS
        if seconds and time.monotonic() - self.born >= seconds:
            self.settling = compression.settler.offer(self._settle)

    def _settle(self) -> None:
        """Brotli at the slowest quality, in place of the bytes held (the settler's
        thread). `settled` is set before `br`: a reader who is given the new bytes
        finds them named as such."""
        if self.settled is not None:
            return
        plain = self.json()
        smaller = False
        if len(plain) <= compression.SETTLE_MAX_BYTES:
            better = compression.compress_settled(plain)
            smaller = self.br is not None and len(better) < len(self.br)
            if smaller:
                self.settled = better
                self.br = better
                local_payloads.grown(self)
        metrics.read_page_settled(smaller)

    def json(self) -> bytes:
        """The plain JSON: held, or decompressed from a form that is."""
        if self.plain is not None:
            return self.plain
        if self.br is not None:
            return compression.decompress(self.br, compression.BROTLI)
        return compression.decompress(self.gzip, compression.GZIP)

    def size(self) -> int:
        return len(self.plain or b"") + len(self.gzip or b"") + len(self.br or b"")

    def kept(self, coding: str | None) -> "Payload":
        """What a worker keeps of a payload from the shared cache: the coding its reader
        asked for (the plain bytes where that form was not worth making)."""
        name = _FORMS.get(coding)
        form = getattr(self, name) if name is not None else None
        if form is None:
            return Payload(self.plain)
        return Payload(None, **{name: form})


_FORMS = {compression.GZIP: "gzip", compression.BROTLI: "br"}


class _LocalPayloads:
    def __init__(self, max_bytes: int, seconds: int):
        self.max_bytes, self.seconds = max_bytes, seconds
        self.size = 0
        # key -> (expiry, payload, the bytes counted for it)
        self.items: OrderedDict[str, tuple[float, Payload, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Payload | None:
        with self.lock:
            item = self.items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():  # as long as the shared cache would keep it
                del self.items[key]
                self.size -= item[2]
                return None
            self.items.move_to_end(key)
            return item[1]

    def put(self, key: str, value: Payload) -> None:
        size = value.size()
        if size > self.max_bytes // 4:
            return  # one huge page must not empty the whole store
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= old[2]
            value.key = key
            self.items[key] = (time.monotonic() + self.seconds, value, size)
            self.size += size
            self._shrink()

    def grown(self, value: Payload) -> None:
        """A coding of `value` was made after it was stored: count its bytes."""
        if value.key is None:
            return
        with self.lock:
            item = self.items.get(value.key)
            if item is None or item[1] is not value:
                return  # not (or no longer) here
            size = value.size()
            self.items[value.key] = (item[0], value, size)
            self.size += size - item[2]
            self._shrink()

    def _shrink(self) -> None:
        while self.size > self.max_bytes:
            _, (_, _, dropped) = self.items.popitem(last=False)
            self.size -= dropped

    def discard(self, key: str) -> None:
        with self.lock:
            item = self.items.pop(key, None)
            if item is not None:
                self.size -= item[2]

    def forget(self, prefix: str) -> None:
        with self.lock:
            for key in [key for key in self.items if key.startswith(prefix)]:
                self.size -= self.items.pop(key)[2]

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


local_payloads = _LocalPayloads(settings.MEYDAN_LOCAL_PAYLOAD_BYTES, PAYLOAD_SECONDS)


def _backend():
    return caches["default"]  # looked up per call: tests swap the cache settings


def _local_only(backend) -> bool:
    """With a local-memory cache, the local store is that memory already."""
    return isinstance(backend, LocMemCache) and local_payloads.max_bytes > 0


def payload_get(key: str, *, count_miss: bool = True, coding: str | None = None) -> Payload | None:
    """A thread page's cached payload, or None. Counted (meydan_read_cache_lookups),
    a miss only with `count_miss`: the fast path's miss goes on to Django's view,
    which looks again, and a reader's request must count once. `coding`: the one the
    reader will be sent, kept in this worker's copy of a payload from the shared cache."""
    backend = _backend()
    if isinstance(backend, DummyCache):
        if count_miss:
            metrics.read_cache_lookup(hit=False)
        return None  # caching switched off
    value = local_payloads.get(key)
    if value is None and not _local_only(backend):
        value = backend.get(key)
        if isinstance(value, tuple) and value and isinstance(value[0], bytes):
            value = Payload(*value)
            local_payloads.put(key, value.kept(coding))
        else:
            value = None  # absent, or written by an older version of Meydan
    if value is not None or count_miss:
        metrics.read_cache_lookup(hit=value is not None)
    return value


def payload_set(key: str, plain: bytes, coding: str | None = None) -> Payload:
    """Cache a page's JSON: in all three codings in a shared cache, in the one its
    reader asked for (`coding`) in the worker's own memory (Payload)."""
    backend = _backend()
    if isinstance(backend, DummyCache):
        return Payload(plain)
    if _local_only(backend):
        value = Payload.made(plain, coding)
    else:
        value = Payload.of(plain)
        backend.set(key, tuple(value), PAYLOAD_SECONDS)
        local_payloads.put(key, value.kept(coding))
        return value
    local_payloads.put(key, value)
    return value


# --- One build per version ---------------------------------------------------------
# When a busy thread changes, every reader who asks before its new page is cached
# misses at once. Without more, each of them would build the same page (thirty-two
# readers: thirty-two times the queries and the compression). The first one builds;
# the others wait for its bytes: in this process on an Event, and across processes
# that share the cache (MEYDAN_SHARED_CACHE) on a short lock in it, polling the cache.

BUILD_LOCK_SECONDS = 10  # a builder that died lets go of the lock after this
BUILD_WAIT_SECONDS = 2.0  # then a waiter builds the page itself
BUILD_POLL_SECONDS = 0.005

_building: dict[str, threading.Event] = {}
_building_lock = threading.Lock()


def payload_build(key: str, build, before=None, coding: str | None = None) -> Payload:
    """The cached payload at `key`, or `build()`'s bytes cached there, built once
    however many readers ask at the same time (counted: meydan_read_page_builds).

    `before()`, when given, may answer a reader who would wait for another's build
    (see page_payload); None from it, and the reader waits."""
    with _building_lock:
        event = _building.get(key)
        leader = event is None
        if leader:
            event = _building[key] = threading.Event()
    if not leader:
        if before is not None and (older := before()) is not None:
            return older
        event.wait(BUILD_WAIT_SECONDS)
        found = payload_get(key, count_miss=False, coding=coding)
        if found is not None:
            return found
        return _build(key, build, coding)  # the builder failed or took too long
    try:
        return _build_shared(key, build, before, coding)
    finally:
        with _building_lock:
            _building.pop(key, None)
        event.set()


def _build_shared(key: str, build, before, coding: str | None) -> Payload:
    backend = _backend()
    if not settings.MEYDAN_SHARED_CACHE or isinstance(backend, DummyCache):
        return _build(key, build, coding)
    lock = f"{key}:building"
    if backend.add(lock, 1, BUILD_LOCK_SECONDS):
        try:
            # Another process may have built it and let go of the lock between this
            # reader's miss and its lock: look once more (1.02 builds per version in
            # `make bench`'s hot thread before).
            found = payload_get(key, count_miss=False, coding=coding)
            return found if found is not None else _build(key, build, coding)
        finally:
            backend.delete(lock)
    if before is not None and (older := before()) is not None:
        return older  # another process builds it
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while time.monotonic() < deadline:  # another process builds it
        time.sleep(BUILD_POLL_SECONDS)
        found = payload_get(key, count_miss=False, coding=coding)
        if found is not None:
            return found
    return _build(key, build, coding)


def _build(key: str, build, coding: str | None) -> Payload:
    metrics.read_page_built()
    return payload_set(key, build(), coding)


# --- The page before, while the new one is built ----------------------------------
# On a thread that changes many times a second (a breaking story), each new version
# would make every reader who asks before its page is built wait for that build: on
# PostgreSQL tens of milliseconds, twenty times a second. Instead one reader builds
# it and the others are answered at once with the newest older version of the same
# page this process holds, as what it is (its own ETag, not kept by proxies), for at
# most BEFORE_SECONDS after the new version was first asked for here: no longer than
# nginx's micro-cache may keep a page (docs/scaling.md), so an erased comment is gone
# as soon as before. A reader who needs the new page (no older one here, or waited
# long enough) waits for the build as before.

BEFORE_SECONDS = 1.0


class Page(NamedTuple):
    """A page of a thread, whatever its version."""

    site_id: int
    thread_id: int
    number: int
    view: str


# Per page: (the newest version held here, the newest asked for, when first asked).
_pages: dict[Page, tuple[int, int, float]] = {}
_PAGES_KEPT = 20_000


def page_payload(page: Page, version: int, build, coding: str | None = None) -> tuple[Payload, int]:
    """(payload, its version): `version`'s page, found or built once (payload_build);
    or, while another reader builds it, the newest older version held here."""
    key = payload_key(page.site_id, page.thread_id, version, page.number, page.view)
    payload = payload_get(key, coding=coding)
    known = _pages.get(page)
    if known is not None and version < known[0]:
        known = None  # an older version asked for (or a reused id): start afresh
    if payload is None:
        now = time.monotonic()
        if known is None or known[1] < version:
            known = (known[0] if known else -1, version, now)
            _remember(page, known)
        held, _asked, asked_at = known
        answered: list[int] = []

        def before() -> Payload | None:
            if held < 0 or held >= version or time.monotonic() - asked_at > BEFORE_SECONDS:
                return None
            found = local_payloads.get(
                payload_key(page.site_id, page.thread_id, held, page.number, page.view)
            )
            if found is not None:
                metrics.read_page_before()
                answered.append(held)
            return found

        payload = payload_build(key, build, before, coding)
        if answered:
            return payload, answered[0]
        known = _pages.get(page)
    if known is None or known[0] < version:
        _remember(page, (version, max(version, known[1] if known else 0), 0.0))
        if known is not None and known[0] >= 0:
            # The version before is never asked for again (a reader asks for the
            # thread's version, and `before` for the newest held): a thread that
            # changes twenty times a second would fill the store with dead pages.
            local_payloads.discard(
                payload_key(page.site_id, page.thread_id, known[0], page.number, page.view)
            )
    return payload, version


def pages_forget() -> None:
    _pages.clear()


def _remember(page: Page, state: tuple[int, int, float]) -> None:
    if len(_pages) >= _PAGES_KEPT and page not in _pages:
        _pages.clear()
    _pages[page] = state


def thread_payloads_forget(site_id: int, thread_id: int, *, versions: int = 50, pages: int = 20):
    """Drop a thread's cached pages (after an erase: its text must not linger in a
    cache). New versions are never served stale anyway; this removes the copies:
    from this process's store (every version) and from the shared cache (the last
    `versions` versions, `pages` pages each: older entries have expired). Other
    processes' local stores never serve them and let them expire (PAYLOAD_SECONDS)."""
    from meydan.comments.models import Thread

    local_payloads.forget(f"meydan:api-thread:{site_id}:{thread_id}:")
    backend = _backend()
    if isinstance(backend, DummyCache) or _local_only(backend):
        return
    current = Thread.objects.filter(pk=thread_id).values_list("version", flat=True).first() or 0
    keys = [
        payload_key(site_id, thread_id, version, page, order)
        for version in range(max(0, current - versions), current + 1)
        for page in range(1, pages + 1)
        for order in ("oldest", "newest", "top", "picks")
    ]
    backend.delete_many(keys)
