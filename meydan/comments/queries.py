"""Reads of threads and comments for display."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, F, Max, Q, Value, When

from meydan.comments.models import Comment, Thread, Vote
from meydan.comments.tree import Node, flatten
from meydan.core import sealing, sqlrows
from meydan.sites.models import Site


def thread_for_key(site: Site, key: str) -> Thread | None:
    return Thread.objects.filter(site=site, key=key).select_related("site", "pinned").first()


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


ORDERS = ("oldest", "newest", "top")


def page_groups(
    sizes: list[tuple[int, int]], page_size: int, page_comments: int
) -> list[list[int]]:
    """Split discussions, given in display order as (root_seq, visible comments), into
    pages: the root_seqs of each, in display order.

    A page holds at most `page_size` discussions and ends before the discussion that
    would take it past `page_comments` comments; a discussion is never split, so one
    larger than that has a page of its own.
    """
    pages: list[list[int]] = []
    current: list[int] = []
    comments = 0
    for root_seq, count in sizes:
        if current and (len(current) >= page_size or comments + count > page_comments):
            pages.append(current)
            current, comments = [], 0
        current.append(root_seq)
        comments += count
    if current:
        pages.append(current)
    return pages


def page_ranges(sizes: list[tuple[int, int]], page_size: int, page_comments: int):
    """page_groups as (first root_seq, last root_seq) of each page: for the orders by
    time, where a page's discussions are a range of root_seq."""
    return [(group[0], group[-1]) for group in page_groups(sizes, page_size, page_comments)]


def _discussion_sizes(thread_id: int, visible: Q, order: str) -> list[tuple[int, int]]:
    """(root_seq, visible comments) of each discussion, in display order: one query
    grouped by root_seq. Most voted ("top"): by the top-level comment's votes, ties
    oldest first; a discussion whose top-level comment is not shown counts 0."""
    rows = Comment.objects.filter(visible, thread_id=thread_id).values_list("root_seq")
    if order == "top":
        root_votes = Max(Case(When(seq=F("root_seq"), then=F("vote_count")), default=Value(0)))
        ranked = rows.annotate(count=Count("id"), votes=root_votes).order_by("-votes", "root_seq")
        return [(root_seq, count) for root_seq, count, _votes in ranked]
    return list(
        rows.order_by("-root_seq" if order == "newest" else "root_seq").annotate(count=Count("id"))
    )


def _thread_pages(thread: Thread, visible: Q, order: str) -> list[list[int]]:
    site = thread.site
    return page_groups(
        _discussion_sizes(thread.pk, visible, order), site.page_size, site.page_comments
    )


_PAGE_FIELDS = (
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
    "vote_count",
    "is_pick",
)


def thread_visible_page(
    thread: Thread, *, page: int = 1, order: str = "oldest", own_ids: Iterable[int] = ()
) -> ThreadPage:
    """One page of a thread: top-level discussions with all their replies, at most
    `page_size` discussions and about `page_comments` comments (see page_groups).

    Pages are counted in top-level discussions (a root and everything under it) that
    have something visible, ordered oldest or newest first, or most voted first (the
    top-level comment's up-votes; ties oldest first); replies inside a discussion are
    always oldest first. The comments of a page load in one query, in tree order: by
    thread and a root_seq range for the orders by time, by thread and the page's list
    of root_seqs (at most page_size) for most voted, put in the page's order here.
    Finding the pages is one query grouped by root_seq. Both are index scans (the
    planner picks the thread index or the (thread, root_seq, path) one;
    bench/scale_pg.py shows the plans), so their cost follows the thread's size, not
    the database's.
    """
    visible = visible_filter(own_ids)
    pages = _thread_pages(thread, visible, order)
    num_pages = max(1, len(pages))
    page = min(max(1, page), num_pages)
    roots = pages[page - 1] if pages else []
    comments = Comment.objects.filter(visible, thread=thread)
    if order == "top":
        comments = comments.filter(root_seq__in=roots).order_by("root_seq", "path")
    else:
        low, high = (min(roots), max(roots)) if roots else (0, -1)
        comments = comments.filter(root_seq__gte=low, root_seq__lte=high).order_by(
            "-root_seq" if order == "newest" else "root_seq", "path"
        )
    comments = comments.only(*_PAGE_FIELDS).annotate(replied_to_name=F("replied_to__author_name"))
    if order == "top":
        position = {root_seq: index for index, root_seq in enumerate(roots)}
        comments = sorted(comments, key=lambda c: (position[c.root_seq], c.path))
    return ThreadPage(nodes=flatten(comments), number=page, num_pages=num_pages, order=order)


# --- The editors' choices: the pinned comment and the picks --------------------------
# Their own queries, beside the page's: they do not depend on the page's order, and
# run only when the page is built (its HTML and JSON are cached by version).

PICKS_PAGE_SIZE = 50


def _shown(comments):
    return comments.filter(status=Comment.Status.APPROVED, shadow=False).annotate(
        replied_to_name=F("replied_to__author_name")
    )


def thread_pinned(thread: Thread) -> Comment | None:
    """The comment pinned to the top of `thread`, or None: no query when none is, or
    when the thread was read with select_related("pinned") (thread_for_key does)."""
    if not thread.pinned_id:
        return None
    pinned = thread.pinned
    shown = pinned.status == Comment.Status.APPROVED and not pinned.shadow
    return pinned if shown and pinned.thread_id == thread.pk else None


def _picks(thread: Thread):
    return _shown(Comment.objects.filter(thread=thread, is_pick=True))


def thread_picks_page(thread: Thread, *, page: int = 1) -> ThreadPage:
    """The "Picks" view of a thread: its published picks alone, oldest first (by when
    they were posted), PICKS_PAGE_SIZE a page; each is shown on its own, with a link
    to its place in the discussion."""
    picks = _picks(thread).order_by("created", "pk")
    num_pages = max(1, -(-thread.pick_count // PICKS_PAGE_SIZE))
    page = min(max(1, page), num_pages)
    start = (page - 1) * PICKS_PAGE_SIZE
    nodes = [Node(path=c.path, depth=0, comment=c) for c in picks[start : start + PICKS_PAGE_SIZE]]
    return ThreadPage(nodes=nodes, number=page, num_pages=num_pages, order="oldest")


def comment_page_number(comment: Comment, *, order: str, own_ids: Iterable[int] = ()) -> int:
    """The page of the thread on which `comment` is shown (or would be)."""
    pages = _thread_pages(comment.thread, visible_filter(own_ids), order)
    for number, roots in enumerate(pages, start=1):
        if comment.root_seq in roots:
            return number
        if order == "top":
            continue
        last = roots[-1]
        if (order == "newest" and comment.root_seq > last) or (
            order != "newest" and comment.root_seq < last
        ):
            return number
    return max(1, len(pages))


def votes_by_voter(thread_id: int, voter_key: str) -> list[int]:
    """Ids of the thread's comments this voter up-voted: one query on the vote's
    (voter, comment) index."""
    return list(
        Vote.objects.filter(voter=voter_key, comment__thread_id=thread_id)
        .order_by("comment_id")
        .values_list("comment_id", flat=True)
    )


def is_first_comment(
    site, *, user_id=None, email="", email_hash="", before=None, exclude_pk=None
) -> bool | None:
    """True if the author (account, else e-mail, given or as its keyed hash) has no
    approved comment on the site (before `before`); None when there is no way to
    tell who they are."""
    email_hash = email_hash or sealing.email_hash(email)
    if before is None and exclude_pk is None:
        return _is_first_new_comment(site.pk, user_id, email_hash)
    approved = Comment.objects.filter(thread__site=site, status=Comment.Status.APPROVED)
    if user_id is not None:
        approved = approved.filter(user_id=user_id)
    elif email_hash:
        approved = approved.filter(user=None, author_email_hash=email_hash)
    else:
        return None
    if before is not None:
        approved = approved.filter(created__lt=before)
    if exclude_pk is not None:
        approved = approved.exclude(pk=exclude_pk)
    return not approved.exists()


def _is_first_new_comment(site_id: int, user_id, email_hash: str) -> bool | None:
    """is_first_comment for a comment being posted. Hand-written: it runs for every
    comment posted once the filter is trained (see core.sqlrows)."""
    if user_id is not None:
        by, value = "user", user_id
    elif email_hash:
        by, value = "email", email_hash
    else:
        return None
    return not sqlrows.exists(
        sqlrows.statement(_approved_by_sql, by), [site_id, Comment.Status.APPROVED, value]
    )


def _approved_by_sql(by: str) -> str:
    q = sqlrows.quote
    author = {
        "user": f"c.{q('user_id')} = %s",
        "email": f"c.{q('user_id')} IS NULL AND c.{q('author_email_hash')} = %s",
    }[by]
    return (
        f"SELECT 1 FROM {sqlrows.table(Comment)} c JOIN {sqlrows.table(Thread)} t "  # noqa: S608 - names from the models, values as parameters
        f"ON t.{q('id')} = c.{q('thread_id')} WHERE t.{q('site_id')} = %s "
        f"AND c.{q('status')} = %s AND {author} LIMIT 1"
    )
