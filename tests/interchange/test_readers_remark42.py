"""The Remark42 reader, on a backup as `remark42 backup` writes it (and gzipped)."""

import gzip
import hashlib
import json
import uuid
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

SAMPLES = Path(__file__).parent / "samples"
SAMPLE = SAMPLES / "remark42.backup"
SAMPLE_GZ = SAMPLES / "remark42.backup.gz"
WORDPRESS = Path("/work/shared/fixtures/wordpress/export-small.xml")
A = "https://blog.example.az/2024/05/siyasi-mehbuslar/"
B = "https://blog.example.az/ru/2024/06/svoboda-pressy/"


def uid(label: str) -> str:
    """The sample's comment ids (UUIDs, as Remark42's bolt store makes)."""
    return str(uuid.UUID(hashlib.md5(label.encode()).hexdigest(), version=4))  # noqa: S324


def records(path=SAMPLE):
    return list(remark42.read(path))


def comments(path=SAMPLE):
    return {r.ref: r for r in records(path) if isinstance(r, CommentRecord)}


def write(tmp_path, data: bytes, name="backup-blog-az-20240610"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


META = SAMPLE.read_bytes().split(b"\n")[0]


def test_the_sample_is_written_as_remark42_writes_it():
    lines = SAMPLE.read_bytes().split(b"\n")
    assert lines[0].startswith(b'{"version":1,"users":[{"id":')
    assert lines[-1] == b""  # every record ends with a newline
    first = lines[1].decode()
    assert first.startswith('{"id":"' + uid("r1") + '","pid":"","text":"<p><strong>')  # no \u003c
    assert list(json.loads(first)) == [
        "id", "pid", "text", "orig", "user", "locator", "score", "vote", "controversy",
        "time", "title",
    ]  # fmt: skip
    assert gzip.decompress(SAMPLE_GZ.read_bytes()) == SAMPLE.read_bytes()


def test_plain_and_gzipped_read_the_same():
    assert records(SAMPLE_GZ) == records(SAMPLE)


def test_source_then_threads_before_their_comments():
    out = records()
    assert out[0] == Source("blog-az")
    assert [r for r in out if isinstance(r, ThreadRecord)] == [
        ThreadRecord(ref=A, url=A, title="Siyasi məhbuslar haqqında", is_open=None),
        ThreadRecord(ref=B, url=B, title="Свобода прессы — 2024", is_open=False),  # read-only
    ]
    seen = set()
    for r in out[1:]:
        if isinstance(r, ThreadRecord):
            seen.add(r.ref)
        elif isinstance(r, CommentRecord):
            assert r.thread_ref in seen


def test_a_google_commenter_field_by_field():
    c = comments()[uid("r1")]
    assert c.thread_ref == A and c.parent_ref is None
    # The Markdown the reader wrote ("orig"), not the HTML Remark42 made of it
    assert c.body == (
        "**Azadlıq siyasi məhbuslara!**\n\n> Ədalət gecikərsə, ədalət deyil.\n\n"
        "Bax: [Amnesty](https://www.amnesty.org/en/?lang=az&src=blog)"
    )
    assert c.body_format == "markdown"
    assert c.status == "approved"
    # "2024-05-08T14:00:00.123456789+04:00": to UTC, nanoseconds cut to microseconds
    assert c.created == datetime(2024, 5, 8, 10, 0, 0, 123456, tzinfo=UTC)
    assert c.name == "Aysel Məmmədova"
    assert c.provider == "google"
    assert c.email == ""  # no address in the meta record for this user
    assert c.ip == ""  # Remark42 keeps an HMAC of it, not the address
    assert c.edited is None and c.notes == []


def test_an_edited_reply_and_nesting_four_deep():
    by_ref = comments()
    c2, c3, c4 = by_ref[uid("r2")], by_ref[uid("r3")], by_ref[uid("r4")]
    assert (c2.parent_ref, c3.parent_ref, c4.parent_ref) == (uid("r1"), uid("r2"), uid("r3"))
    assert c2.body == "Полностью согласен. *Свободу* политзаключённым! ✊"
    assert c2.provider == "github"
    assert c2.edited == datetime(2024, 5, 8, 11, 34, 40, 250001, tzinfo=UTC)
    assert c2.created == datetime(2024, 5, 8, 11, 30, 12, 500000, tzinfo=UTC)


def test_guests_email_accounts_and_blocked_users():
    by_ref = comments()
    guest = by_ref[uid("r3")]
    assert (guest.name, guest.provider) == ("Qonaq Kamran", "")  # "anonymous_…"
    assert guest.body == "Mən də razıyam 🙌"
    assert guest.status == "approved"  # Remark42 keeps a blocked user's comments up
    assert guest.notes == ["author blocked in Remark42"]
    nigar = by_ref[uid("r4")]
    assert (nigar.name, nigar.provider, nigar.email) == ("Nigar", "email", "nigar@example.az")


def test_deleted_comments_are_skipped_and_their_replies_keep_their_parent():
    out = records()
    assert [r.reason for r in out if isinstance(r, Skipped)] == ["deleted in Remark42"] * 2
    by_ref = comments()
    assert uid("r5") not in by_ref and uid("r10") not in by_ref
    assert by_ref[uid("r6")].parent_ref == uid("r5")
    assert by_ref[uid("r7")].parent_ref == uid("removed-before-backup")  # not in the file


def test_a_comment_remark42_imported_is_html_and_no_account():
    by_ref = comments()
    old = by_ref["4211458839"]
    assert old.thread_ref == B
    assert old.body == "<p>Свобода слова — <i>основа</i> демократии.</p>"
    assert old.body_format == "html"
    assert old.provider == ""  # "disqus_…" made by Remark42's importer, not a sign-in
    assert old.created == datetime(2019, 3, 2, 8, 15, tzinfo=UTC)
    reply = by_ref[uid("r9")]
    assert (reply.parent_ref, reply.provider, reply.body) == (
        "4211458839",
        "twitter",
        "Поддерживаю 🗞️",
    )


def test_sniff():
    assert remark42.sniff(SAMPLE) and remark42.sniff(SAMPLE_GZ)
    assert not remark42.sniff(SAMPLES / "isso.db")
    assert not remark42.sniff(SAMPLES / "commento.json")
    assert not remark42.sniff(WORDPRESS)
    assert not commento.sniff(SAMPLE) and not commento.sniff(SAMPLE_GZ)
    assert not isso.sniff(SAMPLE) and not isso.sniff(SAMPLE_GZ)


def test_sniff_reads_content_not_the_name(tmp_path):
    path = write(tmp_path, SAMPLE_GZ.read_bytes(), "export.txt")
    assert remark42.sniff(path)
    assert records(path) == records()


def test_a_backup_with_only_its_meta_record(tmp_path):
    assert records(write(tmp_path, META + b"\n")) == [Source("remark42")]


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"", "The file is empty", None),
        (b"[1, 2]\n", "not a Remark42 backup: its first line is not the meta record", 1),
        (SAMPLE.read_bytes().split(b"\n")[1] + b"\n", "not a Remark42 backup", 1),
        (b'{"version":3,"users":[],"posts":[]}\n', "version 3 of Remark42's backup", 1),
        (META + b"\n42\n", "A line is not a comment (a JSON object)", 2),
        (META + b'\n{"id":"a","time":"2020-01-01T00:00:00Z"}\n', 'has no "locator" or "user"', 2),
        (META + b'\n{"id":"a","user":{},"locator":{"url":"u"},"time":"soon"}\n',
         "A comment's time is not a readable date", 2),
        (META + b'\n{"id":5,"user":{},"locator":{"url":"u"},"time":"2020-01-01T00:00:00Z"}\n',
         'A comment\'s "id" is not a string', 2),
        (META + b'\n\n{"id":"\xff"}\n', "A line is not UTF-8 text", 3),
        (META + b"\n" + b"[" * 200_000 + b"\n", "nests too deeply", 2),
    ],
)  # fmt: skip
def test_malformed_backups(tmp_path, data, message, line):
    with pytest.raises(ImportFileError) as caught:
        records(write(tmp_path, data))
    assert message in str(caught.value)
    assert caught.value.line == line


def test_a_truncated_backup_says_where(tmp_path):
    data = SAMPLE.read_bytes()
    cut = data[: data.index(b'"Nigar"')]
    with pytest.raises(
        ImportFileError, match="not valid JSON.*the file may be cut short"
    ) as caught:
        records(write(tmp_path, cut))
    assert caught.value.line == cut.count(b"\n") + 1
    assert caught.value.column is not None


def test_a_broken_line_says_its_line_and_column(tmp_path):
    data = META + b'\n{"id":"a",,}\n'
    with pytest.raises(ImportFileError, match="not valid JSON") as caught:
        records(write(tmp_path, data))
    assert (caught.value.line, caught.value.column) == (2, 11)


def test_a_truncated_gzip(tmp_path):
    data = SAMPLE_GZ.read_bytes()
    with pytest.raises(ImportFileError, match="gzip compression is damaged or cut short"):
        records(write(tmp_path, data[: len(data) // 2], "backup.gz"))


def test_a_line_too_long(tmp_path, monkeypatch):
    monkeypatch.setattr(remark42, "MAX_LINE", 1000)
    with pytest.raises(ImportFileError, match="A line is longer than") as caught:
        records(write(tmp_path, META + b"\n" + b" " * 2000 + b"\n"))
    assert caught.value.line == 2


def test_records_stream(tmp_path):
    """The first records come before a broken line further on is read."""
    data = SAMPLE.read_bytes() + b"{broken\n"
    reader = remark42.read(write(tmp_path, data))
    assert isinstance(next(reader), Source)
    assert isinstance(next(reader), ThreadRecord)
    with pytest.raises(ImportFileError):
        list(reader)
