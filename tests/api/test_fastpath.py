"""The fast read path answers exactly as Django would, or not at all.

Each request is sent twice through WSGI: once to Django's handler alone, once to
FastReads in front of it (after Django has answered once, so the cache is warm).
Where the fast path answers, its status, headers and bytes must equal Django's.
"""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from meydan.api.fastpath import FastReads
from tests.api.conftest import ORIGIN

pytestmark = pytest.mark.django_db


def django_application(environ, start_response):
    """Django's own handler, built now: middleware reads some settings when built."""
    return WSGIHandler()(environ, start_response)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """As Django's test client does: the test's transaction must survive a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def environ_for(path, query="", **headers):
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET"}
    environ["wsgi.input"] = io.BytesIO(b"")
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    return environ


def call(app, environ):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(dict(environ), start_response))
    return seen["status"], sorted(seen["headers"]), body


class Counting:
    """Django's handler, counting how often the fast path handed a request on."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


def same(fast, django) -> bool:
    """Equal answers; on a difference, say which headers differ."""
    only_fast = set(fast[1]) - set(django[1])
    only_django = set(django[1]) - set(fast[1])
    assert (fast[0], only_fast, only_django) == (django[0], set(), set())
    assert fast[2] == django[2]
    return True


def both(environ):
    """(Django's answer, the fast path's answer, whether the fast path answered)."""
    django = call(django_application, environ)
    inner = Counting()
    fast = call(FastReads(inner), environ)
    return django, fast, inner.calls == 0


@pytest.fixture
def comments(post):
    first = post("first *comment*")
    post("a reply", parent=first)
    post("second")
    return first


THREAD = "/api/v1/threads"
COUNTS = "/api/v1/counts"
SITE = "site=caspian-ledger"


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (f"{SITE}&url=/baku-rally/", {}),
        (f"{SITE}&url={ORIGIN}/baku-rally/%3Futm_source%3Dx", {}),
        (f"{SITE}&url=/baku-rally/&order=newest", {}),
        (f"{SITE}&url=/baku-rally/&order=top", {}),
        (f"{SITE}&url=/baku-rally/&page=2&order=top", {}),
        (f"{SITE}&url=/baku-rally/&page=1&order=oldest", {}),
        (f"{SITE}&url=/baku-rally/&page=7", {}),
        (f"{SITE}&url=/baku-rally/", {"ORIGIN": ORIGIN}),
        (f"{SITE}&url=/baku-rally/", {"ORIGIN": "https://evil.example"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_LANGUAGE": "az"}),
        # The widget's `lang` (the host page's language) outranks Accept-Language.
        (f"{SITE}&url=/baku-rally/&lang=fa-IR", {"ACCEPT_LANGUAGE": "az"}),
        (f"{SITE}&url=/baku-rally/&lang=ru", {}),
        (f"{SITE}&url=/baku-rally/&lang=%3Cscript%3E", {"ACCEPT_LANGUAGE": "tr"}),
        (f"{SITE}&url=/baku-rally/&lang=xx-YY", {}),
        (f"{SITE}&url=/baku-rally/", {"AUTHORIZATION": "Bearer nonsense"}),
        (f"{SITE}&url=/baku-rally/&_=123", {}),
        (f"{SITE}&url=/baku-rally/&picks=true", {}),
        (f"{SITE}&url=/baku-rally/&picks=false&order=newest", {}),
        # Compressed bytes, as made when the page was built (core/compression.py).
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_ENCODING": "gzip, deflate, br, zstd"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_ENCODING": "gzip"}),
        (f"{SITE}&url=/baku-rally/&order=newest", {"ACCEPT_ENCODING": "br;q=0, gzip"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_ENCODING": "br;q=0, gzip;q=0"}),
        (f"{SITE}&url=/baku-rally/", {"ACCEPT_ENCODING": "*", "ORIGIN": ORIGIN}),
    ],
)
def test_thread_reads_are_answered_as_django_answers_them(comments, query, headers):
    environ = environ_for(THREAD, query, **headers)
    django, fast, answered = both(environ)
    assert django[0] == "200 OK"
    assert same(fast, django)
    assert answered, "a warm read should not need Django"


def test_picks_and_the_pinned_comment_are_served_as_django_serves_them(comments, post):
    from meydan.comments import services

    later = post("picked and pinned")
    services.comment_set_pick(later, True, channel="moderation")
    services.thread_pin(later.thread, later, channel="moderation")
    for query in (f"{SITE}&url=/baku-rally/&picks=true", f"{SITE}&url=/baku-rally/"):
        django, fast, answered = both(environ_for(THREAD, query))
        assert same(fast, django) and answered
        assert f'"pinned": {{"id": {later.pk},'.encode() in fast[2]
    picks = both(environ_for(THREAD, f"{SITE}&url=/baku-rally/&picks=true"))[1]
    assert b'"view": "picks"' in picks[2] and picks[2].count(b'"pick": true') == 2
    etags = {
        dict(call(django_application, environ_for(THREAD, f"{SITE}&url=/baku-rally/{extra}"))[1])[
            "ETag"
        ]
        for extra in ("", "&picks=true")
    }
    assert len(etags) == 2  # the picks view is not the thread's page 1


@pytest.mark.parametrize(
    ("first", "then"),
    [("", ""), ("br", "br"), ("gzip", "gzip, br"), ("br", ""), ("", "gzip")],
)
def test_a_304_is_the_same_and_costs_no_query(comments, first, then):
    """Whichever coding the reader's ETag came with, and asks for now."""
    got = environ_for(THREAD, f"{SITE}&url=/baku-rally/", ACCEPT_ENCODING=first)
    etag = dict(call(django_application, got)[1])["ETag"]
    environ = environ_for(
        THREAD, f"{SITE}&url=/baku-rally/", IF_NONE_MATCH=etag, ACCEPT_ENCODING=then
    )
    django, fast, answered = both(environ)
    assert django[0] == "304 Not Modified" and same(fast, django) and answered
    with CaptureQueriesContext(connection) as queries:
        call(FastReads(django_application), environ)
    assert len(queries) == 0  # the test settings share the cache (as with Redis)


def test_a_page_without_a_thread_revalidates_with_the_etag_it_was_sent(comments):
    query = f"{SITE}&url=/not-commented-yet/"
    sent = call(django_application, environ_for(THREAD, query, ACCEPT_ENCODING="gzip, br"))
    etag = dict(sent[1])["ETag"]
    assert "Content-Encoding" not in dict(sent[1])  # too short to compress
    environ = environ_for(THREAD, query, IF_NONE_MATCH=etag, ACCEPT_ENCODING="gzip, br")
    django, fast, answered = both(environ)
    assert django[0] == "304 Not Modified" and same(fast, django) and answered
    assert dict(fast[1])["ETag"] == etag


@pytest.mark.parametrize(
    "query",
    [
        "site=nope&url=/x/",
        "site=../../etc&url=/x/",
        f"{SITE}&url=https://evil.example/x",
        f"{SITE}&url=javascript:alert(1)",
        f"{SITE}&url=",
        SITE,
        f"{SITE}&url=/baku-rally/&page=0",
        f"{SITE}&url=/baku-rally/&page=01",
        f"{SITE}&url=/baku-rally/&page=100001",
        f"{SITE}&url=/baku-rally/&page=x",
        f"{SITE}&url=/baku-rally/&order=random",
        f"{SITE}&url=/baku-rally/&order=",
        f"{SITE}&url=/baku-rally/&url=/other/",
        f"{SITE}&url=/not-commented-yet/",
        f"{SITE}&url=/baku-rally/&page=%C3%A9",
        f"{SITE}&url=/baku-rally/&picks=1",
        f"{SITE}&url=/baku-rally/&picks=maybe",
    ],
)
def test_anything_else_is_left_to_django(comments, query):
    environ = environ_for(THREAD, query)
    django, fast, _answered = both(environ)
    assert same(fast, django)


@pytest.mark.parametrize(
    "cookie", ["django_language=fr; sessionid=x", "sessionid=nonsense; csrftoken=x"]
)
def test_requests_with_cookies_are_left_to_django(comments, cookie):
    """Django may read a session for them (and says Vary: Cookie)."""
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/", COOKIE=cookie)
    call(django_application, environ)
    inner = Counting()
    assert call(FastReads(inner), environ)[0] == "200 OK" and inner.calls == 1


def test_a_cold_page_is_built_by_django_then_served_fast(comments):
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    inner = Counting()
    app = FastReads(inner)
    first, second = call(app, environ), call(app, environ)
    assert inner.calls == 1 and first == second


def test_a_new_comment_is_seen_at_once(comments, post):
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    app = FastReads(django_application)
    before = call(app, environ)
    post("news")
    after = call(app, environ)
    assert b"news" in after[2] and b"news" not in before[2]
    assert dict(after[1])["ETag"] != dict(before[1])["ETag"]


def test_with_a_per_process_cache_the_state_comes_from_the_database(comments, post, settings):
    """Another worker's write drops the state only from its own cache: with a
    local-memory cache the fast path asks the database (one query) every time."""
    settings.MEYDAN_SHARED_CACHE = False
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    app = FastReads(django_application)
    call(app, environ)
    from meydan.comments.models import Thread

    # as if another process had posted: the row changes, this process's cache does not
    Thread.objects.update(version=999)
    call(app, environ)  # a version this process has not served: Django builds the page
    with CaptureQueriesContext(connection) as queries:
        status, headers, _ = call(app, environ)
    assert dict(headers)["ETag"].startswith('"v999-')
    # SQLite: nothing was committed since, and the database says so (see below)
    assert len(queries) == (0 if connection.vendor == "sqlite" else 1)


@pytest.mark.parametrize(
    "settings_change",
    [
        {"ALLOWED_HOSTS": ["meydan.example"]},
        {"SECURE_SSL_REDIRECT": True},
        {"DEBUG": True},
        {"USE_X_FORWARDED_HOST": True},
    ],
)
def test_settings_that_change_the_answer_leave_it_to_django(comments, settings, settings_change):
    for name, value in settings_change.items():
        setattr(settings, name, value)
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    call(django_application, environ)
    inner = Counting()
    call(FastReads(inner), environ)
    assert inner.calls == 1


def test_hsts_on_https_is_the_same(comments, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    environ["wsgi.url_scheme"] = "https"
    environ["HTTPS"] = "on"
    django, fast, answered = both(environ)
    assert answered and same(fast, django)
    assert "Strict-Transport-Security" in dict(fast[1])


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (f"{SITE}&url=/baku-rally/&url=/elsewhere/", {}),
        (f"{SITE}&url=/baku-rally/&url={ORIGIN}/baku-rally/", {}),
        (f"{SITE}&url=https://evil.example/a&url=/baku-rally/", {"ORIGIN": ORIGIN}),
        (f"{SITE}&url=/%C3%A7ay/", {}),
        (f"{SITE}&url=/baku-rally/&lang=ru-RU", {"ACCEPT_LANGUAGE": "tr"}),
    ],
)
def test_counts_are_answered_as_django_answers_them(comments, query, headers):
    django, fast, answered = both(environ_for(COUNTS, query, **headers))
    assert django[0] == "200 OK" and same(fast, django) and answered


@pytest.mark.parametrize(
    "query",
    ["site=nope&url=/x/", SITE, f"{SITE}&site=other&url=/x/", f"{SITE}" + "&url=/x/" * 101],
)
def test_bad_counts_are_left_to_django(comments, query):
    django, fast, _ = both(environ_for(COUNTS, query))
    assert django[0].startswith("4") and same(fast, django)


def test_other_methods_and_paths_go_to_django(comments):
    inner = Counting()
    app = FastReads(inner)
    for method, path in [("HEAD", THREAD), ("POST", COUNTS), ("GET", "/api/v1/me")]:
        environ = environ_for(path, f"{SITE}&url=/baku-rally/")
        environ["REQUEST_METHOD"] = method
        call(app, environ)
    assert inner.calls == 3


def test_sqlite_says_when_another_connection_committed(tmp_path):
    """What the per-worker memo of thread states relies on with SQLite."""
    import sqlite3

    from meydan.comments.caching import sqlite_stamp

    path = tmp_path / "db.sqlite3"
    mine, other = sqlite3.connect(path), sqlite3.connect(path)
    mine.execute("PRAGMA journal_mode=WAL")
    mine.execute("CREATE TABLE t (x)")
    mine.commit()
    first = sqlite_stamp(mine)
    mine.execute("SELECT * FROM t").fetchall()
    assert sqlite_stamp(mine) == first  # reading changes nothing
    other.execute("INSERT INTO t VALUES (1)")
    assert sqlite_stamp(mine) == first  # not committed yet
    other.commit()
    second = sqlite_stamp(mine)
    assert second != first  # another connection committed
    mine.execute("INSERT INTO t VALUES (2)")
    mine.commit()
    assert sqlite_stamp(mine) != second  # this connection wrote
    mine.close()
    other.close()


def test_the_memo_asks_again_when_the_database_changed(comments, settings, monkeypatch):
    settings.MEYDAN_SHARED_CACHE = False
    if connection.vendor != "sqlite":
        pytest.skip("the memo is for SQLite")
    from meydan.comments import caching

    thread = comments.thread
    caching.thread_state(thread.site_id, thread.key)
    with CaptureQueriesContext(connection) as queries:
        caching.thread_state(thread.site_id, thread.key)
    assert len(queries) == 0
    stamps = iter(range(1000))
    monkeypatch.setattr(caching, "sqlite_stamp", lambda raw: ("other process", next(stamps)))
    with CaptureQueriesContext(connection) as queries:
        caching.thread_state(thread.site_id, thread.key)
    assert len(queries) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "a=1&b=2",
        "a=1&&b",
        "a&b=",
        "url=%2Fx%3Fy%3D1&url=/a+b",
        "x=%ZZ&y=%C3%A7",
        "=v&k=",
        "a=b=c",
    ],
)
def test_query_pairs_read_as_parse_qsl(query):
    from urllib.parse import parse_qsl

    from meydan.api.fastpath import query_pairs

    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True)


def test_the_site_default_language_is_the_last_word(comments, site):
    site.language = "az"
    site.save()
    from django.core.cache import cache

    cache.clear()
    for headers, expected in (({}, "az"), ({"ACCEPT_LANGUAGE": "ru"}, "ru")):
        django, fast, answered = both(environ_for(THREAD, f"{SITE}&url=/baku-rally/", **headers))
        assert answered and same(fast, django)
        assert dict(fast[1])["Content-Language"] == expected


def test_a_failure_of_the_fast_path_is_answered_by_django_counted_and_logged(
    comments, monkeypatch, caplog
):
    from meydan.api import fastpath
    from meydan.core import metrics

    def broken(*args, **kwargs):
        raise KeyError("a bug in the fast path")

    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    django = call(django_application, environ)
    monkeypatch.setattr(fastpath, "etag_matches", broken)  # the fast path's alone
    fast_path = FastReads(django_application)
    before = metrics.FAST_PATH_ERRORS._value.get()
    with caplog.at_level("WARNING", logger="meydan.api.fastpath"):
        first = call(fast_path, environ)
        second = call(fast_path, environ)
    assert first == django and second[0] == "200 OK"  # Django's view does not use it
    assert metrics.FAST_PATH_ERRORS._value.get() - before == 2
    logged = [r for r in caplog.records if r.name == "meydan.api.fastpath"]
    assert len(logged) == 1 and "KeyError" in logged[0].exc_text  # once a minute


def test_an_unknown_site_is_djangos_404_and_no_fault_of_the_fast_path(comments, caplog):
    """A reader's mistake is not a failure of the fast path: not counted as one, not
    logged with a traceback; Django answers it with its error."""
    from meydan.core import metrics

    environ = environ_for(THREAD, "site=no-such-site&url=/baku-rally/")
    django = call(django_application, environ)
    before = metrics.FAST_PATH_ERRORS._value.get()
    with caplog.at_level("WARNING", logger="meydan.api.fastpath"):
        fast = call(FastReads(django_application), environ)
    assert fast == django and fast[0].startswith("404")
    assert metrics.FAST_PATH_ERRORS._value.get() == before
    assert not [r for r in caplog.records if r.name == "meydan.api.fastpath"]


def test_the_fast_path_sends_a_settled_page_as_django_does(post, site, settings):
    """Brotli once more at its slowest quality (core/compression.py): the same bytes
    and the same ETag (…-brs) from both."""
    from meydan.comments import caching
    from meydan.core import compression
    from tests.core.test_compression import real_comments

    for author, text in real_comments(30):
        post(text, name=author)
    settings.MEYDAN_BROTLI_SETTLE_SECONDS = 10
    caching.local_payloads.clear()
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/", ACCEPT_ENCODING="gzip, br")
    first = both(environ)[1]
    for _expiry, payload, _size in caching.local_payloads.items.values():
        payload.born -= 11
    both(environ)
    compression.settler.wait()
    django, fast, answered_fast = both(environ)
    assert answered_fast and same(fast, django)
    assert dict(fast[1])["ETag"].endswith('-brs"') and len(fast[2]) < len(first[2])


def test_a_query_read_once_is_read_the_same_again():
    """The parsed parameters are remembered per query string: the same answer the
    second time, a refusal remembered as a refusal, and a bounded memory."""
    from meydan.api import fastpath

    fastpath._thread_queries.clear()
    query = f"{SITE}&url=%2Fbaku-rally%2F&page=2&order=top&lang=az"
    first = fastpath.thread_query(query)
    assert first == fastpath.ThreadQuery("caspian-ledger", "/baku-rally/", 2, "top", False, "az")
    assert fastpath.thread_query(query) is first
    assert fastpath.thread_query(f"{SITE}&url=/x/&page=0") is None
    assert fastpath.thread_query(f"{SITE}&url=/x/&page=0") is None
    for n in range(fastpath._SEEN + 10):
        fastpath.thread_query(f"{SITE}&url=/a-{n}/")
    assert len(fastpath._thread_queries) <= fastpath._SEEN


def test_a_site_that_no_longer_allows_an_origin_is_heard_once_its_memo_expires(comments, site):
    """The page key of a full URL depends on the site's origins: it is kept only for
    as long as the same Site is (SITE_SECONDS), as the site itself is."""
    from django.core.cache import cache

    environ = environ_for(THREAD, f"{SITE}&url={ORIGIN}/baku-rally/")
    inner = Counting()
    app = FastReads(inner)
    call(django_application, environ)
    assert call(app, environ)[0] == "200 OK" and inner.calls == 0
    site.origins = "https://elsewhere.example"
    site.save()
    cache.clear()
    assert call(app, environ)[0] == "200 OK" and inner.calls == 0  # within SITE_SECONDS
    app._sites.items.clear()  # as when SITE_SECONDS have passed
    fast = call(app, environ)
    assert inner.calls == 1 and fast == call(django_application, environ)
    assert fast[0].startswith("4")


def test_a_host_allowed_before_a_settings_change_is_asked_about_again(comments, settings):
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    inner = Counting()
    app = FastReads(inner)
    call(django_application, environ)
    call(app, environ)
    assert inner.calls == 0
    settings.ALLOWED_HOSTS = ["meydan.example"]
    call(app, environ)
    assert inner.calls == 1
    other = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    other["HTTP_HOST"] = "meydan.example"
    call(django_application, other)
    call(app, other)
    assert inner.calls == 1


def test_with_a_shared_cache_a_page_is_a_quarter_second_old_at_most(comments, post, monkeypatch):
    """The fast path keeps a thread's state READ_SECONDS: a change through this
    worker shows at once, one through another worker within that time."""
    from meydan.comments import caching
    from meydan.comments.models import Thread

    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    environ = environ_for(THREAD, f"{SITE}&url=/baku-rally/")
    app = FastReads(django_application)
    first = call(app, environ)
    post("through this worker")
    second = call(app, environ)
    assert b"through this worker" in second[2]
    etag = dict(second[1])["ETag"]
    # Through another worker: the shared state is dropped and the row changes; this
    # worker's copy of the state does not.
    thread = Thread.objects.get()
    Thread.objects.filter(pk=thread.pk).update(version=thread.version + 7, comment_count=11)
    from django.core.cache import cache

    cache.delete(caching.thread_state_key(thread.site_id, thread.key))
    clock[0] += caching.READ_SECONDS * 0.9
    with CaptureQueriesContext(connection) as queries:
        assert dict(call(app, environ)[1])["ETag"] == etag
    assert len(queries) == 0
    live = environ_for("/api/v1/live", f"{SITE}&url=/baku-rally/")
    assert json.loads(call(app, live)[2])["count"] == 4  # as the page it would be sent
    clock[0] += caching.READ_SECONDS * 0.2
    assert json.loads(call(app, live)[2])["count"] == 11
    later = call(app, environ)
    assert dict(later[1])["ETag"] != etag and f"v{thread.version + 7}-" in dict(later[1])["ETag"]
    assert first[0] == second[0] == later[0] == "200 OK"


def test_a_state_forgotten_while_it_was_read_is_not_kept(comments, monkeypatch):
    from meydan.comments import caching

    real = caching.thread_states

    def forgotten_meanwhile(site_id, keys):
        states = real(site_id, keys)
        caching.thread_state_forget([(site_id, key) for key in keys])  # a commit, meanwhile
        return states

    monkeypatch.setattr(caching, "thread_states", forgotten_meanwhile)
    site_id = comments.thread.site_id
    state = caching.thread_state_recent(site_id, "/baku-rally/")
    assert state.count == 3 and (site_id, "/baku-rally/") not in caching._recent
    monkeypatch.setattr(caching, "thread_states", real)
    caching.thread_state_recent(site_id, "/baku-rally/")
    assert caching._recent[(site_id, "/baku-rally/")][1] == state
