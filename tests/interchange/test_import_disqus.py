"""A Disqus export, written as Disqus writes it (posts in no promised order, a reply
before its parent, one whose parent is gone), imported and checked field by field."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from meydan.comments.models import Comment, Thread
from meydan.interchange import services
from meydan.interchange.models import ImportedComment
from tests.sealed import address_of

SAMPLE = Path(__file__).parent / "samples" / "disqus.xml"
MAP = ["host:old.caspianledger.az=blog.example.org", "https", "slash:add"]
S = Comment.Status

pytestmark = pytest.mark.django_db


def comment(source_id: str) -> Comment:
    return Comment.objects.get(pk=ImportedComment.objects.get(source_id=source_id).comment_id)


def test_threads_posts_nesting_and_statuses(site):
    _, report = services.import_file(SAMPLE, site, maps=MAP)
    assert report.format == "disqus" and report.source == "disqus:caspianledger"
    assert dict(report.added) == {"approved": 5, "spam": 1, "trash": 1}
    assert report.orphans == 1  # its parent is not in the export
    # The page nobody commented on makes no thread.
    assert sorted(Thread.objects.values_list("key", "is_open")) == [
        ("/2015/05/baku-rally/", True),
        ("/2015/06/european-games/", False),
    ]
    rally = Thread.objects.get(key="/2015/05/baku-rally/")
    assert rally.url == "https://blog.example.org/2015/05/baku-rally/"
    assert rally.title == "Thousands rally in Baku"
    assert rally.comment_count == 4

    root = comment("2040000001")
    assert root.author_name == "Leyla Məmmədova" and address_of(root) == "leyla@example.az"
    assert root.author_provider == "disqus"  # signed in to Disqus, not a guest
    assert root.created == datetime(2015, 5, 30, 9, 1, 2, tzinfo=UTC)
    assert root.body == (
        'Azadlıq siyasi məhbuslara! See [the report](https://example.org/report "https://example.org/report").'
    )
    assert root.body_html == (
        '<p>Azadlıq siyasi məhbuslara! See <a href="https://example.org/report" '
        'title="https://example.org/report" rel="nofollow ugc noopener">the report</a>.</p>'
    )
    # The reply came before its parent in the file: it still hangs under it.
    reply = comment("2040000003")
    assert reply.parent_id == root.pk and reply.author_provider == ""
    assert reply.body == "Replying to Leyla: **agreed**.\n\nSecond paragraph  \nwith a break."
    assert reply.body_html == (
        "<p>Replying to Leyla: <strong>agreed</strong>.</p>\n"
        "<p>Second paragraph<br>\nwith a break.</p>"
    )
    assert comment("2040000004").parent_id == reply.pk
    assert comment("2040000004").depth == 2
    quoted = comment("2040000002")
    assert quoted.body_html.startswith("<blockquote>\n<p>Свобода политзаключённым!</p>")
    assert comment("2040000005").status == S.SPAM
    trashed = comment("2040000006")
    assert trashed.status == S.TRASH
    assert trashed.created == datetime(2015, 6, 12, 12, 0, tzinfo=timezone(timedelta(hours=4)))
    orphan = comment("2040000007")
    assert orphan.parent is None and orphan.status == S.APPROVED


def test_again_is_a_no_op_and_undo_takes_it_back(site):
    batch, _ = services.import_file(SAMPLE, site, maps=MAP)
    _, again = services.import_file(SAMPLE, site, maps=MAP)
    assert again.already == 7 and not again.added
    services.undo(batch)
    assert not Comment.objects.exists() and not Thread.objects.exists()


def test_csv_map(site, tmp_path):
    table = tmp_path / "moved.csv"
    table.write_text(
        "# old,new\n"
        "http://old.caspianledger.az/2015/05/baku-rally,https://blog.example.org/news/rally/\n"
    )
    _, report = services.import_file(SAMPLE, site, maps=[f"csv:{table}"], dry_run=True)
    assert report.foreign_count == 2  # one moved by the table, two left as they were
    assert "https://blog.example.org/news/rally/" in report.new_pages
