"""Hold every comment when the site asks for manual approval (WordPress's
"Comment must be manually approved")."""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict


class HoldAllCheck:
    def check(self, draft) -> Verdict | None:
        if draft.site.hold_all:
            return Verdict(Decision.HOLD, _("held: every comment needs approval"))
        return None
