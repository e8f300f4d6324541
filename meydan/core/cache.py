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

import hashlib
import logging
import os
import threading
import time
from contextlib import contextmanager

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
_RAW_WRITES = {"raw_set", "raw_delete"}
RAW = "raw"  # in place of a cache version: a raw_key()
_ABSENT = object()  # prefetched: the key had no value


class DirectClient(RedisCacheClient):
    """Django's Redis cache client, sending its commands on one connection per thread.

    Django's own client makes a new redis.Redis per command (redis-py builds a table
    of a few hundred response callbacks in each: 75 µs), and redis-py checks a
    connection out of its pool and back around every command, with its bookkeeping:
    on PostgreSQL + Redis, the cache's commands cost a posted comment more CPU than
    its SQL did (bench/post_profile.py, profiled). These methods send the same
    commands, with the same values (Django's serializer) and the same answers, on a
    connection this thread keeps (to the primary for writes, to a replica for reads
    when LOCATION names replicas). get_client() still gives a redis.Redis, one per
    pool, kept (for ping and anything else that needs one).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}
        self._local = threading.local()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def send(self, *commands, write=True):
        """Send these commands in one write and read their answers (the first's when
        there is one command) on this thread's own connection."""
        index = self._get_connection_pool_index(write)
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # never a parent's sockets
            local.pid, local.connections = os.getpid(), {}
        connection = local.connections.get(index)
        if connection is None:
            pool = self._get_connection_pool(write)
            connection = pool.connection_class(**pool.connection_kwargs)
            local.connections[index] = connection
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            answers = [connection.read_response() for _ in commands]
        except BaseException:
            connection.disconnect()  # an answer may be left unread: start clean
            raise
        return answers[0] if len(commands) == 1 else answers

    # Django's RedisCacheClient, command for command (timeouts: None keeps the key,
    # 0 deletes it, as RedisCache.get_backend_timeout says).

    def add(self, key, value, timeout):
        value = self._serializer.dumps(value)
        if timeout == 0:
            added = self.send(("SET", key, value, "NX")) is not None
            if added:
                self.send(("DEL", key))
            return added
        return self.send(("SET", key, value, *_ex(timeout), "NX")) is not None

    def get(self, key, default):
        value = self.send(("GET", key), write=False)
        return default if value is None else self._serializer.loads(value)

    def set(self, key, value, timeout):
        if timeout == 0:
            self.send(("DEL", key))
        else:
            self.send(("SET", key, self._serializer.dumps(value), *_ex(timeout)))

    def touch(self, key, timeout):
        if timeout is None:
            return bool(self.send(("PERSIST", key)))
        return bool(self.send(("EXPIRE", key, timeout)))

    def delete(self, key):
        return bool(self.send(("DEL", key)))

    def get_many(self, keys):
        keys = list(keys)
        if not keys:
            return {}
        values = self.send(("MGET", *keys), write=False)
        loads = self._serializer.loads
        return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def has_key(self, key):
        return bool(self.send(("EXISTS", key), write=False))

    def incr(self, key, delta):
        if not self.send(("EXISTS", key)):
            raise ValueError(f"Key '{key}' not found.")
        return self.send(("INCRBY", key, delta))

    def set_many(self, data, timeout):
        dumps = self._serializer.dumps
        commands = [("MSET", *[part for k, v in data.items() for part in (k, dumps(v))])]
        if timeout is not None:
            commands += [("EXPIRE", key, timeout) for key in data]
        self.send(*commands)

    def delete_many(self, keys):
        self.send(("DEL", *keys))

    def clear(self):
        return self.send(("FLUSHDB",)) == b"OK"


# KEYS: the previous and the current window's counters; ARGV: the previous one's
# weight, the limit, the current one's expiry. Lua numbers are doubles, as Python's.
_WINDOW_HIT = """
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[1]) + current + 1 > tonumber(ARGV[2]) then
  return {previous, current, 0}
end
current = redis.call('INCR', KEYS[2])
if current == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {previous, current, 1}
"""
_WINDOW_HIT_SHA = hashlib.sha1(_WINDOW_HIT.encode()).hexdigest()  # noqa: S324 - Redis's script id


def _ex(timeout) -> tuple:
    return () if timeout is None else ("EX", timeout)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        # A Redis that is down answers "connection refused" at once; one that is
        # unreachable must not hold a request for longer than this.
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._class = DirectClient
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._missed: set = set()
        self._missed_overflow = False
        # Django keeps a cache backend per thread: the prefetched values are this
        # thread's (key -> value or _ABSENT), for the length of prefetched().
        self._memo: dict | None = None

    def make_and_validate_key(self, key, version=None):
        # Django checks every key against memcached's rules (250 characters, no
        # spaces or control characters) and warns: about 4 µs a key, twenty keys per
        # counts request, for a warning Redis never needs (it takes any bytes).
        return self.make_key(key, version=version)

    def ping(self) -> None:
        """Raises when Redis does not answer (for /readyz); ignores the pause."""
        if self._down_until:
            self._recover()  # drops what was missed, then uses Redis again
        else:
            self._cache.get_client(write=True).ping()

    def _call(self, fallback, method, *args, **kwargs):
        return self._guarded(
            fallback, lambda: getattr(super(ResilientRedisCache, self), method)(*args, **kwargs),
            method, args,
        )  # fmt: skip

    def _guarded(self, fallback, call, method, args):
        """call(), or `fallback` while Redis is away (remembering a write's keys)."""
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
            return call()
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
        if method in _RAW_WRITES:
            keys, version = list(args[0]), RAW
        elif method in _WRITES:
            keys = args[0]
            keys = list(keys) if method in ("set_many", "delete_many") else [keys]
            version = args[-1] if method != "set_many" else args[2]
        else:
            return
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
                if version is RAW:
                    self._raw(("DEL", *keys))
                else:
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

    @contextmanager
    def prefetched(self, keys):
        """Within: get() of these keys (default version) answers from one MGET made
        on entry, unless this thread wrote the key since (then Redis again). Others'
        writes meanwhile are seen as a read made at entry would have seen them."""
        found = self.get_many(keys)
        outer = self._memo
        self._memo = {**(outer or {}), **{key: found.get(key, _ABSENT) for key in keys}}
        try:
            yield
        finally:
            self._memo = outer

    def _forget_prefetched(self, keys) -> None:
        if self._memo:
            for key in keys:
                self._memo.pop(key, None)

    def get(self, key, default=None, version=None):
        if self._memo and version is None:
            value = self._memo.get(key, self._memo)
            if value is not self._memo:
                return default if value is _ABSENT else value
        return self._call(default, "get", key, default, version)

    def get_many(self, keys, version=None):
        return self._call({}, "get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call(False, "has_key", key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_prefetched([key])
        return self._call(None, "set", key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_prefetched([key])
        return self._call(False, "add", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, "touch", key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        self._forget_prefetched(data)
        return self._call(list(data), "set_many", data, timeout, version)

    def delete(self, key, version=None):
        self._forget_prefetched([key])
        return self._call(False, "delete", key, version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._forget_prefetched(keys)
        return self._call(None, "delete_many", keys, version)

    def incr(self, key, delta=1, version=None):
        # As if the key had just been created at 0 (decr comes here too): a rate
        # limit counts nothing while Redis is away.
        self._forget_prefetched([key])
        return self._call(delta, "incr", key, delta, version)

    def clear(self):
        self._forget_prefetched(list(self._memo or ()))
        return self._call(None, "clear")

    # --- Short strings, for the keys read on every request -------------------------
    # A thread's state ("id:version:count") is asked for on every read, and twenty at
    # a time for the counts; rate-limit counters on every post. Through the cache API
    # above they would each be a Django key (a version prefix, made per call) and a
    # pickle; these store the bytes as given under their own keys (raw_key), never
    # read through the API above, on the same connection (bench/redis_states.py
    # compares both). An outage answers as for the rest of the cache: misses, and
    # the written keys deleted on recovery.

    def raw_key(self, key: str) -> str:
        return f"{self.key_prefix}:raw:{key}"

    def raw_get_many(self, keys: list[str]) -> list:
        """The values at these raw_key()s, bytes or None, in order."""
        return self._guarded([None] * len(keys), lambda: self._raw(("MGET", *keys)), "mget", ())

    def raw_set_many(self, values: dict[str, bytes], seconds: int) -> None:
        commands = [("SET", key, value, "EX", seconds) for key, value in values.items()]
        self._guarded(None, lambda: self._raw(*commands), "raw_set", (values,))

    def raw_incr(self, key: str, seconds: int) -> int:
        """Add one to the counter at `key` (made at 0, to expire in `seconds`); its new
        value. While Redis is away, 1: a rate limit counts nothing (as incr above)."""
        made = ("SET", key, 0, "EX", seconds, "NX")  # EXPIRE's NX needs Redis 7
        return self._guarded(1, lambda: self._raw(made, ("INCR", key))[1], "incr", ())

    def raw_window_hit(
        self, previous: str, current: str, weight: float, limit: int, seconds: int
    ) -> tuple[int, int, bool]:
        """A sliding window's hit (core.ratelimit.hit) in one round trip: the counts
        at raw_key()s `previous` and `current`, and whether one more event fits
        under `limit` (previous x weight + current + 1 <= limit); if it does it is
        counted (current made at 0, to expire in `seconds`). (previous, current
        after counting, counted). Atomic: two posts at once cannot both take the
        last place. While Redis is away: (0, 0, True), a rate limit counts nothing."""
        args = (2, previous, current, repr(weight), limit, seconds)
        return self._guarded((0, 0, True), lambda: self._window_hit(args), "window_hit", ())

    def _window_hit(self, args) -> tuple[int, int, bool]:
        from redis.exceptions import NoScriptError

        try:
            answer = self._raw(("EVALSHA", _WINDOW_HIT_SHA, *args))
        except NoScriptError:  # Redis restarted, or another database: send it whole
            answer = self._raw(("EVAL", _WINDOW_HIT, *args))
        return int(answer[0]), int(answer[1]), bool(answer[2])

    def raw_delete_many(self, keys: list[str]) -> None:
        if keys:
            self._guarded(None, lambda: self._raw(("DEL", *keys)), "raw_delete", (keys,))

    def _raw(self, *commands):
        return self._cache.send(*commands)
