"""Mail whose task was lost still goes out, once: the sweep (core/sweep.py) queues
again what the task queue never got, the claim keeps a second run from sending, and
a message waiting for its retry is left to wait. Sent through the real worker to a
real SMTP server on loopback; the task queue is made to refuse work the way a
stopped Redis does (its client raises on enqueue)."""

import logging
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from redis.exceptions import ConnectionError as RedisConnectionError

from meydan.core import metrics, periodic, sweep
from meydan.notifications import mail
from meydan.notifications.mail import deliver, mail_enqueue, mail_sweep, mail_sweep_task
from meydan.notifications.models import Delivery

pytestmark = pytest.mark.django_db

DELIVER = deliver.module_path


@contextmanager
def queue_down():
    """The task queue refuses every task, as Redis does when it is stopped."""
    refused = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(DatabaseBackend, "enqueue", side_effect=refused):
        yield


def queue(django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return mail_enqueue(
            **{"to": "reader@example.org", "subject": "A reply", "text": "Hello", **fields}
        )


def minutes_pass(minutes: float):
    """Time moves on: every stored time of the deliveries and the queue moves back."""
    ago = timedelta(minutes=minutes)
    for delivery in Delivery.objects.all():
        for field in ("created", "enqueued_at", "last_attempt", "next_attempt"):
            if getattr(delivery, field):
                setattr(delivery, field, getattr(delivery, field) - ago)
        Delivery.objects.filter(pk=delivery.pk).update(
            created=delivery.created,
            enqueued_at=delivery.enqueued_at,
            last_attempt=delivery.last_attempt,
            next_attempt=delivery.next_attempt,
        )
    # (django-tasks-db stores "no run_after" as the largest date)
    for result in DBTaskResult.objects.filter(run_after__lt=timezone.now() + timedelta(days=3650)):
        DBTaskResult.objects.filter(pk=result.pk).update(run_after=result.run_after - ago)


def deliver_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=DELIVER).count()


def swept(reason: str) -> float:
    return metrics.DELIVERIES_SWEPT.labels("email", reason)._value.get()


def test_a_message_the_queue_never_got_is_sent_by_the_sweep_once_it_is_back(
    mailbox, work, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.ERROR, "meydan.tasks")
    with queue_down():
        delivery = queue(django_capture_on_commit_callbacks)
    assert "delivery" in caplog.text and "stays queued" in caplog.text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.enqueued_at) == ("queued", None)
    assert deliver_tasks() == 0
    work()
    assert mailbox.messages == []  # nothing can send it: no task
    assert mail_sweep() == {}  # within the grace period: its enqueue may still be coming
    before = swept("not_queued")
    minutes_pass(3)
    # The sweep runs as the worker runs it: its periodic task, through the queue.
    periodic.ensure_scheduled(mail_sweep_task)
    work()
    [message] = mailbox.messages
    assert message["To"] == "reader@example.org" and message["Subject"] == "A reply"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert swept("not_queued") == before + 1
    # The sweep queued its own next run, a minute on; then it finds nothing.
    assert DBTaskResult.objects.filter(
        task_path=mail_sweep_task.module_path, status="READY"
    ).exists()
    minutes_pass(3)
    work()
    assert len(mailbox.messages) == 1 and deliver_tasks() == 1


def test_while_the_queue_is_still_down_the_sweep_stops_and_tries_again_later(
    mailbox, work, django_capture_on_commit_callbacks
):
    with queue_down():
        for n in range(3):
            queue(django_capture_on_commit_callbacks, to=f"reader{n}@example.org")
        minutes_pass(3)
        assert mail_sweep() == {}  # one failed enqueue stops this sweep
    assert list(Delivery.objects.values_list("status", flat=True)) == ["queued"] * 3
    assert mail_sweep() == {"not_queued": 3}
    work()
    assert sorted(m["To"] for m in mailbox.messages) == [
        "reader0@example.org", "reader1@example.org", "reader2@example.org",
    ]  # fmt: skip


def test_a_message_queued_normally_is_not_queued_again(
    mailbox, work, django_capture_on_commit_callbacks
):
    delivery = queue(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.enqueued_at is not None and deliver_tasks() == 1
    # The workers are three minutes behind: its task is still in the queue.
    minutes_pass(3)
    assert mail_sweep() == {}
    assert deliver_tasks() == 1
    work()
    assert len(mailbox.messages) == 1
    minutes_pass(30)
    assert mail_sweep() == {}  # sent: nothing more to do
    work()
    assert len(mailbox.messages) == 1


def test_a_task_the_queue_lost_is_queued_again_after_a_longer_wait(
    mailbox, work, django_capture_on_commit_callbacks
):
    queue(django_capture_on_commit_callbacks)
    DBTaskResult.objects.filter(task_path=DELIVER).delete()  # e.g. Redis restarted empty
    minutes_pass(5)
    assert mail_sweep() == {}  # queued five minutes ago: perhaps the workers are behind
    minutes_pass(11)
    assert mail_sweep() == {"lost": 1}
    work()
    assert len(mailbox.messages) == 1


def test_two_runs_of_one_delivery_send_it_once(mailbox, work, django_capture_on_commit_callbacks):
    delivery = queue(django_capture_on_commit_callbacks)
    deliver.enqueue(delivery.pk)  # a duplicate, as a sweep behind a slow worker makes
    assert deliver_tasks() == 2
    work()
    assert len(mailbox.messages) == 1
    assert deliver.call(delivery.pk) == "nothing to do"
    assert len(mailbox.messages) == 1


def test_a_delivery_another_run_is_sending_is_not_sent_again(
    mailbox, django_capture_on_commit_callbacks
):
    delivery = queue(django_capture_on_commit_callbacks)
    claimed = sweep.claim(
        Delivery, delivery.pk, waiting=mail.WAITING, sending=Delivery.Status.SENDING
    )
    assert claimed is not None
    assert Delivery.objects.get(pk=delivery.pk).status == "sending"
    assert deliver.call(delivery.pk) == "nothing to do"
    assert (
        sweep.claim(Delivery, delivery.pk, waiting=mail.WAITING, sending=Delivery.Status.SENDING)
        is None
    )
    assert mailbox.messages == []


def test_a_message_waiting_for_its_retry_is_not_swept_or_sent_early(
    mailbox, work, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_MAIL_RETRY_SECONDS = 600  # the first retry is due in 10 minutes
    mailbox.refuse["reader@example.org"] = "451 4.3.0 Try again later"
    mailbox.refuse_times["reader@example.org"] = 1
    delivery = queue(django_capture_on_commit_callbacks)
    with queue_down():  # the try runs, but its retry cannot be queued
        deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert delivery.next_attempt > timezone.now() + timedelta(minutes=9)
    minutes_pass(5)
    assert mail_sweep() == {}  # not due yet
    assert deliver.call(delivery.pk) == "nothing to do: not due, or another run has it"
    assert Delivery.objects.get(pk=delivery.pk).status == "retrying"
    minutes_pass(7)  # due two minutes ago, and no task
    assert mail_sweep() == {"not_queued": 1}
    work()
    [message] = mailbox.messages
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_delivery_its_worker_died_on_is_tried_again(
    mailbox, work, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_MAIL_RETRY_SECONDS = 1
    delivery = queue(django_capture_on_commit_callbacks)
    DBTaskResult.objects.filter(task_path=DELIVER).delete()
    # Its worker claimed it and was killed before it could write what happened.
    sweep.claim(Delivery, delivery.pk, waiting=mail.WAITING, sending=Delivery.Status.SENDING)
    minutes_pass(5)
    assert mail_sweep() == {}  # it may still be sending
    minutes_pass(6)
    assert mail_sweep() == {"stalled": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert delivery.answer == "the worker stopped during this try"
    minutes_pass(1)
    work()
    assert len(mailbox.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_the_sweeps_are_periodic_tasks(settings):
    assert "meydan.notifications.mail.mail_sweep_task" in settings.MEYDAN_PERIODIC_TASKS
    assert "meydan.webhooks.delivery.deliveries_sweep_task" in settings.MEYDAN_PERIODIC_TASKS


def test_a_try_the_database_interrupted_after_its_claim_is_resumed_at_once(
    mailbox, work, django_capture_on_commit_callbacks
):
    """The database went away after the claim was written (core/tasks.py runs the
    task again once it answers): the run that holds the claim goes on and sends, at
    once, rather than leaving its own claim to the stall sweep ten minutes on."""
    from django.db import OperationalError

    from meydan.core import tasks

    delivery = queue(django_capture_on_commit_callbacks)
    unseal = mail.sealing.unseal
    outage = mock.Mock(side_effect=[OperationalError("server closed the connection"), unseal])

    def flaky_unseal(sealed):
        effect = outage()
        return effect(sealed)

    with (
        mock.patch.object(mail.sealing, "unseal", flaky_unseal),
        mock.patch.object(tasks, "wait_for_database", return_value=True),
        mock.patch.object(tasks, "drop_connection"),
    ):
        work()
    assert outage.call_count == 2
    [message] = mailbox.messages
    assert message["To"] == "reader@example.org"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_another_run_does_not_take_over_a_claim(mailbox, work, django_capture_on_commit_callbacks):
    """Only the run that claimed a delivery resumes it: a second task for the same
    delivery, while the first one holds it, sends nothing."""
    delivery = queue(django_capture_on_commit_callbacks)
    assert sweep.claim(Delivery, delivery.pk, waiting=mail.WAITING, sending="sending")
    work()
    assert mailbox.messages == []
    delivery.refresh_from_db()
    assert delivery.status == "sending"


def test_a_try_queued_again_after_a_long_outage_resumes_its_claim(
    mailbox, work, django_capture_on_commit_callbacks
):
    """The database stayed away longer than a task waits in place: the task is queued
    again for later with its run's id (core/tasks.py), and that later run takes up
    the claim the interrupted one left, instead of waiting for the stall sweep."""
    from django.db import OperationalError

    from meydan.core import tasks

    delivery = queue(django_capture_on_commit_callbacks)
    unseal = mail.sealing.unseal
    away = OperationalError("server closed the connection")
    outage = mock.Mock(side_effect=[away, unseal])

    def flaky_unseal(sealed):
        effect = outage()
        return effect(sealed)

    with (
        mock.patch.object(mail.sealing, "unseal", flaky_unseal),
        mock.patch.object(tasks, "wait_for_database", return_value=False),
        mock.patch.object(tasks, "drop_connection"),
    ):
        work()  # the in-place runs fail; the task is queued again, REQUEUE_SECONDS on
        delivery.refresh_from_db()
        assert delivery.status == "sending" and mailbox.messages == []
        minutes_pass(tasks.REQUEUE_SECONDS / 60 + 1)
        work()
    [message] = mailbox.messages
    assert message["To"] == "reader@example.org"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
