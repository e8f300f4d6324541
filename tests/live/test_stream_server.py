"""`meydan live` as an operator runs it: granian serving the stream, a real Redis
(database 5, a channel of its own), and a second process writing comments through
the services, committed, as the web server's workers do. A reader with the stream open
hears of a new comment, and of one held again, within 2 s."""

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_redis
from tests.live.test_publish import REDIS

pytestmark = pytest.mark.slow

MEYDAN = str(Path(sys.executable).with_name("meydan"))
HELPER = Path(__file__).with_name("helper.py")
ORIGIN = "https://blog.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_redis()
    var = tmp_path_factory.mktemp("live-var")
    port = free_port()
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": str(var),
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": "",  # its own SQLite file, whatever the suite runs on
        "MEYDAN_CACHE_URL": REDIS,
        "MEYDAN_LIVE_CHANNEL": f"meydan:live-test:{uuid.uuid4().hex}",
        "MEYDAN_LIVE_STREAM_MAX": "3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([MEYDAN, "migrate", "-v0"], env=env, check=True, capture_output=True)  # noqa: S603
    helper = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(HELPER)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert helper.stdout.readline().strip() == "ready"
    log = open(var / "live.log", "wb")  # noqa: SIM115 - closed below
    live = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "live", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    for _ in range(200):
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        assert live.poll() is None, (var / "live.log").read_text()
        time.sleep(0.1)

    def write(command: str) -> str:
        helper.stdin.write(command + "\n")
        helper.stdin.flush()
        return helper.stdout.readline().strip()

    try:
        yield port, write
    finally:
        helper.stdin.close()
        helper.wait(timeout=10)
        live.terminate()
        live.wait(timeout=20)
        log.close()


def open_stream(port, query="site=caspian-ledger&url=/rally/", **headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/api/v1/live/stream?" + query, headers=headers)
    return connection, connection.getresponse()


def next_event(response, timeout=2.0) -> dict:
    """The next `data:` event, within `timeout` seconds (comment lines skipped)."""
    response.fp.raw._sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = response.readline().decode()
        if line.startswith("data: "):
            return json.loads(line[6:])
    raise AssertionError("no event in time")


def test_a_reader_hears_of_new_and_removed_comments_within_two_seconds(server):
    port, write = server
    connection, response = open_stream(port, Origin=ORIGIN)
    try:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert response.readline().decode().startswith("retry: ")
        assert next_event(response) == {"count": 0}
        started = time.monotonic()
        comment_id = write("post")
        assert next_event(response) == {"count": 1}
        assert time.monotonic() - started < 2
        write(f"hold {comment_id}")
        assert next_event(response) == {"count": 0}
        write(f"approve {comment_id}")
        assert next_event(response) == {"count": 1}
    finally:
        connection.close()


def test_a_late_reader_starts_from_the_count_now(server):
    port, write = server
    connection, response = open_stream(port)  # same origin: no Origin header at all
    try:
        first = next_event(response)
        write("post")
        assert next_event(response) == {"count": first["count"] + 1}
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("site=no-such-site&url=/rally/", 404, "not_found"),
        ("site=caspian-ledger&url=https://elsewhere.example/x/", 400, "url_not_on_site"),
        ("site=caspian-ledger", 400, "invalid"),
        ("site=caspian-ledger&url=/a/&url=/b/", 400, "invalid"),
        ("site=caspian-ledger&url=%FF", 400, "invalid"),
        ("site=caspian-ledger&url=", 400, "error"),
    ],
)
def test_bad_input_gets_a_clear_4xx(server, query, status, code):
    port, _write = server
    connection, response = open_stream(port, query)
    body = json.loads(response.read())
    connection.close()
    assert response.status == status, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_another_origin_is_refused(server):
    port, _write = server
    connection, response = open_stream(port, Origin="https://evil.example")
    body = json.loads(response.read())
    connection.close()
    assert response.status == 403
    assert body["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_beyond_the_limit_a_reader_is_told_to_come_back_later(server):
    port, _write = server
    held = [open_stream(port) for _ in range(3)]  # MEYDAN_LIVE_STREAM_MAX=3
    try:
        for _connection, response in held:
            assert response.status == 200
            next_event(response)
        connection, response = open_stream(port)
        assert response.status == 503
        assert 30 <= int(response.headers["Retry-After"]) <= 90
        connection.close()
    finally:
        for connection, _response in held:
            connection.close()
    time.sleep(0.3)  # the server hears the readers leave: a new one is served again
    connection, response = open_stream(port)
    assert response.status == 200
    connection.close()


def test_other_paths_and_methods_are_refused_plainly(server):
    port, _write = server
    for method, path, status in (
        ("GET", "/api/v1/live/elsewhere", 404),
        ("POST", "/api/v1/live/stream?site=caspian-ledger&url=/rally/", 405),
    ):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(method, path)
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        assert response.status == status and body["error"]["message"]


def test_messages_arriving_out_of_order_leave_the_newest_count():
    """Two close commits are published by two processes; their messages can cross."""
    from meydan.live.publish import message
    from meydan.live.stream import Conn, Group, LiveStream

    stream = LiveStream(redis_url="redis://127.0.0.1:6379/5", channel="unused")
    group = stream.groups[(1, "/rally/")] = Group(ready=None)
    woken = []

    class Told(Conn):
        __slots__ = ()

        def wake(self):
            woken.append(group.count)

    group.conns.add(Told())
    for count, version in [(5, 40), (7, 42), (6, 41), (7, 42)]:
        stream.deliver(message(1, "/rally/", count, version))
    assert (group.count, group.version) == (7, 42) and woken == [5, 7]
    assert group.event == b'data: {"count": 7}\n\n'
    stream.deliver(b'[1, "/rally/", 8]')  # from an older publisher: no version, taken
    stream.deliver(b"not json")
    stream.deliver(message(1, "/rally/", 0, 0))  # the thread is gone
    assert group.count == 0 and woken == [5, 7, 8, 0]
