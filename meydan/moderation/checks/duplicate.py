"""Refuse the same text from the same author in the same thread (a double submit,
or a bot repeating itself)."""

from django.utils.translation import gettext as _

from meydan.moderation.verdicts import Decision, Verdict


class DuplicateCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.comments.models import Comment

        same = Comment.objects.filter(thread=draft.thread, body=draft.body).exclude(
            status=Comment.Status.TRASH
        )
        if draft.user is not None:
            same = same.filter(user=draft.user)
        elif draft.author_email:
            same = same.filter(author_email__iexact=draft.author_email)
        elif draft.ip_hash:
            same = same.filter(ip_hash=draft.ip_hash)
        else:
            return None
        if same.exists():
            return Verdict(
                Decision.REJECT,
                "refused: duplicate",
                message=_("You have already posted this comment here."),
            )
        return None
