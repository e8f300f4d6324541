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

django-redis has IGNORE_EXCEPTIONS for this; we keep Django's own Redis backend (one
dependency fewer, the same client) and add the few lines here.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        # A Redis that is down answers "connection refused" at once; one that is
        # unreachable must not hold a request for longer than this.
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def ping(self) -> None:
        """Raises when Redis does not answer (for /readyz); ignores the pause."""
        self._cache.get_client(write=True).ping()
        self._down_until = 0.0

    def _call(self, fallback, method, *args, **kwargs):
        if self._down_until and time.monotonic() < self._down_until:
            return fallback
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except OUTAGE as error:
            with self._lock:
                first = not self._down_until
                self._down_until = time.monotonic() + RETRY_SECONDS
            if first:
                logger.warning("cache unavailable (%s): serving without it", type(error).__name__)
            return fallback
        if self._down_until:
            with self._lock:
                if self._down_until:
                    self._down_until = 0.0
                    logger.warning("cache available again")
        return result

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
