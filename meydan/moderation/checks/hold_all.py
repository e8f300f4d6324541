"""Hold every comment when the site asks for manual approval (WordPress's
"Comment must be manually approved")."""

from meydan.comments.moderation import Decision, Verdict


class HoldAllCheck:
    def check(self, draft) -> Verdict | None:
        if draft.site.hold_all:
            # A record, never translated here: comments.reasons words it when shown.
            return Verdict(Decision.HOLD, "held: every comment needs approval")
        return None
