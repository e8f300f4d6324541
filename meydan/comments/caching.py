"""Read-path cache keys for threads (what a reader's request can find without
the database).

- thread state: (site, page key) -> (thread id, version, published count), or
  (0, 0, 0) for a page with no thread yet. Dropped after every commit that changes the thread (see
  services.threads.thread_changed), so an ETag built from it is never stale.
- payloads (API JSON, HTML lists) are keyed by (thread id, version, …): a new
  version makes new keys, and old ones simply expire.
"""

from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache

from meydan.comments.models import Thread

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
    query); the payloads can still be cached per process, as they are keyed by version.
    """
    keys = list(dict.fromkeys(keys))
    if not settings.MEYDAN_SHARED_CACHE:
        states = {key: NO_THREAD for key in keys}
        for key, *state in Thread.objects.filter(site_id=site_id, key__in=keys).values_list(
            *_FIELDS
        ):
            states[key] = ThreadState(*state)
        return states
    cache_keys = {thread_state_key(site_id, key): key for key in keys}
    found = cache.get_many(list(cache_keys))
    states = {cache_keys[ck]: ThreadState(*state) for ck, state in found.items()}
    missing = [key for key in keys if key not in states]
    if missing:
        fresh = {key: NO_THREAD for key in missing}
        for key, *state in Thread.objects.filter(site_id=site_id, key__in=missing).values_list(
            *_FIELDS
        ):
            fresh[key] = ThreadState(*state)
        cache.set_many(
            {thread_state_key(site_id, key): tuple(state) for key, state in fresh.items()},
            STATE_SECONDS,
        )
        states.update(fresh)
    return states


def thread_state_forget(thread_ids) -> None:
    keys = [
        thread_state_key(site_id, key)
        for site_id, key in Thread.objects.filter(pk__in=list(thread_ids)).values_list(
            "site_id", "key"
        )
    ]
    cache.delete_many(keys)


def page_state_forget(site_id: int, key: str) -> None:
    """A thread was created for this page: forget the cached "no thread yet"."""
    cache.delete(thread_state_key(site_id, key))
