"""The audit log's action codes worded for moderators, in their language.

AuditEntry.action stores a stable code ("approve", "import undo"); the log, its
exports and `meydan audit verify` read the code, the moderation pages show these
words. A code without a line here is shown as stored.
"""

from django.utils.translation import pgettext_lazy


def _(words: str):
    # One context for the log's words: "picked", "edited" and others are also the
    # names of fields (when a comment was picked), which other languages word apart.
    return pgettext_lazy("audit log", words)


AUDIT_ACTIONS = {
    # Translators: entries of the moderation audit log: what happened to a comment.
    "approve": _("approved"),
    "unapprove": _("sent back to the queue"),
    "spam": _("marked as spam"),
    "not_spam": _("marked as not spam"),
    "trash": _("removed"),
    "restore": _("restored"),
    "delete": _("deleted"),
    "edit": _("edited"),
    "pick": _("picked"),
    "unpick": _("no longer picked"),
    "pin": _("pinned"),
    "unpin": _("unpinned"),
    "reply": _("replied as moderator"),
    "ban": _("banned"),
    "unban": _("ban lifted"),
    # Translators: an audit-log entry: readers' reports sent a comment to the queue.
    "flagged": _("held after reports"),
    "author erase": _("erased by its author"),
    "import": _("comments imported"),
    # Translators: an audit-log entry: the comments of an import were taken out again.
    "import undo": _("import undone"),
}


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))
