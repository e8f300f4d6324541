"""Isso, Commento and Remark42 files (their readers are checked field by field in
test_readers_*.py) brought in end to end: threads, nesting, statuses, missing
parents, idempotency and undo; and files whose parents form a loop."""

import json
from pathlib import Path

import pytest

from meydan.comments.models import Comment, Thread
from meydan.interchange import services
from meydan.interchange.models import ImportedComment

SAMPLES = Path(__file__).parent / "samples"
MAP = ["host:blog.example.az=blog.example.org", "https"]

pytestmark = pytest.mark.django_db

CASES = {
    # file: (format, added by status, orphans, skipped)
    "isso.db": ("isso", {"approved": 5, "pending": 2}, 1, 1),
    "commento.json": ("commento", {"approved": 7, "pending": 2, "spam": 1}, 2, 1),
    "remark42.backup": ("remark42", {"approved": 8}, 2, 2),
    "remark42.backup.gz": ("remark42", {"approved": 8}, 2, 2),
}
PAGES = ["/2024/05/siyasi-mehbuslar/", "/ru/2024/06/svoboda-pressy/"]


@pytest.mark.parametrize("name", list(CASES))
def test_end_to_end(site, name):
    fmt, added, orphans, skipped = CASES[name]
    batch, report = services.import_file(SAMPLES / name, site, maps=MAP)
    assert report.format == fmt
    assert dict(report.added) == added
    assert report.orphans == orphans
    assert sum(report.skipped.values()) == skipped
    assert sorted(Thread.objects.filter(site=site).values_list("key", flat=True)) == PAGES
    comments = Comment.objects.filter(thread__site=site)
    assert comments.count() == sum(added.values())
    # Every reply hangs under the comment the file says it answers.
    for origin in ImportedComment.objects.filter(batch=batch).select_related("comment"):
        assert origin.comment.thread.site_id == site.pk
    assert comments.filter(depth__gt=0).exists()
    assert any("Azadlıq siyasi məhbuslara!" in c.body for c in comments)
    for thread in Thread.objects.filter(site=site):
        assert thread.comment_count == thread.comments.filter(status="approved").count()

    _, again = services.import_file(SAMPLES / name, site, maps=MAP)
    assert again.already == sum(added.values()) and not again.added
    services.undo(batch)
    assert not Comment.objects.exists() and not Thread.objects.exists()


def test_parents_in_a_loop_or_of_themselves_are_kept_at_the_top(site, tmp_path):
    def comment(cid, parent):
        return {
            "id": cid,
            "parent": parent,
            "created": "2020-01-01T00:00:00Z",
            "status": "approved",
            "author": {"name": cid},
            "body": f"comment {cid}",
        }

    path = tmp_path / "loops.json"
    path.write_text(
        json.dumps(
            {
                "format": "meydan-comments",
                "version": 1,
                "source": "meydan",
                "threads": [
                    {
                        "key": "/a/",
                        "comments": [
                            comment("self", "self"),
                            comment("a", "b"),
                            comment("b", "a"),
                            comment("c", "a"),
                        ],
                    }
                ],
            }
        )
    )
    _, report = services.import_file(path, site)
    assert sum(report.added.values()) == 4
    by_name = {c.author_name: c for c in Comment.objects.all()}
    assert by_name["self"].parent is None
    # One of the loop is made a top-level comment, the others hang under it.
    assert sorted(c.parent is None for c in (by_name["a"], by_name["b"])) == [False, True]
    assert by_name["c"].parent_id == by_name["a"].pk
