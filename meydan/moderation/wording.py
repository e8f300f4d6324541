"""The audit log's action codes worded for moderators, in their language.

AuditEntry.action stores a stable code ("approve", "import undo"); the log, its
exports and `meydan audit verify` read the code, the moderation pages show these
words. A code without a line here is shown as stored. The notes beside some actions are
worded here too (audit_note_display).
"""

import re

from django.utils.translation import npgettext, pgettext, pgettext_lazy

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


# The audit log's notes, read back and worded when shown.
#
# The note is hashed into the entry (auditchain: content_hash covers it), so what is
# stored stays as it always was, a short record in a fixed English grammar written by
# moderation.services and the import views ("bulk", "3 reports", "batch 7: a.xml").
# Storing a code beside it would change the content of new entries only and leave
# every stored entry in English; parsing the grammar words old and new entries alike
# and keeps `meydan audit verify` untouched. A note outside the grammar (a ban's
# reason, typed by a moderator) is shown as stored.
_NOTE_PATTERNS: list[tuple[str, re.Pattern]] = [
    (code, re.compile(pattern))
    for code, pattern in [
        ("bulk", r"bulk$"),
        ("admin", r"admin$"),
        ("reports", r"(?P<n>\d+) reports$"),
        ("author", r"by its author: (?P<how>.+)$"),
        (
            "import_undo",
            r"batch (?P<batch>\d+): (?P<removed>\d+) comments removed, (?P<kept>\d+) kept$",
        ),
        ("import", r"batch (?P<batch>\d+): (?P<filename>.*?)(?P<dry> \(dry run\))?$"),
    ]
]


def audit_note_parts(note: str) -> tuple[str, dict[str, str]]:
    """(code, parameters) of a stored audit note; ("other", {}) outside the grammar."""
    for code, pattern in _NOTE_PATTERNS:
        found = pattern.match(note)
        if found:
            return code, {k: v for k, v in found.groupdict().items() if v is not None}
    return "other", {}


def _author_how(how: str) -> str | None:
    # The reasons comments.services and privacy.selfservice give comment_erase.
    return {
        "deleted by its author": pgettext("audit log note", "withdrawn by the author"),
        "removed by its author": pgettext("audit log note", "removed by the author"),
        "author left, comments kept": pgettext(
            "audit log note", "the author left; their comments stay, without their name"
        ),
    }.get(how)


def audit_note_display(note: str) -> str:
    """A stored audit note in the active language (the note as stored if unknown)."""
    code, p = audit_note_parts(note)
    if code == "bulk":
        # Translators: audit log note: the action was applied to several comments at once.
        return pgettext("audit log note", "in bulk")
    if code == "admin":
        # Translators: audit log note: the action was taken in the Django admin.
        return pgettext("audit log note", "from the admin")
    if code == "reports":
        n = int(p["n"])
        # Translators: audit log note: how many readers had reported the comment.
        return npgettext("audit log note", "%(n)d report", "%(n)d reports", n) % {"n": n}
    if code == "author":
        how = _author_how(p["how"])
        return how if how is not None else note
    if code == "import_undo":
        removed, kept = int(p["removed"]), int(p["kept"])
        # Translators: audit log note of an import undone, e.g. "import 7: 120 comments
        # removed, 3 kept" (kept: comments that had replies by others, or were edited).
        return pgettext("audit log note", "import %(batch)s: %(removed)s, %(kept)s") % {
            "batch": p["batch"],
            "removed": npgettext(
                "audit log note", "%(n)d comment removed", "%(n)d comments removed", removed
            )
            % {"n": removed},
            "kept": npgettext("audit log note", "%(n)d kept", "%(n)d kept", kept) % {"n": kept},
        }
    if code == "import":
        # Translators: audit log note: the import's number and the uploaded file's name.
        words = pgettext("audit log note", "import %(batch)s: %(filename)s") % p
        if p.get("dry"):
            words += " " + pgettext("audit log note", "(dry run)")
        return words
    return note
