"""core.sqlrows.insert prepares values as the fields' own chain would."""

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.functional import lazy

from meydan.comments.models import Comment
from meydan.core import sqlrows
from meydan.moderation.models import Ban


def _chain(obj, fields):
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field, _ in fields]


def _comparable(values):
    """psycopg's Jsonb (a JSONField's value on PostgreSQL) compares by identity: by
    what it wraps instead."""
    return [(type(v), v.obj) if type(v).__name__ == "Jsonb" else v for v in values]


def _comment(thread, **changes):
    fields = dict(
        thread=thread, seq=3, root_seq=1, path="000001000003", depth=1, author_name="Reader",
        author_email_hash="h" * 20, author_url="", avatar_key="k", body="Hi", body_html="<p>Hi</p>",
        status=Comment.Status.APPROVED, shadow=False, spam_score=0.25, created=timezone.now(),
        ip_hash="x",
    )  # fmt: skip
    fields.update(changes)
    return Comment(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"spam_score": None, "author_url": None},
        # Values not of the field's own type take the field's chain: it converts them.
        {"author_name": lazy(lambda: "Lazy", str)(), "depth": True, "seq": 3.0},
        {"shadow": 1},
    ],
)
def test_insert_prepares_values_as_the_fields_do(thread, changes):
    _, fields, _ = sqlrows._insert_sql(Comment, connection.vendor)
    comment = _comment(thread, **changes)
    assert _comparable(sqlrows._prepared(comment, fields)) == _comparable(_chain(comment, fields))
    assert [type(v) for v in sqlrows._prepared(comment, fields)] == [
        type(v) for v in _chain(comment, fields)
    ]


@pytest.mark.django_db
def test_insert_stores_a_row_the_orm_reads_back(thread):
    comment = _comment(thread)
    sqlrows.insert(comment)
    stored = Comment.objects.get(pk=comment.pk)
    assert (stored.thread_id, stored.author_name, stored.shadow, stored.spam_score) == (
        thread.pk, "Reader", False, 0.25,
    )  # fmt: skip


@pytest.mark.django_db
def test_insert_prepares_a_ban_as_its_fields_do(site):
    ban = Ban(site=site, kind=Ban.Kind.EMAIL, value="hash", reason="r")
    _, fields, _ = sqlrows._insert_sql(Ban, connection.vendor)
    # `created` is auto_now_add: its pre_save (still called) stamps a new time each call.
    stamped = [i for i, (field, _) in enumerate(fields) if getattr(field, "auto_now_add", False)]
    assert stamped
    ours, theirs = sqlrows._prepared(ban, fields), _chain(ban, fields)
    assert all(ours[i] is not None for i in stamped)
    assert [v for i, v in enumerate(ours) if i not in stamped] == [
        v for i, v in enumerate(theirs) if i not in stamped
    ]
