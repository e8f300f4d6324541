"""Moderation reasons as stored records — a stable code with parameters — and their
wording in the reader's or moderator's language.

A comment keeps one reason: the check that held it or sent it to spam ("links",
{"n": 3}), a reader's reports, a moderator's action ("moderator", {"action":
"approve", "who": "ana"}), an import. `Comment.reason_code` and `reason_params` hold
it; `reason_shown` words it in the active language at the time it is shown (queue,
dashboard, emails), and anything that counts by check (the dashboard) reads the code.

`Comment.moderation_reason` keeps the same reason as English text in a fixed grammar
("held: 3 links"): the record copied into the audit log's snapshots ("before":
{"reason": …}), exported and imported. That text is made from the code and
parameters by `reason_text`, one function, so the two never disagree. A writer that
has only free text (an operator's own check, a reason an admin typed) stores it as
code "other" with {"text": …}, and it is shown as written.

Text stored before the codes existed (older rows, audit snapshots, exports from
older versions) is read back by `Reason.parse`, through the patterns below:
tests/moderation/test_reasons.py runs every check for real and holds what it stores
to them, so that text made from a code always parses back to that code.
"""

import re
from dataclasses import dataclass, field

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
            r"(?P<how>deleted|deleted by its author|removed by its author|withdrawn"
            r"|author left, comments kept)$",
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


@dataclass(frozen=True)
class Reason:
    """A stored reason: its code (a key of LABELS) and the parameters its wording
    needs, JSON values only. Counts are ints; a spam score or a form's age are
    strings, as the check rounded them for showing ("0.99", "0.5")."""

    code: str = ""
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params) -> "Reason":
        """Reason.of("links", n=3); parameters given as None are left out."""
        return cls(code, {k: v for k, v in params.items() if v is not None})

    @classmethod
    def other(cls, text: str) -> "Reason":
        """Free text (an operator's own check, a reason an admin typed): shown as written."""
        text = (text or "").strip()
        return cls("other", {"text": text}) if text else cls()

    @classmethod
    def parse(cls, text: str | None) -> "Reason":
        """The reason of a stored English text (older rows, audit snapshots, exports):
        Reason() for none, code "other" with the text when no pattern knows it."""
        text = (text or "").strip()
        if not text:
            return cls()
        for code, pattern in _PATTERNS:
            found = pattern.match(text)
            if found:
                groups = {k: v for k, v in found.groupdict().items() if v is not None}
                return cls(code, _PARAMS_OF_GROUPS.get(code, dict)(groups))
        return cls.other(text)

    @property
    def text(self) -> str:
        return reason_text(self.code, self.params)

    def shown(self) -> str:
        return reason_shown(self.code, self.params)


_FORM_PROBLEMS = {"honeypot filled": "honeypot", "form token ": "form_token"}

# From a pattern's named groups to the parameters a writer stores.
_PARAMS_OF_GROUPS = {
    "links": lambda g: {"n": int(g["n"])},
    "reports": lambda g: {"n": int(g["n"])},
    "spam_filter": lambda g: {"held": g["held"].startswith("held"), "score": g["score"]},
    "akismet": lambda g: {"blatant": bool(g.get("blatant"))},
    "bans": lambda g: (
        {"shadow": True} if g.get("shadow") else {"kind": g["kind"]} if "kind" in g else {}
    ),
    "rate_limit": lambda g: {"seconds": int(g["seconds"])} if "seconds" in g else {},
    "form_guard": lambda g: (
        {"problem": _FORM_PROBLEMS.get(g["problem"], "too_fast")}
        | ({"seconds": g["seconds"]} if "seconds" in g else {})
    ),
}


def reason_text(code: str, p: dict) -> str:
    """The English record of a reason, as `moderation_reason` and the audit log keep
    it (never translated): the grammar `Reason.parse` reads back."""
    if code == "":
        return ""
    if code == "links":
        return f"held: {p['n']} link{'s' if p['n'] != 1 else ''}"
    if code == "reports":
        return f"held: {p['n']} reader reports"
    if code == "moderation_words":
        return f"held: moderation word “{p['word']}”"
    if code == "disallowed_words":
        return f"{p['decision']}: disallowed word “{p['word']}”"
    if code == "first_comment":
        return "held: first comment"
    if code == "hold_all":
        return "held: every comment needs approval"
    if code == "spam_filter":
        return f"held: spam filter {p['score']}" if p["held"] else f"spam filter: {p['score']}"
    if code == "akismet":
        return "spam: Akismet" + (" (blatant)" if p.get("blatant") else "")
    if code == "bans":
        if p.get("shadow"):
            return "shadow-banned"
        return f"refused: banned ({p['kind']})" if p.get("kind") else "refused: banned"
    if code == "rate_limit":
        seconds = p.get("seconds")
        return f"refused: rate limit ({seconds} s)" if seconds else "refused: rate limit"
    if code == "form_guard":
        if p["problem"] == "honeypot":
            return "refused: honeypot filled"
        if p["problem"] == "form_token":
            return "refused: form token missing, forged or expired"
        return f"refused: form sent after {p['seconds']} s"
    if code == "duplicate":
        return "refused: duplicate"
    if code == "pow":
        problem = p.get("problem")
        return f"held: proof of work {problem}" if problem else "held: no proof of work"
    if code == "imported":
        return f"imported from {p['source']}"
    if code == "erased":
        return p["how"]
    if code == "moderator":
        return f"{p['action']} by {p['who']}" if p.get("who") else p["action"]
    return p.get("text", "")


def reason_parts(reason: str | None) -> tuple[str, dict]:
    """(code, parameters) of a stored English text: ("", {}) for none, ("other",
    {"text": …}) when unknown."""
    parsed = Reason.parse(reason)
    return parsed.code, parsed.params


def reason_code(reason: str | None) -> str:
    """The stable code of a stored English text: "" for none, "other" when unknown."""
    return Reason.parse(reason).code


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
    # Translators: a comment whose author deleted their account but let their comments
    # stay: the text is kept, the name is not.
    "author left, comments kept": _("kept without its author's name (the author left)"),
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
    """A reason stored as English text (an audit snapshot, an older export) in the
    active language ("" for none); unknown ones as stored."""
    return Reason.parse(reason).shown()


def reason_shown(code: str, p: dict) -> str:
    """A stored reason in the active language ("" for none); free text as written."""
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
        if p["held"]:
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
        if p["problem"] == "honeypot":
            return gettext("refused: honeypot filled")
        if p["problem"] == "form_token":
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
    return p.get("text", "")


def label(code: str) -> str:
    return str(LABELS.get(code, LABELS["other"]))
