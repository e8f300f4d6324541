"""Thread rows, and the one place a thread's version changes; the editors' choices
in a thread (its pinned comment, its picks), which thread_changed announces."""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from meydan.comments import caching
from meydan.comments.events import Channel, announce, thread_changed
from meydan.comments.models import Comment, Thread
from meydan.core import sqlrows
from meydan.core.errors import NotPublished
from meydan.sites.models import Site


def thread_get_or_create(
    *, site: Site, key: str, url: str = "", title: str = "", is_open: bool | None = None
) -> Thread:
    """The thread for `key` on `site`, created if absent: open per the site's policy,
    or as `is_open` says (an import brings a page's own setting)."""
    thread, created = Thread.objects.get_or_create(
        site=site,
        key=key,
        defaults={
            "url": url or key,
            "title": title[:300],
            "is_open": site.comments_open if is_open is None else is_open,
        },
    )
    if created:
        transaction.on_commit(lambda: caching.page_state_forget(site.pk, key))
    return thread


def thread_for_posting(*, site: Site, key: str, url: str = "", title: str = "") -> Thread:
    """The thread for `key` on `site` (created if absent), ready for comment_post.

    One query when the thread exists: the thread with its site's current row (the
    discussion policy every moderation check reads, never a cached copy). `site`
    only names the site.
    """
    found = _thread_with_policy(site.pk, key)
    if found is None:
        thread_get_or_create(site=site, key=key, url=url, title=title)
        found = _thread_with_policy(site.pk, key)
    return found


def _thread_with_policy(site_id: int, key: str) -> Thread | None:
    row = sqlrows.fetch_one(sqlrows.statement(_policy_sql), [site_id, key])
    if row is None:
        return None
    thread_end = sqlrows.width(Thread)
    thread = sqlrows.instance(Thread, row[:thread_end])
    thread.site = sqlrows.instance(Site, row[thread_end:])
    return thread


def _policy_sql() -> str:
    q = sqlrows.quote
    return (
        f"SELECT {sqlrows.columns(Thread, 't')}, {sqlrows.columns(Site, 's')} "  # noqa: S608 - names from the models, values as parameters
        f"FROM {sqlrows.table(Thread)} t "
        f"JOIN {sqlrows.table(Site)} s ON s.{q('id')} = t.{q('site_id')} "
        f"WHERE t.{q('site_id')} = %s AND t.{q('key')} = %s"
    )


def thread_bump(thread: Thread, **updates) -> None:
    """Bump a thread's version (with any other column `updates`) in the current
    transaction; the read caches keyed on it are dropped after commit."""
    Thread.objects.filter(pk=thread.pk).update(version=F("version") + 1, **updates)
    page = (thread.site_id, thread.key)
    transaction.on_commit(lambda: caching.thread_state_forget([page]))


def thread_comment_added(thread: Thread, *, published_at=None) -> int:
    """thread_bump for a new comment (comment_post, first in its transaction): the
    thread's row is locked until the commit, its sequence moves on by one, and a
    published comment also counts and dates the thread. Returns the new comment's
    sequence number. `thread`'s version, published count, sequence and open flag
    become the row's as this transaction leaves it (RETURNING), which is what
    comment_posted's receivers see.
    Hand-written (see core.sqlrows), as it runs for every comment posted."""
    params: list = []
    if published_at is not None:
        params.append(connection.ops.adapt_datetimefield_value(published_at))
    is_open, thread.last_seq, thread.version, thread.comment_count = sqlrows.fetch_one(
        sqlrows.statement(_comment_added_sql, published_at is not None), [*params, thread.pk]
    )
    thread.is_open = bool(is_open)
    if published_at is not None:
        thread.last_comment_at = published_at
    page = (thread.site_id, thread.key)
    transaction.on_commit(lambda: caching.thread_state_forget([page]))
    return thread.last_seq


def _comment_added_sql(published: bool) -> str:
    q = sqlrows.quote
    sets = [f"{q(name)} = {q(name)} + 1" for name in ("version", "last_seq")]
    if published:
        sets += [f"{q('comment_count')} = {q('comment_count')} + 1", f"{q('last_comment_at')} = %s"]
    returning = ", ".join(q(name) for name in ("is_open", "last_seq", "version", "comment_count"))
    return (
        f"UPDATE {sqlrows.table(Thread)} SET {', '.join(sets)} WHERE {q('id')} = %s "  # noqa: S608 - names from the models, values as parameters
        f"RETURNING {returning}"
    )


def threads_bump(thread_ids) -> None:
    """thread_bump for many threads known by id only."""
    ids = sorted(set(thread_ids))
    if not ids:
        return
    Thread.objects.filter(pk__in=ids).update(version=F("version") + 1)
    pages = list(Thread.objects.filter(pk__in=ids).values_list("site_id", "key"))
    transaction.on_commit(lambda: caching.thread_state_forget(pages))


THREAD_EDITABLE = ("is_open", "title", "url", "key")


def thread_update(thread: Thread, *, channel: Channel | str, actor=None, **fields) -> Thread:
    """Change a thread's own fields (open/closed, title, address) — the admin's door.

    Bumps the version, so cached pages and API answers change at once; a new key
    also forgets the page-to-thread lookup of the old and the new key. Announces
    thread_changed after commit."""
    unknown = set(fields) - set(THREAD_EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    old_key = Thread.objects.filter(pk=thread.pk).values_list("key", flat=True).first()
    with transaction.atomic():
        for name, value in fields.items():
            setattr(thread, name, value)
        thread_bump(thread, **fields)
        if old_key and old_key != thread.key:  # thread_bump forgets the new key's state
            transaction.on_commit(lambda: caching.page_state_forget(thread.site_id, old_key))
        if fields:
            announce(
                thread_changed,
                Thread,
                thread=thread,
                fields=sorted(fields),
                comment=None,
                channel=channel,
                actor=actor,
            )
    thread.refresh_from_db(fields=["version"])
    return thread


# --- The editors' choices ----------------------------------------------------------
# Locks are taken comment first, then the thread (as a status change does: it locks
# the comment and then updates its thread), so the two cannot deadlock, and a pin
# waits for a hold under way (and the reverse) instead of pinning a held comment.


def _locked_published(comment: Comment) -> Comment:
    locked = (
        Comment.objects.select_related("thread")
        .select_for_update(of=("self",))
        .filter(pk=comment.pk)
        .first()
    )
    if locked is None or locked.status != Comment.Status.APPROVED or locked.shadow:
        raise NotPublished()
    return locked


def comment_set_pick(
    comment: Comment, picked: bool, *, channel: Channel | str, actor=None
) -> Comment:
    """Mark a published comment as an editor's pick, or no longer (`picked` False;
    allowed whatever its status). Picking raises NotPublished for a comment readers
    do not see. Bumps the thread's version so cached pages show it at once, and
    announces thread_changed(fields=["picks"], comment=…) after commit; nothing
    happens, and nothing is announced, when it already is what was asked."""
    with transaction.atomic():
        if picked:
            locked = _locked_published(comment)
        else:
            locked = (
                Comment.objects.select_related("thread")
                .select_for_update(of=("self",))
                .get(pk=comment.pk)
            )
        if locked.is_pick == picked:
            return locked
        locked.is_pick = picked
        locked.picked_at = timezone.now() if picked else None
        locked.picked_by = actor if picked and getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["is_pick", "picked_at", "picked_by"])
        # Unpicking a held comment leaves the count of published picks as it is.
        delta = (1 if picked else -1) if locked.status == Comment.Status.APPROVED else 0
        thread_bump(locked.thread, pick_count=F("pick_count") + delta)
        announce(
            thread_changed, Thread, thread=locked.thread, fields=["picks"], comment=locked,
            channel=channel, actor=actor,
        )  # fmt: skip
    return locked


def thread_pin(
    thread: Thread, comment: Comment | None, *, channel: Channel | str, actor=None
) -> Comment | None:
    """Pin `comment` (published, of this thread) to the top of `thread`, in place of
    whichever was pinned; None unpins. Raises NotPublished for a comment readers do
    not see or one of another thread. Bumps the version; announces
    thread_changed(fields=["pinned"], comment=the one pinned, or the one unpinned)
    after commit, unless nothing changed. Returns the comment pinned now."""
    with transaction.atomic():
        locked = _locked_published(comment) if comment is not None else None
        if locked is not None and locked.thread_id != thread.pk:
            raise NotPublished()
        current = (
            Thread.objects.select_for_update().filter(pk=thread.pk).values_list("pinned", flat=True)
        ).first()
        new = locked.pk if locked is not None else None
        if current == new:
            return locked
        thread_bump(thread, pinned_id=new)
        thread.pinned_id = new
        announce(
            thread_changed,
            Thread,
            thread=thread,
            fields=["pinned"],
            comment=locked or Comment.objects.filter(pk=current).first(),
            channel=channel,
            actor=actor,
        )
    return locked


def thread_pin_lost(comment: Comment, *, channel: Channel | str, actor=None) -> None:
    """A pinned comment left published (held, spam, trash, erased): the caller, which
    holds its lock and bumps its thread in the same transaction, has unpinned it;
    this announces it like thread_pin does."""
    comment.thread.pinned_id = None
    announce(
        thread_changed, Thread, thread=comment.thread, fields=["pinned"], comment=comment,
        channel=channel, actor=actor,
    )  # fmt: skip


def threads_bump_for_site(site_id: int) -> None:
    """thread_bump for every thread of a site (its policy changed: page size,
    order, open or not): one UPDATE by site, not a list of ids (a big site has more
    threads than a statement may have parameters)."""
    threads = Thread.objects.filter(site_id=site_id)
    threads.update(version=F("version") + 1)
    pages = list(threads.values_list("site_id", "key"))
    transaction.on_commit(lambda: caching.thread_state_forget(pages))


def thread_delete_if_empty(thread: Thread) -> bool:
    """Delete a thread that has no comment left (an import undone takes back the
    threads it made); False, and nothing changes, when it has any."""
    with transaction.atomic():
        if thread.comments.exists():
            return False
        Thread.objects.filter(pk=thread.pk).delete()
        page = (thread.site_id, thread.key)
        transaction.on_commit(lambda: caching.thread_state_forget([page]))
        transaction.on_commit(lambda: caching.page_state_forget(*page))
    return True
