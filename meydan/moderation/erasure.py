"""Moderation's copies of a comment, scrubbed when the comment is erased.

Registered with comments.erasure from ModerationConfig.ready(); runs inside
comment_erase's transaction. Afterwards the moderation log still says what was done
to the comment, by whom and when (actions, statuses, moderators' notes), but no
snapshot holds its text or its author (the entries are redacted, not rewritten:
their place in the hash chain and their hashes stay, see moderation.auditchain);
its readers' reports are gone (they quote it, and name who reported); the spam
filter forgets which tokens it taught, which include the author's (the counts
stay in the model, so the filter keeps what it learned, but that decision can no
longer be unlearned).
"""

from meydan.moderation.auditchain import AUTHOR_KEYS, ERASED_MARK, TEXT_KEYS, entry_redact
from meydan.moderation.models import AuditEntry, Flag
from meydan.moderation.spam import spam_forget

__all__ = ["AUTHOR_KEYS", "TEXT_KEYS", "scrub_comment", "scrubbed"]


def scrubbed(snapshot: dict, keys: tuple[str, ...]) -> dict:
    """A snapshot without `keys`, marked erased (for an entry written after an erase)."""
    if not isinstance(snapshot, dict) or not any(key in snapshot for key in keys):
        return snapshot
    kept = {key: value for key, value in snapshot.items() if key not in keys}
    return kept | {ERASED_MARK: True}


def scrub_comment(comment, *, text: bool) -> None:
    keys = AUTHOR_KEYS + (TEXT_KEYS if text else ())
    # Redacted in place: the entries keep their hashes, so the log's chain still
    # holds (moderation.auditchain).
    for entry in AuditEntry.objects.filter(comment_ref=comment.pk).select_for_update():
        entry_redact(entry, keys)
    # What the filter learned from a comment lists its tokens, the author's among them.
    spam_forget(comment)
    if text:
        Flag.objects.filter(comment_id=comment.pk).delete()
