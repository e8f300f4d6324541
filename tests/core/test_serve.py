"""`meydan serve` as an operator runs it: granian, static files, the fast read path,
a reverse proxy's X-Forwarded-Proto, and a clean stop."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MEYDAN = str(Path(sys.executable).with_name("meydan"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextlib.contextmanager
def serving(env: dict, var, port: int):
    """`meydan serve` with one worker on `port`, logging to var/serve.log; yields
    (base URL, process, log path) once it answers, and stops it afterwards."""
    log = open(var / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            get(base + "/healthz")
            break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    try:
        yield base, process, var / "serve.log"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    var = tmp_path_factory.mktemp("serve-var")
    port = free_port()
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": str(var),
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1",
        "MEYDAN_TRUSTED_PROXIES": "1",
        "MEYDAN_SSL_REDIRECT": "1",
        "DATABASE_URL": "",  # its own SQLite file, whatever the suite runs on
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate", "-v0"], ["meydan_demo", "--domain", f"127.0.0.1:{port}"]):
        subprocess.run([MEYDAN, *command], env=env, check=True, capture_output=True)  # noqa: S603
    with serving(env, var, port) as served:
        yield served


HTTPS = {"X-Forwarded-Proto": "https"}


def test_serves_the_api_through_granian(served):
    base, process, log = served
    assert process.poll() is None, log.read_text()
    status, headers, body = get(
        base + "/api/v1/threads?site=caspian-ledger&url=/baku-opposition-rally/", **HTTPS
    )
    assert status == 200, body
    assert headers["server"] == "granian"
    data = json.loads(body)
    assert data["count"] > 0 and data["comments"]
    again = get(
        base + "/api/v1/threads?site=caspian-ledger&url=/baku-opposition-rally/",
        **HTTPS,
        **{"If-None-Match": headers["etag"]},
    )
    assert again[0] == 304


def test_the_proxy_says_https(served):
    """With MEYDAN_SSL_REDIRECT and one trusted proxy, a plain-http request is sent to
    https, and a request the proxy marks as https is answered."""
    base, _process, _log = served
    status, headers, _ = get(base + "/")
    assert status == 301 and headers["location"].startswith("https://")
    status, headers, _ = get(base + "/", **HTTPS)
    assert status == 200 and "max-age" not in headers.get("Strict-Transport-Security", "")


def test_static_files_are_served_with_long_caching(served):
    base, _process, _log = served
    _, _, page = get(base + "/", **HTTPS)
    css = page.decode().split('href="/static/')[1].split('"')[0]
    status, headers, body = get(f"{base}/static/{css}", **HTTPS)
    assert status == 200 and body
    assert "immutable" in headers["Cache-Control"]


def test_stops_cleanly(served):
    _base, process, _log = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
