"""Thread rows, and the one place a thread's version changes."""

from django.db import transaction
from django.db.models import F

from meydan.comments import caching
from meydan.comments.models import Thread
from meydan.sites.models import Site


def thread_get_or_create(*, site: Site, key: str, url: str = "", title: str = "") -> Thread:
    """The thread for `key` on `site`, created (open per the site's policy) if absent."""
    thread, created = Thread.objects.get_or_create(
        site=site,
        key=key,
        defaults={"url": url or key, "title": title[:300], "is_open": site.comments_open},
    )
    if created:
        transaction.on_commit(lambda: caching.page_state_forget(site.pk, key))
    return thread


def thread_changed(thread_id: int, **updates) -> None:
    """Bump a thread's version (with any other column `updates`) in the current
    transaction; the read caches keyed on it are dropped after commit."""
    Thread.objects.filter(pk=thread_id).update(version=F("version") + 1, **updates)
    transaction.on_commit(lambda: caching.thread_state_forget([thread_id]))


def threads_changed(thread_ids) -> None:
    ids = sorted(set(thread_ids))
    if not ids:
        return
    Thread.objects.filter(pk__in=ids).update(version=F("version") + 1)
    transaction.on_commit(lambda: caching.thread_state_forget(ids))
