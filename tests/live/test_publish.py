"""The publisher: after a commit that changes a thread's published count, the count is
PUBLISHed on Redis (real Redis, database 5; its own channel per test), and a Redis that
does not answer never fails the write."""

import json
import socket
import uuid

import pytest
import redis

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.live.publish import count_publish
from tests.conftest import require_redis

REDIS = "redis://127.0.0.1:6379/5"


@pytest.fixture
def channel(settings):
    require_redis()
    settings.MEYDAN_LIVE_REDIS_URL = REDIS
    settings.MEYDAN_LIVE_CHANNEL = f"meydan:live-test:{uuid.uuid4().hex}"
    pubsub = redis.Redis.from_url(REDIS).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(settings.MEYDAN_LIVE_CHANNEL)
    pubsub.get_message(timeout=1)  # the subscription's confirmation

    def messages():
        found = []
        while (message := pubsub.get_message(timeout=0.3)) is not None:
            found.append(json.loads(message["data"]))
        return found

    yield messages
    pubsub.close()


def counts(messages):
    """The counts of [site, key, count, version] messages; the versions rise."""
    versions = [m[3] for m in messages]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    return [m[:3] for m in messages]


def test_a_published_comment_publishes_the_new_count(channel, post, thread):
    post("First.")
    post("Second.")
    messages = channel()
    assert counts(messages) == [[thread.site_id, thread.key, 1], [thread.site_id, thread.key, 2]]
    thread.refresh_from_db()
    assert messages[-1][3] == thread.version


def test_the_count_is_the_commits_own_whatever_the_thread_object_held(channel, post, thread):
    """The message carries what the post's own UPDATE returned (no query after the
    commit): two thread objects loaded before either post still publish 1 then 2,
    with the versions the database holds."""
    first = services.thread_for_posting(site=thread.site, key=thread.key)
    second = services.thread_for_posting(site=thread.site, key=thread.key)
    post("First.", on=first)
    post("Second.", on=second)
    messages = channel()
    assert counts(messages) == [[thread.site_id, thread.key, 1], [thread.site_id, thread.key, 2]]
    thread.refresh_from_db()
    assert (second.version, second.comment_count, second.last_seq) == (
        thread.version,
        thread.comment_count,
        thread.last_seq,
    )
    assert messages[-1][3] == thread.version


def test_held_then_approved_then_removed(channel, post, thread, django_capture_on_commit_callbacks):
    comment = post("First.")
    channel()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment, Comment.Status.PENDING, channel="moderation")
    assert counts(channel()) == [[thread.site_id, thread.key, 0]]
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment, Comment.Status.APPROVED, channel="moderation")
    assert counts(channel()) == [[thread.site_id, thread.key, 1]]
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment, Comment.Status.TRASH, channel="moderation")
    assert counts(channel()) == [[thread.site_id, thread.key, 0]]


def test_a_held_comment_publishes_nothing(channel, post, site):
    site.hold_all = True
    site.save()
    comment = post("Held for a moderator.")
    assert comment.status == Comment.Status.PENDING
    assert channel() == []


def test_no_redis_configured_publishes_nothing(settings, post):
    settings.MEYDAN_LIVE_REDIS_URL = ""
    assert count_publish(1, "/x/", 3, 7) is False
    assert post("Stored all the same.").pk


def test_a_redis_that_does_not_answer_never_fails_the_write(settings, post, caplog, thread):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    settings.MEYDAN_LIVE_REDIS_URL = f"redis://127.0.0.1:{port}/0"
    comment = post("Stored all the same.")
    assert Comment.objects.filter(pk=comment.pk, status=Comment.Status.APPROVED).exists()
    assert "not published" in caplog.text


def test_the_publishers_kept_connection_comes_back_after_redis_drops_it(channel, settings):
    """One connection per thread, kept: when Redis closes it (a restart, a timeout),
    at most the message in flight is lost and the next one connects again."""
    from meydan.live import publish

    assert count_publish(1, "/x/", 1, 1) is True
    connection = publish._connection(REDIS)
    connection.send_command("CLIENT", "ID")
    redis.Redis.from_url(REDIS).client_kill_filter(_id=connection.read_response())
    sent = [count_publish(1, "/x/", n, n) for n in (2, 3)]
    assert sent[-1] is True
    received = channel()
    assert received[0] == [1, "/x/", 1, 1] and received[-1] == [1, "/x/", 3, 3]
    assert publish._connection(REDIS) is connection  # the same object, connected again


def test_a_stream_announced_without_a_publisher_is_warned_of(settings):
    from meydan.live.system_checks import stream_has_a_publisher

    settings.MEYDAN_LIVE_STREAM_URL = "/api/v1/live/stream"
    settings.MEYDAN_LIVE_REDIS_URL = ""
    assert [w.id for w in stream_has_a_publisher()] == ["meydan.W401"]
    settings.MEYDAN_LIVE_REDIS_URL = REDIS
    assert stream_has_a_publisher() == []
