"""The mail tests run the worker in the test's transaction (`work`, in tests/conftest.py); the SMTP
server on loopback and `mailbox` are in tests/mail.py, shared with the browser tests."""

import pytest

from tests.mail import mailbox, smtp_server  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _one_message_per_comment(settings):
    """Each comment its own message, unless a test is about digests."""
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 0
