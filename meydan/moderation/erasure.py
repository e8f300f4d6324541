"""Moderation's copies of a comment, scrubbed when the comment is erased.

Registered with comments.erasure from ModerationConfig.ready(); runs inside
comment_erase's transaction. Afterwards the moderation log still says what was done
to the comment, by whom and when (actions, statuses, moderators' notes), but no
snapshot holds its text or its author; its readers' reports are gone (they quote
it, and name who reported); the spam filter forgets which tokens it taught,
which include the author's (the counts stay in the model, so the filter keeps what
it learned, but that decision can no longer be unlearned).
"""

from meydan.moderation.models import AuditEntry, Flag
from meydan.moderation.spam import spam_forget

# The keys of moderation.services._snapshot that identify an author or quote the text.
AUTHOR_KEYS = ("author_name", "author_email", "author_url")
TEXT_KEYS = ("body",)


def _scrubbed(snapshot: dict, keys: tuple[str, ...]) -> dict:
    if not isinstance(snapshot, dict) or not any(key in snapshot for key in keys):
        return snapshot
    kept = {key: value for key, value in snapshot.items() if key not in keys}
    return kept | {"erased": True}


def scrub_comment(comment, *, text: bool) -> None:
    keys = AUTHOR_KEYS + (TEXT_KEYS if text else ())
    for entry in AuditEntry.objects.filter(comment_ref=comment.pk).select_for_update():
        before, after = _scrubbed(entry.before, keys), _scrubbed(entry.after, keys)
        if (before, after) != (entry.before, entry.after):
            entry.before, entry.after = before, after
            entry.save(update_fields=["before", "after"])
    # What the filter learned from a comment lists its tokens, the author's among them.
    spam_forget(comment)
    if text:
        Flag.objects.filter(comment_id=comment.pk).delete()
