"""Refuse the same text from the same author in the same thread (a double submit,
or a bot repeating itself)."""

from django.utils.translation import gettext as _

from meydan.core import sqlrows
from meydan.moderation.verdicts import Decision, Verdict


class DuplicateCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.comments.models import Comment

        q = sqlrows.quote
        if draft.user is not None:
            author, value = f"{q('user_id')} = %s", draft.user.pk
        elif draft.author_email:
            # As the ORM's iexact: case-insensitive for ASCII on SQLite, fully on PostgreSQL.
            author, value = f"UPPER({q('author_email')}) = UPPER(%s)", draft.author_email
        elif draft.ip_hash:
            author, value = f"{q('ip_hash')} = %s", draft.ip_hash
        else:
            return None
        # Hand-written: runs for every comment posted (see core.sqlrows).
        same = sqlrows.exists(
            f"SELECT 1 FROM {sqlrows.table(Comment)} WHERE {q('thread_id')} = %s "  # noqa: S608 - names from the models, values as parameters
            f"AND {q('body')} = %s AND {q('status')} <> %s AND {author} LIMIT 1",
            [draft.thread.pk, draft.body, Comment.Status.TRASH, value],
        )
        if same:
            return Verdict(
                Decision.REJECT,
                "refused: duplicate",
                message=_("You have already posted this comment here."),
            )
        return None
