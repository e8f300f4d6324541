"""The audit log's action codes worded for moderators, in their language.

AuditEntry.action stores a stable code ("approve", "import undo"); the log, its
exports and `meydan audit verify` read the code, the moderation pages show these
words. A code without a line here is shown as stored.
"""

from django.utils.translation import pgettext_lazy

# One context for the log's words: "picked", "edited" and others are also the names of
# fields (when a comment was picked), which other languages word apart. Spelled out in
# every line, so that makemessages (xgettext) sees the context.


AUDIT_ACTIONS = {
    # Translators: entries of the moderation audit log: what happened to a comment.
    "approve": pgettext_lazy("audit log", "approved"),
    "unapprove": pgettext_lazy("audit log", "sent back to the queue"),
    "spam": pgettext_lazy("audit log", "marked as spam"),
    "not_spam": pgettext_lazy("audit log", "marked as not spam"),
    "trash": pgettext_lazy("audit log", "removed"),
    "restore": pgettext_lazy("audit log", "restored"),
    "delete": pgettext_lazy("audit log", "deleted"),
    "edit": pgettext_lazy("audit log", "edited"),
    "pick": pgettext_lazy("audit log", "picked"),
    "unpick": pgettext_lazy("audit log", "no longer picked"),
    "pin": pgettext_lazy("audit log", "pinned"),
    "unpin": pgettext_lazy("audit log", "unpinned"),
    "reply": pgettext_lazy("audit log", "replied as moderator"),
    "ban": pgettext_lazy("audit log", "banned"),
    "unban": pgettext_lazy("audit log", "ban lifted"),
    # Translators: an audit-log entry: readers' reports sent a comment to the queue.
    "flagged": pgettext_lazy("audit log", "held after reports"),
    "author erase": pgettext_lazy("audit log", "erased by its author"),
    "import": pgettext_lazy("audit log", "comments imported"),
    # Translators: an audit-log entry: the comments of an import were taken out again.
    "import undo": pgettext_lazy("audit log", "import undone"),
}


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))
