"""Hold every comment when the site asks for manual approval (WordPress's
"Comment must be manually approved")."""

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason


class HoldAllCheck:
    def check(self, draft) -> Verdict | None:
        if draft.site.hold_all:
            return Verdict(Decision.HOLD, why=Reason("hold_all"))
        return None
