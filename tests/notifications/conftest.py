"""The mail tests run the worker in the test's transaction (see `work`); the SMTP
server on loopback and `mailbox` are in tests/mail.py, shared with the browser tests."""

from unittest import mock

import pytest

from tests.mail import mailbox, smtp_server  # noqa: F401 - fixtures


@pytest.fixture
def work(django_capture_on_commit_callbacks):
    """Run the worker over what is queued now (`meydan worker --batch`)."""
    from django.core.management import call_command

    def _work():
        # As in production, what a task queues once its own work commits (a
        # notification queues its messages) is run too: rounds until nothing is due.
        # The worker closes connections it thinks stale between tasks; here it runs
        # inside the test's transaction (not autocommit), which it would take for one.
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            for _ in range(5):
                with django_capture_on_commit_callbacks(execute=True) as callbacks:
                    call_command("worker", batch=True, verbosity=0)
                if not callbacks:
                    break

    return _work


@pytest.fixture(autouse=True)
def _one_message_per_comment(settings):
    """Each comment its own message, unless a test is about digests."""
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 0
