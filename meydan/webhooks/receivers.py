"""Where webhooks listen to the comment domain's events (after commit, in the
request that made the change): each maps the domain event to a webhook event and,
when an active webhook of the site asked for it, records and queues deliveries.
Nothing here talks to a receiver; the worker does (delivery.py).

The mapping (docs/webhooks.md):

    comment_posted, approved               -> comment.posted
    comment_posted, pending                -> comment.held
    comment_posted, spam                   -> nothing: the filter caught it, and a
                                              spam wave must not flood a chat room
    comment_status_changed to approved     -> comment.approved
    comment_status_changed to pending      -> comment.held (readers' reports, unapprove)
    comment_status_changed to spam/trash   -> comment.removed (not between spam and trash:
                                              it was not shown before either)
    comment_erased                         -> comment.removed, without author or text;
                                              with the text kept (a leaving reader's
                                              comment, now by "deleted user") -> comment.edited
    comment_edited                         -> comment.edited
    thread_changed, closed                 -> thread.closed
    comments_imported, anything on the import channel -> nothing (nobody is told of imports)

The cheap part comes first: which events the site's webhooks want is a flag in the
shared cache (queries.site_webhook_events), so a post on a site without webhooks
costs nothing more. A failure here is logged by `announce` and costs the webhook
call only, never the change.
"""

from django.utils import timezone

from meydan.comments.events import Channel
from meydan.comments.models import Comment, Thread
from meydan.webhooks import payloads
from meydan.webhooks.delivery import deliveries_enqueue
from meydan.webhooks.models import Event
from meydan.webhooks.queries import site_webhook_events, webhooks_for

S = Comment.Status
REMOVED = (S.SPAM, S.TRASH)


def _wanted(site_id: int, event: str) -> bool:
    return event in site_webhook_events(site_id)


def _send_comment(event: str, comment: Comment, *, previous_status: str | None = None) -> None:
    thread = comment.thread
    hooks = webhooks_for(thread.site_id, event)
    if not hooks:
        return
    data = payloads.payload(
        event,
        site=thread.site,
        occurred_at=timezone.now(),
        thread=payloads.thread_part(thread),
        comment=payloads.comment_part(comment, previous_status=previous_status),
    )
    deliveries_enqueue(hooks, data, comment_ref=comment.pk)


def comment_posted(sender, comment, channel, actor, **kwargs):
    if channel == Channel.IMPORT:
        return
    event = {S.APPROVED: Event.COMMENT_POSTED, S.PENDING: Event.COMMENT_HELD}.get(comment.status)
    if event and _wanted(comment.thread.site_id, event):
        _send_comment(event, comment)


def status_event(before: str, after: str) -> str | None:
    """The webhook event of a status change, or None."""
    if after == S.APPROVED:
        return Event.COMMENT_APPROVED
    if after == S.PENDING:
        return Event.COMMENT_HELD
    if after in REMOVED and before not in REMOVED:
        return Event.COMMENT_REMOVED
    return None


def comment_status_changed(sender, comment, before, after, channel, actor, **kwargs):
    event = status_event(before, after)
    if channel == Channel.IMPORT or event is None:
        return
    if _wanted(comment.thread.site_id, event):
        _send_comment(event, comment, previous_status=before)


def comment_edited(sender, comment, channel, actor, **kwargs):
    if channel != Channel.IMPORT and _wanted(comment.thread.site_id, Event.COMMENT_EDITED):
        _send_comment(Event.COMMENT_EDITED, comment)


def comment_erased(sender, comment_id, thread_id, site_id, text_kept, row_kept, channel, actor,
                   **kwargs):  # fmt: skip
    if channel == Channel.IMPORT:
        return  # an import undone: its comments were never announced either
    if text_kept:
        if _wanted(site_id, Event.COMMENT_EDITED):
            comment = Comment.objects.select_related("thread__site").filter(pk=comment_id).first()
            if comment is not None:
                _send_comment(Event.COMMENT_EDITED, comment)
        return
    if not _wanted(site_id, Event.COMMENT_REMOVED):
        return
    hooks = webhooks_for(site_id, Event.COMMENT_REMOVED)
    thread = Thread.objects.select_related("site").filter(pk=thread_id).first()
    if not hooks or thread is None:
        return
    data = payloads.payload(
        Event.COMMENT_REMOVED,
        site=thread.site,
        occurred_at=timezone.now(),
        thread=payloads.thread_part(thread),
        comment=payloads.erased_comment_part(comment_id),
    )
    deliveries_enqueue(hooks, data)


def thread_changed(sender, thread, fields, channel, actor, **kwargs):
    if "is_open" not in fields or thread.is_open or channel == Channel.IMPORT:
        return
    if not _wanted(thread.site_id, Event.THREAD_CLOSED):
        return
    hooks = webhooks_for(thread.site_id, Event.THREAD_CLOSED)
    if hooks:
        data = payloads.payload(
            Event.THREAD_CLOSED,
            site=thread.site,
            occurred_at=timezone.now(),
            thread=payloads.thread_part(thread),
        )
        deliveries_enqueue(hooks, data)
