"""The moderation pipeline: the one place that decides what happens to a new comment.

Checks listed in settings.MEYDAN_MODERATION_CHECKS run in that order: first the
cheap refusals of machines (form guard: honeypot and form age; bans; rate limits),
then the site's rules (disallowed words, duplicates, moderation words, links,
first comment, hold everything), then the learned spam filter. Each takes the
draft and returns a Verdict or None ("no opinion"); the strictest verdict wins
(reject > spam > hold > approve) and a reject stops the run. The winning reason is
stored with the comment so a moderator sees why ("held: 3 links").

What the author experiences: approve — the comment appears. Hold — it is saved as
pending; its author sees it marked "awaiting moderation", nobody else sees it until
a moderator approves it. Spam — saved for moderators only (the author is told it
awaits moderation, so bots learn nothing). Reject — nothing is saved and the author
gets the check's message (e.g. "please try again", or wait N seconds).
"""

from dataclasses import dataclass, replace
from functools import cache, cached_property

from django.conf import settings
from django.utils.module_loading import import_string

from meydan.moderation.verdicts import Decision, Verdict


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
    channel: str = "form"  # "form" (HTML), "api" (widget and clients)
    honeypot: str = ""
    form_token: str | None = None
    # The raw address, in memory only for this request (never stored): only an
    # operator-enabled third-party check (Akismet) sees it.
    client_ip: str | None = None
    page_url: str = ""

    @cached_property
    def first_comment(self) -> bool | None:
        """True when the author has no approved comment on the site yet, None when
        there is no telling who they are (a guest without an e-mail address).
        Looked up once per draft, for every check that asks."""
        from meydan.moderation.spam import is_first_comment

        return is_first_comment(
            self.site, user_id=getattr(self.user, "pk", None), email=self.author_email
        )


@cache
def _checks(paths: tuple[str, ...]):
    return [import_string(path)() for path in paths]


def run(draft: Draft) -> Verdict:
    verdict = Verdict.approve()
    score = None
    for check in _checks(tuple(settings.MEYDAN_MODERATION_CHECKS)):
        opinion = check.check(draft)
        if opinion is not None and opinion.spam_score is not None:
            score = opinion.spam_score
        verdict = verdict.stricter_of(opinion)
        if verdict.decision == Decision.REJECT:
            break
    return replace(verdict, spam_score=score)
