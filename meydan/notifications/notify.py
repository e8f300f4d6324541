"""Telling subscribers of a new comment: the event receivers (in the request, after
commit: they only enqueue) and the task the worker runs (it finds the recipients,
renders and queues one message each)."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from meydan.comments.events import Channel
from meydan.comments.models import Comment
from meydan.core.sealing import email_hash
from meydan.core.tasks import enqueue_on_commit, enqueue_or_log, outlasts_database_outages
from meydan.notifications.mail import clean_header_text, mail_enqueue
from meydan.notifications.models import (
    HeldNotice,
    ModeratorMail,
    Notified,
    PendingNotice,
    PostAnnounced,
    Subscription,
)
from meydan.notifications.services import (
    absolute,
    manage_comments_link,
    manage_token,
    site_has_subscriptions,
    unsubscribe_token,
)


def comment_posted(sender, comment, channel, actor, **kwargs):
    """comment_posted: a published comment is announced to its thread's subscribers
    (imports are not: they are old news); a held one to the site's moderators."""
    if channel == Channel.IMPORT:
        return
    if comment.status == Comment.Status.APPROVED:
        _announce(comment)
    elif comment.status == Comment.Status.PENDING:
        enqueue_or_log(notify_moderators, comment.pk, what=f"{comment.pk}: moderators not told")


def comment_status_changed(sender, comment, before, after, channel, actor, **kwargs):
    """A held comment a moderator approves is announced then (once: see Notified);
    a published one that readers' reports put back in the queue is a moderator's
    business."""
    if after == Comment.Status.APPROVED and before in (Comment.Status.PENDING, Comment.Status.SPAM):
        _announce(comment)
    elif (
        after in REMOVED
        and before not in REMOVED
        and comment.removal_reason
        and comment.author_email_hash
    ):
        enqueue_or_log(notify_author_removed, comment.pk, what=f"{comment.pk}: author not told")
    elif after == Comment.Status.PENDING and channel != Channel.MODERATION and actor is None:
        enqueue_or_log(notify_moderators, comment.pk, what=f"{comment.pk}: moderators not told")


REMOVED = (Comment.Status.SPAM, Comment.Status.TRASH)


@task()
@outlasts_database_outages
def notify_author_removed(comment_id: int) -> int:
    """Tell the author of a comment the moderators removed why (the statement of
    reasons), if they asked to hear from this page: a confirmed subscription of
    theirs (the same address) to its thread. Nobody else is told. Returns 1 when a
    message was queued."""
    comment = Comment.objects.select_related("thread__site").filter(pk=comment_id).first()
    if comment is None or comment.status not in REMOVED or not comment.removal_reason:
        return 0
    if not comment.author_email_hash or not comment.body:
        return 0
    subscription = (
        Subscription.objects.filter(
            thread=comment.thread,
            email_hash=comment.author_email_hash,
            confirmed__isnull=False,
            kind__in=[Subscription.Kind.REPLIES, Subscription.Kind.THREAD],
        )
        .order_by("pk")
        .first()
    )
    if subscription is None:
        return 0
    unsubscribe, manage = _links(subscription)
    thread = comment.thread
    with translation.override(subscription.language or None):
        title = clean_header_text(thread.title or thread.key, limit=100)
        context = {
            "comment": comment,
            "title": title,
            "reason": comment.get_removal_reason_display(),
            "unsubscribe": unsubscribe,
            "manage": manage,
            "manage_comments": manage_comments_link(thread.site),
        }
        mail_enqueue(
            to=subscription.email_sealed,
            to_hash=subscription.email_hash,
            subject=_("Your comment on %(title)s was removed") % {"title": title},
            text=render_to_string("notifications/email/removed.txt", context),
            html=render_to_string("notifications/email/removed.html", context),
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            kind="removed",
            comment_id=comment.pk,
        )
    return 1


def _announce(comment: Comment) -> None:
    if site_has_subscriptions(comment.thread.site_id):
        enqueue_or_log(notify_comment, comment.pk, what=f"comment {comment.pk} not announced")


def _links(subscription: Subscription) -> tuple[str, str]:
    """The two links in every message: unsubscribe from this, and manage all."""
    unsubscribe = reverse("notifications:unsubscribe", args=[unsubscribe_token(subscription)])
    manage = reverse("notifications:manage", args=[manage_token(subscription.email_hash)])
    return absolute(unsubscribe), absolute(manage)


def _host() -> str:
    host = settings.MEYDAN_PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0] or "meydan"
    return host.split(":", 1)[0]


def _message_id(kind: str, pk: int) -> str:
    return f"<{kind}-{pk}@{_host()}>"


@task()
@outlasts_database_outages
def notify_comment(comment_id: int) -> int:
    """Queue one message for each confirmed subscriber of the comment's thread (and
    each reader who asked for replies to the comment it answers), its author left
    out; a reader subscribed both ways gets one. Returns how many were queued."""
    comment = (
        Comment.objects.select_related("thread__site", "replied_to").filter(pk=comment_id).first()
    )
    if comment is None or comment.status != Comment.Status.APPROVED:
        return 0
    try:
        with transaction.atomic():
            Notified.objects.create(comment_id=comment.pk)
    except IntegrityError:
        return 0  # announced already
    thread = comment.thread
    # Addresses are matched by their keyed hashes (core.sealing): this task needs
    # no address in clear; the mail worker opens each sealed one to send.
    author = comment.author_email_hash
    recipients: dict[str, tuple[Subscription, bool]] = {}
    parent = comment.replied_to
    parent_email = parent.author_email_hash if parent is not None else ""
    confirmed = Subscription.objects.filter(thread=thread, confirmed__isnull=False)
    for subscription in confirmed.filter(kind=Subscription.Kind.THREAD).iterator():
        recipients[subscription.email_hash] = (subscription, False)
    if parent_email:
        replies = confirmed.filter(kind=Subscription.Kind.REPLIES, email_hash=parent_email)
        for subscription in replies:
            recipients[subscription.email_hash] = (subscription, True)
    if author:
        recipients.pop(author, None)
    for subscription, is_reply in recipients.values():
        _notify(comment, subscription, is_reply=is_reply)
    return len(recipients)


def _notify(comment: Comment, subscription: Subscription, *, is_reply: bool) -> None:
    """One message now, or — when this reader had one in the last
    MEYDAN_NOTIFY_DIGEST_SECONDS — a place in the digest due at the window's end."""
    window = settings.MEYDAN_NOTIFY_DIGEST_SECONDS
    now = timezone.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
        if locked is None:
            return  # unsubscribed meanwhile
        recent = locked.last_notified and now - locked.last_notified < timedelta(seconds=window)
        if not window or not recent:
            locked.last_notified = now
            locked.save(update_fields=["last_notified"])
            _send(comment, locked, is_reply=is_reply)
            return
        PendingNotice.objects.get_or_create(
            subscription=locked, comment_id=comment.pk, defaults={"is_reply": is_reply}
        )
        if locked.digest_due is None:
            locked.digest_due = locked.last_notified + timedelta(seconds=window)
            locked.save(update_fields=["digest_due"])
            due = locked.digest_due
            enqueue_on_commit(send_digest.using(run_after=due), locked.pk, what="a digest")


@task()
@outlasts_database_outages
def send_digest(subscription_id: int) -> int:
    """Everything a reader was not told of during their window, in one message."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("thread__site", "site")
            .filter(pk=subscription_id).first()
        )  # fmt: skip
        if subscription is None:
            return 0
        notices = list(subscription.pending.order_by("comment_id"))
        subscription.pending.all().delete()
        subscription.digest_due = None
        subscription.last_notified = timezone.now()
        subscription.save(update_fields=["digest_due", "last_notified"])
        comments = list(
            Comment.objects.select_related("thread__site")
            .filter(pk__in=[n.comment_id for n in notices], status=Comment.Status.APPROVED)
            .order_by("pk")
        )
        if len(comments) == 1:
            is_reply = next(n.is_reply for n in notices if n.comment_id == comments[0].pk)
            _send(comments[0], subscription, is_reply=is_reply)
        elif comments:
            _send_digest(subscription, comments)
    return len(comments)


def _send_digest(subscription: Subscription, comments: list[Comment]) -> None:
    thread = comments[0].thread
    unsubscribe, manage = _links(subscription)
    with translation.override(subscription.language or None):
        title = clean_header_text(thread.title or thread.key, limit=100)
        items = [
            {"comment": c, "link": absolute(reverse("comment-permalink", args=[c.pk]))}
            for c in comments
        ]
        context = {"title": title, "items": items, "unsubscribe": unsubscribe, "manage": manage,
                   "manage_comments": manage_comments_link(thread.site)}  # fmt: skip
        mail_enqueue(
            to=subscription.email_sealed,
            to_hash=subscription.email_hash,
            subject=ngettext(
                "%(n)d new comment on %(title)s", "%(n)d new comments on %(title)s", len(comments)
            )
            % {"n": len(comments), "title": title},
            text=render_to_string("notifications/email/digest.txt", context),
            html=render_to_string("notifications/email/digest.html", context),
            headers={
                "Message-ID": f"<digest-{subscription.pk}-{comments[-1].pk}@{_host()}>",
                "In-Reply-To": _message_id("thread", thread.pk),
                "References": _message_id("thread", thread.pk),
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            kind="digest",
        )


def _send(comment: Comment, subscription: Subscription, *, is_reply: bool) -> None:
    thread = comment.thread
    link = absolute(reverse("comment-permalink", args=[comment.pk]))
    unsubscribe, manage = _links(subscription)
    with translation.override(subscription.language or None):
        title = clean_header_text(thread.title or thread.key, limit=100)
        if is_reply:
            subject = _("%(name)s replied to your comment on %(title)s")
        else:
            subject = _("New comment on %(title)s")
        subject = subject % {
            "name": clean_header_text(comment.author_name, limit=60),
            "title": title,
        }
        context = {
            "comment": comment,
            "thread": thread,
            "title": title,
            "is_reply": is_reply,
            "link": link,
            "unsubscribe": unsubscribe,
            "manage": manage,
            "manage_comments": manage_comments_link(thread.site),
            "subscription": subscription,
        }
        site_name = clean_header_text(thread.site.name, limit=60)
        parent_id = comment.replied_to_id
        references = [_message_id("thread", thread.pk)]
        if parent_id:
            references.append(_message_id("comment", parent_id))
        mail_enqueue(
            to=subscription.email_sealed,
            to_hash=subscription.email_hash,
            subject=subject,
            text=render_to_string("notifications/email/comment.txt", context),
            html=render_to_string("notifications/email/comment.html", context),
            headers={
                "Message-ID": _message_id("comment", comment.pk),
                "In-Reply-To": references[-1],
                "References": " ".join(references),
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": f"{site_name} comments <{thread.site.slug}.meydan>",
            },
            kind="reply" if is_reply else "comment",
            comment_id=comment.pk,
        )


MODERATOR_DIGEST = timedelta(hours=1)


def _in_queue(comment: Comment) -> str:
    """The comment in the moderation queue (the queue asks for a signed-in moderator)."""
    path = reverse("moderation:queue")
    return absolute(f"{path}?tab=pending&site={comment.thread.site_id}#row-{comment.pk}")


@task()
@outlasts_database_outages
def notify_moderators(comment_id: int) -> int:
    """Tell each moderator of the comment's site (with an address, active, and not
    its author) that it waits in the queue: at once, or in their hourly digest, as
    each chose (ModeratorMail). The link opens the queue, which asks them to sign
    in: no link in an email approves anything by itself."""
    comment = Comment.objects.select_related("thread__site").filter(pk=comment_id).first()
    if comment is None or comment.status != Comment.Status.PENDING:
        return 0
    site = comment.thread.site
    moderators = [
        user for user in site.moderators.filter(is_active=True).exclude(email="")
        if email_hash(user.email) != comment.author_email_hash
    ]  # fmt: skip
    choices = dict(ModeratorMail.objects.filter(user__in=moderators).values_list("user_id", "held"))
    told = 0
    for moderator in moderators:
        choice = choices.get(moderator.pk, ModeratorMail.Choice.EACH)
        if choice == ModeratorMail.Choice.OFF:
            continue
        if choice == ModeratorMail.Choice.DIGEST:
            _hold_for_digest(moderator, comment)
            continue
        link = _in_queue(comment)
        title = clean_header_text(comment.thread.title or comment.thread.key, limit=100)
        context = {"comment": comment, "title": title, "link": link, "site": site}
        # Moderators read the site's language (Site.language); nothing else is stored.
        with translation.override(site.language or None):
            mail_enqueue(
                to=moderator.email,
                subject=_("A comment awaits moderation: %(title)s") % {"title": title},
                text=render_to_string("notifications/email/held.txt", context),
                html=render_to_string("notifications/email/held.html", context),
                kind="held",
                comment_id=comment.pk,
            )
        told += 1
    return told


def _hold_for_digest(moderator, comment: Comment) -> None:
    with transaction.atomic():
        HeldNotice.objects.get_or_create(user=moderator, comment_id=comment.pk)
        mail, _created = ModeratorMail.objects.select_for_update().get_or_create(user=moderator)
        if mail.digest_due is None:
            mail.digest_due = timezone.now() + MODERATOR_DIGEST
            mail.save(update_fields=["digest_due"])
            due, user_id = mail.digest_due, moderator.pk
            enqueue_on_commit(
                send_moderator_digest.using(run_after=due), user_id, what="a moderator digest"
            )


@task()
@outlasts_database_outages
def send_moderator_digest(user_id: int) -> int:
    """The comments that still wait, of those a moderator was not told of at once."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        mail = ModeratorMail.objects.select_for_update().filter(user_id=user_id).first()
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        notices = HeldNotice.objects.filter(user_id=user_id)
        ids = list(notices.values_list("comment_id", flat=True))
        notices.delete()
        if mail is not None:
            mail.digest_due = None
            mail.save(update_fields=["digest_due"])
        waiting = list(
            Comment.objects.select_related("thread__site")
            .filter(pk__in=ids, status=Comment.Status.PENDING)
            .order_by("pk")
        )
        if user is None or not user.email or not waiting:
            return 0
        items = [{"comment": c, "link": _in_queue(c)} for c in waiting]
        context = {"items": items, "queue": absolute(reverse("moderation:queue") + "?tab=pending")}
        n = len(waiting)
        # In the language of the site the first waiting comment is on.
        with translation.override(waiting[0].thread.site.language or None):
            mail_enqueue(
                to=user.email,
                subject=ngettext(
                    "%(n)d comment awaits moderation", "%(n)d comments await moderation", n
                )
                % {"n": n},
                text=render_to_string("notifications/email/held_digest.txt", context),
                html=render_to_string("notifications/email/held_digest.html", context),
                kind="held-digest",
            )
    return len(waiting)


def post_published(*, site, url: str, title: str, summary: str = "") -> bool:
    """Announce a site's new post to its confirmed "new posts" subscribers, once per
    address of the post (the newsroom when an article is published; a site that
    embeds Meydan through POST /api/v1/sites/{key}/posts). Returns False when it was
    announced before. The messages are queued by the worker."""
    try:
        with transaction.atomic():
            PostAnnounced.objects.create(site=site, url=url[:2000], title=title[:300])
    except IntegrityError:
        return False
    transaction.on_commit(
        lambda: enqueue_or_log(
            notify_post, site.pk, url[:2000], title[:300], summary[:500], what="a new post"
        )
    )
    return True


@task()
@outlasts_database_outages
def notify_post(site_id: int, url: str, title: str, summary: str) -> int:
    from meydan.sites.models import Site

    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return 0
    subscribers = Subscription.objects.filter(
        site=site, kind=Subscription.Kind.POSTS, confirmed__isnull=False
    )
    count = 0
    for subscription in subscribers.iterator():
        unsubscribe, manage = _links(subscription)
        with translation.override(subscription.language or None):
            clean_title = clean_header_text(title, limit=100)
            context = {"site": site, "title": clean_title, "summary": summary, "url": url,
                       "unsubscribe": unsubscribe, "manage": manage,
                       "manage_comments": manage_comments_link(site)}  # fmt: skip
            mail_enqueue(
                to=subscription.email_sealed,
                to_hash=subscription.email_hash,
                subject=_("New on %(site)s: %(title)s")
                % {"site": clean_header_text(site.name, limit=60), "title": clean_title},
                text=render_to_string("notifications/email/post.txt", context),
                html=render_to_string("notifications/email/post.html", context),
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                kind="post",
            )
        count += 1
    return count
