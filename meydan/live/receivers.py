"""Where live updates start: after a commit that may have changed a thread's published
count (comments.events: each is sent once, after commit), read the count and publish it.

One indexed query per change (none for a new comment: its post knows the count), and
only when a stream is configured (a Redis to publish on). Edits, votes and thread
fields leave the count alone and publish nothing.
"""

import logging

from django.conf import settings
from django.dispatch import receiver

from meydan.comments.events import (
    comment_erased,
    comment_posted,
    comment_status_changed,
    comments_imported,
)
from meydan.comments.models import Comment, Thread
from meydan.core import sqlrows
from meydan.live.publish import count_publish

logger = logging.getLogger(__name__)


def thread_count_publish(thread_id: int) -> None:
    if not settings.MEYDAN_LIVE_REDIS_URL:
        return
    found = sqlrows.fetch_one(sqlrows.statement(_count_sql), [thread_id])
    if found is not None:
        count_publish(*found)


def _count_sql() -> str:
    """Hand-written (core.sqlrows): on PostgreSQL the ORM's query cost a post about as
    much CPU as running it (bench/post_profile.py)."""
    q = sqlrows.quote
    columns = ", ".join(q(name) for name in ("site_id", "key", "comment_count", "version"))
    return f"SELECT {columns} FROM {sqlrows.table(Thread)} WHERE {q('id')} = %s"  # noqa: S608 - names from the model


@receiver(comment_posted, dispatch_uid="meydan-live-posted")
def live_posted(sender, comment, **kwargs):
    """A held or spam comment changes nothing readers see (its approval will).

    No query: comment_post leaves on `comment.thread` the count and version its
    transaction committed (services.threads.thread_comment_added, RETURNING)."""
    if comment.status == Comment.Status.APPROVED and settings.MEYDAN_LIVE_REDIS_URL:
        thread = comment.thread
        count_publish(thread.site_id, thread.key, thread.comment_count, thread.version)


@receiver(comment_status_changed, dispatch_uid="meydan-live-status")
def live_status_changed(sender, comment, before, after, **kwargs):
    if Comment.Status.APPROVED in (before, after):
        thread_count_publish(comment.thread_id)


@receiver(comment_erased, dispatch_uid="meydan-live-erased")
def live_erased(sender, thread_id, **kwargs):
    thread_count_publish(thread_id)


@receiver(comments_imported, dispatch_uid="meydan-live-imported")
def live_imported(sender, thread, **kwargs):
    thread_count_publish(thread.pk)
