"""GET /api/v1/live: how many published comments a page has now, for readers who keep
it open ("2 new comments — show"), nearly always answered 304 without a query."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.api.fastpath import FastReads
from meydan.comments import services
from meydan.comments.models import Comment
from tests.api.conftest import ORIGIN
from tests.api.test_fastpath import (  # noqa: F401 - _keep_test_connection: autouse
    _keep_test_connection,
    both,
    call,
    django_application,
    environ_for,
    same,
)

pytestmark = pytest.mark.django_db

LIVE = "/api/v1/live"
SITE = "site=caspian-ledger"
QUERY = {"site": "caspian-ledger", "url": "/baku-rally/"}


@pytest.fixture
def comments(post):
    first = post("first")
    post("a reply", parent=first)
    return first


def live(api, etag=None, **params):
    headers = {"If-None-Match": etag} if etag else {}
    return api.get("/live", {**QUERY, **params}, **headers)


def test_the_answer_is_the_published_count_and_the_interval(api, comments, settings):
    settings.MEYDAN_LIVE_SECONDS = 1.4
    response = live(api)
    assert response.status_code == 200
    assert response.json() == {"count": 2, "poll": 1.4}
    assert response["ETag"] == '"n2-1.4"'
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=1"


def test_unchanged_answers_304(api, comments):
    etag = live(api)["ETag"]
    response = live(api, etag)
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag


def test_a_published_comment_changes_the_answer(api, comments, post):
    etag = live(api)["ETag"]
    post("news")
    response = live(api, etag)
    assert response.status_code == 200 and response.json()["count"] == 3


def test_a_held_comment_counts_when_a_moderator_approves_it(
    api, comments, post, thread, django_capture_on_commit_callbacks
):
    thread.site.hold_all = True
    thread.site.save()
    etag = live(api)["ETag"]
    held = post("wait for it")
    assert held.status == Comment.Status.PENDING
    assert live(api, etag).status_code == 304  # readers do not see it: not new to them
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(held, Comment.Status.APPROVED, channel="moderation")
    response = live(api, etag)
    assert response.status_code == 200 and response.json()["count"] == 3


def test_a_page_without_comments_counts_zero(api, site):
    response = api.get("/live", {"site": site.slug, "url": "/not-yet/"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_live_updates_turned_off_tell_pages_to_stop(api, comments, settings):
    settings.MEYDAN_LIVE_SECONDS = 0.0
    assert live(api).json() == {"count": 2, "poll": 0}


def test_a_new_interval_reaches_pages_at_their_next_request(api, comments, settings):
    settings.MEYDAN_LIVE_SECONDS = 1.4
    etag = live(api)["ETag"]
    settings.MEYDAN_LIVE_SECONDS = 10.0
    response = live(api, etag)
    assert response.status_code == 200 and response.json()["poll"] == 10


def test_a_running_stream_is_announced(api, comments, settings):
    settings.MEYDAN_LIVE_SECONDS = 1.4
    settings.MEYDAN_LIVE_STREAM_URL = "/api/v1/live/stream"
    response = live(api)
    assert response.json() == {"count": 2, "poll": 1.4, "stream": "/api/v1/live/stream"}
    assert response["ETag"] == '"n2-1.4-s"'
    settings.MEYDAN_LIVE_STREAM_URL = ""
    response = live(api, '"n2-1.4-s"')  # the stream stopped: pages hear of it
    assert response.status_code == 200 and "stream" not in response.json()


def test_no_stream_is_announced_while_live_updates_are_off(api, comments, settings):
    settings.MEYDAN_LIVE_SECONDS = 0.0
    settings.MEYDAN_LIVE_STREAM_URL = "/api/v1/live/stream"
    assert live(api).json() == {"count": 2, "poll": 0}


def test_the_fast_path_announces_the_stream_as_django_does(comments, settings):
    settings.MEYDAN_LIVE_STREAM_URL = "https://live.example.org/api/v1/live/stream"
    django, fast, answered = both(environ_for(LIVE, f"{SITE}&url=/baku-rally/"))
    assert answered and same(fast, django)
    assert b'"stream": "https://live.example.org/api/v1/live/stream"' in fast[2]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"site": "nope", "url": "/x/"}, 404),
        ({"site": "caspian-ledger", "url": "https://evil.example/x"}, 400),
        ({"site": "caspian-ledger", "url": "javascript:alert(1)"}, 400),
        ({"site": "caspian-ledger"}, 422),
        ({"url": "/x/"}, 422),
    ],
)
def test_bad_questions_get_a_clear_4xx(api, site, params, status):
    response = api.get("/live", params)
    assert response.status_code == status
    assert json.loads(response.content)["error"]["message"]


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (f"{SITE}&url=/baku-rally/", {}),
        (f"{SITE}&url={ORIGIN}/baku-rally/%3Futm_source%3Dx", {}),
        (f"{SITE}&url=/baku-rally/", {"ORIGIN": ORIGIN}),
        (f"{SITE}&url=/baku-rally/", {"ORIGIN": "https://evil.example"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_LANGUAGE": "az"}),
        (f"{SITE}&url=/not-yet/", {}),
        (f"{SITE}&url=/baku-rally/", {"IF_NONE_MATCH": '"n2-1.4"'}),
        (f"{SITE}&url=/baku-rally/", {"IF_NONE_MATCH": '"n1-1.4"'}),
    ],
)
def test_the_fast_path_answers_as_django_does(comments, settings, query, headers):
    settings.MEYDAN_LIVE_SECONDS = 1.4
    django, fast, answered = both(environ_for(LIVE, query, **headers))
    assert answered and same(fast, django)


@pytest.mark.parametrize(
    "query",
    [
        "site=nope&url=/x/",
        SITE,
        f"{SITE}&url=javascript:x",
        f"{SITE}&url=/a/&url=/b/",
        f"{SITE}&url=/a/&_=1",
    ],
)
def test_anything_else_is_left_to_django(comments, query):
    django, fast, _answered = both(environ_for(LIVE, query))
    assert same(fast, django)


def test_a_304_costs_no_query(comments):
    environ = environ_for(LIVE, f"{SITE}&url=/baku-rally/")
    etag = dict(call(django_application, environ)[1])["ETag"]
    environ = environ_for(LIVE, f"{SITE}&url=/baku-rally/", IF_NONE_MATCH=etag)
    app = FastReads(django_application)
    call(app, environ)
    with CaptureQueriesContext(connection) as queries:
        status, _headers, _body = call(app, environ)
    assert status == "304 Not Modified" and len(queries) == 0


def test_cors_lets_registered_pages_read_the_etag(comments):
    status, headers, _ = call(
        FastReads(django_application), environ_for(LIVE, f"{SITE}&url=/baku-rally/", ORIGIN=ORIGIN)
    )
    headers = dict(headers)
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in headers["Access-Control-Expose-Headers"]


def test_a_change_made_by_another_worker_is_seen(comments, settings):
    """Without a shared cache each worker reads the count from the database (SQLite:
    when it reports a commit), so a comment published through another worker or
    machine is seen at the next question, as with Redis, where it is dropped for all."""
    settings.MEYDAN_SHARED_CACHE = False
    settings.MEYDAN_LIVE_SECONDS = 1.4
    app = FastReads(django_application)
    environ = environ_for(LIVE, f"{SITE}&url=/baku-rally/")
    assert json.loads(call(app, environ)[2])["count"] == 2
    from meydan.comments.models import Thread

    Thread.objects.update(comment_count=7, version=99)  # as another process's commit
    status, headers, body = call(app, environ)
    assert json.loads(body)["count"] == 7 and dict(headers)["ETag"] == '"n7-1.4"'
