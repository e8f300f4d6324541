"""Hold unless the author already has an approved comment on this site (WordPress:
"Comment author must have a previously approved comment")."""

from meydan.moderation.verdicts import Decision, Verdict


class FirstCommentCheck:
    def check(self, draft) -> Verdict | None:
        if not draft.site.hold_first_comment:
            return None
        from meydan.comments.models import Comment

        approved = Comment.objects.filter(thread__site=draft.site, status=Comment.Status.APPROVED)
        if draft.user is not None:
            approved = approved.filter(user=draft.user)
        elif draft.author_email:
            approved = approved.filter(user=None, author_email__iexact=draft.author_email)
        else:
            return Verdict(Decision.HOLD, "held: first comment")
        if approved.exists():
            return None
        return Verdict(Decision.HOLD, "held: first comment")
