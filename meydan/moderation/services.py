"""Moderators' actions. Each one writes the audit log (who, when, what, before and
after) in the same transaction, and teaches the spam filter where it applies."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meydan.accounts.identity import profile_for_user
from meydan.comments import services as comment_services
from meydan.comments.events import Channel
from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.core import metrics, sealing
from meydan.core.errors import MeydanError
from meydan.core.privacy import ip_hash, keyed_hash
from meydan.moderation import auditchain, erasure, spam
from meydan.moderation.models import AuditEntry, Ban, Flag
from meydan.moderation.statements import removal_reason_clean, report_reason_clean
from meydan.sites.models import Site

S = Comment.Status


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    target: str  # the status the comment moves to
    teaches: str  # "spam", "ham" or ""


ACTIONS = {
    a.name: a
    for a in [
        Action("approve", _("Approve"), S.APPROVED, "ham"),
        Action("unapprove", _("Unapprove"), S.PENDING, ""),
        Action("spam", _("Spam"), S.SPAM, "spam"),
        Action("not_spam", _("Not spam"), S.APPROVED, "ham"),
        Action("trash", _("Trash"), S.TRASH, ""),
        Action("restore", _("Restore"), "", ""),
    ]
}


# Which actions make sense for a comment in each status (the queue shows these).
ACTIONS_BY_STATUS = {
    S.PENDING: ["approve", "spam", "trash"],
    S.APPROVED: ["unapprove", "spam", "trash"],
    S.SPAM: ["not_spam", "trash"],
    S.TRASH: ["restore", "spam"],
}


def actions_for(status: str) -> list[Action]:
    return [ACTIONS[name] for name in ACTIONS_BY_STATUS.get(status, [])]


def _snapshot(comment: Comment) -> dict:
    return {
        "status": comment.status,
        "reason": comment.moderation_reason,
        "body": comment.body,
        "author_name": comment.author_name,
        # The mask only (a•••@g•••.com): the log must not be where an address leaks.
        "author_email": sealing.mask_of(comment.author_email_sealed),
        "author_url": comment.author_url,
    }


def audit_record(
    *,
    actor,
    action: str,
    comment=None,
    site=None,
    before=None,
    after=None,
    note: str = "",
    comment_ref: int | None = None,
):
    """Append one entry to the site's audit chain (auditchain.entry_append), in the
    caller's transaction. `comment_ref` names a comment that is gone (deleted for
    good), for the log."""
    site = site or (comment.thread.site if comment is not None else None)
    metrics.moderation_action(action)  # once the action commits
    return auditchain.entry_append(
        AuditEntry(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            site=site,
            comment=comment,
            comment_ref=comment.pk if comment is not None else comment_ref,
            action=action,
            before=before or {},
            after=after or {},
            note=note[:500],
        )
    )


def _teach(comment: Comment, lesson: str) -> None:
    """Teach the spam filter a moderator's decision (it unlearns a reversed one itself)."""
    if lesson:
        spam.spam_learn(comment, is_spam=lesson == "spam")


def _restore_target(comment: Comment) -> str:
    last = AuditEntry.objects.filter(comment=comment, action="trash").order_by("-created").first()
    previous = (last.before or {}).get("status") if last else None
    return previous if previous in (S.APPROVED, S.PENDING, S.SPAM) else S.PENDING


def comment_moderate(
    comment: Comment,
    action: str,
    *,
    actor,
    note: str = "",
    channel: Channel | str = Channel.MODERATION,
    removal_reason: str = "",
    removal_note: str = "",
) -> Comment:
    """Apply one action (see ACTIONS) to one comment the actor may moderate.

    Spam and trash remove it: `removal_reason` (a Comment.RemovalReason code; by
    default the action's, moderation.statements) and `removal_note` are the
    statement of reasons its author sees, kept on the comment and in the audit
    entry's `after`. Raises ReasonInvalid for a reason not on the list."""
    if action not in ACTIONS:
        raise MeydanError(_("Unknown moderation action."))
    removal = removal_reason_clean(action, removal_reason, removal_note)
    spec = ACTIONS[action]
    if action == "restore" and comment.status != S.TRASH:
        return comment  # only what is in the trash can be restored
    if not comment.body and comment.status == S.TRASH:
        # Erased (deleted forever with replies kept, or withdrawn by its author): the
        # row only holds the replies' place and can never be shown again.
        raise MeydanError(_("This comment was erased; it cannot be brought back."))
    with transaction.atomic():
        before = _snapshot(comment)
        target = spec.target or _restore_target(comment)
        who = actor.get_username() if actor else None
        reason = Reason.of("moderator", action=action, who=who)
        comment = comment_services.comment_set_status(
            comment, target, reason=reason, channel=channel, actor=actor, removal=removal
        )
        _teach(comment, spec.teaches)
        after = _snapshot(comment)
        if removal is not None:
            after |= {"removal_reason": removal[0], "removal_note": removal[1]}
        audit_record(
            actor=actor,
            action=action,
            comment=comment,
            before=before,
            after=after,
            note=note,
        )
    return comment


def comments_moderate_bulk(
    comments,
    action: str,
    *,
    actor,
    channel: Channel | str = Channel.MODERATION,
    removal_reason: str = "",
    removal_note: str = "",
) -> int:
    removal_reason_clean(action, removal_reason, removal_note)  # refuse before any change
    count = 0
    for comment in comments:
        comment_moderate(
            comment,
            action,
            actor=actor,
            note="bulk",  # notes are a format: moderation.wording words them
            channel=channel,
            removal_reason=removal_reason,
            removal_note=removal_note,
        )
        count += 1
    return count


def comment_delete_forever(
    comment: Comment,
    *,
    actor,
    channel: Channel | str = Channel.MODERATION,
    removal_reason: str = "",
    removal_note: str = "",
) -> None:
    """Delete a comment for good (comments.services.comment_erase). If others
    replied to it, its row stays as an erased placeholder (no text, no author) so
    their replies keep their place. The log keeps that it was deleted, by whom, when
    and from which status, and the reason (for the transparency report); the erase
    scrubs the text and author from every snapshot."""
    code, _note = removal_reason_clean("delete", removal_reason, removal_note) or ("", "")
    with transaction.atomic():
        before, pk, site = _snapshot(comment), comment.pk, comment.thread.site
        kept = comment_services.comment_erase(
            comment,
            reason=Reason.of("erased", how="deleted"),
            channel=channel,
            actor=actor,
            delete_row=True,
            name="",
        )
        # Written after the erase, so without the text and author it just erased.
        after = {"erased": True} if kept is not None else {"deleted": pk}
        audit_record(
            actor=actor,
            action="delete",
            comment=kept,
            site=site,
            comment_ref=pk,
            before=erasure.scrubbed(before, erasure.AUTHOR_KEYS + erasure.TEXT_KEYS),
            after=after | {"removal_reason": code},
        )


def comment_moderator_edit(
    comment: Comment,
    *,
    actor,
    body: str,
    author_name: str | None = None,
    author_email: str | None = None,
    author_url: str | None = None,
    reason: Reason | None = None,
    channel: Channel | str = Channel.MODERATION,
) -> Comment:
    """A moderator corrects a comment's text (and, from the admin, its author
    details and its moderation reason); audited with what it was before."""
    with transaction.atomic():
        before = _snapshot(comment)
        comment = comment_services.comment_edit(
            comment,
            body=body,
            author_name=comment.author_name if author_name is None else author_name,
            author_email=author_email,
            author_url=comment.author_url if author_url is None else author_url,
            reason=reason,
            channel=channel,
            actor=actor,
        )
        audit_record(
            actor=actor, action="edit", comment=comment, before=before, after=_snapshot(comment)
        )
    return comment


def comment_pick(
    comment: Comment, picked: bool, *, actor, channel: Channel | str = Channel.MODERATION
) -> Comment:
    """Make a published comment an editor's pick, or no longer (comments.services.
    comment_set_pick); audited as "pick" or "unpick" when it changed anything.
    Raises NotPublished when picking a comment readers do not see."""
    with transaction.atomic():
        was = Comment.objects.filter(pk=comment.pk).values_list("is_pick", flat=True).first()
        comment = comment_services.comment_set_pick(comment, picked, channel=channel, actor=actor)
        if was != picked:
            audit_record(
                actor=actor,
                action="pick" if picked else "unpick",
                comment=comment,
                before={"pick": bool(was)},
                after={"pick": picked},
            )
    return comment


def comment_pin(
    comment: Comment, pinned: bool, *, actor, channel: Channel | str = Channel.MODERATION
) -> Comment | None:
    """Pin a published comment to the top of its thread (in place of the one pinned
    before), or unpin it (nothing happens if another one is pinned); audited as "pin"
    or "unpin", with the comment pinned before and after. Returns the comment pinned
    now. Raises NotPublished when pinning a comment readers do not see."""
    with transaction.atomic():
        thread = comment.thread
        before = Thread.objects.filter(pk=thread.pk).values_list("pinned", flat=True).first()
        if not pinned and before != comment.pk:
            return None
        now = comment_services.thread_pin(
            thread, comment if pinned else None, channel=channel, actor=actor
        )
        after = now.pk if now is not None else None
        if after != before:
            audit_record(
                actor=actor,
                action="pin" if pinned else "unpin",
                comment=comment,
                before={"pinned": before},
                after={"pinned": after},
            )
    return now


def comment_moderator_reply(parent: Comment, *, actor, body: str) -> Comment:
    """Reply as the moderator (published at once, no checks), e.g. to explain a decision."""
    profile = profile_for_user(actor)
    with transaction.atomic():
        result = comment_services.comment_post(
            thread=parent.thread,
            author=comment_services.Author(
                name=profile.display_name,
                email=actor.email,
                user=actor,
                picture=profile.picture.key if profile.picture_id else "",
            ),
            body=body,
            parent_id=parent.pk,
            moderate=False,
            channel=Channel.MODERATION,
        )
        audit_record(
            actor=actor, action="reply", comment=result.comment, after=_snapshot(result.comment)
        )
    return result.comment


def ban_create(
    *,
    actor,
    site,
    kind: str,
    value: str,
    expires: datetime | None = None,
    shadow: bool = False,
    reason: str = "",
):
    value, shown = value.strip(), ""
    if not value:
        raise MeydanError(_("Say whom to ban."))
    if kind == Ban.Kind.EMAIL:
        value, shown = _email_ban_value(site, value)
    if expires is not None and expires <= timezone.now():
        raise MeydanError(_("The expiry must be in the future."))
    with transaction.atomic():
        ban = Ban.objects.create(
            site=site,
            kind=kind,
            value=value,
            shown=shown,
            expires=expires,
            shadow=shadow,
            reason=reason[:200],
            created_by=actor if actor and actor.is_authenticated else None,
        )
        audit_record(
            actor=actor,
            action="ban",
            site=site,
            after={
                "kind": kind,
                "value": value,
                "shadow": shadow,
                "expires": expires.isoformat() if expires else None,
            },
            note=reason,
        )
    return ban


def _email_ban_value(site, value: str) -> tuple[str, str]:
    """(keyed hash, mask) of an email ban: from an address a moderator typed, or from
    the hash the queue's "Ban…" link carries (its mask then comes from a comment)."""
    if "@" in value:
        return sealing.email_hash(value), sealing.mask(value)
    if not sealing.is_email_hash(value):
        raise MeydanError(_("Enter an email address."))
    stored = (
        Comment.objects.filter(thread__site=site, author_email_hash=value)
        .values_list("author_email_sealed", flat=True)
        .first()
    )
    return value, sealing.mask_of(stored or "")


def ban_lift(ban, *, actor) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="unban",
            site=ban.site,
            before={"kind": ban.kind, "value": ban.value, "shadow": ban.shadow},
        )
        ban.delete()


def reporter_key(*, user=None, ip: str | None = None, session_key: str | None = None) -> str:
    """Who reports, for "each reader counts once", the same for the HTML page and the
    API: a signed-in reader by account; a guest by keyed IP hash (never the address),
    else by their session."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    if ip:
        # Under the rotating IP key (core.privacy): once it is purged, nobody can link
        # a report to an address, even with SECRET_KEY. (A reader may report the same
        # comment once more after a rotation: their report counts twice.)
        return f"ip:{ip_hash(ip)}"
    return keyed_hash("reporter", session_key or "")


def comment_flag(
    comment: Comment,
    *,
    reporter_key: str,
    reason: str,
    note: str = "",
    channel: Channel | str,
) -> bool:
    """A reader reports a comment, with a reason from Flag.Reason (and their own
    words, required for "other"; ReasonInvalid otherwise, nothing stored). Each
    reader counts once; at the site's threshold a published comment is held for
    review. Returns False for a repeated report."""
    reason, note = report_reason_clean(reason, note)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Flag.objects.create(
                    comment=comment, reporter=reporter_key, reason=reason, note=note
                )
        except IntegrityError:
            return False
        comment = comment_services.comment_report_counted(comment)
        threshold = comment.thread.site.flag_threshold
        if comment.status == S.APPROVED and comment.flag_count >= threshold:
            before = _snapshot(comment)
            comment = comment_services.comment_set_status(
                comment,
                S.PENDING,
                reason=Reason.of("reports", n=comment.flag_count),
                channel=channel,
            )
            audit_record(
                actor=None,
                action="flagged",
                comment=comment,
                before=before,
                after=_snapshot(comment),
                note=f"{comment.flag_count} reports",
            )
    return True


# The front doors through which an author erases their own comments (a moderator's
# erase is audited where it is made, with what it was; an undone import by its batch).
AUTHOR_CHANNELS = {Channel.FORM, Channel.API, Channel.SELF_SERVICE}


def author_erase_recorded(
    sender, *, comment_id, site_id, row_kept, reason, channel, actor=None, **kwargs
) -> None:
    """comment_erased, by its author (withdrawn on the page, "manage my comments",
    an account leaving): the log keeps that it happened, by whom and when, and
    nothing of the comment."""
    if channel not in AUTHOR_CHANNELS:
        return
    audit_record(
        actor=actor,
        action="author erase",
        site=Site.objects.filter(pk=site_id).first(),
        comment=Comment.objects.filter(pk=comment_id).first() if row_kept else None,
        comment_ref=comment_id,
        after={"erased": True} if row_kept else {"deleted": comment_id},
        note=f"by its author: {reason}",
    )
