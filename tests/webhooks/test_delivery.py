"""Webhook calls end to end: recorded after the comment's commit, sent by the worker
(the real task queue, as the mail tests run it) to a real HTTP receiver on
loopback, signed (checked here with Python's hmac on the raw bytes received, not
with Meydan's own code), tried again after 5xx, given up after 4xx, never following
a redirect, and never in the way of the request that caused them."""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from meydan.comments import services as comments
from meydan.comments.reasons import Reason
from meydan.privacy.purge import purge
from meydan.webhooks import delivery as delivery_module
from meydan.webhooks.delivery import MAX_ATTEMPTS, deliver, retry_delay
from meydan.webhooks.models import WebhookDelivery

from .conftest import start_receiver

pytestmark = pytest.mark.django_db


def verified(secret: str, call, *, window: int = 300) -> dict:
    """An independent receiver's check: HMAC-SHA256 over "<t>." + the raw body."""
    parts = dict(item.split("=", 1) for item in call.headers["meydan-signature"].split(","))
    timestamp = int(parts["t"])
    assert abs(time.time() - timestamp) <= window
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + call.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return json.loads(call.body)


def test_a_published_comment_reaches_the_receiver_signed_through_the_worker(
    hook, post, receiver, work
):
    webhook = hook(events=["comment.posted"])
    comment = post("Hello from Baku.", name="Aynur")
    [queued] = WebhookDelivery.objects.all()
    assert queued.status == "queued" and receiver.calls == []  # not sent in the request
    work()
    [call] = receiver.calls
    data = verified(webhook.secret, call)
    assert call.path == "/hook"
    assert call.headers["content-type"] == "application/json; charset=utf-8"
    assert call.headers["meydan-event"] == "comment.posted"
    assert call.headers["meydan-delivery"] == str(queued.uuid)
    assert data["event"] == "comment.posted" and data["id"] == str(queued.event_id)
    assert data["site"] == {"key": "caspian-ledger", "name": "Caspian Ledger"}
    assert data["thread"]["title"] == "Thousands rally in Baku"
    assert data["comment"]["id"] == comment.pk
    assert data["comment"]["author_name"] == "Aynur"
    assert data["comment"]["body_text"] == "Hello from Baku."
    assert data["comment"]["body_html"] == "<p>Hello from Baku.</p>"
    assert data["comment"]["permalink"].endswith(f"/c/{comment.pk}")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.response_code) == ("sent", 1, 200)
    assert queued.response_excerpt == "ok" and queued.body == ""  # the body is dropped


def test_a_tampered_body_or_another_secret_does_not_verify(hook, post, receiver, work):
    webhook = hook(events=["comment.posted"])
    post("Hello.")
    work()
    [call] = receiver.calls
    call.body = call.body.replace(b"Hello", b"Jello")
    with pytest.raises(AssertionError):
        verified(webhook.secret, call)
    call.body = call.body.replace(b"Jello", b"Hello")
    verified(webhook.secret, call)
    with pytest.raises(AssertionError):
        verified("whsec_another", call)


def test_the_payload_never_carries_the_email_ip_hash_or_sealed_address(hook, post, receiver, work):
    hook(events=["comment.posted"])
    comment = post("Hello.", email="tural.secret@example.org", ip="203.0.113.9",
                   url="https://tural.example")  # fmt: skip
    comment.refresh_from_db()
    assert comment.ip_hash and comment.author_email_hash  # there were some to leak
    work()
    [call] = receiver.calls
    for secret in [b"tural.secret", b"203.0.113.9", b"tural.example",
                   comment.ip_hash.encode(), comment.author_email_hash.encode(),
                   comment.author_email_sealed.encode()]:  # fmt: skip
        assert secret not in call.body
    assert set(json.loads(call.body)["comment"]) == {
        "id", "permalink", "moderation_url", "author_name", "body_text", "body_html",
        "status", "previous_status", "parent_id", "created", "edited",
    }  # fmt: skip


def test_a_5xx_is_tried_again_after_a_backoff_with_the_same_body(hook, post, receiver, work):
    webhook = hook(events=["comment.posted"])
    receiver.answers = [(500, b"database is down", {})]
    post("Hello.")
    work()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 500)
    assert delivery.response_excerpt == "database is down" and delivery.error == "HTTP 500"
    assert delivery.next_attempt - delivery.last_attempt >= timedelta(seconds=1)
    work()  # not due yet
    assert len(receiver.calls) == 1
    time.sleep(1.1)
    work()
    first, second = receiver.calls
    assert first.body == second.body  # the same payload, the same id
    assert first.headers["meydan-delivery"] == second.headers["meydan-delivery"]
    verified(webhook.secret, second)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)


def test_the_backoff_doubles_and_honours_retry_after(settings):
    settings.MEYDAN_WEBHOOKS_RETRY_SECONDS = 30
    waits = [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert waits == [30, 60, 120, 240, 480]
    assert retry_delay(1, asked=600).total_seconds() == 600
    assert retry_delay(1, asked=86400).total_seconds() == 3600  # an hour at most


def test_a_429_waits_as_long_as_the_receiver_asks(hook, post, receiver, work):
    hook(events=["comment.posted"])
    receiver.answers = [(429, b"slow down", {"Retry-After": "120"})]
    post("Hello.")
    work()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.next_attempt - delivery.last_attempt >= timedelta(seconds=120)


def test_410_gives_up_at_once(hook, post, receiver, work):
    hook(events=["comment.posted"])
    receiver.answers = [(410, b"this hook is gone", {})]
    post("Hello.")
    work()
    time.sleep(1.1)
    work()
    assert len(receiver.calls) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("given_up", 1, 410)
    assert delivery.response_excerpt == "this hook is gone" and delivery.next_attempt is None


def test_the_last_try_gives_up(hook, post, receiver, django_capture_on_commit_callbacks):
    hook(events=["comment.posted"])
    receiver.default = (503, b"maintenance", {})
    post("Hello.")
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        deliver.call(delivery.pk, MAX_ATTEMPTS)
    delivery.refresh_from_db()
    assert delivery.status == "given_up" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.error == f"gave up after {MAX_ATTEMPTS} tries: HTTP 503"


def test_a_redirect_is_not_followed(hook, post, receiver, work):
    elsewhere, server = start_receiver()
    try:
        hook(events=["comment.posted"])
        receiver.answers = [(307, b"", {"Location": elsewhere.url("/stolen")})]
        post("Hello.")
        work()
        assert len(receiver.calls) == 1 and elsewhere.calls == []
    finally:
        server.shutdown()
        server.server_close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "given_up" and delivery.response_code == 307
    assert "redirects are not followed" in delivery.error and "/stolen" in delivery.error


def test_an_address_refused_at_delivery_is_given_up(hook, post, receiver, work, settings):
    hook(events=["comment.posted"])
    post("Hello.")
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False  # checked again at every delivery
    work()
    assert receiver.calls == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "given_up"
    assert delivery.error == "refused: 127.0.0.1 is a loopback address"


def test_a_receiver_that_hangs_costs_the_worker_a_timeout_never_the_request(
    hook, receiver, work, settings, site, django_capture_on_commit_callbacks
):
    hook(events=["comment.posted"])
    receiver.delay = 4  # longer than MEYDAN_WEBHOOKS_TIMEOUT (2 s here)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/comments",
            json.dumps(
                {
                    "site": site.slug,
                    "url": "https://blog.example.org/2015/06/rally/",
                    "title": "Rally",
                    "body": "Posted from the widget.",
                    "name": "Aynur",
                    "email": "aynur@example.org",
                }
            ),  # fmt: skip
            content_type="application/json",
            headers={"Origin": "https://blog.example.org"},
        )
    took = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert took < 1.0 and receiver.calls == []
    started = time.monotonic()
    work()
    assert time.monotonic() - started < 8  # the time limit, not the receiver, ended it
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "timed out" in delivery.error.lower()


def test_a_task_queue_that_is_down_costs_the_call_not_the_comment(
    hook, post, receiver, monkeypatch, caplog
):
    from unittest import mock

    from redis.exceptions import ConnectionError as RedisConnectionError

    hook(events=["comment.posted"])
    task = mock.Mock(module_path=deliver.module_path)
    task.enqueue.side_effect = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
    monkeypatch.setattr(delivery_module, "deliver", task)
    with caplog.at_level(logging.ERROR, logger="meydan.tasks"):
        comment = post("Still stored.")
    assert comment.pk and comment.status == "approved"
    assert WebhookDelivery.objects.get().status == "queued"
    assert "task queue unavailable" in caplog.text and "stays queued" in caplog.text


def test_a_site_without_webhooks_queues_nothing(site, post, receiver, allow_private, work):
    post("Nobody listens.")
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_turned_off_queues_nothing_and_its_waiting_calls_are_given_up(
    hook, post, receiver, work, django_capture_on_commit_callbacks
):
    from meydan.webhooks import services

    webhook = hook(events=["comment.posted"])
    post("Queued while on.")
    webhook.active = False
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_save(webhook)
    post("Posted while off.")
    work()
    assert receiver.calls == []
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.status, delivery.error) == ("given_up", "the webhook is off")


def test_erasing_a_comment_withdraws_the_calls_that_quote_it(
    hook, post, receiver, work, django_capture_on_commit_callbacks
):
    hook(events=["comment.posted", "comment.removed"])
    comment = post("Regret this.", name="Leyla")
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_erase(
            comment, reason=Reason.of("erased", how="withdrawn"), channel="self-service"
        )
    waiting = WebhookDelivery.objects.get(event="comment.posted")
    assert (waiting.status, waiting.body) == ("withdrawn", "")
    work()
    [call] = receiver.calls  # only the removal
    data = json.loads(call.body)
    assert data["event"] == "comment.removed"
    assert data["comment"]["id"] == comment.pk and data["comment"]["status"] == "erased"
    assert b"Leyla" not in call.body and b"Regret" not in call.body


def test_finished_deliveries_go_with_the_purge(hook, post, receiver, work, settings):
    hook(events=["comment.posted"])
    post("One.")
    post("Two.")
    work()
    old, recent = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=old.pk).update(finished=timezone.now() - timedelta(days=31))
    settings.MEYDAN_DELIVERY_DAYS = 30
    assert purge()["webhook_deliveries"] == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_worker_module_never_follows_redirects_by_construction():
    # http.client is used directly: no library that follows Location behind our back.
    assert "urllib.request" not in open(delivery_module.__file__).read()
