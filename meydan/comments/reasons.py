"""Stable codes for the moderation reasons stored with comments, and their wording
in the reader's or moderator's language.

A comment keeps one reason (`Comment.moderation_reason`): the check that held it or
sent it to spam ("held: 3 links", "spam filter: 0.99"), a reader's reports, a
moderator's action ("approve by ana"), an import. The stored text is a record in a
fixed English grammar, never translated when stored: it is written by the moderation
checks, copied into the audit log's snapshots ("before": {"reason": …}), exported and
imported. `reason_parts` reads it back as (code, parameters) and `reason_display`
words it in the active language, at the time it is shown (queue, API, dashboard,
emails). Anything that counts by check (the dashboard) reads `reason_code`.

Why a parser and not new columns: the same text lives in rows already stored, in
audit-log snapshots and in exports, which a schema change would not reach; one
table here reads them all the same way. A check's wording is therefore a format:
tests/moderation/test_reasons.py runs every check for real and holds each reason it
stores to a pattern here (and to a translated display). A check of an operator's
own, or a wording added without a line here, has code "other" and is shown as
stored.
"""

import re

from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

# (code, pattern on the stored reason), first match wins. Anchored at the start; the
# named groups are the parameters the display needs.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    (code, re.compile(pattern))
    for code, pattern in [
        ("links", r"held: (?P<n>\d+) links?$"),
        ("moderation_words", r"held: moderation word “?(?P<word>.*?)”?$"),
        ("disallowed_words", r"(?P<decision>spam|refused): disallowed word “?(?P<word>.*?)”?$"),
        ("first_comment", r"held: first comment$"),
        ("hold_all", r"held: every comment needs approval$"),
        ("spam_filter", r"(?P<held>held: spam filter |spam filter: )(?P<score>\d[\d.]*)"),
        ("akismet", r"spam: Akismet(?P<blatant> \(blatant\))?"),
        ("bans", r"(?P<shadow>shadow-banned)$|refused: banned (\((?P<kind>.*)\))?"),
        ("rate_limit", r"refused: rate limit (\((?P<seconds>\d+) s\))?"),
        (
            "form_guard",
            r"refused: (?P<problem>honeypot filled|form token |form sent after )"
            r"((?P<seconds>[\d.]+) s)?",
        ),
        ("duplicate", r"refused: duplicate$"),
        (
            "pow",
            r"held: (no proof of work|proof of work (?P<problem>malformed|tampered|expired"
            r"|wrong site|wrong page|replayed))$",
        ),
        ("reports", r"held: (?P<n>\d+) reader reports?$"),
        ("imported", r"imported from (?P<source>.*)$"),
        (
            "erased",
            r"(?P<how>deleted|deleted by its author|removed by its author|withdrawn)$",
        ),
        (
            "moderator",
            r"(?P<action>approve|unapprove|spam|not_spam|trash|restore)( by (?P<who>.+))?$",
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


def reason_parts(reason: str | None) -> tuple[str, dict[str, str]]:
    """(code, parameters) of a stored reason: ("", {}) for none, ("other", {}) when
    unknown."""
    reason = (reason or "").strip()
    if not reason:
        return "", {}
    for code, pattern in _PATTERNS:
        found = pattern.match(reason)
        if found:
            return code, {k: v for k, v in found.groupdict().items() if v is not None}
    return "other", {}


def reason_code(reason: str | None) -> str:
    """The stable code of a stored reason: "" for none, "other" when unknown."""
    return reason_parts(reason)[0]


_BAN_KINDS = {
    # The values of moderation.models.Ban.Kind, and the English labels rows stored
    # before reasons were records; the same words as Ban.Kind's labels.
    "user": _("account"),
    "account": _("account"),
    "email": _("email"),
    "ip": _("IP (keyed hash)"),
    "IP (keyed hash)": _("IP (keyed hash)"),
}


_MODERATOR_ACTIONS = {
    # Translators: what a moderator did to a comment, in "approved by ana".
    "approve": _("approved"),
    "unapprove": _("sent back to the queue"),
    "spam": _("marked as spam"),
    "not_spam": _("marked as not spam"),
    "trash": _("removed"),
    "restore": _("restored"),
}

_ERASED = {
    "deleted": _("deleted"),
    "deleted by its author": _("deleted by its author"),
    "removed by its author": _("removed by its author"),
    "withdrawn": _("withdrawn by its author"),
}

_POW_PROBLEMS = {
    # Translators: why a comment's proof of work (an automatic anti-spam puzzle) failed.
    "malformed": _("held: proof of work malformed"),
    "tampered": _("held: proof of work tampered with"),
    "expired": _("held: proof of work expired"),
    "wrong site": _("held: proof of work for another site"),
    "wrong page": _("held: proof of work for another page"),
    "replayed": _("held: proof of work used twice"),
}


def reason_display(reason: str | None) -> str:
    """A stored reason in the active language ("" for none); unknown ones as stored."""
    code, p = reason_parts(reason)
    if code == "":
        return ""
    if code == "links":
        n = int(p["n"])
        return ngettext("held: %(n)d link", "held: %(n)d links", n) % {"n": n}
    if code == "reports":
        n = int(p["n"])
        return ngettext("held: %(n)d reader report", "held: %(n)d reader reports", n) % {"n": n}
    if code == "moderation_words":
        return gettext("held: moderation word “%(word)s”") % p
    if code == "disallowed_words":
        if p["decision"] == "spam":
            return gettext("spam: disallowed word “%(word)s”") % p
        return gettext("refused: disallowed word “%(word)s”") % p
    if code == "first_comment":
        return gettext("held: first comment")
    if code == "hold_all":
        return gettext("held: every comment needs approval")
    if code == "spam_filter":
        if p["held"].startswith("held"):
            return gettext("held: spam filter %(score)s") % p
        return gettext("spam filter: %(score)s") % p
    if code == "akismet":
        if p.get("blatant"):
            return gettext("spam: Akismet (blatant)")
        return gettext("spam: Akismet")
    if code == "bans":
        if p.get("shadow"):
            return gettext("shadow-banned")
        if p.get("kind"):
            kind = _BAN_KINDS.get(p["kind"], p["kind"])
            return gettext("refused: banned (%(kind)s)") % {"kind": kind}
        return gettext("refused: banned")
    if code == "rate_limit":
        if p.get("seconds"):
            return gettext("refused: rate limit (%(seconds)s s)") % p
        return gettext("refused: rate limit")
    if code == "form_guard":
        if p["problem"].startswith("honeypot"):
            return gettext("refused: honeypot filled")
        if p["problem"].startswith("form token"):
            return gettext("refused: form token missing, forged or expired")
        return gettext("refused: form sent after %(seconds)s s") % {
            "seconds": p.get("seconds", "?")
        }
    if code == "duplicate":
        return gettext("refused: duplicate")
    if code == "pow":
        if not p.get("problem"):
            return gettext("held: no proof of work")
        return str(_POW_PROBLEMS[p["problem"]])
    if code == "imported":
        return gettext("imported from %(source)s") % p
    if code == "erased":
        return str(_ERASED[p["how"]])
    if code == "moderator":
        action = str(_MODERATOR_ACTIONS[p["action"]])
        if p.get("who"):
            # Translators: "approved by ana": a moderator's action and their user name.
            return pgettext("moderation reason", "%(action)s by %(who)s") % {
                "action": action,
                "who": p["who"],
            }
        return action
    return reason.strip()


def label(code: str) -> str:
    return str(LABELS.get(code, LABELS["other"]))
