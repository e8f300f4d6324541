"""One HTTP POST to a checked address (the worker's side of the SSRF guard).

Written on http.client rather than with a client library because the connection
must go to the address addresses.resolve checked — not to a second DNS lookup of
the name — while the request still says `Host: <name>` and TLS still sends the
name (SNI) and verifies the certificate for it. http.client lets connect() be
replaced and does nothing else behind our back: no redirects followed, no proxy
from the environment, no retries.

Every try is bounded: `timeout` for connecting and for each read, the whole
exchange at most three times that (a receiver that drips one byte a second is cut
off), and at most RESPONSE_BYTES of the answer are read.
"""

import http.client
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from meydan.webhooks.addresses import Target

RESPONSE_BYTES = 1024
EXCERPT_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, one line, at most EXCERPT_CHARS
    location: str  # a redirect's Location (not followed), else ""
    retry_after: int | None  # seconds, when the receiver said so (429, 503)


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first checked address that answers. No name is
    looked up here (socket.create_connection would call getaddrinfo again)."""
    last: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            return sock
        except OSError as error:
            sock.close()
            last = error
    raise last or OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, *, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._addresses = target.addresses

    def connect(self):
        self.sock = _connect(self._addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, *, timeout: float, context: ssl.SSLContext | None = None):
        self._pinned_context = context or ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._pinned_context)
        self._addresses = target.addresses

    def connect(self):
        sock = _connect(self._addresses, self.port, self.timeout)
        # SNI and certificate verification for the name in the webhook's address.
        self.sock = self._pinned_context.wrap_socket(sock, server_hostname=self.host)


def connection_for(target: Target, *, timeout: float, context: ssl.SSLContext | None = None):
    if target.scheme == "https":
        return PinnedHTTPSConnection(target, timeout=timeout, context=context)
    return PinnedHTTPConnection(target, timeout=timeout)


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return min(int(value.strip()), 3600)
    return None


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST `body` to `target`. Raises OSError (and http.client.HTTPException) for
    a network failure or a receiver that ran out of time."""
    connection = connection_for(target, timeout=timeout, context=context)
    cut_off = threading.Event()

    def cut() -> None:  # the whole exchange ran out of time
        cut_off.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout * 3, cut)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(RESPONSE_BYTES)
        if cut_off.is_set():  # a socket shut down reads as the answer's end: not one
            raise TimeoutError("cut off")
        answer = Answer(
            status=response.status,
            excerpt=excerpt(data),
            location=(response.getheader("Location") or "")[:300],
            retry_after=_retry_after(response.getheader("Retry-After")),
        )
    except (OSError, http.client.HTTPException) as error:
        if cut_off.is_set():
            elapsed = time.monotonic() - started
            raise TimeoutError(f"no whole answer within {elapsed:.0f} s") from error
        raise
    finally:
        timer.cancel()
        connection.close()
    return answer


def excerpt(data: bytes) -> str:
    text = _CONTROL.sub(" ", data.decode("utf-8", "replace")).strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
