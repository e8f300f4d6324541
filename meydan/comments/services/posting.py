"""Posting a comment or reply."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from meydan.comments import validation
from meydan.comments.avatars import avatar_key
from meydan.comments.events import Channel, announce, comment_posted
from meydan.comments.models import Comment, Thread
from meydan.comments.moderation import Decision, Draft
from meydan.comments.moderation import moderate as moderation_verdict
from meydan.comments.rendering import render_markdown
from meydan.comments.services.threads import thread_comment_added, thread_for_posting
from meydan.comments.tree import child_path
from meydan.core import metrics, sealing, sqlrows
from meydan.core.errors import (
    CommentRejected,
    InvalidComment,
    ParentNotFound,
    RateLimited,
    ThreadClosed,
)
from meydan.core.privacy import ip_hash as hash_ip
from meydan.core.shared_cache import site_facts
from meydan.sites.models import Site


@dataclass(frozen=True)
class Author:
    """Who is posting: a guest's details, or a signed-in user (name from the account)."""

    name: str
    email: str = ""
    url: str = ""
    user: object | None = None
    provider: str = ""  # the sign-in provider's id, for signed-in readers
    picture: str = ""  # a stored profile picture's key
    # A signed-in reader's address as kept (core.sealing), used when `email` is empty.
    stored_email: sealing.Stored | None = None

    def address(self) -> sealing.Stored:
        """The address to keep with the comment: hashed and sealed."""
        if self.email:
            return sealing.Stored.of(self.email)
        return self.stored_email or sealing.Stored()


ANONYMOUS_NAME = "Anonymous"


def validated(site: Site, author: Author, body: str, *, email_required: bool) -> tuple[Author, str]:
    """Clean a comment's fields. A guest on a site that does not require name and
    email (Site.require_name_email off) may leave both empty: the name then
    becomes "Anonymous"."""
    optional = author.user is None and not site.require_name_email
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, clean in [
        (
            "name",
            lambda: validation.clean_name(author.name, required=not optional) or ANONYMOUS_NAME,
        ),
        (
            "email",
            lambda: validation.clean_email(author.email, required=email_required and not optional),
        ),
        ("website", lambda: validation.clean_website(author.url)),
        ("body", lambda: validation.clean_body(body, site.max_comment_length)),
    ]:
        try:
            cleaned[field] = clean()
        except ValidationError as error:
            errors[field] = list(error.messages)
    if errors:
        raise InvalidComment(errors)
    return (
        Author(
            name=cleaned["name"],
            email=cleaned["email"],
            url=cleaned["website"],
            user=author.user,
            provider=author.provider,
            picture=author.picture,
            stored_email=author.stored_email,
        ),
        cleaned["body"],
    )


_STATUS_FOR = {
    Decision.APPROVE: Comment.Status.APPROVED,
    Decision.HOLD: Comment.Status.PENDING,
    Decision.SPAM: Comment.Status.SPAM,
}


@dataclass(frozen=True)
class PostResult:
    comment: Comment
    reason: str = ""

    @property
    def published(self) -> bool:
        """As the author sees it: a shadow-banned comment looks published to them."""
        return self.comment.status == Comment.Status.APPROVED or self.comment.shadow


def comment_post(
    *,
    thread: Thread,
    author: Author,
    body: str,
    parent_id: int | None = None,
    ip: str | None = None,
    created: datetime | None = None,
    moderate: bool = True,
    channel: Channel | str,
    honeypot: str = "",
    form_token: str | None = None,
    challenge: str | None = None,
) -> PostResult:
    """Validate, moderate and save a comment or reply.

    Guarantees:
    - Raises InvalidComment (per-field messages), ThreadClosed, ParentNotFound,
      CommentRejected or RateLimited (with the message for the author), and then
      nothing is stored.
    - Runs the moderation checks (comments.moderation) unless `moderate` is False
      (importers and the demo seeder, which bring already-moderated comments).
    - One transaction: one UPDATE locks the thread row and bumps its version,
      sequence and published count together; then the comment is inserted with its
      tree path.
    - The moderation checks read `thread.site` as given: pass a thread loaded with
      its site in this request (threads.thread_for_posting), not a cached one.
    - A reply deeper than the site's nesting limit is attached at the limit
      (its `replied_to` still names the comment the author answered).
    - comment_posted is announced after commit, whatever the status.
    """
    site = thread.site
    if moderate and not thread.accepts_comments:
        raise ThreadClosed()
    author, body = validated(site, author, body, email_required=author.user is None)
    hashed_ip = hash_ip(ip)
    address = author.address()
    verdict = None
    if moderate:
        verdict = moderation_verdict(
            Draft(
                site=site,
                thread=thread,
                body=body,
                author_name=author.name,
                author_email=author.email,
                author_email_hash=address.hash,
                author_url=author.url,
                ip_hash=hashed_ip,
                client_ip=ip,
                page_url=thread.url,
                user=author.user,
                parent_id=parent_id,
                channel=channel,
                honeypot=honeypot,
                form_token=form_token,
                challenge=challenge,
            )
        )
        if verdict.decision == Decision.REJECT:
            # Nothing is stored, so nothing is announced: counted here. What was
            # stored is counted by comments.receivers.count_posted.
            if verdict.retry_after:
                metrics.comment_posted("rate_limited", channel)
                raise RateLimited(verdict.message or None, retry_after=verdict.retry_after)
            metrics.comment_posted("rejected", channel)
            raise CommentRejected(verdict.message or None)
    status = _STATUS_FOR[verdict.decision] if verdict else Comment.Status.APPROVED
    body_html = render_markdown(body)
    created = created or timezone.now()
    published = status == Comment.Status.APPROVED

    counted = (thread.last_seq, thread.version, thread.comment_count, thread.last_comment_at)
    try:
        with transaction.atomic():
            # Locks the thread's row until the commit (the lock that orders a thread's
            # comments: seq, path), takes the next sequence number and counts a published
            # comment, in one statement; a closed thread rolls it back.
            seq = thread_comment_added(thread, published_at=created if published else None)
            if moderate and not thread.accepts_comments:
                raise ThreadClosed()
            parent = None
            replied_to = None
            if parent_id is not None:
                parent = _reply_target(thread, parent_id)
                if parent is None:
                    raise ParentNotFound(field="parent")
                replied_to = parent
                while parent is not None and parent.depth + 1 >= site.max_depth:
                    parent = parent.parent
            comment = Comment(
                thread=thread,
                parent=parent,
                replied_to=replied_to,
                seq=seq,
                root_seq=int(parent.path[:6], 36) if parent else seq,
                path=child_path(parent.path if parent else "", seq),
                depth=parent.depth + 1 if parent else 0,
                user=author.user,
                author_name=author.name,
                author_email_hash=address.hash,
                author_email_sealed=address.sealed,
                author_url=author.url,
                # From the address's keyed hash, so a guest's and a signed-in reader's
                # identicons are computed alike, from what every process can read.
                avatar_key=avatar_key(email=address.hash, name=author.name),
                author_provider=author.provider,
                author_picture=author.picture,
                body=body,
                body_html=body_html,
                status=status,
                moderation_reason=verdict.reason if verdict else "",
                reason_code=verdict.why.code if verdict else "",
                reason_params=verdict.why.params if verdict else {},
                shadow=bool(verdict and verdict.shadow),
                spam_score=verdict.spam_score if verdict else None,
                created=created,
                ip_hash=hashed_ip,
            )
            sqlrows.insert(comment)  # Comment.objects.create, for a fraction of the CPU
            announce(comment_posted, Comment, comment=comment, channel=channel, actor=author.user)
    except BaseException:
        # Rolled back: the thread object says again what the database holds (its
        # open flag stays as read: a closed thread is closed).
        thread.last_seq, thread.version, thread.comment_count, thread.last_comment_at = counted
        raise

    return PostResult(comment=comment, reason=verdict.reason if verdict else "")


def comment_submit(
    *,
    site: Site,
    key: str,
    url: str = "",
    title: str = "",
    commenter=None,
    guest: Author,
    body: str,
    parent_id: int | None = None,
    ip: str | None = None,
    channel: Channel | str,
    honeypot: str = "",
    form_token: str | None = None,
    challenge: str | None = None,
) -> PostResult:
    """The one posting flow of the front doors (the HTML section, the API and the
    widget): they differ only in how they parse the request and answer it.

    - `site` only names the site (a cached copy will do): the thread is loaded with
      its site's current row (services.threads.thread_for_posting), created if it
      is the page's first comment, so every check reads the policy as it is now.
    - Who posts: a signed-in `commenter` (anything with `as_author()`: the session's
      or the widget token's) posts under their account's name, whatever the form
      says; otherwise the `guest` details as typed.
    - Then comment_post: closed threads, validation, moderation, saving — and its
      errors, raised as they are.
    - The per-site facts in the shared cache are read ahead in one round trip
      (core.shared_cache.site_facts).
    """
    # The site's facts every post asks the shared cache for (any bans? the spam
    # filter's totals, subscribers, webhooks), in one round trip (core.shared_cache).
    with site_facts(site.pk):
        thread = thread_for_posting(site=site, key=key, url=url, title=title)
        return comment_post(
            thread=thread,
            author=commenter.as_author() if commenter is not None else guest,
            body=body,
            parent_id=parent_id,
            ip=ip,
            channel=channel,
            honeypot=honeypot,
            form_token=form_token,
            challenge=challenge,
        )


def _locked_thread_state(thread: Thread) -> tuple[bool, int]:
    """(is_open, last_seq), with the thread's row locked until the commit: the lock
    that orders a thread's comments (seq, path). Hand-written: see core.sqlrows."""
    is_open, last_seq = sqlrows.fetch_one(sqlrows.statement(_lock_sql), [thread.pk])
    return bool(is_open), last_seq


def _lock_sql() -> str:
    q = sqlrows.quote
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {q('is_open')}, {q('last_seq')} FROM {sqlrows.table(Thread)} "  # noqa: S608 - names from the models, values as parameters
        f"WHERE {q('id')} = %s{lock}"
    )


def _reply_target(thread: Thread, parent_id: int) -> Comment | None:
    """The comment being answered, if it is in this thread and not removed."""
    row = sqlrows.fetch_one(
        sqlrows.statement(_reply_target_sql),
        [parent_id, thread.pk, Comment.Status.SPAM, Comment.Status.TRASH],
    )
    return sqlrows.instance(Comment, row) if row is not None else None


def _reply_target_sql() -> str:
    q = sqlrows.quote
    return (
        f"SELECT {sqlrows.columns(Comment, 'c')} FROM {sqlrows.table(Comment)} c "  # noqa: S608 - names from the models, values as parameters
        f"WHERE c.{q('id')} = %s AND c.{q('thread_id')} = %s AND c.{q('status')} NOT IN (%s, %s)"
    )
