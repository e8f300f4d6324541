"""RSS 2.0 and Atom feeds of published comments (meydan/feeds/views.py).

Every feed is read twice: by feedparser, as a feed reader would (no "bozo" error),
and by a strict XML parser (lxml, which refuses anything not well-formed)."""

import feedparser
import pytest
from django.contrib.auth import get_user_model
from lxml import etree

from meydan.moderation import services as moderation

ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLE_URL = "/2026/12/baku-rally/"


def feed_url(fmt, url=None, site="caspian-ledger", kind="thread"):
    base = f"/feeds/{site}/{kind}.{fmt}"
    return f"{base}?url={url}" if url else base


def read(response):
    assert response.status_code == 200, response.content[:300]
    tree = etree.fromstring(response.content)  # strict: raises on malformed XML
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return tree, parsed


@pytest.fixture
def moderator(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", "pw")
    site.moderators.add(user)
    return user


@pytest.fixture
def comments(thread, post, moderator, django_capture_on_commit_callbacks):
    first = post("First **bold** <script>alert(1)</script>", name="Aynur")
    second = post("A reply.", parent=first, name="Tural", email="tural@example.org")
    held = post("Held back.", name="Leyla")
    spam = post("Buy now.", name="Spammer")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(held, "unapprove", actor=moderator)
        moderation.comment_moderate(spam, "spam", actor=moderator)
    return first, second


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_thread_feed_lists_published_comments_newest_first(client, thread, comments, fmt):
    first, second = comments
    tree, parsed = read(client.get(feed_url(fmt, thread.key)))
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    assert parsed.feed.title == f"Comments on “{thread.title}”"
    assert [e.author for e in parsed.entries] == ["Tural", "Aynur"]
    assert [e.link for e in parsed.entries] == [
        f"http://testserver/c/{second.pk}",
        f"http://testserver/c/{first.pk}",
    ]
    text = client.get(feed_url(fmt, thread.key)).content.decode()
    # Never the held or the spam comment, never an email address, never a script.
    assert "Held back" not in text and "Buy now" not in text
    assert "@example.org" not in text
    html = parsed.entries[1].summary
    assert "<strong>bold</strong>" in html and "<script" not in html
    assert parsed.feed.link == f"http://testserver{thread.get_absolute_url()}"


def test_rss_structure(client, thread, comments):
    tree, _ = read(client.get(feed_url("rss", thread.key)))
    assert tree.tag == "rss" and tree.get("version") == "2.0"
    channel = tree.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required)
    for item in channel.findall("item"):
        assert item.find("guid").get("isPermaLink") == "true"
        assert item.findtext("pubDate")
        assert item.find("author") is None  # RSS's <author> is an email address


def test_atom_structure(client, thread, comments):
    tree, _ = read(client.get(feed_url("atom", thread.key)))
    assert tree.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert tree.findtext(f"{ATOM}{required}")
    assert tree.find(f"{ATOM}link[@rel='self']") is not None
    entries = tree.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}")
        assert entry.find(f"{ATOM}author/{ATOM}name").text in ("Aynur", "Tural")
        assert entry.find(f"{ATOM}author/{ATOM}email") is None


def test_etag_and_304_follow_the_thread_version(client, thread, comments, post):
    url = feed_url("rss", thread.key)
    response = client.get(url)
    etag = response["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    post("Something new.", name="Kamran")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Kamran" in changed.content.decode()


def test_304_needs_no_query_once_the_state_is_cached(
    client, thread, comments, django_assert_max_num_queries, settings
):
    url = feed_url("atom", thread.key)
    etag = client.get(url)["ETag"]
    client.get(url, HTTP_IF_NONE_MATCH=etag)
    with django_assert_max_num_queries(1):  # SQLite's "anything committed?" check at most
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_edit_changes_the_feed(
    client, thread, comments, moderator, django_capture_on_commit_callbacks
):
    from meydan.comments.services import comment_edit

    first, _second = comments
    url = feed_url("rss", thread.key)
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        comment_edit(first, body="Corrected text.", author_name="Aynur", author_email=None,
                     author_url="", channel="moderation", actor=moderator)  # fmt: skip
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Corrected text." in response.content.decode()


def test_removed_comment_leaves_the_feed(
    client, thread, comments, moderator, django_capture_on_commit_callbacks
):
    first, _second = comments
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(first, "trash", actor=moderator, removal_reason="spam")
    _, parsed = read(client.get(feed_url("atom", thread.key)))
    assert [e.author for e in parsed.entries] == ["Tural"]


def test_page_without_comments_has_an_empty_valid_feed(client, site):
    for fmt in ("rss", "atom"):
        _, parsed = read(client.get(feed_url(fmt, "/no-comments-yet/")))
        assert parsed.entries == []


def test_site_feed_has_the_newest_comments_of_every_thread(client, site, thread, comments, post):
    from meydan.comments import services

    other = services.thread_get_or_create(site=site, key="/other/", url="/other/", title="Other")
    post("Elsewhere.", on=other, name="Nigar")
    for fmt in ("rss", "atom"):
        _, parsed = read(client.get(feed_url(fmt, kind="latest")))
        assert parsed.feed.title == "Latest comments on Caspian Ledger"
        assert [e.author for e in parsed.entries] == ["Nigar", "Tural", "Aynur"]
        assert parsed.entries[0].title == "Nigar on “Other”"
    response = client.get(feed_url("rss", kind="latest"))
    assert (
        client.get(feed_url("rss", kind="latest"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )


def test_feed_is_in_the_readers_language(client, thread, comments):
    response = client.get(feed_url("rss", thread.key), HTTP_ACCEPT_LANGUAGE="ru")
    tree, _ = read(response)
    assert tree.find("channel").findtext("language") == "ru"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/feeds/no-such-site/latest.rss", 404, "There is no site with this key"),
        ("/feeds/caspian-ledger/latest.json", 404, ".rss"),
        ("/feeds/caspian-ledger/thread.rss", 400, "Give the page"),
        (
            "/feeds/caspian-ledger/thread.rss?url=https://evil.example.com/x/",
            400,
            "not on a page of this site",
        ),
        ("/feeds/caspian-ledger/thread.atom?url=javascript:alert(1)", 400, ""),
    ],
)
def test_bad_requests_get_a_clear_answer(client, site, path, status, says):
    response = client.get(path)
    assert response.status_code == status
    assert says in response.content.decode()


def test_post_is_not_allowed(client, site):
    assert client.post(feed_url("rss", kind="latest")).status_code == 405
