"""Stable codes for the moderation reasons stored with comments.

A comment keeps one free-text reason (`Comment.moderation_reason`): the check that
held it or sent it to spam ("held: 3 links", "spam filter: 0.99"), a reader's
reports, a moderator's action ("approve by ana"), an import. The text is for people
and may change wording (or, later, language); the code says *who decided* and never
changes, so anything that counts by check (the dashboard) reads `reason_code`.

This table is the one place that knows each check's wording; tests/moderation/
test_reasons.py runs every check for real and holds its reasons to a code here. A
check of an operator's own, or a wording added without a line here, reads "other".
"""

import re

from django.utils.translation import gettext_lazy as _

# (code, pattern on the stored reason), first match wins. Anchored at the start: the
# variable parts (a count, a score, a word) follow.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    (code, re.compile(pattern))
    for code, pattern in [
        ("links", r"held: \d+ links?$"),
        ("moderation_words", r"held: moderation word "),
        ("disallowed_words", r"(spam|refused): disallowed word "),
        ("first_comment", r"held: first comment$"),
        ("hold_all", r"held: every comment needs approval$"),
        ("spam_filter", r"(spam filter: |held: spam filter )\d"),
        ("akismet", r"spam: Akismet"),
        ("bans", r"(shadow-banned$|refused: banned )"),
        ("rate_limit", r"refused: rate limit "),
        ("form_guard", r"refused: (honeypot filled|form token |form sent after )"),
        ("duplicate", r"refused: duplicate$"),
        (
            "pow",
            r"held: (no proof of work|proof of work (malformed|tampered|expired|wrong site"
            r"|wrong page|replayed))$",
        ),
        ("reports", r"held: \d+ reader reports?$"),
        ("imported", r"imported from "),
        ("erased", r"(deleted|deleted by its author|removed by its author|withdrawn)$"),
        (
            "moderator",
            r"(approve|unapprove|spam|not_spam|trash|restore)( by .+)?$",
        ),
    ]
]

LABELS = {
    "links": _("links"),
    "moderation_words": _("moderation words"),
    "disallowed_words": _("disallowed words"),
    "first_comment": _("first comment"),
    "hold_all": _("hold all"),
    "spam_filter": _("spam filter"),
    "akismet": _("Akismet"),
    "bans": _("bans"),
    "rate_limit": _("rate limits"),
    "form_guard": _("form guard"),
    "duplicate": _("duplicates"),
    "pow": _("proof of work"),
    "reports": _("readers' reports"),
    "imported": _("imported"),
    "erased": _("erased"),
    "moderator": _("a moderator"),
    "other": _("other"),
    "": _("none"),
}

# The codes of the checks that judge a new comment (what the dashboard counts as
# "caught by"), as opposed to what happens to a comment later.
CHECKS = frozenset(
    {
        "links",
        "moderation_words",
        "disallowed_words",
        "first_comment",
        "hold_all",
        "spam_filter",
        "akismet",
        "bans",
        "pow",
        "other",
    }
)


def reason_code(reason: str | None) -> str:
    """The stable code of a stored reason: "" for none, "other" when unknown."""
    reason = (reason or "").strip()
    if not reason:
        return ""
    for code, pattern in _PATTERNS:
        if pattern.match(reason):
            return code
    return "other"


def label(code: str) -> str:
    return str(LABELS.get(code, LABELS["other"]))
