"""Permission-checked fetches of comments.

`access_comment_for_author(comment_id, user=…, token=…)` returns a comment the
caller wrote and may still change, or raises: NotFound when it does not exist or
is not theirs (the same answer, so ids cannot be probed), EditWindowClosed when
it is theirs but too old. Code that gets a comment from here does not re-check.
"""

from datetime import timedelta

from django.core import signing
from django.utils import timezone

from meydan.comments.models import Comment
from meydan.core.errors import EditWindowClosed, NotFound

OWNER_SALT = "meydan.comments.owner"


def owner_token(comment: Comment) -> str:
    """The token a guest gets when posting: it proves they wrote `comment`."""
    return signing.dumps({"c": comment.pk}, salt=OWNER_SALT, compress=True)


def edit_deadline(comment: Comment):
    minutes = comment.thread.site.edit_window_minutes
    return comment.created + timedelta(minutes=minutes)


def _token_names(token: str | None, comment_id: int, max_age: int) -> bool:
    if not token:
        return False
    try:
        data = signing.loads(token, salt=OWNER_SALT, max_age=max_age)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("c") == comment_id


def access_comment_for_author(comment_id: int, *, user=None, token: str | None = None) -> Comment:
    comment = (
        Comment.objects.select_related("thread__site")
        .filter(pk=comment_id)
        .exclude(status__in=[Comment.Status.TRASH, Comment.Status.SPAM])
        .first()
    )
    if comment is None:
        raise NotFound()
    window = comment.thread.site.edit_window_minutes * 60
    owns = (
        user is not None and getattr(user, "is_authenticated", False) and comment.user_id == user.pk
    ) or _token_names(token, comment.pk, max_age=max(window, 1))
    if not owns:
        raise NotFound()
    if window == 0 or timezone.now() > edit_deadline(comment):
        raise EditWindowClosed()
    return comment


def access_published_comment(comment_id: int) -> Comment:
    """A published comment, with its thread and site, for what any reader may do to
    it (report it, up-vote it or take the vote back); NotFound for any other.
    The services check the rest (comments.services.voting: the thread open, not the
    voter's own)."""
    comment = (
        Comment.objects.select_related("thread__site")
        .filter(pk=comment_id, status=Comment.Status.APPROVED)
        .first()
    )
    if comment is None:
        raise NotFound()
    return comment


def token_proves_author(token: str | None, comment_id: int) -> bool:
    """Whether a guest's edit token (owner_token) names this comment, however old:
    it still proves who wrote it after the edit window (a guest may not up-vote
    their own comment)."""
    return _token_names(token, comment_id, max_age=None)


def access_removed_comment_for_author(
    comment_id: int, *, user=None, own_ids=(), token: str | None = None
) -> Comment:
    """A comment the moderators removed (marked spam or trashed, with a statement of
    reasons), for its author only: signed in as its account, or the browser that
    posted it (`own_ids`, the session's), or holding its edit token (however old).
    NotFound for anyone else, and for a comment that is not removed that way."""
    comment = (
        Comment.objects.select_related("thread__site")
        .filter(pk=comment_id, status__in=[Comment.Status.SPAM, Comment.Status.TRASH])
        .exclude(removal_reason="")
        .exclude(body="")
        .first()
    )
    if comment is None:
        raise NotFound()
    owns = (
        (
            user is not None
            and getattr(user, "is_authenticated", False)
            and comment.user_id == user.pk
        )
        or comment.pk in {int(pk) for pk in own_ids}
        or _token_names(token, comment.pk, max_age=None)
    )
    if not owns:
        raise NotFound()
    return comment
