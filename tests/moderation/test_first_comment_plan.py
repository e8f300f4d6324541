"""The first-comment lookup runs on every post: it must find a guest's earlier
comments by e-mail through an index, not by reading the whole comments table."""

import pytest
from django.db import connection

from meydan.comments import queries
from meydan.comments.models import Comment
from meydan.core import sqlrows

pytestmark = pytest.mark.django_db


def plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # can an index serve it at all?
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_guest_is_looked_up_by_email_through_an_index(site, post):
    post("an earlier comment", email="Aynur@Example.org")
    sql = sqlrows.statement(queries._approved_by_sql, "email")
    text = plan(sql, [site.pk, Comment.Status.APPROVED, "aynur@example.org"])
    assert "comment_author_email_hash" in text, text
    assert queries.is_first_comment(site, email="AYNUR@example.org") is False
    assert queries.is_first_comment(site, email="someone.else@example.org") is True
