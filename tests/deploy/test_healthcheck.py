"""deploy/healthcheck.py (`meydan-healthcheck` in the image): 0 on 200, 1 otherwise,
asking as the proxy does (an allowed host, https)."""

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"


@pytest.fixture
def server():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            seen.append((self.path, self.headers["Host"], self.headers["X-Forwarded-Proto"]))
            self.send_response(200 if self.path == "/readyz" else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


def check(port, *args, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEYDAN_")}
    environ.update(PORT=str(port), **env)
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), *args], env=environ, capture_output=True, text=True
    )


def test_ready_is_0_and_asks_with_an_allowed_host_over_https(server):
    port, seen = server
    result = check(port, MEYDAN_ALLOWED_HOSTS=".example.org,localhost")
    assert result.returncode == 0, result.stderr
    assert seen == [("/readyz", "example.org", "https")]


def test_not_ready_or_not_there_is_1(server):
    port, _seen = server
    result = check(port, "/healthz")
    assert result.returncode == 1 and "HTTP 503" in result.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert check(closed).returncode == 1
