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


def test_a_ban_takes_effect_at_once_through_redis(
    site, post, django_capture_on_commit_callbacks, redis_cache
):
    post("before the ban", email="troll@example.org")  # the site's "no bans" flag is cached
    assert redis_cache.get(f"meydan:bans:{site.pk}") is not None
    with django_capture_on_commit_callbacks(execute=True):
        moderation.ban_create(actor=None, site=site, kind="email", value="troll@example.org")
    with pytest.raises(CommentRejected):
        post("after the ban", email="troll@example.org")
