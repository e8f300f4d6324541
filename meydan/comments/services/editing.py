"""Changing what a comment says."""

from django.db import transaction
from django.utils import timezone

from meydan.accounts.avatars import avatar_key
from meydan.comments.models import Comment
from meydan.comments.rendering import render_markdown
from meydan.comments.services.posting import Author, validated
from meydan.comments.services.threads import thread_changed


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
    author, body = validated(
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
        thread_changed(comment.thread)
    return comment


def comment_edit_by_author(comment: Comment, *, body: str) -> Comment:
    """The author changes their comment's text (the caller has checked, through
    comments.access, that they may). Validated and rendered like a new comment."""
    site = comment.thread.site
    _, body = validated(
        site,
        Author(name=comment.author_name, email=comment.author_email, user=comment.user),
        body,
        email_required=False,
    )
    with transaction.atomic():
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.edited = timezone.now()
        comment.save(update_fields=["body", "body_html", "edited"])
        thread_changed(comment.thread)
    return comment
