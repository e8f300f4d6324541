"""The moderation pipeline: the one place that decides what happens to a new comment.

Checks listed in settings.MEYDAN_MODERATION_CHECKS run in that order. Each takes
the draft and returns a Verdict or None ("no opinion"); the strictest verdict wins
(reject > spam > hold > approve), and its reason is stored with the comment so a
moderator sees why ("held: every comment needs approval"). A held comment is saved
as pending: its author sees it marked "awaiting moderation", nobody else sees it
until a moderator approves it. A rejected comment is not saved at all.
"""

from dataclasses import dataclass
from functools import cache

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


@cache
def _checks(paths: tuple[str, ...]):
    return [import_string(path)() for path in paths]


def run(draft: Draft) -> Verdict:
    verdict = Verdict.approve()
    for check in _checks(tuple(settings.MEYDAN_MODERATION_CHECKS)):
        verdict = verdict.stricter_of(check.check(draft))
        if verdict.decision == Decision.REJECT:
            break
    return verdict
