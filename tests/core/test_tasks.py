"""Background tasks and `meydan worker` outlast a database outage (core/tasks.py;
measured by bench/drills/db_outage.py)."""

import logging
import sys
from unittest import mock

import pytest
from django.db import OperationalError

from meydan.core import tasks
from meydan.core.management.commands import worker

calls: list = []


@tasks.outlasts_database_outages
def flaky(n, *, fail=0):
    calls.append(n)
    if len(calls) <= fail:
        raise OperationalError("connection refused")
    return n * 2


@pytest.fixture(autouse=True)
def _fresh():
    calls.clear()
    with mock.patch.object(tasks, "drop_connection"):
        yield


def test_a_task_waits_for_the_database_and_runs_again(caplog):
    caplog.set_level(logging.WARNING, "meydan.tasks")
    with mock.patch.object(tasks, "wait_for_database", return_value=True) as waited:
        assert flaky(21, fail=1) == 42
    assert calls == [21, 21]
    waited.assert_called_once()
    assert "database is unavailable (OperationalError); waiting for it" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_task_queued_again_when_the_database_stays_away(monkeypatch):
    queued = mock.MagicMock()
    monkeypatch.setattr(sys.modules[__name__], "flaky", queued)
    with mock.patch.object(tasks, "wait_for_database", return_value=False):
        assert tasks.outlasts_database_outages(_flaky_source)(3, fail=9) is None
    queued.using.return_value.enqueue.assert_called_once_with(
        3, fail=9, outage_attempt=1, outage_run=mock.ANY
    )
    assert len(queued.using.return_value.enqueue.call_args.kwargs["outage_run"]) == 32


def _flaky_source(n, *, fail=0):
    raise OperationalError("connection refused")


_flaky_source.__name__ = "flaky"  # so that the wrapper finds this module's `flaky`


def test_given_up_after_the_last_attempt():
    with (
        mock.patch.object(tasks, "wait_for_database", return_value=False),
        pytest.raises(OperationalError),
    ):
        flaky(1, fail=99, outage_attempt=tasks.MAX_ATTEMPTS)


def test_other_errors_are_not_retried():
    @tasks.outlasts_database_outages
    def broken():
        calls.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        broken()
    assert calls == [1]


def test_the_database_queue_worker_survives_an_outage(caplog, monkeypatch):
    caplog.set_level(logging.WARNING, "meydan.tasks")
    runs = []

    def db_worker(name, **options):
        runs.append(name)
        if len(runs) == 1:
            raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(worker, "call_command", db_worker)
    monkeypatch.setattr(worker, "wait_for_database", lambda seconds: True)
    monkeypatch.setattr(worker, "drop_connection", lambda: None)
    monkeypatch.setattr(worker.periodic, "ensure_all_scheduled", lambda: None)
    with mock.patch.object(worker.signal, "signal"):
        worker.Command().handle(batch=False, interval=1.0, verbosity=0)
    assert runs == ["db_worker", "db_worker"]
    assert "worker: the database is unavailable (OperationalError); waiting for it" in caplog.text
    assert "worker: the database answers again; going on" in caplog.text


@pytest.mark.django_db
def test_a_task_queue_that_is_away_costs_the_task_not_the_caller(
    caplog, django_capture_on_commit_callbacks
):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from meydan.notifications import mail
    from meydan.notifications.models import Delivery

    caplog.set_level(logging.ERROR, "meydan.tasks")
    refused = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(mail, "deliver", mock.Mock(module_path=mail.deliver.module_path)) as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        task.enqueue.side_effect = refused
        delivery = mail.mail_enqueue(to="reader@example.net", subject="Hello", text="Hi")
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.QUEUED
    assert (
        "task queue unavailable (ConnectionError): meydan.notifications.mail.deliver not queued "
        f"(delivery {delivery.pk} stays queued)"
    ) in caplog.text
    assert "Traceback" not in caplog.text
