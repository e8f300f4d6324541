"""The site's word lists (WordPress's "Comment Moderation" and "Disallowed Comment
Keys"): matched, case-insensitively, in the text, name, email, website and IP hash."""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict


def _words(text: str) -> list[str]:
    return [line.strip().lower() for line in (text or "").splitlines() if line.strip()]


def first_match(words: list[str], draft) -> str | None:
    haystack = "\n".join(
        [draft.body, draft.author_name, draft.author_email, draft.author_url, draft.ip_hash]
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
                f"refused: disallowed word “{word}”",
                message=_("This comment contains words this site does not accept."),
            )
        return Verdict(Decision.SPAM, f"spam: disallowed word “{word}”")


class ModerationWordsCheck:
    def check(self, draft) -> Verdict | None:
        word = first_match(_words(draft.site.moderation_words), draft)
        if word is None:
            return None
        return Verdict(Decision.HOLD, f"held: moderation word “{word}”")
