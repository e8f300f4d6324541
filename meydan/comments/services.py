"""Every write to threads and comments.

Callers — the newsroom form view, the API, importers, the demo seeder, a shell —
go through these functions; none of them creates Comment rows directly.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from meydan.accounts.avatars import avatar_key
from meydan.comments import validation
from meydan.comments.models import Comment, Thread
from meydan.comments.rendering import render_markdown
from meydan.comments.signals import comment_held, comment_published
from meydan.comments.tree import child_path
from meydan.core.errors import CommentRejected, InvalidComment, ParentNotFound, ThreadClosed
from meydan.core.privacy import ip_hash as hash_ip
from meydan.moderation import pipeline
from meydan.moderation.verdicts import Decision
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


def thread_get_or_create(*, site: Site, key: str, url: str = "", title: str = "") -> Thread:
    """The thread for `key` on `site`, created (open per the site's policy) if absent."""
    thread, _ = Thread.objects.get_or_create(
        site=site,
        key=key,
        defaults={"url": url or key, "title": title[:300], "is_open": site.comments_open},
    )
    return thread


def _validated(
    site: Site, author: Author, body: str, *, email_required: bool
) -> tuple[Author, str]:
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, clean in [
        ("name", lambda: validation.clean_name(author.name)),
        ("email", lambda: validation.clean_email(author.email, required=email_required)),
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
        return self.comment.status == Comment.Status.APPROVED


def comment_post(
    *,
    thread: Thread,
    author: Author,
    body: str,
    parent_id: int | None = None,
    ip: str | None = None,
    created: datetime | None = None,
    moderate: bool = True,
) -> PostResult:
    """Validate, moderate and save a comment or reply.

    Guarantees:
    - Raises InvalidComment (per-field messages), ThreadClosed, ParentNotFound or
      CommentRejected, and then nothing is stored.
    - Runs the moderation pipeline unless `moderate` is False (importers and the
      demo seeder, which bring already-moderated comments).
    - One transaction: the thread row is locked, the comment inserted with its tree
      path, the thread's version, sequence and published count bumped together.
    - A reply deeper than the site's nesting limit is attached at the limit
      (its `replied_to` still names the comment the author answered).
    - comment_published / comment_held are sent only after commit.
    """
    site = thread.site
    if moderate and not thread.is_open:
        raise ThreadClosed()
    author, body = _validated(site, author, body, email_required=author.user is None)
    hashed_ip = hash_ip(ip)
    verdict = None
    if moderate:
        verdict = pipeline.run(
            pipeline.Draft(
                site=site,
                thread=thread,
                body=body,
                author_name=author.name,
                author_email=author.email,
                author_url=author.url,
                ip_hash=hashed_ip,
                user=author.user,
            )
        )
        if verdict.decision == Decision.REJECT:
            raise CommentRejected(verdict.reason or None)
    status = _STATUS_FOR[verdict.decision] if verdict else Comment.Status.APPROVED
    body_html = render_markdown(body)

    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        if moderate and not locked.is_open:
            raise ThreadClosed()
        parent = None
        replied_to = None
        if parent_id is not None:
            parent = (
                Comment.objects.filter(pk=parent_id, thread=locked)
                .exclude(status__in=[Comment.Status.SPAM, Comment.Status.TRASH])
                .first()
            )
            if parent is None:
                raise ParentNotFound(field="parent")
            replied_to = parent
            while parent is not None and parent.depth + 1 >= site.max_depth:
                parent = parent.parent
        seq = locked.last_seq + 1
        comment = Comment.objects.create(
            thread=locked,
            parent=parent,
            replied_to=replied_to,
            seq=seq,
            root_seq=int(parent.path[:6], 36) if parent else seq,
            path=child_path(parent.path if parent else "", seq),
            depth=parent.depth + 1 if parent else 0,
            user=author.user,
            author_name=author.name,
            author_email=author.email,
            author_url=author.url,
            avatar_key=avatar_key(email=author.email, name=author.name),
            author_provider=author.provider,
            author_picture=author.picture,
            body=body,
            body_html=body_html,
            status=status,
            moderation_reason=verdict.reason if verdict else "",
            created=created or timezone.now(),
            ip_hash=hashed_ip,
        )
        published = status == Comment.Status.APPROVED
        Thread.objects.filter(pk=locked.pk).update(
            last_seq=seq,
            version=F("version") + 1,
            comment_count=F("comment_count") + (1 if published else 0),
            last_comment_at=comment.created if published else F("last_comment_at"),
        )
        signal = comment_published if published else comment_held
        transaction.on_commit(lambda: signal.send(sender=Comment, comment=comment))
    return PostResult(comment=comment, reason=verdict.reason if verdict else "")


def comment_set_status(comment: Comment, status: str, *, reason: str = "") -> Comment:
    """Move a comment to `status`, keeping the thread's published count and version right."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status == status:
            return locked
        was_public = locked.status == Comment.Status.APPROVED
        locked.status = status
        locked.moderation_reason = reason
        locked.save(update_fields=["status", "moderation_reason"])
        delta = int(status == Comment.Status.APPROVED) - int(was_public)
        Thread.objects.filter(pk=locked.thread_id).update(
            version=F("version") + 1, comment_count=F("comment_count") + delta
        )
        if status == Comment.Status.APPROVED:
            transaction.on_commit(lambda: comment_published.send(sender=Comment, comment=locked))
    return locked


def comment_edit(
    comment: Comment,
    *,
    body: str,
    author_name: str,
    author_email: str,
    author_url: str,
    moderation_reason: str | None = None,
) -> Comment:
    """Change a comment's text or author details (a moderator's correction).

    Validates like comment_post (raises InvalidComment), renders the body again,
    stamps `edited` and bumps the thread's version so cached pages refresh.
    """
    site = comment.thread.site
    author, body = _validated(
        site,
        Author(name=author_name, email=author_email, url=author_url, user=comment.user),
        body,
        email_required=False,  # imported and signed-in comments may have none
    )
    with transaction.atomic():
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.author_name = author.name
        comment.author_email = author.email
        comment.author_url = author.url
        comment.avatar_key = avatar_key(email=author.email, name=author.name)
        if moderation_reason is not None:
            comment.moderation_reason = moderation_reason
        comment.edited = timezone.now()
        comment.save()
        Thread.objects.filter(pk=comment.thread_id).update(version=F("version") + 1)
    return comment


DELETED_USER_NAME = "deleted user"


def _bump_threads(thread_ids) -> None:
    Thread.objects.filter(pk__in=set(thread_ids)).update(version=F("version") + 1)


def comments_anonymise_for_user(user) -> int:
    """Keep a leaving reader's comments, shown as by "deleted user" with nothing
    that identifies them (name, email, website, picture, account link)."""
    with transaction.atomic():
        comments = Comment.objects.filter(user=user)
        thread_ids = list(comments.values_list("thread_id", flat=True))
        changed = comments.update(
            user=None,
            author_name=DELETED_USER_NAME,
            author_email="",
            author_url="",
            author_provider="",
            author_picture="",
            avatar_key=avatar_key(name=DELETED_USER_NAME),
            ip_hash="",
        )
        _bump_threads(thread_ids)
    return changed


def comments_remove_for_user(user) -> int:
    """Erase a leaving reader's comments: text and identity are wiped and the
    comments leave the page; replies by others stay, under a placeholder."""
    with transaction.atomic():
        changed = 0
        for comment in Comment.objects.filter(user=user).select_for_update():
            comment_set_status(comment, Comment.Status.TRASH, reason="removed by its author")
            changed += 1
        comments = Comment.objects.filter(user=user)
        thread_ids = list(comments.values_list("thread_id", flat=True))
        comments.update(
            user=None,
            body="",
            body_html="",
            author_name=DELETED_USER_NAME,
            author_email="",
            author_url="",
            author_provider="",
            author_picture="",
            avatar_key=avatar_key(name=DELETED_USER_NAME),
            ip_hash="",
        )
        _bump_threads(thread_ids)
    return changed
