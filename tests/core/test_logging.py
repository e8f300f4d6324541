"""Logs: one line per event, JSON with MEYDAN_LOG_FORMAT=json, and no reader's email
address, IP address or comment text in them (meydan/core/logs.py)."""

import datetime as dt
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client

from meydan.core import logs
from tests.api.conftest import ORIGIN

MEYDAN = str(Path(sys.executable).with_name("meydan"))

# What a reader gives us, which no log line may repeat.
EMAIL = "leyla.quokka@example.org"
IP = "198.51.100.23"
IPV6 = "2001:db8:5a::17"
TEXT = "Zanzibar quokkas 7319 marched past the parliament"


def record(msg, *args, level=logging.INFO, name="meydan.test", exc_info=None, **extra):
    rec = logging.LogRecord(name, level, __file__, 1, msg, args or None, exc_info)
    if len(args) == 1 and isinstance(args[0], dict):
        rec.args = args[0]
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def json_line(rec) -> dict:
    logs.ScrubFilter().filter(rec)
    line = logs.JsonFormatter().format(rec)
    assert "\n" not in line
    return json.loads(line)


# --- the JSON formatter ---------------------------------------------------------------


def test_a_json_line_has_the_fields_and_the_extra_ones():
    when = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    line = json_line(record("Queued %s: %d", "purge", 3, comment_id=42, when=when, ok=True))
    assert line["level"] == "INFO" and line["logger"] == "meydan.test"
    assert line["message"] == "Queued purge: 3"
    assert line["comment_id"] == 42 and line["ok"] is True
    assert line["when"] == "2026-03-01T12:30:00+00:00"
    assert line["ts"].endswith("Z")
    ts = dt.datetime.fromisoformat(line["ts"].replace("Z", "+00:00"))
    assert ts.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - ts).total_seconds()) < 60


def test_an_exception_is_one_line_with_its_traceback_as_one_field():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        rec = record("the import failed\nhalf way", level=logging.ERROR, exc_info=sys.exc_info())
    line = json_line(rec)
    assert line["level"] == "ERROR" and line["message"] == "the import failed\nhalf way"
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert "ValueError: first line\nsecond line" in line["exc_info"]


def test_objects_in_extra_say_no_more_than_their_kind():
    """Django puts the request in `extra` (django.request) or its socket (django.server):
    a JSON line keeps the method and the path, never the query string or the peer."""
    request = mock.Mock(method="GET", path="/manage/", META={"REMOTE_ADDR": IP})
    request.__str__ = lambda self: f"<WSGIRequest: GET '/manage/?email={EMAIL}'>"
    conn = socket.socket()
    try:
        line = json_line(
            record("Not Found: %s", "/manage/", request=request, status_code=404, sock=conn)
        )
    finally:
        conn.close()
    assert line["method"] == "GET" and line["path"] == "/manage/" and line["status_code"] == 404
    assert line["sock"] == "<socket>"
    assert EMAIL not in json.dumps(line) and IP not in json.dumps(line)


# --- the scrub filter -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"reader {EMAIL} posted",
        f"from {IP}",
        f"from {IP}:51234",
        f"from {IPV6}.",
        f"from [{IPV6}]:443",
        "from ::ffff:198.51.100.23",
        "from fe80::1%eth0",
        f"mailto:{EMAIL.upper()}",
    ],
)
def test_addresses_in_the_message_are_masked(text):
    line = json_line(record(text, level=logging.DEBUG))
    assert EMAIL.lower() not in line["message"].lower()
    assert "198.51.100.23" not in line["message"]
    assert "2001:db8" not in line["message"] and "fe80" not in line["message"]
    assert "<email>" in line["message"] or "<ip>" in line["message"]


def test_addresses_in_arguments_extra_and_tracebacks_are_masked():
    try:
        raise ValueError(f"bad address {EMAIL}")
    except ValueError as error:
        rec = record(
            "sending to %s from %s failed: %s",
            EMAIL,
            IP,
            error,
            level=logging.ERROR,
            exc_info=sys.exc_info(),
            who=EMAIL,
        )
    text = json.dumps(json_line(rec))
    assert EMAIL not in text and IP not in text
    assert text.count("<email>") >= 3 and "<ip>" in text
    by_name = json_line(record("%(who)s at %(addr)s", {"who": EMAIL, "addr": IPV6}))
    assert by_name["message"] == "<email> at <ip>"


def test_the_plain_text_output_is_masked_too():
    rec = record("from %s, %s", IP, EMAIL)
    logs.ScrubFilter().filter(rec)
    assert logging.Formatter().format(rec) == "from <ip>, <email>"


@pytest.mark.parametrize(
    "text",
    [
        "took 12:30:45 to run",
        "2026-03-01T12:30:45.123+00:00",
        "comment 12345 in thread 77",
        "Class::method",
        "granian 2.8.9",
        "dt_ms 469.010",
        "aa:bb:cc:dd:ee:ff",
    ],
)
def test_what_is_not_an_address_stays(text):
    assert logs.scrub(text) == text


def test_numbers_stay_numbers_for_percent_d():
    rec = record("%d comments, %.1f s", 3, 1.5)
    logs.ScrubFilter().filter(rec)
    assert rec.getMessage() == "3 comments, 1.5 s"


# --- granian's access log ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_access_log_leaves_out_the_client_address(fmt):
    """granian's own access logger, with the format and configuration `meydan serve`
    gives it (granian.log.log_request_builder is what its workers call)."""
    from granian.log import log_request_builder

    stream = io.StringIO()
    config = logs.granian_log_config(fmt)
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ScrubFilter())
    if fmt == "json":
        handler.setFormatter(logs.JsonFormatter())
    access = logging.getLogger("granian.access")
    saved = access.handlers[:], access.propagate, access.level
    access.handlers[:] = [handler]
    access.propagate, access.level = False, logging.INFO
    try:
        request = {
            "addr_remote": "203.0.113.9",
            "path": "/api/v1/threads",
            "qs": f"email={EMAIL}",
            "method": "GET",
            "scheme": "http",
            "protocol": "HTTP/1.1",
        }
        log = log_request_builder(
            logs.ACCESS_LOG_FORMAT_JSON if fmt == "json" else logs.ACCESS_LOG_FORMAT
        )
        log(time.time(), time.perf_counter(), request, 200)
    finally:
        access.handlers[:], access.propagate, access.level = saved
    [line] = stream.getvalue().splitlines()
    assert "203.0.113.9" not in line and EMAIL not in line and "<ip>" not in line
    message = json.loads(line)["message"] if fmt == "json" else line
    assert '"GET /api/v1/threads HTTP/1.1" 200' in message
    assert config["handlers"]["access"]["filters"] == ["scrub"]
    if fmt == "json":
        data = json.loads(line)
        assert data["logger"] == "granian.access" and data["status"] == 200
        assert data["path"] == "/api/v1/threads" and data["method"] == "GET"
        assert "addr" not in data and "query_string" not in data


# --- the configured handlers --------------------------------------------------------------


def run_python(tmp_path, code, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MEYDAN_", "DATABASE_URL"))}
    environ.update({"MEYDAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "meydan.settings"})
    environ.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", f"import django, logging; django.setup(); {code}"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_log_format_json_every_line_is_json(tmp_path):
    code = (
        "log = logging.getLogger('meydan.x');"
        f"log.info('hello %s', '{EMAIL}', extra={{'comment_id': 7}});"
        "logging.getLogger('django.request').warning('Not Found: %s', '/nope/');"
        "logging.getLogger('django.server').info('\"GET / HTTP/1.1\" 200 5');"
        "\ntry:\n raise KeyError('x')\nexcept KeyError:\n log.exception('it broke')"
    )
    out = run_python(tmp_path, code, MEYDAN_LOG_FORMAT="json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stderr.splitlines()]
    assert [line["logger"] for line in lines] == [
        "meydan.x",
        "django.request",
        "django.server",
        "meydan.x",
    ]
    assert lines[0]["message"] == "hello <email>" and lines[0]["comment_id"] == 7
    assert "KeyError" in lines[3]["exc_info"]


def test_plain_text_stays_the_default(tmp_path):
    code = f"logging.getLogger('meydan.x').warning('hello %s from %s', '{EMAIL}', '{IP}')"
    out = run_python(tmp_path, code)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "hello <email> from <ip>\n"


def test_an_unknown_log_format_stops_start_up(tmp_path):
    out = run_python(tmp_path, "pass", MEYDAN_LOG_FORMAT="xml")
    assert out.returncode != 0 and "MEYDAN_LOG_FORMAT must be text or json" in out.stderr


@pytest.fixture
def root_output():
    """What the real root handler (settings.LOGGING) writes, in both formats."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    old_stream = handler.setStream(stream)
    old_formatter = handler.formatter
    handler.setFormatter(logs.JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(old_stream)
        handler.setFormatter(old_formatter)


@pytest.mark.django_db
def test_posting_a_comment_logs_no_address_ip_or_text(
    site, root_output, caplog, django_capture_on_commit_callbacks
):
    client = Client(REMOTE_ADDR=IP)
    body = {
        "site": site.slug,
        "url": f"{ORIGIN}/2015/06/baku-rally/",
        "title": "Thousands rally in Baku",
        "body": TEXT,
        "name": "Leyla",
        "email": EMAIL,
        "website": "",
    }
    with caplog.at_level(logging.INFO):
        with django_capture_on_commit_callbacks(execute=True):
            posted = client.post(
                "/api/v1/comments", json.dumps(body), content_type="application/json"
            )
        assert posted.status_code in (201, 202), posted.content
        # A refused post and a 404 (both logged by django.request), and the worker.
        bad = client.post(
            "/api/v1/comments",
            json.dumps({**body, "email": f"not-an-address {EMAIL}", "website": "javascript:"}),
            content_type="application/json",
        )
        assert bad.status_code == 422
        client.get(f"/no-such-page/?email={EMAIL}&text={TEXT}")
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            with django_capture_on_commit_callbacks(execute=True):
                call_command("worker", batch=True, verbosity=1)
    written = root_output.getvalue()
    # What the test's own handler printed, and every record's message and exc_info.
    captured = caplog.text + "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert "Not Found: /no-such-page/" in written, written  # something was logged
    for line in written.splitlines():
        json.loads(line)
    for secret in (EMAIL, IP, TEXT, "quokka"):
        assert secret not in written
        assert secret not in captured


# --- meydan serve ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_meydan_serve_logs_json_lines_without_the_client_address(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEYDAN_", "DATABASE_URL"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"MEYDAN_VAR_DIR": str(tmp_path), "MEYDAN_LOG_FORMAT": "json"})
    subprocess.run([MEYDAN, "migrate", "-v0"], env=env, check=True, capture_output=True)  # noqa: S603
    out, err = open(tmp_path / "out.log", "wb"), open(tmp_path / "err.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "serve", "--no-collectstatic", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=err,
    )
    url = f"http://127.0.0.1:{port}/api/v1/me?email={EMAIL}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "err.log").read_text()
                time.sleep(0.1)
        for _ in range(50):  # the access line is written after the response
            if "granian.access" in (tmp_path / "out.log").read_text():
                break
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        out.close()
        err.close()
    stdout, stderr = (tmp_path / "out.log").read_text(), (tmp_path / "err.log").read_text()
    lines = [json.loads(line) for line in (stdout + stderr).splitlines()]
    access = [line for line in lines if line["logger"] == "granian.access"]
    assert access, stdout
    assert access[0]["path"] == "/api/v1/me" and access[0]["status"] == 200
    assert "127.0.0.1" not in json.dumps(access) and EMAIL not in stdout + stderr
    assert any(line["message"].startswith("Starting granian") for line in lines)


def test_the_servers_own_addresses_are_left_as_they_are():
    """Loopback and "any" addresses are nobody's: granian's "Listening at" line keeps
    them, while a reader's address beside them is masked."""
    from meydan.core.logs import scrub

    assert scrub("Listening at: http://127.0.0.1:8000") == "Listening at: http://127.0.0.1:8000"
    assert (
        scrub("bound to 0.0.0.0 and [::1]:8000 and ::") == "bound to 0.0.0.0 and [::1]:8000 and ::"
    )
    assert scrub("from 203.0.113.9 via 127.0.0.1") == "from <ip> via 127.0.0.1"
    assert scrub("from 2001:db8::7 via ::1") == "from <ip> via ::1"
