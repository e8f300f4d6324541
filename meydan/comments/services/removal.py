"""Status changes, and comments leaving the page."""

from django.db import transaction
from django.db.models import F

from meydan.accounts.avatars import avatar_key
from meydan.comments.models import Comment
from meydan.comments.services.threads import thread_changed, threads_changed
from meydan.comments.signals import comment_published


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
        thread_changed(comment.thread, comment_count=F("comment_count") + delta)
        if status == Comment.Status.APPROVED:
            transaction.on_commit(lambda: comment_published.send(sender=Comment, comment=locked))
    return locked


DELETED_USER_NAME = "deleted user"


def _unidentified() -> dict:
    """The author fields of a comment whose author left: nothing that identifies them."""
    return {
        "user": None,
        "author_name": DELETED_USER_NAME,
        "author_email": "",
        "author_url": "",
        "author_provider": "",
        "author_picture": "",
        "avatar_key": avatar_key(name=DELETED_USER_NAME),
        "ip_hash": "",
    }


def comments_anonymise_for_user(user) -> int:
    """Keep a leaving reader's comments, shown as by "deleted user" with nothing
    that identifies them (name, email, website, picture, account link)."""
    with transaction.atomic():
        comments = Comment.objects.filter(user=user)
        thread_ids = list(comments.values_list("thread_id", flat=True))
        changed = comments.update(**_unidentified())
        threads_changed(thread_ids)
    return changed


def comments_remove_for_user(user) -> int:
    """Erase a leaving reader's comments: text and identity are wiped and the
    comments leave the page; replies by others stay, under a placeholder."""
    with transaction.atomic():
        changed = 0
        from meydan.moderation.spam import spam_forget

        for comment in Comment.objects.filter(user=user).select_for_update():
            spam_forget(comment)
            comment_set_status(comment, Comment.Status.TRASH, reason="removed by its author")
            changed += 1
        comments = Comment.objects.filter(user=user)
        thread_ids = list(comments.values_list("thread_id", flat=True))
        comments.update(body="", body_html="", **_unidentified())
        threads_changed(thread_ids)
    return changed


def comment_withdraw(comment: Comment) -> Comment:
    """The author deletes their own comment (checked through comments.access).

    Its text is erased; replies by others stay, under a placeholder.
    """
    from meydan.moderation.spam import spam_forget

    with transaction.atomic():
        spam_forget(comment)
        comment = comment_set_status(comment, Comment.Status.TRASH, reason="deleted by its author")
        Comment.objects.filter(pk=comment.pk).update(body="", body_html="")
        comment.body = comment.body_html = ""
    return comment
