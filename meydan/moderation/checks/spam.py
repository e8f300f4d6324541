"""The learned spam filter as a moderation check (see moderation.spam).

score ≥ MEYDAN_SPAM_THRESHOLD_SPAM (0.97): spam, "spam filter: 0.99";
score ≥ MEYDAN_SPAM_THRESHOLD_HOLD (0.80): held, "held: spam filter 0.85";
below: approve with the score attached (the pipeline stores it on the comment
for the moderation queue) — which changes no decision. While the site's model has
too few decisions to judge (a cold start), or for staff, no opinion at all.
"""

import math

from django.conf import settings

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.moderation.spam import spam_score


def shown(score: float) -> str:
    """Two decimals, rounded down: 0.9999 shows as 0.99, never 1.00, and a score
    just under a threshold never shows as the threshold."""
    return f"{math.floor(score * 100) / 100:.2f}"


class SpamFilterCheck:
    def check(self, draft) -> Verdict | None:
        if getattr(draft.user, "is_staff", False):
            return None
        score = spam_score(draft.site, draft)
        if score is None:
            return None
        spam, hold = settings.MEYDAN_SPAM_THRESHOLD_SPAM, settings.MEYDAN_SPAM_THRESHOLD_HOLD
        if score >= spam:
            why = Reason.of("spam_filter", held=False, score=shown(score))
            return Verdict(Decision.SPAM, why=why, spam_score=score)
        if score >= hold:
            why = Reason.of("spam_filter", held=True, score=shown(score))
            return Verdict(Decision.HOLD, why=why, spam_score=score)
        return Verdict(Decision.APPROVE, spam_score=score)
