"""The site's word lists (WordPress's "Comment Moderation" and "Disallowed Comment
Keys"): matched, case-insensitively, in the text, name, email, website and IP hash.

IP hashes change when their key rotates (core.privacy). A moderator who copies a
comment's hash into a list expects it to go on matching that address, so the address
is matched under every key still kept, not only the current one."""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.core.privacy import ip_hashes


def _words(text: str) -> list[str]:
    return [line.strip().lower() for line in (text or "").splitlines() if line.strip()]


def first_match(words: list[str], draft) -> str | None:
    if not words:
        return None
    hashes = ip_hashes(draft.client_ip) or [draft.ip_hash]
    haystack = "\n".join(
        [draft.body, draft.author_name, draft.author_email, draft.author_url, *hashes]
    ).lower()
    return next((word for word in words if word in haystack), None)


class DisallowedWordsCheck:
    def check(self, draft) -> Verdict | None:
        word = first_match(_words(draft.site.disallowed_words), draft)
        if word is None:
            return None
        if draft.site.disallowed_action == "reject":
            return Verdict(
                Decision.REJECT,
                why=Reason.of("disallowed_words", decision="refused", word=word),
                message=_("This comment contains words this site does not accept."),
            )
        return Verdict(Decision.SPAM, why=Reason.of("disallowed_words", decision="spam", word=word))


class ModerationWordsCheck:
    def check(self, draft) -> Verdict | None:
        word = first_match(_words(draft.site.moderation_words), draft)
        if word is None:
            return None
        return Verdict(Decision.HOLD, why=Reason.of("moderation_words", word=word))
