"""PUBLISH a thread's published comment count on Redis, for the stream servers.

A message is JSON `[site id, page key, count, version]` on MEYDAN_LIVE_CHANNEL: the
count itself rather than "something changed", so a stream server forwards it without a
lookup, and a message lost or repeated does no harm (the next one carries the truth).
The thread's version orders them: two commits close together are read and published
by two processes, and their messages may arrive in the other order; a stream server
keeps the newer.
Publishing never fails a write: the change is committed already; a Redis that does
not answer costs at most PUBLISH_TIMEOUT and a line in the log.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 0.5  # seconds
# One connection per thread and URL, kept (as core.cache's DirectClient does for the
# cache): redis-py's client checked a connection out of its pool and back for every
# PUBLISH, a posted comment's CPU for nothing.
_local = threading.local()


def message(site_id: int, key: str, count: int, version: int) -> bytes:
    return json.dumps([site_id, key, count, version], separators=(",", ":")).encode()


def _connection(url: str) -> redis.Connection:
    if getattr(_local, "pid", None) != os.getpid():  # never a parent's sockets
        _local.pid, _local.connections = os.getpid(), {}
    connection = _local.connections.get(url)
    if connection is None:
        import redis

        pool = redis.ConnectionPool.from_url(
            url, socket_timeout=PUBLISH_TIMEOUT, socket_connect_timeout=PUBLISH_TIMEOUT
        )
        connection = _local.connections[url] = pool.make_connection()
    return connection


def count_publish(site_id: int, key: str, count: int, version: int) -> bool:
    """Announce the count to every stream server; False when it could not be sent (or
    no Redis is configured: then there is no stream, and pages poll)."""
    url = settings.MEYDAN_LIVE_REDIS_URL
    if not url:
        return False
    # Here, not at the top: this module is imported by every process (live/receivers),
    # and redis-py costs each one about 8 MB; only those with a stream need it.
    import redis

    connection = _connection(url)
    try:
        connection.send_command(
            "PUBLISH", settings.MEYDAN_LIVE_CHANNEL, message(site_id, key, count, version)
        )
        connection.read_response()
    except (redis.RedisError, OSError) as error:
        connection.disconnect()  # connected again on the next publish
        logger.warning("live update for site %s not published: %s", site_id, error)
        return False
    return True
