"""Values kept in the cache only when every worker shares it (MEYDAN_SHARED_CACHE).

Apart from core/cache.py, the Redis backend that settings name: importing that one
loads redis-py, which a process on the local-memory cache never needs.
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

# The cache keys of the per-site facts a post asks for (site id -> key), registered by
# the modules that keep them (site_fact), read ahead together by site_facts().
_SITE_FACTS: list = []


def site_fact(key_for):
    """Register `key_for(site_id)`, the cache key of a per-site fact asked for on every
    post, so that site_facts() reads it with the others (a decorator)."""
    _SITE_FACTS.append(key_for)
    return key_for


@contextmanager
def site_facts(site_id: int):
    """Within: the site's registered facts were read from the shared cache in one round
    trip on entry, and the cache answers them from that read (a write to one in this
    thread forgets it; core/cache.py, prefetched). A posted comment asked Redis for
    them one at a time: four round trips (bench/post_profile.py). Nothing changes with
    a cache of this process only (no round trips to save)."""
    prefetched = getattr(cache, "prefetched", None)
    if not settings.MEYDAN_SHARED_CACHE or prefetched is None or not _SITE_FACTS:
        yield
        return
    with prefetched([key_for(site_id) for key_for in _SITE_FACTS]):
        yield


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
