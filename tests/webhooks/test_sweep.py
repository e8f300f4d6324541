"""Webhook calls whose task was lost still go out, once (core/sweep.py): sent by the
real worker to the loopback receiver after the task queue refused them (its client
raising on enqueue, as when Redis is stopped), never twice for two runs, and never
before a failed call's retry is due."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from redis.exceptions import ConnectionError as RedisConnectionError

from meydan.core import metrics, periodic
from meydan.webhooks.delivery import deliver, deliveries_sweep, deliveries_sweep_task
from meydan.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

DELIVER = deliver.module_path


@contextmanager
def queue_down():
    refused = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(DatabaseBackend, "enqueue", side_effect=refused):
        yield


def minutes_pass(minutes: float):
    """Time moves on: the deliveries' stored times and the queue's move back."""
    ago = timedelta(minutes=minutes)
    for delivery in WebhookDelivery.objects.all():
        changes = {
            field: getattr(delivery, field) - ago
            for field in ("created", "enqueued_at", "last_attempt", "next_attempt")
            if getattr(delivery, field)
        }
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    # (django-tasks-db stores "no run_after" as the largest date)
    for result in DBTaskResult.objects.filter(run_after__lt=timezone.now() + timedelta(days=3650)):
        DBTaskResult.objects.filter(pk=result.pk).update(run_after=result.run_after - ago)


def test_a_call_the_queue_never_got_is_sent_by_the_sweep_once_it_is_back(
    hook, post, receiver, work
):
    hook(events=["comment.posted"])
    with queue_down():
        post("Posted while the queue was down.")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.enqueued_at) == ("queued", None)
    work()
    assert receiver.calls == [] and deliveries_sweep() == {}  # within the grace period
    before = metrics.DELIVERIES_SWEPT.labels("webhook", "not_queued")._value.get()
    minutes_pass(3)
    periodic.ensure_scheduled(deliveries_sweep_task)  # as `meydan worker` does at start
    work()
    [call] = receiver.calls
    assert call.headers["meydan-delivery"] == str(delivery.uuid)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 200)
    assert metrics.DELIVERIES_SWEPT.labels("webhook", "not_queued")._value.get() == before + 1
    minutes_pass(3)
    work()  # the sweep's next run
    assert len(receiver.calls) == 1


def test_a_call_queued_normally_is_not_queued_again(hook, post, receiver, work):
    hook(events=["comment.posted"])
    post("Hello.")
    minutes_pass(3)  # the workers are behind: its task still waits in the queue
    assert deliveries_sweep() == {}
    assert DBTaskResult.objects.filter(task_path=DELIVER).count() == 1
    work()
    minutes_pass(30)
    assert deliveries_sweep() == {}
    work()
    assert len(receiver.calls) == 1


def test_two_runs_of_one_delivery_send_it_once(hook, post, receiver, work):
    hook(events=["comment.posted"])
    post("Hello.")
    delivery = WebhookDelivery.objects.get()
    deliver.enqueue(delivery.pk)  # a duplicate
    work()
    assert len(receiver.calls) == 1
    assert deliver.call(delivery.pk) == "nothing to do"
    assert len(receiver.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_once(hook, post, receiver):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one writer at a time: the runs cannot overlap there")
    hook(events=["comment.posted"])
    post("Hello.")
    delivery = WebhookDelivery.objects.get()
    receiver.delay = 0.5  # the first run is still sending when the second starts
    results = []

    def run():
        try:
            results.append(deliver.call(delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(receiver.calls) == 1
    # The second run saw the row claimed, either when it read it or when it tried to
    # claim it (its UPDATE waited for the first run's and then matched no row).
    assert sorted(results)[1] == "sent: 200" and sorted(results)[0].startswith("nothing to do")
    assert WebhookDelivery.objects.get().status == "sent"


def test_a_failed_call_waiting_for_its_retry_is_not_swept_early(
    hook, post, receiver, work, settings
):
    settings.MEYDAN_WEBHOOKS_RETRY_SECONDS = 600
    hook(events=["comment.posted"])
    receiver.answers = [(503, b"busy", {})]
    post("Hello.")
    with queue_down():  # the try runs; its retry cannot be queued
        work()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    minutes_pass(5)
    assert deliveries_sweep() == {}
    assert deliver.call(delivery.pk, 2) == "nothing to do: not due, or another run has it"
    assert len(receiver.calls) == 1
    minutes_pass(7)
    assert deliveries_sweep() == {"not_queued": 1}
    work()
    assert len(receiver.calls) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)


def test_a_call_its_worker_died_on_is_tried_again(hook, post, receiver, work):
    hook(events=["comment.posted"])
    post("Hello.")
    DBTaskResult.objects.filter(task_path=DELIVER).delete()
    WebhookDelivery.objects.update(status="sending", last_attempt=timezone.now())
    minutes_pass(11)
    assert deliveries_sweep() == {"stalled": 1}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error == "the worker stopped during this try"
    minutes_pass(1)
    work()
    assert len(receiver.calls) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
