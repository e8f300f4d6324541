"""The learned spam filter as a moderation check (see moderation.spam).

score ≥ MEYDAN_SPAM_THRESHOLD_SPAM (0.97): spam, "spam filter: 0.99";
score ≥ MEYDAN_SPAM_THRESHOLD_HOLD (0.80): held, "held: spam filter 0.85";
below: approve with the score attached (the pipeline stores it on the comment
for the moderation queue) — which changes no decision. While the site's model has
too few decisions to judge (a cold start), or for staff, no opinion at all.
"""

import math

from django.conf import settings
from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.moderation.spam import spam_score

DEFAULT_THRESHOLD_SPAM = 0.97
DEFAULT_THRESHOLD_HOLD = 0.80


def shown(score: float) -> str:
    """Two decimals, rounded down: 0.9999 shows as 0.99, never 1.00, and a score
    just under a threshold never shows as the threshold."""
    return f"{math.floor(score * 100) / 100:.2f}"


def _verdict(decision: Decision, reason: str, score: float) -> Verdict:
    if "spam_score" in Verdict.__dataclass_fields__:
        return Verdict(decision, reason, spam_score=score)
    return Verdict(decision, reason)


class SpamFilterCheck:
    def check(self, draft) -> Verdict | None:
        if getattr(draft.user, "is_staff", False):
            return None
        score = spam_score(draft.site, draft)
        if score is None:
            return None
        spam = getattr(settings, "MEYDAN_SPAM_THRESHOLD_SPAM", DEFAULT_THRESHOLD_SPAM)
        hold = getattr(settings, "MEYDAN_SPAM_THRESHOLD_HOLD", DEFAULT_THRESHOLD_HOLD)
        if score >= spam:
            return _verdict(
                Decision.SPAM, _("spam filter: %(score)s") % {"score": shown(score)}, score
            )
        if score >= hold:
            return _verdict(
                Decision.HOLD, _("held: spam filter %(score)s") % {"score": shown(score)}, score
            )
        return _verdict(Decision.APPROVE, "", score)
