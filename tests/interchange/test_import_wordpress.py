"""A genuine WordPress 6.1 export (shared/fixtures/wordpress), imported and checked
field by field; then imported again (nothing changes), undone, dry-run, mapped."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from meydan.comments import events
from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.interchange import services
from meydan.interchange.models import ImportBatch, ImportedComment
from tests.sealed import address_of

SAMPLES = Path(__file__).parent / "samples"
WXR = SAMPLES / "wordpress-6.1.xml"
BAKU = "/2023/03/11/azerbaijan-anti-regime-protesters-gather-in-baku/"
MAP = ["host:127.0.0.1:8088=blog.example.org", "https"]
S = Comment.Status

pytestmark = pytest.mark.django_db


def run(site, path=WXR, **options):
    options.setdefault("maps", MAP)
    return services.import_file(path, site, **options)


def test_threads_authors_dates_statuses_and_nesting(site):
    batch, report = run(site)
    assert report.format == "wordpress"
    assert report.source == "wordpress:http://127.0.0.1:8088"
    assert report.threads_created == 3
    assert dict(report.added) == {"approved": 140, "pending": 8, "trash": 3}
    assert report.skipped == {
        "pingbacks are not readers' comments": 1,
        "trackbacks are not readers' comments": 1,
    }
    # WordPress left two spam comments out and kept the replies to them.
    assert report.orphans == 2
    assert report.foreign_count == 0  # mapped onto the site's origin

    thread = Thread.objects.get(site=site, key=BAKU)
    assert thread.url == "https://blog.example.org" + BAKU
    assert thread.title == "Azerbaijan: Anti-regime protesters gather in Baku"
    assert thread.comment_count == Comment.objects.filter(thread=thread, status=S.APPROVED).count()

    first = Comment.objects.get(pk=_imported("2"))
    assert first.author_name == "Ömər Güləliyev"
    assert address_of(first) == "omer@example.az"
    assert first.author_url == "https://example.az/~omer"
    assert first.created == datetime(2023, 3, 11, 19, 47, 47, tzinfo=UTC)
    assert first.body == "Gözəl yazı, ətraflı və düzgün."
    assert first.status == S.APPROVED and first.parent is None
    assert first.ip_hash and first.ip_hash != "127.0.0.6"  # hashed as posting does
    reply = Comment.objects.get(pk=_imported("3"))
    assert reply.parent_id == first.pk and reply.depth == 1
    deeper = Comment.objects.get(pk=_imported("4"))
    assert deeper.parent_id == reply.pk and deeper.depth == 2
    assert Comment.objects.filter(thread__site=site).order_by("-depth").first().depth == 4
    assert batch.state == ImportBatch.State.DONE
    assert batch.report["added_total"] == 151


def test_html_bodies_read_the_same_through_the_one_sanitiser(site):
    run(site)
    html = Comment.objects.get(body__startswith="This is **bold**")
    assert html.body == (
        "This is **bold** and a [link](http://example.org), plus *emphasis*, *italic*, "
        "**strong** and `code()`."
    )
    assert "<strong>bold</strong>" in html.body_html
    assert '<a href="http://example.org" rel="nofollow ugc noopener">link</a>' in html.body_html
    quote = Comment.objects.get(body__contains="We are not asking for much")
    assert quote.body_html.startswith("<blockquote>")
    hostile = Comment.objects.get(body__contains="filters")
    assert "<script" not in hostile.body_html and "javascript:" not in hostile.body_html
    entities = Comment.objects.get(body__contains="Maths")
    assert "Maths &amp; logic" in entities.body_html and "©" in entities.body_html


def test_held_and_trashed_comments_keep_their_status(site):
    run(site)
    statuses = dict(
        (status, n)
        for status, n in [
            (s, Comment.objects.filter(thread__site=site, status=s).count()) for s in S.values
        ]
    )
    assert statuses == {"approved": 140, "pending": 8, "spam": 0, "trash": 3}


def test_importing_again_changes_nothing(site):
    run(site)
    before = list(Comment.objects.order_by("pk").values())
    threads = list(Thread.objects.order_by("pk").values("pk", "version", "comment_count"))
    _, report = run(site)
    assert report.already == 151 and sum(report.added.values()) == 0
    assert list(Comment.objects.order_by("pk").values()) == before
    assert list(Thread.objects.order_by("pk").values("pk", "version", "comment_count")) == threads


def test_a_newer_export_adds_only_what_is_new(site, tmp_path):
    older = tmp_path / "older.xml"
    text = WXR.read_text()
    # The older export: without the last comment of the file.
    last = text.rindex("<wp:comment>")
    end = text.index("</wp:comment>", last) + len("</wp:comment>")
    older.write_text(text[:last] + text[end:])
    _, first = run(site, older)
    _, second = run(site)
    assert second.already == sum(first.added.values())
    assert sum(second.added.values()) == 1


def test_undo_removes_exactly_what_the_batch_added(site):
    from meydan.comments.services import Author, comment_post

    existing = Thread.objects.create(site=site, key=BAKU, url="https://blog.example.org" + BAKU)
    mine = comment_post(
        thread=Thread.objects.select_related("site").get(pk=existing.pk),
        author=Author(name="Leyla", email="leyla@example.org"),
        body="Posted here before the import.",
        moderate=False,
        channel="api",
    ).comment
    batch, report = run(site)
    assert report.threads_matched == 1 and report.threads_created == 2
    # A reader answers an imported comment after the import.
    answered = Comment.objects.get(pk=_imported("2"))
    reply = comment_post(
        thread=Thread.objects.select_related("site").get(pk=existing.pk),
        author=Author(name="Aynur", email="aynur@example.org"),
        body="Answering an imported comment.",
        parent_id=answered.pk,
        moderate=False,
        channel="api",
    ).comment
    result = services.undo(batch)
    assert result == {"deleted": 150, "kept": 1, "threads_deleted": 2}
    assert set(Comment.objects.values_list("pk", flat=True)) == {mine.pk, reply.pk, answered.pk}
    assert list(Thread.objects.filter(site=site).values_list("key", flat=True)) == [BAKU]
    existing.refresh_from_db()
    assert existing.comment_count == 3
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    # Imported again after the undo, what went comes back; what stayed is not doubled.
    _, again = run(site)
    assert again.already == 1 and sum(again.added.values()) == 150


def test_a_comment_erased_after_import_is_not_brought_back(site):
    from meydan.comments.services import comment_erase

    run(site)
    comment = Comment.objects.get(pk=_imported("2"))
    comment_erase(comment, reason=Reason.other("test"), channel="moderation", delete_row=True)
    _, again = run(site)
    assert sum(again.added.values()) == 0
    assert not Comment.objects.filter(body="Gözəl yazı, ətraflı və düzgün.").exists()


def test_dry_run_counts_and_changes_nothing(site):
    _, report = run(site, dry_run=True)
    assert dict(report.added) == {"approved": 140, "pending": 8, "trash": 3}
    assert report.threads_created == 3 and report.orphans == 2
    assert not Comment.objects.exists() and not Thread.objects.exists()
    assert not ImportBatch.objects.exists() and not ImportedComment.objects.exists()


def test_unmapped_addresses_are_reported(site):
    _, report = run(site, maps=[], dry_run=True)
    assert report.foreign_count == 3
    assert report.foreign_pages[0] == "http://127.0.0.1:8088" + BAKU


def test_import_notifies_nobody_and_is_announced_once_per_thread(
    site, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    posted = []

    def posting(sender, **kwargs):
        posted.append(kwargs)

    events.comments_imported.connect(receiver, weak=False)
    events.comment_posted.connect(posting, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(site)
    finally:
        events.comments_imported.disconnect(receiver)
        events.comment_posted.disconnect(posting)
    assert not posted
    assert {str(k["channel"]) for k in seen} == {"import"}
    assert sum(len(k["comment_ids"]) for k in seen) == 151
    # One per thread and write: the file fits one chunk, and the two replies to
    # comments left out of the file are written at the end.
    assert len({k["thread"].pk for k in seen}) == 3 and len(seen) <= 5


def test_the_command_prints_a_report_and_undoes(site, capsys):
    call_command("import", str(WXR), "--site", site.slug, *[f"--map={m}" for m in MAP])
    out = capsys.readouterr().out
    assert "151 comments read (wordpress" in out
    assert "Comments were added: 151 (140 approved, 8 pending, 3 trash)" in out
    assert "Replies whose parent is not in the file, attached to the thread: 2" in out
    batch = ImportBatch.objects.get()
    call_command("import", "undo", str(batch.pk))
    assert "151 comments and 3 threads removed" in capsys.readouterr().out
    assert not Comment.objects.exists()
    with pytest.raises(CommandError, match="undone already"):
        call_command("import", "undo", str(batch.pk))


def test_the_command_refuses_clearly(site, tmp_path):
    with pytest.raises(CommandError, match="no site with the key"):
        call_command("import", str(WXR), "--site", "nope")
    with pytest.raises(CommandError, match="is not a rule"):
        call_command("import", str(WXR), "--site", site.slug, "--map", "oops")
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes")
    with pytest.raises(CommandError, match="format is not one Meydan imports"):
        call_command("import", str(junk), "--site", site.slug)
    with pytest.raises(CommandError, match="no such file|cannot be read"):
        call_command("import", str(tmp_path / "missing.xml"), "--site", site.slug)


def test_deeper_than_the_site_allows_attaches_at_the_limit(site):
    site.max_depth = 2
    site.save()
    run(site)
    assert Comment.objects.order_by("-depth").first().depth == 1
    deeper = Comment.objects.get(pk=_imported("4"))  # replied to 3, which replied to 2
    assert deeper.parent_id == _imported("2")
    assert deeper.replied_to_id == _imported("3")


def _imported(source_id: str) -> int:
    return ImportedComment.objects.get(source_id=source_id).comment_id


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_older_wxr_versions(site, tmp_path, version):
    older = tmp_path / f"wxr-{version}.xml"
    older.write_text(
        WXR.read_text()
        .replace("http://wordpress.org/export/1.2/", f"http://wordpress.org/export/{version}/")
        .replace(
            "<wp:wxr_version>1.2</wp:wxr_version>", f"<wp:wxr_version>{version}</wp:wxr_version>"
        )
    )
    _, report = run(site, older)
    assert report.format == "wordpress" and sum(report.added.values()) == 151


def test_an_import_stopped_half_way_goes_on_when_run_again(site, monkeypatch):
    from meydan.interchange import engine

    monkeypatch.setattr(engine, "CHUNK", 40)
    written = []
    original = engine._Importer._write_thread

    def crash_on_the_third_write(self, state, items):
        if len(written) == 2:
            raise KeyboardInterrupt  # the operator's ^C, or the machine going down
        written.append(len(items))
        return original(self, state, items)

    monkeypatch.setattr(engine._Importer, "_write_thread", crash_on_the_third_write)
    with pytest.raises(KeyboardInterrupt):
        run(site)
    stopped = ImportBatch.objects.get()
    assert (
        stopped.state == ImportBatch.State.FAILED and "import the same file again" in stopped.error
    )
    # Whole chunks only: the first chunk (40 comments of the first post) is there; of
    # the second, stopped after its first write, nothing.
    assert written == [40, 13]
    assert Comment.objects.count() == 40
    monkeypatch.setattr(engine._Importer, "_write_thread", original)
    _, report = run(site)
    assert report.already == 40
    assert Comment.objects.count() == 151
    assert ImportedComment.objects.values("source_id").distinct().count() == 151
