"""Reads for the moderators' workspace."""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, Q

from meydan.comments.models import Comment
from meydan.core import sealing

S = Comment.Status
TABS = {
    "pending": Q(status=S.PENDING),
    "spam": Q(status=S.SPAM),
    "trash": Q(status=S.TRASH),
    "all": Q(),
}
PAGE_SIZE = 50


def queue_page(sites, *, tab="pending", site_id=None, thread_id=None, author="", page=1):
    """One page of the moderation queue, newest first, within `sites`."""
    comments = (
        Comment.objects.filter(thread__site__in=sites)
        .filter(TABS.get(tab, TABS["pending"]))
        # Erased rows (no text; they only keep replies in place) are nothing to moderate.
        .exclude(status=S.TRASH, body="")
        .select_related("thread__site", "user")
        .order_by("-created", "-pk")
    )
    if site_id:
        comments = comments.filter(thread__site_id=site_id)
    if thread_id:
        comments = comments.filter(thread_id=thread_id)
    author = (author or "").strip()
    if author:
        # An address typed in, or the keyed hash the "All by this author" link carries.
        by_email = sealing.email_hash(author) if "@" in author else author
        comments = comments.filter(
            Q(author_name__icontains=author)
            | Q(author_email_hash=by_email)
            | Q(ip_hash=author)
            | Q(user__username=author)
        )
    return Paginator(comments, PAGE_SIZE).get_page(page)


def author_key(comment) -> tuple[str, str]:
    if comment.user_id:
        return ("user", str(comment.user_id))
    if comment.author_email_hash:
        return ("email", comment.author_email_hash)
    return ("ip", comment.ip_hash)


def author_histories(comments, sites=None) -> dict[tuple[str, str], dict[str, int]]:
    """For each author on the page: how many of their comments are approved, held, spam
    (on `sites`, the ones this moderator sees, when given)."""
    users = {c.user_id for c in comments if c.user_id}
    emails = {c.author_email_hash for c in comments if not c.user_id and c.author_email_hash}
    histories: dict[tuple[str, str], dict[str, int]] = {}
    counts = Count("pk")
    mine = Comment.objects.filter(thread__site__in=sites) if sites is not None else Comment.objects
    if users:
        for row in mine.filter(user_id__in=users).values("user_id", "status").annotate(n=counts):
            histories.setdefault(("user", str(row["user_id"])), {})[row["status"]] = row["n"]
    if emails:
        for row in (
            mine.filter(user=None, author_email_hash__in=emails)
            .values("author_email_hash", "status")
            .annotate(n=counts)
        ):
            key = ("email", row["author_email_hash"])
            histories.setdefault(key, {})[row["status"]] = row["n"]
    ips = {c.ip_hash for c in comments if not c.user_id and not c.author_email_hash and c.ip_hash}
    if ips:
        for row in (
            mine.filter(user=None, author_email_hash="", ip_hash__in=ips)
            .values("ip_hash", "status")
            .annotate(n=counts)
        ):
            histories.setdefault(("ip", row["ip_hash"]), {})[row["status"]] = row["n"]
    return histories


def tab_counts(sites) -> dict[str, int]:
    rows = (
        Comment.objects.filter(thread__site__in=sites)
        .filter(status__in=[S.PENDING, S.SPAM])
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


@dataclass
class Reports:
    """Readers' reports of one comment: how many for each reason (Flag.Reason, most
    first) and, for "other", their words (the latest NOTES_SHOWN)."""

    by_reason: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, n
    notes: list[str] = field(default_factory=list)


NOTES_SHOWN = 5


def reports_of(comment_ids) -> dict[int, Reports]:
    """The reports of each of `comment_ids` (the queue's page): two queries."""
    from meydan.moderation.models import Flag
    from meydan.moderation.statements import report_label

    found: dict[int, Reports] = {}
    counts = (
        Flag.objects.filter(comment_id__in=comment_ids)
        .values("comment_id", "reason")
        .annotate(n=Count("pk"))
        .order_by("comment_id", "-n", "reason")
    )
    for row in counts:
        reports = found.setdefault(row["comment_id"], Reports())
        reports.by_reason.append((row["reason"], report_label(row["reason"]), row["n"]))
    notes = (
        Flag.objects.filter(comment_id__in=list(found))
        .exclude(note="")
        .order_by("comment_id", "-created", "-pk")
        .values_list("comment_id", "note")
    )
    for comment_id, note in notes:
        if len(found[comment_id].notes) < NOTES_SHOWN:
            found[comment_id].notes.append(note)
    return found
