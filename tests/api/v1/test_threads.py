import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.comments import services
from meydan.comments.models import Comment
from tests.api.conftest import ORIGIN

pytestmark = pytest.mark.django_db


def read(api, site, url="/baku-rally/", **params):
    return api.get("/threads", {"site": site.slug, "url": url, **params})


def test_thread_in_tree_order(api, site, thread, post):
    a = post("first")
    post("second")
    post("reply to *first*", parent=a)
    response = read(api, site)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3 and data["pages"] == 1 and data["order"] == "oldest"
    assert [c["html"] for c in data["comments"]] == [
        "<p>first</p>",
        "<p>reply to <em>first</em></p>",
        "<p>second</p>",
    ]
    assert [c["depth"] for c in data["comments"]] == [0, 1, 0]
    assert data["comments"][1]["parent"] == a.pk
    author = data["comments"][0]["author"]
    assert author["avatar"].startswith("/avatars/") and "email" not in author
    assert "aynur@example.org" not in response.content.decode()


def test_avatar_urls_are_short_and_keep_the_picture(api, site, thread, post, client):
    """A comment stored with a 20- or 8-digit key from before is given its picture's
    6 digits, and the old URLs still draw the same picture."""
    post("new")
    old = post("from before")
    between = post("from a while ago")
    Comment.objects.filter(pk=old.pk).update(avatar_key="0123456789abcdef4242")
    Comment.objects.filter(pk=between.pk).update(avatar_key="01ef4242")
    avatars = [c["author"]["avatar"] for c in read(api, site).json()["comments"]]
    assert all(re.fullmatch(r"/avatars/[0-9a-f]{6}\.svg", a) for a in avatars), avatars
    assert avatars[1] == avatars[2] == "/avatars/014242.svg"
    picture = client.get(avatars[1])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/svg+xml"
    for url in ("/avatars/0123456789abcdef4242.svg", "/avatars/01ef4242.svg"):
        assert client.get(url).content == picture.content
    assert client.get("/avatars/01424.svg").status_code == 404


def test_unknown_page_is_an_empty_thread_and_creates_nothing(api, site):
    response = read(api, site, url=f"{ORIGIN}/not-commented-yet/")
    assert response.status_code == 200
    assert response.json()["comments"] == [] and response.json()["count"] == 0
    from meydan.comments.models import Thread

    assert not Thread.objects.exists()


def test_full_url_and_path_name_the_same_thread(api, site, thread, post):
    post("hello")
    by_url = read(api, site, url=f"{ORIGIN}/baku-rally/?utm_source=feed#comments").json()
    assert by_url["count"] == 1


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"site": "nope", "url": "/x/"}, 404, "not_found"),
        ({"site": "caspian-ledger", "url": "https://evil.example/x"}, 400, "url_not_on_site"),
        ({"site": "caspian-ledger", "url": "javascript:alert(1)"}, 400, "error"),
        ({"site": "caspian-ledger"}, 422, "invalid"),
        ({"site": "caspian-ledger", "url": "/x/", "page": "0"}, 422, "invalid"),
        ({"site": "caspian-ledger", "url": "/x/", "order": "random"}, 422, "invalid"),
        ({"site": "../../etc", "url": "/x/"}, 404, "not_found"),
    ],
)
def test_bad_reads_are_clear_errors(api, site, params, status, code):
    response = api.get("/threads", params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_etag_304_without_a_database_query(api, site, thread, post):
    post("hello")
    first = read(api, site)
    etag = first["ETag"]
    assert "max-age" in first["Cache-Control"]
    read(api, site)  # warm
    with CaptureQueriesContext(connection) as queries:
        again = api.get("/threads", {"site": site.slug, "url": "/baku-rally/"}, If_None_Match=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert len(queries) == 0


def test_warm_read_needs_no_query_and_writes_show_at_once(
    api, site, thread, post, django_capture_on_commit_callbacks
):
    post("hello")
    read(api, site)
    with CaptureQueriesContext(connection) as queries:
        assert read(api, site).status_code == 200
    assert len(queries) == 0
    old_etag = read(api, site)["ETag"]
    post("a new one")
    fresh = read(api, site)
    assert fresh["ETag"] != old_etag and fresh.json()["count"] == 2
    # A moderation change is seen too.
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(
            Comment.objects.first(), Comment.Status.SPAM, channel="moderation"
        )
    assert read(api, site).json()["count"] == 1


def test_pages_and_order(api, site, thread, post):
    site.page_size = 2
    site.save()
    for i in range(5):
        post(f"c{i}")
    first = read(api, site).json()
    assert first["pages"] == 3 and len(first["comments"]) == 2
    third = read(api, site, page=3).json()
    assert [c["html"] for c in third["comments"]] == ["<p>c4</p>"]
    newest = read(api, site, order="newest").json()
    assert newest["comments"][0]["html"] == "<p>c4</p>"


def test_removed_parent_is_a_placeholder(
    api, site, thread, post, django_capture_on_commit_callbacks
):
    parent = post("soon gone")
    post("still here", parent=parent)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(parent, Comment.Status.TRASH, channel="moderation")
    comments = read(api, site).json()["comments"]
    assert [(c["status"], c["html"]) for c in comments] == [
        ("removed", ""),
        ("approved", "<p>still here</p>"),
    ]
    assert comments[0]["id"] == parent.pk and comments[1]["parent"] == parent.pk


def test_counts_for_many_urls(api, site, thread, post):
    post("one")
    post("two")
    urls = [f"{ORIGIN}/baku-rally/", "/baku-rally/", "/nothing-here/"]
    got = api.get("/counts", {"site": site.slug, "url": urls}).json()["counts"]
    assert got == {urls[0]: 2, urls[1]: 2, urls[2]: 0}
    by_post = api.post("/counts", {"site": site.slug, "urls": urls}).json()["counts"]
    assert by_post == got
    too_many = api.post("/counts", {"site": site.slug, "urls": ["/x/"] * 101})
    assert too_many.status_code == 422


def test_cors_only_for_registered_origins(api, site, thread):
    allowed = api.get("/threads", {"site": site.slug, "url": "/x/"}, Origin=ORIGIN)
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in allowed
    assert "Origin" in allowed["Vary"]
    other = api.get("/threads", {"site": site.slug, "url": "/x/"}, Origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    preflight = api.client.options(
        "/api/v1/comments",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    refused = api.client.options(
        "/api/v1/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


def test_a_cold_read_costs_the_same_few_queries_for_any_thread_size(api, site, thread, post):
    """No query per comment (e.g. a deferred field loaded one by one)."""
    counts = []
    for size in (3, 30):
        while thread.comments.count() < size:
            post(f"comment {thread.comments.count()}")
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert read(api, site).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


def test_counts_come_from_the_cache_and_follow_writes(api, site, thread, post):
    post("one")
    urls = ["/baku-rally/", "/nothing-here/"]
    assert api.get("/counts", {"site": site.slug, "url": urls}).json()["counts"] == {
        "/baku-rally/": 1,
        "/nothing-here/": 0,
    }
    with CaptureQueriesContext(connection) as queries:
        again = api.get("/counts", {"site": site.slug, "url": urls}).json()["counts"]
    assert again["/baku-rally/"] == 1 and len(queries) == 0
    post("two")
    assert (
        api.get("/counts", {"site": site.slug, "url": urls}).json()["counts"]["/baku-rally/"] == 2
    )


def test_with_a_per_process_cache_a_change_elsewhere_is_seen(api, site, thread, post, settings):
    """Several workers with local-memory caches: the thread state comes from the
    database, so a comment posted through another worker shows at once."""
    settings.MEYDAN_SHARED_CACHE = False
    post("one")
    assert read(api, site).json()["count"] == 1
    from meydan.comments.models import Comment, Thread

    # What another worker does: write, with this process's cache none the wiser.
    Thread.objects.filter(pk=thread.pk).update(version=99, comment_count=2)
    Comment.objects.create(
        thread=thread, seq=50, root_seq=50, path="00001e", author_name="B", avatar_key="ab" * 4,
        body="two", body_html="<p>two</p>", created=thread.created,
    )  # fmt: skip
    data = read(api, site).json()
    assert data["count"] == 2 and "<p>two</p>" in [c["html"] for c in data["comments"]]
    counts = api.get("/counts", {"site": site.slug, "url": ["/baku-rally/"]}).json()["counts"]
    assert counts == {"/baku-rally/": 2}


def test_times_are_given_to_the_second(api, site, thread, post, django_capture_on_commit_callbacks):
    """A reader sees minutes at most; six digits of microseconds per comment were
    bytes that no compressor can shorten."""
    from datetime import datetime

    comment = post("first")
    Comment.objects.filter(pk=comment.pk).update(
        created=datetime.fromisoformat("2026-12-04T09:15:30.987654+00:00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_edit(
            Comment.objects.get(pk=comment.pk), body="first, edited", author_name="Aynur",
            author_email=None, author_url="", channel="moderation",
        )  # fmt: skip
    (read_back,) = read(api, site).json()["comments"]
    assert read_back["created"] == "2026-12-04T09:15:30+00:00"
    edited = datetime.fromisoformat(read_back["edited"])
    assert edited.microsecond == 0 and "." not in read_back["edited"]
    stored = Comment.objects.get(pk=comment.pk).edited
    assert stored.replace(microsecond=0) == edited


def test_with_a_shared_cache_counts_are_a_second_old_at_most(api, site, thread, post, monkeypatch):
    """A worker keeps the states it read for the counts for a second: a listing page's
    fifty counts cost no round trip to the shared cache on every view. A write made
    through this worker shows at once; one made elsewhere, within the second."""
    from meydan.comments import caching

    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    post("one")
    urls = {"site": site.slug, "url": ["/baku-rally/", "/nothing-here/"]}
    assert api.get("/counts", urls).json()["counts"] == {"/baku-rally/": 1, "/nothing-here/": 0}
    asked = []
    monkeypatch.setattr(
        caching, "thread_states", lambda site_id, keys: asked.append(keys) or pytest.fail()
    )
    assert api.get("/counts", urls).json()["counts"]["/baku-rally/"] == 1
    assert asked == []
    monkeypatch.undo()
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    post("two")  # through this worker: forgotten at once
    assert api.get("/counts", urls).json()["counts"]["/baku-rally/"] == 2
    # Through another worker: the shared state changes, this worker's copy does not.
    caching.thread_state_forget([(site.pk, "/baku-rally/")])
    caching._recent[(site.pk, "/baku-rally/")] = (clock[0], caching.ThreadState(thread.pk, 1, 2))
    from meydan.comments.models import Thread

    Thread.objects.filter(pk=thread.pk).update(comment_count=3, version=50)
    assert api.get("/counts", urls).json()["counts"]["/baku-rally/"] == 2  # within the second
    clock[0] += 1.01
    assert api.get("/counts", urls).json()["counts"]["/baku-rally/"] == 3
    # The thread page and the live answer never wait for the second.
    clock[0] -= 1.01
    assert read(api, site).json()["count"] == 3


def test_without_a_shared_cache_counts_follow_every_write(api, site, thread, post, settings):
    settings.MEYDAN_SHARED_CACHE = False
    post("one")
    urls = {"site": site.slug, "url": ["/baku-rally/"]}
    assert api.get("/counts", urls).json()["counts"] == {"/baku-rally/": 1}
    from meydan.comments.models import Thread

    Thread.objects.filter(pk=thread.pk).update(comment_count=4, version=60)
    assert api.get("/counts", urls).json()["counts"] == {"/baku-rally/": 4}


def test_text_is_sent_in_utf8_as_it_is(api, site, thread, post):
    """Not as \\uXXXX escapes: a Russian or Persian thread is about half the bytes."""
    post("Митинг в Баку. Şəhər mərkəzində. تجمع")
    response = read(api, site)
    assert "Митинг в Баку. Şəhər mərkəzində. تجمع".encode() in response.content
    assert b"\\u" not in response.content
    assert response.json()["comments"][0]["html"] == "<p>Митинг в Баку. Şəhər mərkəzində. تجمع</p>"
    again = read(api, site, page=1)  # …and from the cache, as the fast path sends it
    assert again.content == response.content
