"""Every write to threads and comments.

Every front door — the server-rendered section, the API and widget, the moderation
workspace, the Django admin, management commands, later importers — goes through
these functions: nothing else creates, changes or deletes Comment and Thread rows.
Each change is announced after commit by the one function that makes it
(comments.events).

Modules: threads (thread rows and their version; the pinned comment and the
editors' picks), posting (comment_submit, the front doors' flow, and comment_post),
editing (changing a comment's text), removal (status changes, reports counted, and
comment_erase, the one erase), voting (readers' up-votes: comment_vote,
comment_unvote). Imports point one way: posting, editing and removal use threads;
nothing here imports a front door or a plug-in (make lint checks it).
"""

from meydan.comments.services.editing import comment_edit, comment_edit_by_author
from meydan.comments.services.importing import (
    ImportDraft,
    Placed,
    comments_import,
    comments_unimport,
    threads_for_import,
)
from meydan.comments.services.posting import Author, PostResult, comment_post, comment_submit
from meydan.comments.services.removal import (
    DELETED_USER_NAME,
    comment_erase,
    comment_report_counted,
    comment_set_status,
    comment_withdraw,
    comments_anonymise_for_user,
    comments_forget_addresses,
    comments_remove_for_user,
    comments_with_addresses,
)
from meydan.comments.services.threads import (
    comment_set_pick,
    thread_bump,
    thread_delete_if_empty,
    thread_for_posting,
    thread_get_or_create,
    thread_pin,
    thread_update,
    threads_bump,
    threads_bump_for_site,
)
from meydan.comments.services.voting import (
    Voter,
    VoteResult,
    comment_unvote,
    comment_vote,
    votes_unlink_for_user,
)

__all__ = [
    "DELETED_USER_NAME",
    "Author",
    "ImportDraft",
    "Placed",
    "PostResult",
    "comment_edit",
    "comment_edit_by_author",
    "comment_erase",
    "comment_post",
    "comment_report_counted",
    "comment_submit",
    "comment_unvote",
    "comment_vote",
    "comment_set_pick",
    "comment_set_status",
    "comment_withdraw",
    "comments_import",
    "comments_unimport",
    "comments_anonymise_for_user",
    "comments_forget_addresses",
    "comments_remove_for_user",
    "comments_with_addresses",
    "threads_for_import",
    "thread_bump",
    "thread_delete_if_empty",
    "thread_for_posting",
    "thread_get_or_create",
    "thread_pin",
    "thread_update",
    "threads_bump",
    "threads_bump_for_site",
    "Voter",
    "VoteResult",
    "votes_unlink_for_user",
]
