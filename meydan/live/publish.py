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
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 0.5  # seconds
_clients: dict[str, redis.Redis] = {}


def message(site_id: int, key: str, count: int, version: int) -> bytes:
    return json.dumps([site_id, key, count, version], separators=(",", ":")).encode()


def _client(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        import redis

        client = _clients[url] = redis.Redis.from_url(
            url, socket_timeout=PUBLISH_TIMEOUT, socket_connect_timeout=PUBLISH_TIMEOUT
        )
    return client


def count_publish(site_id: int, key: str, count: int, version: int) -> bool:
    """Announce the count to every stream server; False when it could not be sent (or
    no Redis is configured: then there is no stream, and pages poll)."""
    url = settings.MEYDAN_LIVE_REDIS_URL
    if not url:
        return False
    # Here, not at the top: this module is imported by every process (live/receivers),
    # and redis-py costs each one about 8 MB; only those with a stream need it.
    import redis

    try:
        _client(url).publish(settings.MEYDAN_LIVE_CHANNEL, message(site_id, key, count, version))
    except (redis.RedisError, OSError) as error:
        logger.warning("live update for site %s not published: %s", site_id, error)
        return False
    return True
