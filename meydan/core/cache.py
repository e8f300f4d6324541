"""The Redis cache, when Redis goes away: a miss, not an error page.

Everything Meydan keeps in the cache can be rebuilt from the database (thread pages,
counts, site and origin lookups) or may be lost for a while (rate-limit counters, the
"someone is banned" flags), so an unreachable Redis must not stop reading or posting.
Django's RedisCache raises on every call instead; this subclass answers as an empty
cache that keeps nothing, logs the outage once, and tries Redis again every
RETRY_SECONDS, so that requests do not each wait for a connection that is not coming.

What degrades while Redis is down: every read is built from the database (slower,
more queries), rate limits count nothing (a flood is held back by the other
moderation checks only), widget sign-in tokens and cached sites are looked up again.
`/readyz` still reports the outage (ping() below raises).

What Redis keeps across its own restart (its data file) or a network partition was
right before the outage, not after it: a thread that got comments meanwhile would be
served from its old entry for up to an hour after Redis returned
(bench/drills/redis_outage.py: 0 of 3 such comments shown 18 s later). So each process
remembers the keys it could not write or delete while Redis was away (up to
MAX_MISSED) and deletes them as soon as Redis answers again: those entries are then
rebuilt from the database.

django-redis has IGNORE_EXCEPTIONS for this; we keep Django's own Redis backend (one
dependency fewer, the same client) and add the few lines here.

Only settings name this module (when MEYDAN_CACHE_URL is redis://), and Django imports
it with the cache on first use: nothing else may import it, so that a process on the
local-memory cache never loads redis-py (about 8 MB of each worker's memory). What
other modules share about the cache lives in core/shared_cache.py.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 5.0
MAX_MISSED = 20_000
# Writes whose key must not keep an older value once Redis is back (incr: rate-limit
# counters, which may as well keep counting).
_WRITES = {"set", "add", "touch", "set_many", "delete", "delete_many"}


class SharedClients(RedisCacheClient):
    """Django's client with one redis.Redis per connection pool, made once.

    Django's own makes a new redis.Redis for every command, and redis-py builds its
    table of response callbacks (a few hundred entries) in each: on PostgreSQL +
    Redis that was about a fifth of a cached thread read's time (`make bench`,
    meydan-pg, profiled). A redis.Redis holds no connection of its own (it takes one
    from the pool per command), so one may serve every thread of a process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        # A Redis that is down answers "connection refused" at once; one that is
        # unreachable must not hold a request for longer than this.
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._class = SharedClients
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._missed: set = set()
        self._missed_overflow = False

    def ping(self) -> None:
        """Raises when Redis does not answer (for /readyz); ignores the pause."""
        if self._down_until:
            self._recover()  # drops what was missed, then uses Redis again
        else:
            self._cache.get_client(write=True).ping()

    def _call(self, fallback, method, *args, **kwargs):
        if self._down_until:
            if time.monotonic() < self._down_until:
                self._remember(method, args)
                return fallback
            # The pause is over: drop what this process could not write first (it is
            # also the probe), so that this call's own write is not dropped after it.
            try:
                self._recover()
            except OUTAGE:
                self._pause()
                self._remember(method, args)
                return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except OUTAGE as error:
            if self._pause():
                logger.warning("cache unavailable (%s): serving without it", type(error).__name__)
            self._remember(method, args)
            return fallback

    def _pause(self) -> bool:
        """Stop asking Redis for RETRY_SECONDS; True when the outage starts now."""
        with self._lock:
            first = not self._down_until
            self._down_until = time.monotonic() + RETRY_SECONDS
        return first

    def _remember(self, method: str, args) -> None:
        if method not in _WRITES:
            return
        keys = args[0]
        keys = list(keys) if method in ("set_many", "delete_many") else [keys]
        version = args[-1] if method != "set_many" else args[2]
        with self._lock:
            if len(self._missed) + len(keys) > MAX_MISSED:
                self._missed_overflow = True
                return
            self._missed.update((key, version) for key in keys)

    def _recover(self) -> None:
        """Delete what this process changed in the database but could not tell Redis
        (raises while Redis is still away), then use Redis again."""
        with self._lock:
            missed, overflow = set(self._missed), self._missed_overflow
        by_version: dict = {}
        for key, version in missed:
            by_version.setdefault(version, []).append(key)
        if by_version:
            for version, keys in by_version.items():
                super().delete_many(keys, version)
        else:
            self._cache.get_client(write=True).ping()
        with self._lock:
            if not self._down_until:
                return  # another thread recovered meanwhile
            self._down_until = 0.0
            self._missed -= missed
            self._missed_overflow = False
        logger.warning(
            "cache available again (%d entries changed during the outage dropped%s)",
            len(missed),
            f"; over {MAX_MISSED} were changed: some may be stale for up to an hour"
            if overflow
            else "",
        )

    def get(self, key, default=None, version=None):
        return self._call(default, "get", key, default, version)

    def get_many(self, keys, version=None):
        return self._call({}, "get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call(False, "has_key", key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, "set", key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, "add", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, "touch", key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), "set_many", data, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, "delete", key, version)

    def delete_many(self, keys, version=None):
        return self._call(None, "delete_many", keys, version)

    def incr(self, key, delta=1, version=None):
        # As if the key had just been created at 0 (decr comes here too): a rate
        # limit counts nothing while Redis is away.
        return self._call(delta, "incr", key, delta, version)

    def clear(self):
        return self._call(None, "clear")
