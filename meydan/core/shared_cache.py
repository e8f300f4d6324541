"""Values kept in the cache only when every worker shares it (MEYDAN_SHARED_CACHE).

Apart from core/cache.py, the Redis backend that settings name: importing that one
loads redis-py, which a process on the local-memory cache never needs.
"""

from django.conf import settings
from django.core.cache import cache


def when_shared(key: str, seconds: int, compute):
    """compute(), kept under `key` for `seconds` when every worker shares the cache
    (MEYDAN_SHARED_CACHE: then a write can forget it for all of them); asked each time
    otherwise. Stored with add(), so that a read racing a change cannot put the old
    value back over the writer's. For per-site facts asked on every post ("any bans?",
    "anyone subscribed?", "which webhook events?"); `compute` must not return None."""
    if not settings.MEYDAN_SHARED_CACHE:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.add(key, value, seconds)
    return value
