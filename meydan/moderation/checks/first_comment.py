"""Hold unless the author already has an approved comment on this site (WordPress:
"Comment author must have a previously approved comment")."""

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason


class FirstCommentCheck:
    def check(self, draft) -> Verdict | None:
        if not draft.site.hold_first_comment:
            return None
        if draft.first_comment is False:  # None: a guest we cannot recognise
            return None
        return Verdict(Decision.HOLD, why=Reason("first_comment"))
