"""The Redis cache when Redis goes away and comes back (meydan/core/cache.py): a
private redis-server on a free loopback port is stopped and started under it."""

import json
import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

from meydan.core import cache as resilient
from meydan.core.cache import ResilientRedisCache
from tests.conftest import require_tool

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, loopback only
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def redis_port():
    require_tool(shutil.which("redis-server") is not None, "redis-server is not installed")
    port = free_port()
    process = start_redis(port)
    state = {"process": process}
    yield port, state
    state["process"].kill()
    state["process"].wait()


def test_an_outage_is_an_empty_cache_then_redis_is_used_again(redis_port, monkeypatch, caplog):
    port, state = redis_port
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.3)
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {})
    cache.set("k", "v", 60)
    assert cache.get("k") == "v"
    cache.ping()

    state["process"].kill()
    state["process"].wait()
    caplog.set_level(logging.WARNING, logger="meydan.core.cache")
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {}
    assert cache.set("k", "w", 60) is None
    assert cache.add("new", 1) is False
    assert cache.incr("counter", 3) == 3
    assert cache.decr("counter") == -1
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    assert time.monotonic() - started < 2
    outage_lines = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_lines) == 1  # logged once, not per call
    with pytest.raises(Exception):  # noqa: B017 - ping says what the calls above hide
        cache.ping()

    state["process"] = start_redis(port)
    time.sleep(0.35)
    cache.set("k", "back", 60)
    assert cache.get("k") == "back"
    assert any("available again" in r.getMessage() for r in caplog.records)


def test_what_changed_during_the_outage_is_dropped_when_redis_is_back(
    redis_port, monkeypatch, caplog
):
    """Redis kept its data (its file, or a network partition): entries written or
    deleted while it was away would be stale; the process that missed them drops
    them once it answers again (bench/drills/redis_outage.py)."""
    port, _state = redis_port
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.0)
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {})
    cache.set_many({"thread:1": "v1", "thread:2": "v1", "thread:3": "v1", "kept": "v1"}, 60)
    send = cache._cache.send
    away = RedisConnectionError("Connection refused")

    def unreachable(*args, **kwargs):
        raise away

    monkeypatch.setattr(cache._cache, "send", unreachable)
    caplog.set_level(logging.WARNING, logger="meydan.core.cache")
    cache.delete("thread:1")  # a new comment: the thread's state is forgotten
    cache.delete_many(["thread:2"])
    cache.set("thread:3", "v2", 60)
    assert cache.get("kept") is None  # reads are not remembered

    monkeypatch.setattr(cache._cache, "send", send)
    assert cache.get("kept") == "v1"
    assert cache.get_many(["thread:1", "thread:2", "thread:3"]) == {}
    assert "cache available again (3 entries changed during the outage dropped)" in caplog.text


def test_while_paused_redis_is_not_asked(monkeypatch):
    cache = ResilientRedisCache(DEAD, {})
    assert cache.get("k") is None
    calls = []
    monkeypatch.setattr(
        "django.core.cache.backends.redis.RedisCache.get",
        lambda *args, **kwargs: calls.append(args),
    )
    for _ in range(100):
        cache.get("k")
    assert calls == []


@pytest.mark.django_db
def test_reading_and_posting_go_on_without_redis(settings, thread, article):
    from django.test import Client

    settings.CACHES = {
        "default": {"BACKEND": "meydan.core.cache.ResilientRedisCache", "LOCATION": DEAD}
    }
    settings.MEYDAN_SHARED_CACHE = True
    settings.MEYDAN_RATELIMIT_COMMENTS = (5, 60)
    client = Client()
    url = article.get_absolute_url()
    body = {"site": "caspian-ledger", "url": url, "body": "Still here without Redis.",
            "name": "Aynur", "email": "aynur@example.org"}  # fmt: skip
    response = client.post("/api/v1/comments", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    response = client.get("/api/v1/threads", {"site": "caspian-ledger", "url": url})
    assert response.status_code == 200
    assert ["Still here without Redis." in str(c) for c in response.json()["comments"]] == [True]
    assert client.get(url).status_code == 200


def test_every_command_goes_on_the_threads_own_connection(monkeypatch):
    """Django's client builds a redis.Redis per command (75 µs each, most of a cached
    read's budget) and redis-py takes a pooled connection per command; ours sends on
    one connection per thread, kept, with Django's values and answers."""
    import threading

    import redis

    from tests.conftest import require_redis

    require_redis()
    made = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    cache = ResilientRedisCache("redis://127.0.0.1:6379/11", {"KEY_PREFIX": "direct-client"})
    cache.clear()
    errors, connections = [], set()

    def work(n):
        try:
            for i in range(50):
                cache.set(f"k{n}-{i}", {"n": n, "i": i})
                assert cache.get(f"k{n}-{i}") == {"n": n, "i": i}
            connections.add(id(cache._cache._local.connections[0]))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and made == [] and len(connections) == 8

    # Django's answers, command for command (its own client reads the same keys).
    django = RedisCache("redis://127.0.0.1:6379/11", {"KEY_PREFIX": "direct-client"})
    assert cache.add("a", 1, 60) is True and cache.add("a", 2, 60) is False
    assert cache.add("gone", 1, 0) is True and cache.get("gone") is None
    assert cache.incr("a", 5) == 6 and django.get("a") == 6
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.set("kept", [1, "two"], None)
    assert django.get("kept") == [1, "two"] and django._cache.get_client().ttl(
        django.make_key("kept")
    ) == -1  # fmt: skip
    cache.set("kept", "x", 0)
    assert cache.get("kept", "default") == "default"
    cache.set_many({"m1": 1, "m2": "two"}, 30)
    assert (
        cache.get_many(["m1", "m2", "m3"])
        == {"m1": 1, "m2": "two"}
        == django.get_many(["m1", "m2", "m3"])
    )
    assert 0 < django._cache.get_client().ttl(django.make_key("m2")) <= 30
    assert cache.touch("m1", None) is True and cache.touch("nope", 10) is False
    assert cache.has_key("m1") and not cache.has_key("nope")
    assert cache.delete("m1") is True and cache.delete("m1") is False
    cache.delete_many(["m2", "a"])
    assert cache.get_many(["m2", "a"]) == {} and cache.get_many([]) == {}
    assert cache.clear() is True


def test_raw_strings_go_on_one_connection_per_thread_and_survive_an_outage(
    redis_port, monkeypatch, caplog
):
    """The thread states' short strings (raw_*): stored as given with their expiry, a
    miss while Redis is away, and the connection made again once it is back."""
    import threading

    port, state = redis_port
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.3)
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {})
    one, two = cache.raw_key("ts:1:/a"), cache.raw_key("ts:1:/b")
    cache.raw_set_many({one: b"7:3:2", two: b"8:1:0"}, 60)
    assert cache.raw_get_many([one, two, cache.raw_key("ts:1:/none")]) == [b"7:3:2", b"8:1:0", None]
    assert cache.get("ts:1:/a") is None  # its own keys: not the cache API's
    redis = cache._cache.get_client()
    assert 0 < redis.ttl(one) <= 60
    connections = set()

    def work():
        for _ in range(20):
            assert cache.raw_get_many([one]) == [b"7:3:2"]
        connections.add(id(cache._cache._local.connections[0]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(connections) == 4  # each thread its own, kept between calls

    state["process"].kill()
    state["process"].wait()
    caplog.set_level(logging.WARNING, logger="meydan.core.cache")
    started = time.monotonic()
    assert cache.raw_get_many([one, two]) == [None, None]
    cache.raw_set_many({one: b"7:4:3"}, 60)
    cache.raw_delete_many([two])
    assert time.monotonic() - started < 2
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1

    state["process"] = start_redis(port)
    time.sleep(0.35)
    cache.raw_set_many({one: b"7:5:3"}, 60)  # on a new connection
    assert cache.raw_get_many([one, two]) == [b"7:5:3", None]


def test_raw_strings_written_during_an_outage_are_dropped_when_redis_is_back(
    redis_port, monkeypatch, caplog
):
    port, _state = redis_port
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.0)
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {})
    keys = [cache.raw_key(f"ts:1:/{name}") for name in ("set", "deleted", "kept")]
    cache.raw_set_many(dict.fromkeys(keys, b"1:1:1"), 60)
    talk = cache._raw

    def unreachable(*commands):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "_raw", unreachable)
    caplog.set_level(logging.WARNING, logger="meydan.core.cache")
    cache.raw_set_many({keys[0]: b"1:2:2"}, 60)  # Redis may keep its older value
    cache.raw_delete_many([keys[1]])
    assert cache.raw_get_many(keys) == [None, None, None]  # reads are not remembered

    monkeypatch.setattr(cache, "_raw", talk)
    assert cache.raw_get_many(keys) == [None, None, b"1:1:1"]
    assert "cache available again (2 entries changed during the outage dropped)" in caplog.text


def test_a_raw_counter_starts_at_zero_expires_and_counts_nothing_while_redis_is_away(
    redis_port, monkeypatch
):
    port, state = redis_port
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 60)
    cache = ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {})
    key = cache.raw_key("meydan:rl:site:1:7")
    assert [cache.raw_incr(key, 125) for _ in range(3)] == [1, 2, 3]
    assert 120 < cache._cache.get_client().ttl(key) <= 125  # set once, when made
    state["process"].kill()
    state["process"].wait()
    assert [cache.raw_incr(key, 125) for _ in range(3)] == [1, 1, 1]


def test_prefetched_keys_are_answered_from_one_read_until_this_thread_writes_them(redis_sends):
    """prefetched(keys): one MGET on entry; get() of those keys asks Redis no more,
    a write from this thread forgets the read value, and leaving ends it all."""
    from tests.conftest import require_redis

    require_redis()
    cache = ResilientRedisCache("redis://127.0.0.1:6379/11", {"KEY_PREFIX": "prefetch"})
    cache.clear()
    cache.set("bans", 0, 60)
    cache.set("webhooks", frozenset({"comment.posted"}), 60)
    redis_sends.clear()
    with cache.prefetched(["bans", "webhooks", "subscribers"]):
        assert redis_sends.verbs() == [["MGET"]]
        assert cache.get("bans") == 0
        assert cache.get("webhooks") == frozenset({"comment.posted"})
        assert cache.get("subscribers") is None and cache.get("subscribers", 7) == 7
        assert redis_sends.verbs() == [["MGET"]]  # all three from the one read
        assert cache.get("other") is None and redis_sends.verbs()[-1] == ["GET"]  # not prefetched
        cache.add("subscribers", 1, 60)  # written here: asked again
        assert cache.get("subscribers") == 1 and redis_sends.verbs()[-1] == ["GET"]
        cache.set("bans", 1, 60)
        assert cache.get("bans") == 1
        cache.delete("webhooks")
        assert cache.get("webhooks") is None
        with cache.prefetched(["other"]):  # nested: both sets
            assert cache.get("other") is None
        redis_sends.clear()
        assert cache.get("bans") == 1 and redis_sends.verbs() == [["GET"]]
    redis_sends.clear()
    cache.set("bans", 2, 60)
    assert cache.get("bans") == 2 and redis_sends.verbs() == [
        ["SET"],
        ["GET"],
    ]  # after: Redis again
    cache.clear()


@pytest.mark.django_db
def test_a_post_reads_the_sites_facts_from_redis_in_one_round_trip(
    settings, site, thread, redis_sends
):
    """On PostgreSQL + Redis a post asked Redis for each per-site fact in turn (bans,
    the spam filter's totals, subscribers, webhooks); now one MGET, and still each
    fact's own answer (a ban made in the database and flagged is enforced)."""
    from django.core.cache import cache

    from meydan.comments import services
    from meydan.core.errors import CommentRejected
    from meydan.core.sealing import email_hash
    from meydan.core.shared_cache import _SITE_FACTS
    from meydan.moderation.models import Ban
    from tests.conftest import require_redis

    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "meydan.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/11",
            "KEY_PREFIX": "post-facts",
        }
    }
    settings.MEYDAN_SHARED_CACHE = True
    cache.clear()
    assert {key_for(1).split(":")[1] for key_for in _SITE_FACTS} == {
        "bans", "spam-model", "subscribers", "webhooks",
    }  # fmt: skip

    def submit(body, email):
        redis_sends.clear()
        return services.comment_submit(
            site=site, key=thread.key, guest=services.Author(name="Aynur", email=email),
            body=body, channel="api",
        )  # fmt: skip

    submit("The first, which fills the cache.", "aynur@example.org")
    submit("The second.", "aynur@example.org")
    names = (":bans:", ":spam-model:", ":subscribers:", ":webhooks:")
    sent = [command[:2] for commands in redis_sends for command in commands]
    facts = [key for _, key in sent if any(name in key for name in names)]
    reads = [verb for verb, key in sent if verb in ("GET", "MGET") and key in facts]
    assert reads == ["MGET"], sent
    Ban.objects.create(site=site, kind=Ban.Kind.EMAIL, value=email_hash("banned@example.org"))
    with pytest.raises(CommentRejected):
        submit("From a banned address.", "banned@example.org")
    cache.clear()
