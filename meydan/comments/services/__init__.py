"""Every write to threads and comments.

Callers — the newsroom form view, the API, importers, the demo seeder, a shell —
go through these functions; none of them creates Comment rows directly.

Modules: threads (thread rows and their version), posting (comment_post),
editing (changing a comment's text), removal (status changes, withdrawal,
erasure). Imports point one way: posting, editing and removal use threads;
nothing here imports views.
"""

from meydan.comments.services.editing import comment_edit, comment_edit_by_author
from meydan.comments.services.posting import Author, PostResult, comment_post, comment_submit
from meydan.comments.services.removal import (
    DELETED_USER_NAME,
    comment_erase,
    comment_report_counted,
    comment_set_status,
    comment_withdraw,
    comments_anonymise_for_user,
    comments_remove_for_user,
)
from meydan.comments.services.threads import (
    thread_bump,
    thread_for_posting,
    thread_get_or_create,
    thread_update,
    threads_bump,
    threads_bump_for_site,
)

__all__ = [
    "DELETED_USER_NAME",
    "Author",
    "PostResult",
    "comment_edit",
    "comment_edit_by_author",
    "comment_erase",
    "comment_post",
    "comment_report_counted",
    "comment_submit",
    "comment_set_status",
    "comment_withdraw",
    "comments_anonymise_for_user",
    "comments_remove_for_user",
    "thread_bump",
    "thread_for_posting",
    "thread_get_or_create",
    "thread_update",
    "threads_bump",
    "threads_bump_for_site",
]
