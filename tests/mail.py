"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and settings that
send Meydan's mail to it (through the real task queue: the tests run the worker)."""

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """Keeps what it receives; `refuse` maps an address to the SMTP answer to give
    at RCPT (e.g. "550 5.1.1 No such user", or "451 4.3.0 Try later" for the next N
    tries: see `refuse_times`)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.refuse: dict[str, str] = {}
        self.refuse_times: dict[str, int] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address.lower())
        if answer:
            left = self.refuse_times.get(address.lower())
            if left is None or left > 0:
                if left is not None:
                    self.refuse_times[address.lower()] = left - 1
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_server():
    sink = Sink()
    with socket.socket() as probe:  # a free port (the controller must know its own)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, controller.hostname, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings):
    """Meydan's mail goes to the loopback SMTP server, through the database task
    queue; run `work()` to let the worker send what is queued."""
    sink, host, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return sink
