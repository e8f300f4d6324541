"""Read-path cache keys for threads (what a reader's request can find without
the database).

- thread state: (site, page key) -> (thread id, version), or (0, 0) for a page
  with no thread yet. Dropped after every commit that changes the thread (see
  services.threads.thread_changed), so an ETag built from it is never stale.
- payloads (API JSON, HTML lists) are keyed by (thread id, version, …): a new
  version makes new keys, and old ones simply expire.
"""

from django.core.cache import cache

from meydan.comments.models import Thread

STATE_SECONDS = 3600
PAYLOAD_SECONDS = 600


def thread_state_key(site_id: int, key: str) -> str:
    return f"meydan:ts:{site_id}:{key}"


def thread_state(site_id: int, key: str) -> tuple[int, int]:
    """(thread id, version) for a page; (0, 0) when it has no thread yet."""
    cache_key = thread_state_key(site_id, key)
    state = cache.get(cache_key)
    if state is None:
        row = Thread.objects.filter(site_id=site_id, key=key).values_list("id", "version").first()
        state = tuple(row) if row else (0, 0)
        cache.set(cache_key, state, STATE_SECONDS)
    return state


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
