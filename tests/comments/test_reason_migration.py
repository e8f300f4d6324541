"""Rows stored before reasons had codes get theirs from their English text
(comments 0009), as the parser reads audit snapshots and old exports."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [("comments", "0008_statement_of_reasons")]
AFTER = [("comments", "0009_reason_code")]

STORED = {
    "held: 3 links": ("links", {"n": 3}),
    "held: 1 link": ("links", {"n": 1}),
    "spam filter: 0.99": ("spam_filter", {"held": False, "score": "0.99"}),
    "held: spam filter 0.85": ("spam_filter", {"held": True, "score": "0.85"}),
    "held: moderation word “casino”": ("moderation_words", {"word": "casino"}),
    "refused: banned (IP (keyed hash))": ("bans", {"kind": "IP (keyed hash)"}),
    "shadow-banned": ("bans", {"shadow": True}),
    "held: no proof of work": ("pow", {}),
    "held: 2 reader reports": ("reports", {"n": 2}),
    "approve by ana": ("moderator", {"action": "approve", "who": "ana"}),
    "trash": ("moderator", {"action": "trash"}),
    "imported from wxr": ("imported", {"source": "wxr"}),
    "withdrawn": ("erased", {"how": "withdrawn"}),
    "a check of the operator's own": ("other", {"text": "a check of the operator's own"}),
    "": ("", {}),
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_rows_get_the_code_of_their_text(monkeypatch):
    from meydan.sites.models import Site as CurrentSite

    site = CurrentSite.objects.create(name="S", slug="s", domain="s.example")
    # Several chunks, and texts repeated across them.
    monkeypatch.setattr(import_module("meydan.comments.migrations.0009_reason_code"), "CHUNK", 4)
    try:
        old = migrate(BEFORE)
        Thread = old.get_model("comments", "Thread")
        Comment = old.get_model("comments", "Comment")
        thread = Thread.objects.create(site_id=site.pk, key="/a/")
        now = timezone.now()
        texts = list(STORED) * 2
        for seq, text in enumerate(texts, start=1):
            Comment.objects.create(
                thread=thread, seq=seq, root_seq=seq, path=f"{seq:06d}", author_name="A",
                body="x", body_html="<p>x</p>", created=now, avatar_key="k",
                moderation_reason=text,
            )  # fmt: skip

        new = migrate(AFTER)
        rows = new.get_model("comments", "Comment").objects.order_by("seq")
        got = [(r.moderation_reason, r.reason_code, r.reason_params) for r in rows]
        assert got == [(text, *STORED[text]) for text in texts]
    finally:
        migrate(
            [(app, name) for app, name in MigrationExecutor(connection).loader.graph.leaf_nodes()]
        )
