"""The moderation port: what the comment domain asks of moderation, and nothing more.

comment_post hands a Draft to `moderate()`, which runs the checks listed in
settings.MEYDAN_MODERATION_CHECKS in that order. The comment domain owns this
contract (Draft, Verdict, Decision, Check); the checks are plug-ins that implement
it (meydan.moderation.checks, or an operator's own), as Django's middleware list
is. So the domain imports no moderation code, and a check can be added, removed or
replaced in settings without touching it.

The default list (settings.py): first the cheap refusals of machines (form guard:
honeypot and form age; bans; rate limits), proof of work (a guest's comment without a
solved challenge is held), then the site's rules (disallowed words,
duplicates, moderation words, links, first comment, hold everything), then the
learned spam filter. Each takes the draft and returns a Verdict or None ("no
opinion"); the strictest verdict wins (reject > spam > hold > approve) and a reject
stops the run. The winning reason is stored with the comment so a moderator sees
why: a code with parameters (comments.reasons.Reason: "links", {"n": 3}) and the
English record made from them ("held: 3 links").

What the author experiences: approve — the comment appears. Hold — it is saved as
pending; its author sees it marked "awaiting moderation", nobody else sees it until
a moderator approves it. Spam — saved for moderators only (the author is told it
awaits moderation, so bots learn nothing). Reject — nothing is saved and the author
gets the check's message (e.g. "please try again", or wait N seconds).

A check (the Check protocol; tests/moderation/test_check_contract.py holds every
configured check to it):
- is a class built without arguments, once per process, whose `check(draft)`
  returns a Verdict or None;
- only reads (the draft, the site's policy, its own tables and counters); it never
  changes a comment, and it must not raise for any well-formed draft (a guest
  without an e-mail address, a signed-in reader, staff);
- gives a REJECT a `message` its author can act on;
- gives its reason as `why=Reason(code, params)` with a code of comments.reasons
  (the English `reason` is then made from it), or as plain `reason` text, which is
  stored and shown as written (code "other").
The start-up system check (comments/system_checks.py) refuses a list whose entries
do not import or are not checks.
"""

import enum
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from meydan.comments.reasons import Reason


class Decision(enum.IntEnum):
    """Ordered by strictness: when checks disagree, the highest wins."""

    APPROVE = 0
    HOLD = 1
    SPAM = 2
    REJECT = 3


@dataclass(frozen=True)
class Verdict:
    """A check's opinion. A check gives its reason as `why`, a Reason (code and
    parameters), and `reason` is then the English record made from it; a check that
    gives only `reason` text (an operator's own) has it stored as code "other"."""

    decision: Decision
    reason: str = ""
    # For a refusal a person should hear about (too fast, form expired): the
    # message to show them, and for rate limits how long to wait.
    message: str = ""
    retry_after: int = 0
    # A shadow ban: saved as spam, but shown to its own author as if published.
    shadow: bool = False
    # The learned spam filter's score, when it ran; kept whatever the decision.
    spam_score: float | None = None
    why: Reason | None = None

    def __post_init__(self):
        # One source for both: the text is made from the code, or the code is "other".
        if self.why is not None:
            object.__setattr__(self, "reason", self.why.text)
        elif self.reason:
            object.__setattr__(self, "why", Reason.other(self.reason))
        else:
            object.__setattr__(self, "why", Reason())

    @classmethod
    def approve(cls) -> "Verdict":
        return cls(Decision.APPROVE)

    def stricter_of(self, other: "Verdict | None") -> "Verdict":
        if other is None or other.decision <= self.decision:
            return self
        return other


@dataclass(frozen=True)
class Draft:
    """A comment about to be saved, with what the checks may look at."""

    site: object
    thread: object
    body: str
    author_name: str
    author_email: str
    author_url: str
    ip_hash: str
    user: object | None = None
    parent_id: int | None = None
    channel: str = "form"  # the front door (events.Channel): "form", "api", "import"…
    honeypot: str = ""
    form_token: str | None = None
    # The raw address, in memory only for this request (never stored): only an
    # operator-enabled third-party check (Akismet) sees it.
    client_ip: str | None = None
    page_url: str = ""
    # The keyed hash of the author's address: a signed-in reader's kept one when
    # `author_email` is empty (the web process cannot open it). Bans match it.
    author_email_hash: str = ""
    # A solved proof-of-work challenge (the ALTCHA payload, base64), when the
    # browser computed one: moderation/checks/pow.py.
    challenge: str | None = None

    @cached_property
    def first_comment(self) -> bool | None:
        """True when the author has no approved comment on the site yet, None when
        there is no telling who they are (a guest without an e-mail address).
        Looked up once per draft, for every check that asks."""
        from meydan.comments.queries import is_first_comment  # queries import models only

        return is_first_comment(
            self.site, user_id=getattr(self.user, "pk", None), email=self.author_email
        )


@runtime_checkable
class Check(Protocol):
    def check(self, draft: Draft) -> Verdict | None: ...


@cache
def _checks(paths: tuple[str, ...]) -> list[Check]:
    return [import_string(path)() for path in paths]


def configured_checks() -> list[Check]:
    """The checks of settings.MEYDAN_MODERATION_CHECKS, built once per list."""
    return _checks(tuple(settings.MEYDAN_MODERATION_CHECKS))


def moderate(draft: Draft) -> Verdict:
    """The strictest verdict of the configured checks (a reject stops the run), with
    the spam filter's score kept whatever the decision."""
    verdict = Verdict.approve()
    score = None
    for check in configured_checks():
        opinion = check.check(draft)
        if opinion is not None and opinion.spam_score is not None:
            score = opinion.spam_score
        verdict = verdict.stricter_of(opinion)
        if verdict.decision == Decision.REJECT:
            break
    return replace(verdict, spam_score=score)
