"""Status changes, and comments leaving the page."""

from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone

from meydan.comments import caching, erasure
from meydan.comments.avatars import avatar_key
from meydan.comments.events import Channel, announce, comment_erased, comment_status_changed
from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.comments.services.threads import thread_bump, thread_pin_lost

S = Comment.Status


def _move(locked: Comment, status: str, reason: Reason, *, channel, actor, removal=None) -> str:
    """Set a locked comment's status, keeping its thread's published count and
    version right; a pinned comment that leaves published is unpinned in the same
    statement. Returns the status it had."""
    before = locked.status
    if before == status:
        return before
    locked.status = status
    fields = ["status", *locked.set_reason(reason)]
    if removal is not None and status in (S.SPAM, S.TRASH):
        locked.removal_reason, locked.removal_note = removal
        locked.removed_at = timezone.now()
        fields += ["removal_reason", "removal_note", "removed_at"]
    elif status in (S.APPROVED, S.PENDING) and (locked.removal_reason or locked.removed_at):
        # Published or held again: the statement of reasons no longer applies.
        locked.removal_reason, locked.removal_note, locked.removed_at = "", "", None
        fields += ["removal_reason", "removal_note", "removed_at"]
    if status == S.APPROVED and locked.shadow:
        locked.shadow = False  # approved by a moderator: shown to everyone, not only its author
        fields.append("shadow")
    locked.save(update_fields=fields)
    delta = int(status == S.APPROVED) - int(before == S.APPROVED)
    updates = {"comment_count": F("comment_count") + delta}
    # Leaving published: no longer pinned. Nobody can pin it while we hold its lock,
    # and a pin made before is seen by a new statement (not by the thread read with
    # the comment, which may predate it). The update itself only clears this
    # comment's pin, should another comment have been pinned meanwhile.
    unpin = (
        before == S.APPROVED
        and status != S.APPROVED
        and Thread.objects.filter(pk=locked.thread_id, pinned=locked.pk).exists()
    )
    if unpin:
        updates["pinned_id"] = Case(When(pinned=locked.pk, then=None), default=F("pinned_id"))
    if locked.is_pick:  # a held pick is not counted; approved again, it is once more
        updates["pick_count"] = F("pick_count") + delta
    thread_bump(locked.thread, **updates)
    if unpin:
        thread_pin_lost(locked, channel=channel, actor=actor)
    return before


def comment_set_status(
    comment: Comment,
    status: str,
    *,
    reason: Reason | None = None,
    channel: Channel | str,
    actor=None,
    removal: tuple[str, str] | None = None,
) -> Comment:
    """Move a comment to `status`, for `reason` (stored with it); announces
    comment_status_changed after commit, with the reason's English record.

    `removal` is the statement of reasons — (Comment.RemovalReason code, note) —
    of a moderator who marks it spam or trashes it: stored with the comment and the
    time, for its author to see. Published or held again, the comment loses it."""
    reason = reason or Reason()
    with transaction.atomic():
        locked = (
            Comment.objects.select_related("thread")
            .select_for_update(of=("self",))
            .get(pk=comment.pk)
        )
        before = _move(locked, status, reason, channel=channel, actor=actor, removal=removal)
        if before != status:
            announce(
                comment_status_changed,
                Comment,
                comment=locked,
                before=before,
                after=status,
                reason=reason.text,
                channel=channel,
                actor=actor,
            )
    return locked


def comment_report_counted(comment: Comment) -> Comment:
    """Count one more reader's report against a comment (moderation.services.
    comment_flag, which keeps the reports themselves). Returns it with its
    current flag_count and status."""
    Comment.objects.filter(pk=comment.pk).update(flag_count=F("flag_count") + 1)
    comment.refresh_from_db(fields=["flag_count", "status"])
    return comment


DELETED_USER_NAME = "deleted user"


def _unidentified(name: str) -> dict:
    """The author fields of a comment whose author is erased: nothing that identifies them."""
    return {
        "user": None,
        "author_name": name,
        "author_email_hash": "",
        "author_email_sealed": "",
        "author_url": "",
        "author_provider": "",
        "author_picture": "",
        "avatar_key": avatar_key(name=name),
        "ip_hash": "",
    }


def comment_erase(
    comment: Comment,
    *,
    reason: Reason,
    channel: Channel | str,
    actor=None,
    keep_text: bool = False,
    delete_row: bool = False,
    name: str = DELETED_USER_NAME,
) -> Comment | None:
    """Erase what a comment says and who wrote it — the one erase every caller uses
    (an author withdrawing, a moderator's "delete forever", an account leaving).

    - The author's identity (name, e-mail, website, picture, account, IP hash) is
      wiped; the text too unless `keep_text` (a leaving reader who keeps their
      comments, shown as by "deleted user"). `name` is what the row then says of its
      author ("deleted user"; a moderator's delete leaves it empty).
    - Every registered copy (comments.erasure: audit snapshots, reports, spam memory)
      is scrubbed in the same transaction.
    - Unless the text is kept, the comment leaves the page (trash). With
      `delete_row` its row is deleted when nobody replied to it; otherwise it stays
      as a placeholder so replies keep their place. Returns None when deleted.
    - Announces comment_erased after commit.
    """
    with transaction.atomic():
        locked = (
            Comment.objects.select_related("thread")
            .select_for_update(of=("self",))
            .filter(pk=comment.pk)
            .first()
        )
        if locked is None:
            return None  # deleted meanwhile (a second click on "delete")
        thread = locked.thread
        erasure.scrub(locked, text=not keep_text)
        fields = _unidentified(name)
        if not keep_text:
            _move(locked, S.TRASH, reason, channel=channel, actor=actor)
            fields |= {"body": "", "body_html": "", "shadow": False, "flag_count": 0}
            fields |= {"is_pick": False, "picked_at": None, "picked_by": None}
        Comment.objects.filter(pk=locked.pk).update(**fields)
        for name, value in fields.items():
            setattr(locked, name, value)
        row_kept = not (delete_row and not keep_text and not locked.replies.exists())
        if not row_kept:
            Comment.objects.filter(pk=locked.pk).delete()
        thread_bump(thread)
        site_id, thread_id = thread.site_id, thread.pk
        transaction.on_commit(lambda: caching.thread_payloads_forget(site_id, thread_id))
        announce(
            comment_erased,
            Comment,
            comment_id=comment.pk,
            thread_id=thread.pk,
            site_id=thread.site_id,
            text_kept=keep_text,
            row_kept=row_kept,
            reason=reason.text,
            channel=channel,
            actor=actor,
        )
    return locked if row_kept else None


def comments_anonymise_for_user(user, *, channel: Channel | str, actor=None) -> int:
    """Keep a leaving reader's comments, shown as by "deleted user" with nothing
    that identifies them (name, e-mail, website, picture, account link)."""
    return _erase_all_of(user, keep_text=True, channel=channel, actor=actor)


def comments_remove_for_user(user, *, channel: Channel | str, actor=None) -> int:
    """Erase a leaving reader's comments: text and identity are wiped and the
    comments leave the page; replies by others stay, under a placeholder."""
    return _erase_all_of(user, keep_text=False, channel=channel, actor=actor)


def _erase_all_of(user, *, keep_text: bool, channel, actor) -> int:
    # The first is announced only (the comment keeps its status and its reason).
    reason = (
        Reason.of("erased", how="author left, comments kept")
        if keep_text
        else Reason.of("erased", how="removed by its author")
    )
    count = 0
    with transaction.atomic():
        # One erase per comment (each scrubs its copies and is announced); the list is
        # read once, not re-read by a list of ids (a prolific reader has thousands).
        for comment in list(Comment.objects.filter(user=user).order_by("pk")):
            comment_erase(comment, reason=reason, keep_text=keep_text, channel=channel, actor=actor)
            count += 1
    return count


def comment_withdraw(comment: Comment, *, channel: Channel | str, actor=None) -> Comment:
    """The author deletes their own comment (checked through comments.access).

    Its text and author are erased; the row stays, so replies by others keep their
    place under a placeholder and the author's link answers "gone".
    """
    return comment_erase(
        comment,
        reason=Reason.of("erased", how="deleted by its author"),
        channel=channel,
        actor=actor,
    )


def comments_with_addresses(site, *, before):
    """Published comments on `site` posted before `before` that still keep their
    author's address (sealed)."""
    return Comment.objects.filter(thread__site=site, status=S.APPROVED, created__lt=before).exclude(
        author_email_sealed=""
    )


def comments_forget_addresses(site, *, before) -> int:
    """Retention (Site.email_days): the address of each published comment posted
    before `before` is replaced by its keyed hash alone (the sealed copy goes). The
    hash still serves bans, first comments, duplicates and history. Nothing shown
    changes, so no thread version moves and no event is sent. Returns how many."""
    return comments_with_addresses(site, before=before).update(author_email_sealed="")
