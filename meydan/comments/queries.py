"""Reads of threads and comments for display."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q

from meydan.comments.models import Comment, Thread
from meydan.comments.tree import Node, flatten
from meydan.sites.models import Site


def thread_for_key(site: Site, key: str) -> Thread | None:
    return Thread.objects.filter(site=site, key=key).select_related("site").first()


def visible_filter(own_ids: Iterable[int]) -> Q:
    """Published comments, plus the reader's own comments that await moderation
    (and their own shadow-banned ones, which they see as published)."""
    own = [int(pk) for pk in own_ids]
    visible = Q(status=Comment.Status.APPROVED)
    if own:
        visible |= Q(status=Comment.Status.PENDING, pk__in=own)
        visible |= Q(status=Comment.Status.SPAM, shadow=True, pk__in=own)
    return visible


@dataclass
class ThreadPage:
    nodes: list[Node]
    number: int
    num_pages: int
    order: str

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1


def thread_visible_page(
    thread: Thread, *, page: int = 1, order: str = "oldest", own_ids: Iterable[int] = ()
) -> ThreadPage:
    """One page of a thread: `page_size` top-level discussions with all their replies.

    Pages are counted in top-level discussions (a root and everything under it) that
    have something visible, ordered oldest or newest first; replies inside a
    discussion are always oldest first. The comments of a page load in one query,
    in tree order, through the (thread, root_seq, path) index.
    """
    visible = visible_filter(own_ids)
    page_size = thread.site.page_size
    roots = (
        Comment.objects.filter(visible, thread=thread)
        .order_by("-root_seq" if order == "newest" else "root_seq")
        .values("root_seq")
        .distinct()
    )
    total_roots = roots.count()
    num_pages = max(1, math.ceil(total_roots / page_size))
    page = min(max(1, page), num_pages)
    offset = (page - 1) * page_size
    page_roots = roots[offset : offset + page_size]
    comments = (
        Comment.objects.filter(visible, thread=thread, root_seq__in=page_roots)
        .order_by("-root_seq" if order == "newest" else "root_seq", "path")
        .only(
            "id",
            "thread_id",
            "parent_id",
            "replied_to_id",
            "path",
            "depth",
            "seq",
            "root_seq",
            "user_id",
            "author_name",
            "author_url",
            "avatar_key",
            "author_provider",
            "author_picture",
            "shadow",
            "body_html",
            "status",
            "created",
            "edited",
        )
        .annotate(replied_to_name=F("replied_to__author_name"))
    )
    return ThreadPage(nodes=flatten(comments), number=page, num_pages=num_pages, order=order)


def comment_page_number(comment: Comment, *, order: str, own_ids: Iterable[int] = ()) -> int:
    """The page of the thread on which `comment` is shown."""
    roots_before = Comment.objects.filter(visible_filter(own_ids), thread_id=comment.thread_id)
    if order == "newest":
        roots_before = roots_before.filter(root_seq__gt=comment.root_seq)
    else:
        roots_before = roots_before.filter(root_seq__lt=comment.root_seq)
    count = roots_before.values("root_seq").distinct().count()
    return count // comment.thread.site.page_size + 1
