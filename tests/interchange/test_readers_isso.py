"""The Isso reader, on a database made with Isso's own schema (samples/make_isso_db.py)."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meydan.interchange.readers import commento, isso, remark42
from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)
from tests.interchange.samples import make_isso_db

SAMPLES = Path(__file__).parent / "samples"
SAMPLE = SAMPLES / "isso.db"
WORDPRESS = Path("/work/shared/fixtures/wordpress/export-small.xml")


def records(path=SAMPLE):
    return list(isso.read(path))


def comments(path=SAMPLE):
    return {r.ref: r for r in records(path) if isinstance(r, CommentRecord)}


def test_the_committed_sample_is_what_the_script_builds(tmp_path):
    built = make_isso_db.build(tmp_path / "isso.db")
    assert records(built) == records(SAMPLE)


def test_source_first_then_threads_then_comments():
    out = records()
    assert isinstance(out[0], Source)
    # A digest of the database's session key: stable for this installation, and
    # not the secret itself.
    assert out[0].ident.startswith("isso-") and len(out[0].ident) == len("isso-") + 16
    assert out[0] == records()[0]
    assert "5f2b0c1e" not in out[0].ident
    assert [type(r) for r in out[1:3]] == [ThreadRecord, ThreadRecord]
    seen = set()
    for r in out[1:]:
        if isinstance(r, ThreadRecord):
            seen.add(r.ref)
        elif isinstance(r, CommentRecord):
            assert r.thread_ref in seen


def test_threads():
    threads = [r for r in records() if isinstance(r, ThreadRecord)]
    assert threads == [
        ThreadRecord(ref="1", url="/2024/05/siyasi-mehbuslar/", title="Siyasi məhbuslar haqqında"),
        ThreadRecord(ref="2", url="/ru/2024/06/svoboda-pressy/", title="Свобода прессы — 2024"),
    ]


def test_an_approved_top_level_comment_field_by_field():
    c = comments()["1"]
    assert c.thread_ref == "1" and c.parent_ref is None
    assert c.body == (
        "**Azadlıq siyasi məhbuslara!**\n\nBax: [Amnesty hesabatı]"
        "(https://www.amnesty.org/en/location/europe-and-central-asia/azerbaijan/)"
    )
    assert c.body_format == "markdown"
    assert c.status == "approved"
    assert c.created == datetime(2024, 5, 8, 10, 0, 0, 250000, tzinfo=UTC)
    assert c.created.tzinfo is not None
    assert c.edited is None
    assert (c.name, c.email, c.url) == (
        "Aysel Məmmədova",
        "aysel@example.az",
        "https://aysel.example.az/",
    )
    assert c.ip == "192.0.2.0"  # anonymised by Isso
    assert c.provider == ""  # Isso has no accounts


def test_an_edited_reply_with_a_quote_and_an_escaped_name():
    c = comments()["2"]
    assert c.parent_ref == "1"
    assert c.body == "> Azadlıq siyasi məhbuslara!\n\nTamamilə razıyam 👍"
    assert c.name == "Rəşad & dostları"  # Isso stored "&amp;"
    assert c.email == "" and c.url == ""
    assert c.edited == datetime(2024, 5, 8, 12, 0, 0, 750000, tzinfo=UTC)
    assert c.ip == "2001:0db8:85a3:0000:0000:0000:0000:0000"


def test_pending_comments_and_an_anonymous_guest():
    by_ref = comments()
    assert by_ref["3"].status == "pending"
    assert by_ref["3"].name == "" and by_ref["3"].email == ""
    assert by_ref["7"].status == "pending"
    assert by_ref["7"].body == "Согласна, но кто это проверит?"
    assert by_ref["7"].name == "Мария"


def test_statuses_and_skips():
    out = records()
    assert {r.ref: r.status for r in out if isinstance(r, CommentRecord)} == {
        "1": "approved", "2": "approved", "3": "pending", "5": "approved",
        "6": "approved", "7": "pending", "8": "approved",
    }  # fmt: skip
    assert [r.reason for r in out if isinstance(r, Skipped)] == [
        "deleted in Isso (an empty placeholder kept for its replies)"
    ]


def test_a_reply_to_a_deleted_placeholder_keeps_its_parent_id():
    c = comments()["5"]
    assert c.parent_ref == "4"
    assert "4" not in comments()  # the engine sees a missing parent


def test_russian_thread_and_an_unescaped_website():
    by_ref = comments()
    c = by_ref["6"]
    assert c.thread_ref == "2"
    assert c.body == "Свобода слова — это *основа* демократии. 🗞️"
    assert c.name == "Иван Петров"
    assert c.url == "https://example.ru/?a=1&b=2"
    assert by_ref["8"].ip == ""  # "0.0.0.0": Isso's import had no address
    assert by_ref["8"].name == "Guest <3"


def test_parents_pass_through_at_any_depth(tmp_path):
    """Isso keeps one level, but a database edited by hand may have more."""
    path = make_isso_db.build(tmp_path / "deep.db")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE comments SET parent = 2 WHERE id = 3")
    db.close()
    assert comments(path)["3"].parent_ref == "2"


def test_sniff():
    assert isso.sniff(SAMPLE)
    assert not isso.sniff(SAMPLES / "commento.json")
    assert not isso.sniff(SAMPLES / "remark42.backup")
    assert not isso.sniff(SAMPLES / "remark42.backup.gz")
    assert not isso.sniff(WORDPRESS)
    assert not commento.sniff(SAMPLE)
    assert not remark42.sniff(SAMPLE)


def test_sniff_is_false_for_an_sqlite_file_of_another_kind(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.close()
    assert not isso.sniff(path)


def test_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "comments.db"
    path.write_text('{"version":1}')
    with pytest.raises(ImportFileError, match="not an SQLite database"):
        records(path)
    with pytest.raises(ImportFileError, match="not an SQLite database"):
        records(WORDPRESS)


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError, match="not an SQLite database"):
        records(path)


def test_an_sqlite_file_without_the_tables(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.close()
    with pytest.raises(ImportFileError, match="no 'threads' table and no 'comments' table"):
        records(path)


def test_tables_of_the_wrong_shape(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT)")
        db.execute("CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT)")
    db.close()
    with pytest.raises(ImportFileError, match="'comments' table is not Isso's: it has no column"):
        records(path)


def test_a_view_is_not_a_table(tmp_path):
    path = make_isso_db.build(tmp_path / "view.db")
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE threads RENAME TO t")
        db.execute("CREATE VIEW threads AS SELECT * FROM t")
    db.close()
    with pytest.raises(ImportFileError, match="no 'threads' table"):
        records(path)


def test_a_truncated_database(tmp_path):
    data = SAMPLE.read_bytes()
    path = tmp_path / "cut.db"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ImportFileError, match="SQLite database is damaged or unreadable"):
        records(path)


def test_an_unreadable_time(tmp_path):
    path = make_isso_db.build(tmp_path / "bad.db")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE comments SET created = 'yesterday' WHERE id = 6")
    db.close()
    with pytest.raises(ImportFileError, match="Comment 6 has no readable creation time"):
        records(path)


def test_the_file_is_not_written(tmp_path):
    path = make_isso_db.build(tmp_path / "isso.db")
    before = path.read_bytes()
    records(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isso.db"]
