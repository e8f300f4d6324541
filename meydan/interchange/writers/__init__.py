"""The formats an export writes: Meydan's JSON (lossless), WordPress WXR (for
WordPress's own importer) and Disqus XML (which most other systems import).

Each writer streams: threads in key order, each thread's comments in the order
they were posted, read from the database a chunk at a time."""

from collections.abc import Iterator
from datetime import UTC, datetime

from django.db.models import Q

from meydan.comments.models import Comment, Thread
from meydan.core import sealing
from meydan.core.privacy import keyed_hash
from meydan.interchange.models import ImportedComment

FORMATS = ("meydan", "wxr", "disqus")


def threads_of(site, thread_key: str | None = None, only: Q | None = None) -> Iterator[Thread]:
    """The site's threads (or one), or only those with a comment matching `only`."""
    threads = Thread.objects.filter(site=site).order_by("key")
    if thread_key is not None:
        threads = threads.filter(key=thread_key)
    if only is not None:
        threads = threads.filter(pk__in=Comment.objects.filter(only).values("thread_id"))
    yield from threads.iterator(chunk_size=500)


def comments_of(thread: Thread, only: Q | None = None) -> Iterator[Comment]:
    comments = Comment.objects.filter(thread=thread)
    if only is not None:
        comments = comments.filter(only)
    yield from comments.order_by("seq").iterator(chunk_size=2000)


def utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def instance() -> str:
    """This installation's name in exported ids: stable, and reveals nothing."""
    return keyed_hash("export-instance", "meydan")[:12]


def stable_ids(thread: Thread) -> dict[int, str]:
    """{comment id: the id it had in the Meydan export it was imported from}: so
    that export → import → export gives the same ids."""
    return dict(
        ImportedComment.objects.filter(comment__thread=thread, source="meydan:meydan").values_list(
            "comment_id", "source_id"
        )
    )


def write(site, fmt: str, out, *, thread_key: str | None = None) -> int:
    """Write `site`'s comments (or one thread's) to the binary stream `out` in
    `fmt`; returns how many comments were written."""
    from meydan.interchange.writers import disqus, meydan, wxr

    writer = {"meydan": meydan, "wxr": wxr, "disqus": disqus}[fmt]
    return writer.write(site, out, thread_key=thread_key)


def email_of(comment) -> str:
    """The author's address, where this process can open it: always without a key
    (addresses stored plain), and with one when `meydan export` runs with
    MEYDAN_EMAIL_PRIVATE_KEY; '' otherwise (the export then carries no addresses)."""
    return sealing.unseal_or_empty(comment.author_email_sealed)
