"""Refuse the same text from the same author in the same thread (a double submit,
or a bot repeating itself)."""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.core import sealing, sqlrows


class DuplicateCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.comments.models import Comment

        if draft.user is not None:
            by, value = "user", draft.user.pk
        elif draft.author_email:
            by, value = "email", sealing.email_hash(draft.author_email)
        elif draft.ip_hash:
            by, value = "ip", draft.ip_hash
        else:
            return None
        # Hand-written: runs for every comment posted (see core.sqlrows).
        same = sqlrows.exists(
            sqlrows.statement(_same_text_sql, by),
            [draft.thread.pk, draft.body, Comment.Status.TRASH, value],
        )
        if same:
            return Verdict(
                Decision.REJECT,
                why=Reason("duplicate"),
                message=_("You have already posted this comment here."),
            )
        return None


def _same_text_sql(by: str) -> str:
    from meydan.comments.models import Comment

    q = sqlrows.quote
    author = {
        "user": f"{q('user_id')} = %s",
        "email": f"{q('author_email_hash')} = %s",
        "ip": f"{q('ip_hash')} = %s",
    }[by]
    return (
        f"SELECT 1 FROM {sqlrows.table(Comment)} WHERE {q('thread_id')} = %s "  # noqa: S608 - names from the models, values as parameters
        f"AND {q('body')} = %s AND {q('status')} <> %s AND {author} LIMIT 1"
    )
