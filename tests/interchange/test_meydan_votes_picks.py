"""Votes, editors' picks and the pinned comment in Meydan's own format: they travel
(byte-identical round trip), old files without them still import, bad values refuse
the whole file with its line, a pin the import cannot honour is reported, and an
import undone takes back its picks and its pin."""

import json

import pytest
from django.core.management import call_command

from meydan.comments import events
from meydan.comments.models import Comment, Thread, Vote
from meydan.comments.services import (
    Author,
    Voter,
    comment_post,
    comment_set_pick,
    comment_set_status,
    comment_vote,
    thread_pin,
)
from meydan.interchange import services
from meydan.interchange.models import ImportBatch
from meydan.interchange.records import ImportFileError
from tests.interchange.test_export import empty_database, export, populated

pytestmark = pytest.mark.django_db

OWN = "/2015/05/own/"


@pytest.fixture
def own_thread(site):
    return Thread.objects.create(site=site, key=OWN, url="https://blog.example.org" + OWN)


def decorate(site):
    """The sample site with votes, picks (one of them on a comment held since) and
    a pin, each made by the service a reader or a moderator uses."""
    populated(site)
    thread = Thread.objects.get(key=OWN)
    first, reply = Comment.objects.filter(thread=thread, status="approved").order_by("seq")[:2]
    for n in range(3):
        comment_vote(first, voter=Voter(f"g:voter{n}"))
    other = Comment.objects.filter(status="approved").exclude(thread=thread).first()
    comment_vote(other, voter=Voter("g:voter0"))
    comment_set_pick(first, True, channel="moderation")
    comment_set_pick(reply, True, channel="moderation")
    comment_set_pick(other, True, channel="moderation")
    comment_set_status(reply, "pending", channel="moderation")  # a pick kept, not counted
    thread_pin(thread, first, channel="moderation")
    return thread, first, reply, other


def test_votes_picks_and_pin_round_trip_byte_for_byte(site, own_thread, tmp_path):
    thread, first, reply, other = decorate(site)
    data = export(site, "meydan")
    lines = data.decode().splitlines()
    first_line = next(line for line in lines if "Written **here**" in line)
    assert '"votes": 3, "pick": {"at": "' in first_line
    assert '"votes": 0, "pick": null' in data.decode()
    thread_line = next(line for line in lines if f'"key": "{OWN}"' in line)
    first_id = json.loads(first_line.rstrip(","))["id"]
    assert f'"pinned": "{first_id}"' in thread_line
    path = tmp_path / "export.json"
    path.write_bytes(data)

    empty_database()
    _, report = services.import_file(path, site)
    assert report.skipped == {}
    assert export(site, "meydan") == data

    thread = Thread.objects.get(key=OWN)
    first = Comment.objects.get(pk=thread.pinned_id)
    assert first.body.startswith("Written **here**")
    assert (first.vote_count, first.is_pick, first.picked_by_id) == (3, True, None)
    assert thread.pick_count == 1  # the held pick is kept but not counted
    assert Comment.objects.filter(is_pick=True).count() == 3
    assert Thread.objects.exclude(key=OWN).filter(pick_count=1).count() == 1
    # The count is what travels, not who voted: no Vote rows come with it.
    assert not Vote.objects.exists()


def test_import_announces_only_the_import_and_again_changes_nothing(
    site, own_thread, tmp_path, django_capture_on_commit_callbacks
):
    decorate(site)
    path = tmp_path / "export.json"
    path.write_bytes(export(site, "meydan"))
    empty_database()
    seen = []

    def receiver(signal, sender, **kwargs):
        seen.append(signal)

    for event in events.EVENTS:
        event.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.import_file(path, site)
    finally:
        for event in events.EVENTS:
            event.disconnect(receiver)
    assert seen and set(seen) == {events.comments_imported}

    def state():
        return (
            list(Thread.objects.order_by("key").values_list("version", "pinned", "pick_count")),
            list(Comment.objects.order_by("pk").values_list("vote_count", "is_pick", "picked_at")),
        )

    before = state()
    _, report = services.import_file(path, site)
    assert report.already == 154 and sum(report.added.values()) == 0
    assert state() == before
    # An editor's unpin after the import stands when the same file comes again.
    thread = Thread.objects.get(key=OWN)
    thread_pin(thread, None, channel="moderation")
    services.import_file(path, site)
    thread.refresh_from_db()
    assert thread.pinned_id is None


def head(**extra) -> str:
    return json.dumps({"format": "meydan-comments", "version": 1, "source": "elsewhere", **extra})


def meydan_file(tmp_path, threads, name="in.json"):
    """A file laid out as Meydan writes it: one comment a line."""
    lines = [head()[:-1] + ', "threads": [']
    for n, (thread, comments) in enumerate(threads):
        lines.append(
            ("," if n else "") + json.dumps(thread)[:-1] + ', "comments": ['
            + ",\n".join(json.dumps(c) for c in comments) + "]}"
        )  # fmt: skip
    lines.append("]}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def comment(ref, **fields):
    return {"id": ref, "parent": None, "created": "2020-01-01T10:00:00.000000Z",
            "status": "approved", "author": {"name": "Leyla"}, "body": f"Comment {ref}.",
            **fields}  # fmt: skip


PICK = {"at": "2020-01-02T00:00:00.000000Z"}
A = {"key": "/a/", "url": "https://blog.example.org/a/", "title": "A", "open": True}


def test_a_file_from_before_votes_and_picks_imports_with_none(site, tmp_path):
    path = meydan_file(tmp_path, [(A, [comment("1"), comment("2", parent="1")])])
    assert b"votes" not in path.read_bytes() and b"pinned" not in path.read_bytes()
    _, report = services.import_file(path, site)
    assert sum(report.added.values()) == 2 and report.skipped == {}
    thread = Thread.objects.get()
    assert (thread.pinned_id, thread.pick_count) == (None, 0)
    assert set(Comment.objects.values_list("vote_count", "is_pick", "picked_at")) == {
        (0, False, None)
    }


BAD = [
    ({"votes": -1}, r'Comment \'2\': "votes" cannot be negative \(-1\) \(line 3\)'),
    ({"votes": "3"}, r'Comment \'2\': "votes" must be a whole number, not "3" \(line 3\)'),
    ({"votes": 1.5}, r'"votes" must be a whole number, not 1.5 \(line 3\)'),
    ({"votes": True}, r'"votes" must be a whole number, not true \(line 3\)'),
    ({"votes": None}, r'"votes" must be a whole number, not null \(line 3\)'),
    ({"votes": 2**31}, r'"votes" is too large \(2147483648\) \(line 3\)'),
    ({"pick": "yes"}, r'"pick" must be null or an object such as \{"at": .*, not "yes" \(line 3\)'),
    ({"pick": True}, r'"pick" must be null or an object .* not true \(line 3\)'),
    ({"pick": {}}, r'"pick" needs "at", the date it was picked \(line 3\)'),
    ({"pick": {"at": "Tuesday"}}, r"\"pick\": the date 'Tuesday' is not ISO 8601 \(line 3\)"),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_a_bad_vote_or_pick_refuses_the_whole_file_with_its_line(site, tmp_path, fields, message):
    # The bad comment is the second: the first would be written, were anything written.
    path = meydan_file(tmp_path, [(A, [comment("1"), comment("2", **fields)])])
    with pytest.raises(ImportFileError, match=message):
        services.import_file(path, site)
    assert not Comment.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        (5, '"pinned" must be a comment\'s id \\(a string\\) or null, not 5'),
        ({"id": "1"}, "not an object"),
        (["1"], "not a list"),
    ],
)
def test_a_bad_pin_refuses_the_whole_file_with_its_line(site, tmp_path, pinned, message):
    b = {"key": "/b/", "url": "https://blog.example.org/b/", "pinned": pinned}
    path = meydan_file(tmp_path, [(A, [comment("1")]), (b, [comment("2")])])
    with pytest.raises(ImportFileError, match=f"Thread '/b/': .*{message} \\(line 3\\)"):
        services.import_file(path, site)
    assert not Comment.objects.exists()


def test_a_pin_after_the_comments_is_refused(site, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(
        head()[:-1] + ', "threads": [\n{"key": "/a/", "comments": [\n'
        + json.dumps(comment("1")) + '\n], "pinned": "1"}]}'
    )  # fmt: skip
    with pytest.raises(ImportFileError, match='"pinned" must come before the thread\'s comments'):
        services.import_file(path, site)


def test_a_pin_the_import_cannot_honour_is_reported(site, tmp_path, capsys):
    # /b/ already has a pinned comment, chosen here: the file's pin does not replace it.
    b = Thread.objects.create(site=site, key="/b/", url="https://blog.example.org/b/")
    here = comment_post(
        thread=Thread.objects.select_related("site").get(pk=b.pk),
        author=Author(name="Ana", email="ana@example.org"),
        body="Pinned here.",
        channel="api",
        moderate=False,
    ).comment
    thread_pin(b, here, channel="moderation")
    threads = [
        ({**A, "pinned": "missing"}, [comment("1")]),
        ({"key": "/b/", "url": "https://blog.example.org/b/", "pinned": "2"}, [comment("2")]),
        ({"key": "/c/", "pinned": "3"}, [comment("3", status="pending", pick=PICK)]),
        ({"key": "/d/", "pinned": "4"}, [comment("4", body="  ")]),
    ]  # fmt: skip
    path = meydan_file(tmp_path, threads)
    call_command("import", str(path), "--site", site.slug)
    out = capsys.readouterr().out
    assert "Skipped, a pin naming a comment not in the file: 1" in out
    assert "Skipped, a pin on a thread that already has one: 1" in out
    assert "Skipped, a pin naming a comment that is not published: 1" in out
    assert "Skipped, a pin naming a comment not imported: 1" in out
    assert list(Thread.objects.order_by("key").values_list("key", "pinned", "pick_count")) == [
        ("/a/", None, 0),
        ("/b/", here.pk, 0),
        ("/c/", None, 0),  # a held pick is kept, not counted
    ]
    assert Comment.objects.get(body="Comment 3.").is_pick


def test_undo_takes_back_the_picks_and_the_pin_it_brought(site, tmp_path):
    a = Thread.objects.create(site=site, key="/a/", url="https://blog.example.org/a/")
    mine = comment_post(
        thread=Thread.objects.select_related("site").get(pk=a.pk),
        author=Author(name="Ana", email="ana@example.org"),
        body="Posted here.",
        channel="api",
        moderate=False,
    ).comment
    comment_set_pick(mine, True, channel="moderation")
    picked = {"pick": PICK, "votes": 7}
    b = {"key": "/b/", "url": "https://blog.example.org/b/", "pinned": "3"}
    path = meydan_file(
        tmp_path,
        [({**A, "pinned": "1"}, [comment("1", **picked), comment("2", **picked)]),
         (b, [comment("3", **picked)])],
    )  # fmt: skip
    batch, _ = services.import_file(path, site)
    a.refresh_from_db()
    imported = Comment.objects.get(body="Comment 1.")
    assert (a.pinned_id, a.pick_count) == (imported.pk, 3) and imported.vote_count == 7
    # A reader answered comment 3 since: it stays, and so does its pin.
    b = Thread.objects.select_related("site").get(key="/b/")
    three = Comment.objects.get(body="Comment 3.")
    comment_post(
        thread=b, author=Author(name="Ruslan", email="r@example.org"), body="Agreed.",
        parent_id=three.pk, channel="api", moderate=False,
    )  # fmt: skip
    version = a.version

    result = services.undo(batch)
    assert result == {"deleted": 2, "kept": 1, "threads_deleted": 0}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.pinned_id, a.pick_count) == (None, 1) and a.version > version
    assert (b.pinned_id, b.pick_count) == (three.pk, 1)
    assert set(Comment.objects.filter(thread=a).values_list("pk", flat=True)) == {mine.pk}
