"""Changing what a comment says."""

from django.db import transaction
from django.utils import timezone

from meydan.comments.avatars import avatar_key
from meydan.comments.events import Channel, announce, comment_edited
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.comments.rendering import render_markdown
from meydan.comments.services.posting import Author, validated
from meydan.comments.services.threads import thread_bump


def comment_edit(
    comment: Comment,
    *,
    body: str,
    author_name: str,
    author_email: str | None,
    author_url: str,
    reason: Reason | None = None,
    channel: Channel | str,
    actor=None,
) -> Comment:
    """Change a comment's text or author details (a moderator's correction).

    Validates like comment_post (raises InvalidComment), renders the body again,
    stamps `edited` and bumps the thread's version so cached pages refresh.
    `author_email` None keeps the address (stored sealed: a moderator sees only
    its mask, so cannot send it back); a string replaces it ('' removes it).
    """
    author, body = validated(
        comment.thread.site,
        Author(name=author_name, email=author_email or "", url=author_url, user=comment.user),
        body,
        email_required=False,  # imported and signed-in comments may have none
    )
    comment.author_name = author.name
    comment.author_url = author.url
    if author_email is not None:
        comment.set_author_email(author.email)
        comment.avatar_key = avatar_key(email=comment.author_email_hash, name=author.name)
    elif not comment.has_author_email:
        comment.avatar_key = avatar_key(name=author.name)
    if reason is not None:
        comment.set_reason(reason)
    return _changed(comment, body, None, channel=channel, actor=actor)


def comment_edit_by_author(
    comment: Comment, *, body: str, channel: Channel | str, actor=None
) -> Comment:
    """The author changes their comment's text (the caller has checked, through
    comments.access, that they may). Validated and rendered like a new comment."""
    _, body = validated(
        comment.thread.site,
        Author(name=comment.author_name, user=comment.user),
        body,
        email_required=False,
    )
    return _changed(comment, body, ["body", "body_html", "edited"], channel=channel, actor=actor)


def _changed(comment: Comment, body: str, fields, *, channel, actor) -> Comment:
    """Save a validated edit, bump the thread and announce comment_edited (the one
    place that sends it)."""
    with transaction.atomic():
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.edited = timezone.now()
        comment.save(update_fields=fields)
        thread_bump(comment.thread)
        announce(comment_edited, Comment, comment=comment, channel=channel, actor=actor)
    return comment
