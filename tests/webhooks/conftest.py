"""A real HTTP receiver on loopback (http.server in a thread) that keeps the raw
bytes of every call, and the settings that let webhooks reach it: loopback is
refused unless MEYDAN_WEBHOOKS_ALLOW_PRIVATE is on, which these tests turn on."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from meydan.webhooks import services
from meydan.webhooks.models import Event, Webhook


@dataclass
class Call:
    path: str
    headers: dict  # lower-case names
    body: bytes  # exactly as received


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    # The answers to give, in order (status, body, headers); then `default`.
    answers: list[tuple[int, bytes, dict]] = field(default_factory=list)
    default: tuple[int, bytes, dict] = (200, b"ok", {})
    delay: float = 0.0  # seconds to wait before answering (a hanging receiver)
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"


def start_receiver(host: str = "127.0.0.1") -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(host=host)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                receiver.calls.append(
                    Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, answer, headers = (
                    receiver.answers.pop(0) if receiver.answers else receiver.default
                )
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = True
    settings.MEYDAN_WEBHOOKS_RETRY_SECONDS = 1
    settings.MEYDAN_WEBHOOKS_TIMEOUT = 2


@pytest.fixture
def hook(site, receiver, allow_private, django_capture_on_commit_callbacks):
    """make(events=..., format=...) -> a webhook of the site to the receiver."""

    def make(events=tuple(Event.values), format="meydan", url=None, on=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.webhook_save(
                Webhook(
                    site=on or site, url=url or receiver.url(), events=list(events), format=format
                )
            )

    return make
