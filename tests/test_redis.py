"""The production cache: Redis over a real connection (127.0.0.1:6379, database 15,
flushed around each test). What must hold when every worker shares it: thread state
dropped after a write and seen by the fast read path, 304s without a query, page bytes
fetched from Redis by a worker that has not built them, rate limits counted across
workers, and a ban taking effect at once."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from meydan.api.fastpath import FastReads
from meydan.comments import caching
from meydan.core.errors import CommentRejected
from meydan.moderation import services as moderation
from meydan.moderation.checks import rate_limit
from tests.conftest import require_redis

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def redis_cache(settings):
    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "meydan.core.cache.ResilientRedisCache",
            "LOCATION": REDIS,
        }
    }
    settings.MEYDAN_SHARED_CACHE = True
    from django.core.cache import cache

    cache.clear()
    caching.local_payloads.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield cache
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()
    caching.local_payloads.clear()


def read(app, **headers):
    environ = {"PATH_INFO": "/api/v1/threads", "REQUEST_METHOD": "GET",
               "QUERY_STRING": "site=caspian-ledger&url=/baku-rally/"}  # fmt: skip
    environ["wsgi.input"] = io.BytesIO(b"")
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


class Counting:
    def __init__(self):
        self.calls = 0
        self.django = WSGIHandler()

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def test_a_page_built_by_one_worker_is_served_by_another_from_redis(post, redis_cache):
    post("first")
    one, two = Counting(), Counting()
    status, headers, body = read(FastReads(one))  # worker one builds the page
    assert status == "200 OK" and one.calls == 1
    caching.local_payloads.clear()  # worker two has nothing in its own memory
    with CaptureQueriesContext(connection) as queries:
        again = read(FastReads(two))
    assert again == (status, headers, body) and two.calls == 0
    assert len(queries) == 0  # state and page both from Redis
    stored = redis_cache.get(caching.payload_key(*_page_key_parts(headers)))
    assert caching.Payload(*stored).plain == body  # with its gzip and Brotli forms


def _page_key_parts(headers):
    from meydan.comments.models import Thread

    thread = Thread.objects.get()
    version = int(headers["ETag"].strip('"').split("-")[0][1:])
    return thread.site_id, thread.pk, version, 1, "oldest"


def test_a_304_costs_no_query_and_a_write_is_seen_at_once(post, redis_cache):
    post("first")
    app = FastReads(WSGIHandler())
    _, headers, _ = read(app)
    with CaptureQueriesContext(connection) as queries:
        status, _, _ = read(app, If_None_Match=headers["ETag"])
    assert status == "304 Not Modified" and len(queries) == 0
    post("second")  # after commit, the state is dropped from Redis for every worker
    status, fresh, body = read(app, If_None_Match=headers["ETag"])
    assert status == "200 OK" and fresh["ETag"] != headers["ETag"] and b"second" in body


def test_thread_states_are_short_strings_in_redis_dropped_after_a_write(post, redis_cache):
    from meydan.comments.models import Thread

    post("first")
    thread = Thread.objects.get()
    raw_key = redis_cache.raw_key(caching.thread_state_key(thread.site_id, thread.key))
    assert caching.thread_state(thread.site_id, thread.key) == (thread.pk, thread.version, 1)
    assert redis_cache.raw_get_many([raw_key]) == [b"%d:%d:1" % (thread.pk, thread.version)]
    with CaptureQueriesContext(connection) as queries:
        assert caching.thread_states(thread.site_id, [thread.key, "/no-thread-here/"]) == {
            thread.key: (thread.pk, thread.version, 1),
            "/no-thread-here/": caching.NO_THREAD,
        }
    assert len(queries) == 1  # the page without a thread; then it is cached too
    post("second")
    assert redis_cache.raw_get_many([raw_key]) == [None]  # forgotten after the commit
    assert caching.thread_state(thread.site_id, thread.key).count == 2


def test_rate_limits_are_counted_in_redis_for_every_worker(redis_cache):
    assert [rate_limit.hit("ip", "abc", limit=3, period=60, now=1000.0) for _ in range(3)] == [
        0, 0, 0,
    ]  # fmt: skip
    assert rate_limit.hit("ip", "abc", limit=3, period=60, now=1000.0) > 0
    key = redis_cache.raw_key("meydan:rl:ip:abc:16")  # where every worker counts
    assert redis_cache.raw_get_many([key]) == [b"3"]
    assert 0 < redis_cache._cache.get_client().ttl(key) <= 125


def test_a_rate_limit_hit_is_one_round_trip_with_the_local_caches_answers(
    redis_cache, settings, monkeypatch, redis_sends
):
    """On Redis a hit is one script (read both windows, count if there is room); its
    answers are the cache API's, hit for hit, across windows and their weighting."""
    from django.core.cache import caches

    from meydan.core import ratelimit

    times = [1000.0, 1001.0, 1010.0, 1019.5, 1020.0, 1021.0, 1030.0, 1045.0, 1059.9]
    times += [1060.0, 1075.0, 1090.0, 1100.0, 1130.0, 1190.0, 1250.0]
    redis_sends.clear()
    on_redis = [ratelimit.hit("t", "k", 4, 60, now) for now in times for _ in range(2)]
    sent = redis_sends.verbs()
    assert sent == [["EVALSHA"]] * len(on_redis) or sent[1:] == [["EVALSHA"]] * (
        len(on_redis) - 1
    )  # the first may have taught Redis the script (EVAL)

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(ratelimit, "cache", caches["default"])
    caches["default"].clear()
    assert not hasattr(ratelimit.cache, "raw_window_hit")
    on_local = [ratelimit.hit("t", "k", 4, 60, now) for now in times for _ in range(2)]
    assert on_redis == on_local
    # 4 a minute: the fifth waits for its window's end; the next window starts with
    # the last one's 4 at full weight, then lets one more in as they slide out.
    assert on_redis[:12] == [0, 0, 0, 0, 10, 10, 1, 1, 15, 15, 15, 15]


def test_a_rate_limit_lets_no_more_through_than_its_limit_from_many_threads(redis_cache):
    import threading

    from meydan.core import ratelimit

    allowed, lock = [], threading.Lock()

    def work():
        for _ in range(20):
            if ratelimit.hit("race", "k", 25, 60, 5000.0) == 0:
                with lock:
                    allowed.append(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 25
    assert redis_cache.raw_get_many([redis_cache.raw_key("meydan:rl:race:k:83")]) == [b"25"]


def test_a_rate_limit_script_forgotten_by_redis_is_sent_again(redis_cache):
    from meydan.core import ratelimit

    assert ratelimit.hit("flush", "k", 2, 60, 1000.0) == 0
    redis_cache._cache.get_client(write=True).script_flush()
    assert ratelimit.hit("flush", "k", 2, 60, 1000.0) == 0  # EVALSHA: NOSCRIPT, then EVAL
    assert ratelimit.hit("flush", "k", 2, 60, 1000.0) > 0


def test_a_ban_takes_effect_at_once_through_redis(
    site, post, django_capture_on_commit_callbacks, redis_cache
):
    post("before the ban", email="troll@example.org")  # the site's "no bans" flag is cached
    assert redis_cache.get(f"meydan:bans:{site.pk}") is not None
    with django_capture_on_commit_callbacks(execute=True):
        moderation.ban_create(actor=None, site=site, kind="email", value="troll@example.org")
    with pytest.raises(CommentRejected):
        post("after the ban", email="troll@example.org")
