"""The Commento / Commento++ reader, on an export as Go's json.Marshal writes it."""

import gzip
import hashlib
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
SAMPLE = SAMPLES / "commento.json"
WORDPRESS = Path("/work/shared/fixtures/wordpress/export-small.xml")
A = "/2024/05/siyasi-mehbuslar/"
B = "/ru/2024/06/svoboda-pressy/"


def hx(label: str) -> str:
    """The sample's hex ids (64 hex digits, as Commento's randomHex(32))."""
    return hashlib.sha256(label.encode()).hexdigest()


def records(path=SAMPLE):
    return list(commento.read(path))


def comments(path=SAMPLE):
    return {r.ref: r for r in records(path) if isinstance(r, CommentRecord)}


def write(tmp_path, data: bytes, name="export.json"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_sample_is_written_as_go_writes_it():
    data = SAMPLE.read_bytes()
    assert data.startswith(b'{"version":1,"comments":[{"commentHex":"')
    assert b"\n" not in data and b'", "' not in data  # compact, no trailing newline
    assert b"\\u003e " in data and b"\\u0026" in data and b"<" not in data  # HTML-escaped
    assert "Azadlıq siyasi məhbuslara!".encode() in data  # UTF-8, not \u escapes


def test_source_then_threads_before_their_comments():
    out = records()
    assert out[0] == Source("blog.example.az")
    threads = [r for r in out if isinstance(r, ThreadRecord)]
    assert threads == [
        ThreadRecord(ref=A, url="https://blog.example.az" + A),
        ThreadRecord(ref=B, url="https://blog.example.az" + B),
    ]
    seen = set()
    for r in out[1:]:
        if isinstance(r, ThreadRecord):
            seen.add(r.ref)
        elif isinstance(r, CommentRecord):
            assert r.thread_ref in seen


def test_a_signed_in_google_commenter_field_by_field():
    c = comments()[hx("c1")]
    assert c.thread_ref == A and c.parent_ref is None
    assert c.body == (
        "**Azadlıq siyasi məhbuslara!**\n\nBax: [Amnesty hesabatı](https://www.amnesty.org/en/"
        "location/europe-and-central-asia/azerbaijan/?lang=az&src=blog)\n\n"
        "> Ədalət gecikərsə, ədalət deyil."
    )
    assert c.body_format == "markdown"
    assert c.status == "approved"
    assert c.created == datetime(2024, 5, 8, 10, 0, 0, 123456, tzinfo=UTC)
    assert (c.name, c.email, c.url) == (
        "Aysel Məmmədova",
        "aysel@example.az",
        "https://aysel.example.az",
    )
    assert c.provider == "google"
    assert c.ip == "" and c.edited is None  # Commento keeps neither


def test_nesting_four_deep_with_every_kind_of_author():
    by_ref = comments()
    c2, c3, c4 = by_ref[hx("c2")], by_ref[hx("c3")], by_ref[hx("c4")]
    assert c2.parent_ref == hx("c1") and c3.parent_ref == hx("c2") and c4.parent_ref == hx("c3")
    assert c2.body == "Полностью согласен. Свободу политзаключённым! ✊"
    assert (c2.name, c2.provider) == ("Rauf", "github")
    assert c2.created == datetime(2024, 5, 8, 11, 30, 12, 500000, tzinfo=UTC)
    # commenterHex "anonymous": a guest, in no list
    assert (c3.name, c3.email, c3.url, c3.provider) == ("", "", "", "")
    assert c3.status == "pending"
    # Commento++'s named guest: provider "anon", "undefined" for what was not given
    assert (c4.name, c4.email, c4.url, c4.provider) == ("Nigar", "", "", "")
    assert c4.created == datetime(2024, 5, 8, 12, 45, 1, 789, tzinfo=UTC)


def test_providers():
    by_ref = comments()
    assert by_ref[hx("c6")].provider == "twitter"
    assert by_ref[hx("c8")].provider == "commento"  # an account on the Commento server
    assert by_ref[hx("c9")].provider == "gitlab"
    assert by_ref[hx("c10")].provider == "sso"  # "sso:blog.example.az"
    assert by_ref[hx("c11")].name == "Иван Петров"  # listed twice: one row per comment


def test_statuses_and_the_deleted_comment():
    out = records()
    statuses = {r.ref: r.status for r in out if isinstance(r, CommentRecord)}
    assert statuses[hx("c7")] == "spam"  # "flagged"
    assert statuses[hx("c3")] == statuses[hx("c10")] == "pending"  # "unapproved"
    assert sorted(set(statuses.values())) == ["approved", "pending", "spam"]
    assert hx("c5") not in statuses  # "[deleted]" by "anonymous"
    assert [r.reason for r in out if isinstance(r, Skipped)] == ["deleted in Commento"]
    # its reply, and a reply to a comment absent from the file, keep their parents
    assert comments()[hx("c6")].parent_ref == hx("c5")
    assert comments()[hx("c9")].parent_ref == hx("gone")
    assert len(statuses) == 10


def test_russian_markdown_and_html_in_markdown_are_kept_as_written():
    by_ref = comments()
    assert by_ref[hx("c8")].body == "Свобода слова — *основа* демократии. 🗞️"
    assert by_ref[hx("c7")].body == (
        "Cheap followers -> [click here](http://followers.example/buy?x=1&y=2) <b>now</b>"
    )


def test_a_gzipped_export_as_downloaded(tmp_path):
    path = write(tmp_path, gzip.compress(SAMPLE.read_bytes()), "blog.example.az-1717243200.json.gz")
    assert commento.sniff(path)
    assert records(path) == records()


def test_commenters_before_comments(tmp_path):
    data = (
        b'{"version":1,"commenters":[{"commenterHex":"x","email":"e@example.org","name":"N",'
        b'"link":"undefined","photo":"undefined","provider":"github"}],"comments":[{"commentHex":'
        b'"a","domain":"d.example","url":"/p","commenterHex":"x","markdown":"hi","html":"",'
        b'"parentHex":"root","score":0,"state":"approved","creationDate":"2020-01-01T00:00:00Z"}]}'
    )
    out = records(write(tmp_path, data))
    assert out[0] == Source("d.example")
    assert out[1] == ThreadRecord(ref="/p", url="https://d.example/p")
    assert (out[2].name, out[2].email, out[2].url, out[2].provider) == (
        "N",
        "e@example.org",
        "",
        "github",
    )


def test_sniff():
    assert commento.sniff(SAMPLE)
    for other in ("isso.db", "remark42.backup", "remark42.backup.gz"):
        assert not commento.sniff(SAMPLES / other)
    assert not commento.sniff(WORDPRESS)
    assert not isso.sniff(SAMPLE)
    assert not remark42.sniff(SAMPLE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"[1, 2, 3]", "The file's JSON is a list; a Commento export is an object"),
        (b'"comments"', "The file's JSON is a single string"),
        (b'{"version":2,"comments":[]}', "This is version 2 of Commento's export"),
        (b'{"data":[]}', 'not a Commento export: it has no "version" and "comments" list'),
        (b'{"version":1,"comments":{}}', '"comments" is not a list'),
        (b'{"version":1,"comments":[],"commenters":[7]}',
         'An entry of "commenters" is not an object'),
        (b'{"version":1,"comments":[5]}', "The comment number 1 is not an object"),
        (b'{"version":1,"comments":[{"commentHex":"a","markdown":5}]}',
         '"markdown" of comment number 1 is not a string'),
        (b'{"version":1,"comments":[{"commentHex":"a","markdown":"x","url":"/",'
         b'"creationDate":"soon"}]}', "Comment a has an unreadable date"),
        (b'{"version":1,"comments":[]} trailing', "The file is not valid JSON"),
        (b'{"version":1,"comments":[' + b"[" * 100_000, "nests deeper than 32 levels"),
    ],
)  # fmt: skip
def test_malformed_files(tmp_path, data, message):
    with pytest.raises(ImportFileError) as caught:
        records(write(tmp_path, data))
    assert message in str(caught.value)


def test_a_truncated_export_says_where_it_ends(tmp_path):
    cut = SAMPLE.read_bytes()[:2000].decode(errors="ignore")  # at a character's end
    with pytest.raises(ImportFileError, match="ends in the middle of the JSON") as caught:
        records(write(tmp_path, cut.encode()))
    assert (caught.value.line, caught.value.column) == (1, len(cut) + 1)


def test_a_syntax_error_says_its_line_and_column(tmp_path):
    data = b'{"version":1,\n"comments":[{"a":1,,}]}'
    with pytest.raises(ImportFileError, match="not valid JSON") as caught:
        records(write(tmp_path, data))
    assert (caught.value.line, caught.value.column) == (2, 20)


def test_a_truncated_gzip(tmp_path):
    data = gzip.compress(SAMPLE.read_bytes())
    with pytest.raises(ImportFileError, match="gzip compression is damaged or cut short"):
        records(write(tmp_path, data[: len(data) // 2], "export.json.gz"))


def test_nothing_is_yielded_before_a_late_error_is_found(tmp_path):
    data = SAMPLE.read_bytes()
    reader = commento.read(write(tmp_path, data[:-3]))
    with pytest.raises(ImportFileError):
        next(reader)
