"""The comment domain's events: the closed list of what later features attach to.

Each event is sent by exactly one service module, only after the transaction that
made the change has committed (never on rollback), and once per change. Receivers
react — enqueue a notification, purge a cache, push a live update, call a webhook —
they never decide whether the change happens, and an exception in one is logged, not
raised into the writer (`send_robust`): the change is already stored.

Every event carries, besides what it names:

    channel  which front door made the change: one of Channel (form, api,
             moderation, admin, import, command, self-service)
    actor    the signed-in user who made it, or None (a guest, a reader's report,
             the system)

The list (arguments after `sender`, which is always the model class):

comment_posted(comment, channel, actor)
    A comment or reply was saved (services.posting.comment_post), in whatever
    status moderation gave it: `comment.status` says whether readers see it.

comment_status_changed(comment, before, after, reason, channel, actor)
    A comment moved from status `before` to `after` (services.removal.
    comment_set_status): approved, held, marked spam, trashed or restored.
    `reason` is what is stored with it ("approve by ana", "held: 3 reader reports").

comment_edited(comment, channel, actor)
    A comment's text or author details changed (services.editing, for both
    comment_edit — a moderator's correction — and comment_edit_by_author, within
    the edit window).

comment_erased(comment_id, thread_id, site_id, text_kept, row_kept, reason, channel, actor)
    Who wrote a comment — and, unless `text_kept`, what it said — was wiped
    (services.removal.comment_erase): withdrawn by its author, deleted forever by a
    moderator, or its author's account left (keeping the text as by "deleted user",
    or not); or an import was undone (services.importing.comments_unimport).
    `row_kept` is False when the row itself was deleted (nobody had replied). No
    receiver gets the erased text or author: there are none left, and
    copies other apps kept were scrubbed in the same transaction (comments.erasure).

comments_imported(thread, comment_ids, batch, channel, actor)
    Comments another system had already moderated were brought into `thread`
    (services.importing.comments_import): one event per thread and batch of an
    import, not one per comment, and always on the `import` channel, so that nobody
    is notified of a ten-year-old comment. `batch` is the importer's batch (or None).
    An import undone is announced as comment_erased per comment (row_kept False).

thread_changed(thread, fields, comment, channel, actor)
    A thread's own fields changed — open or closed, title, address
    (services.threads.thread_update). `fields` names them. Changes to a thread's
    comments are announced by the comment events above (each names its thread).
    The editors' choices are the thread's too, with `comment` saying which one
    (None for the fields above): fields ["pinned"] when a comment is pinned
    (`comment`: the one pinned now; thread.pinned_id says it) or unpinned — by a
    moderator (services.threads.thread_pin) or because it left published
    (`comment`: the one unpinned; sent with its comment_status_changed or
    comment_erased); fields ["picks"] when a comment becomes an editor's pick or
    stops being one (services.threads.comment_set_pick; `comment.is_pick` says which).

site_changed(site, channel, actor)
    A site's row changed — policy, origins, name (sites.services.site_update). It
    lives in meydan.sites.events (sites sit below comments) and is listed here so the
    list is whole.
"""

from django.dispatch import Signal

from meydan.sites.events import Channel, announce, site_changed

comment_posted = Signal()
comment_status_changed = Signal()
comment_edited = Signal()
comment_erased = Signal()
comments_imported = Signal()
thread_changed = Signal()

EVENTS = (
    comment_posted,
    comment_status_changed,
    comment_edited,
    comment_erased,
    comments_imported,
    thread_changed,
    site_changed,
)

__all__ = [
    "EVENTS",
    "Channel",
    "announce",
    "comment_edited",
    "comment_erased",
    "comment_posted",
    "comment_status_changed",
    "comments_imported",
    "site_changed",
    "thread_changed",
]
