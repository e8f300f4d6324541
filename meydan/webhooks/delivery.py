"""The webhook queue: one WebhookDelivery per event and webhook, sent by the worker.

`deliveries_enqueue` records the deliveries and hands each to the task queue; a
queue that cannot be reached leaves them "queued" (logged), never fails the caller
(receivers.py calls it after the comment's commit). The worker runs `deliver`:

- the address is checked again and resolved once (addresses.resolve: DNS answers
  change), and the request goes to the address that was checked (transport.py);
- 2xx: sent. A network error, a time-out, 408, 429 or 5xx: tried again after
  RETRY_SECONDS × 2^(n-1) (30 s, 1, 2, 4, 8 minutes by default; longer when the
  receiver's Retry-After asks, up to an hour), MAX_ATTEMPTS tries in all. Any other
  answer (3xx — redirects are not followed — or 4xx) gives up at once, as does an
  address the guard refuses;
- the body is signed at each try (signing.py: a fresh timestamp), and dropped
  from the row once the delivery is finished;
- `deliver` claims its delivery first, so that two runs of it send once, and
  `deliveries_sweep_task` (every minute) queues again a delivery whose task was
  never queued or was lost, and tries again one a dead worker left "sending"
  (core/sweep.py).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meydan.core import periodic, sweep
from meydan.core.tasks import outlasts_database_outages
from meydan.webhooks import addresses, payloads, signing, transport
from meydan.webhooks.models import PING, Webhook, WebhookDelivery

logger = logging.getLogger("meydan.webhooks")

MAX_ATTEMPTS = 6
USER_AGENT = "Meydan-Webhooks/1"
WAITING = (WebhookDelivery.Status.QUEUED, WebhookDelivery.Status.FAILED)


def deliveries_enqueue(
    webhooks: list[Webhook], data: dict, *, comment_ref: int | None = None
) -> list[WebhookDelivery]:
    """One delivery of the payload `data` for each webhook (each in its own format),
    queued once the current transaction commits (at once outside one)."""
    deliveries = [
        WebhookDelivery(
            webhook=hook,
            event=data["event"],
            event_id=uuid.UUID(data["id"]),
            comment_ref=comment_ref,
            body=payloads.body_for(hook.format, data).decode("utf-8"),
        )
        for hook in webhooks
    ]
    if not deliveries:
        return []
    with transaction.atomic():
        for delivery in deliveries:
            delivery.save()
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue_all(ids))
    return deliveries


def _enqueue_all(ids: list[int]) -> None:
    for pk in ids:
        _enqueue(pk, what="stays queued")


def _enqueue(delivery_id: int, *args, what: str, run_after=None) -> bool:
    task = deliver.using(run_after=run_after) if run_after is not None else deliver
    return sweep.enqueue_marked(
        WebhookDelivery,
        delivery_id,
        task,
        delivery_id,
        *args,
        what=f"webhook delivery {delivery_id} {what}",
    )


def deliveries_withdraw(*, comment_id: int) -> int:
    """Deliveries still waiting that quote this comment are not sent (it was
    erased); their bodies are dropped. Returns how many."""
    return WebhookDelivery.objects.filter(comment_ref=comment_id, status__in=WAITING).update(
        status=WebhookDelivery.Status.WITHDRAWN, body="", finished=timezone.now(), next_attempt=None
    )


def retry_delay(attempt: int, asked: int | None = None) -> timedelta:
    """The wait after failed try number `attempt`."""
    seconds = settings.MEYDAN_WEBHOOKS_RETRY_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=max(seconds, min(asked or 0, 3600)))


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Meydan-Event": delivery.event,
        "Meydan-Delivery": str(delivery.uuid),
        signing.HEADER: signing.header_value(delivery.webhook.secret, body),
    }


@task()
@outlasts_database_outages
def deliver(delivery_id: int, attempt: int = 1) -> str:
    """POST one delivery (the worker runs this): see the module's docstring. A second
    run of it, or a run before the next try is due, does nothing."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or not sweep.claimable(
        delivery, waiting=WAITING, sending=WebhookDelivery.Status.SENDING
    ):
        return "nothing to do"
    claimed = sweep.claim(
        WebhookDelivery, delivery.pk, waiting=WAITING, sending=WebhookDelivery.Status.SENDING
    )
    if claimed is None:
        return "nothing to do: not due, or another run has it"
    delivery.status, delivery.last_attempt = WebhookDelivery.Status.SENDING, claimed
    # The row counts the tries made; a task queued before the last one (a duplicate)
    # does not start the count again.
    attempt = max(attempt, delivery.attempts + 1)
    if not delivery.webhook.active and delivery.event != PING:
        return _finish(delivery, WebhookDelivery.Status.GIVEN_UP, error="the webhook is off")
    delivery.attempts = attempt
    body = delivery.body.encode("utf-8")
    try:
        target = addresses.resolve(delivery.webhook.url)
    except addresses.Refused as refused:
        return _finish(delivery, WebhookDelivery.Status.GIVEN_UP, error=f"refused: {refused}")
    except OSError as error:
        return _retry_or_give_up(delivery, attempt, error=f"name not resolved: {error}")
    try:
        answer = transport.post(
            target, body, _headers(delivery, body), timeout=settings.MEYDAN_WEBHOOKS_TIMEOUT
        )
    except Exception as error:  # OSError, TimeoutError, http.client.HTTPException, ssl
        return _retry_or_give_up(delivery, attempt, error=f"{type(error).__name__}: {error}")
    delivery.response_code = answer.status
    delivery.response_excerpt = answer.excerpt
    if 200 <= answer.status < 300:
        return _finish(delivery, WebhookDelivery.Status.SENT)
    if answer.status in (408, 429) or answer.status >= 500:
        return _retry_or_give_up(
            delivery, attempt, error=f"HTTP {answer.status}", asked=answer.retry_after
        )
    if 300 <= answer.status < 400:
        error = f"HTTP {answer.status}: redirects are not followed"
        if answer.location:
            error += f" (Location: {answer.location})"
        return _finish(delivery, WebhookDelivery.Status.GIVEN_UP, error=error)
    return _finish(delivery, WebhookDelivery.Status.GIVEN_UP, error=f"HTTP {answer.status}")


_FIELDS = [
    "status", "attempts", "response_code", "response_excerpt", "error",
    "last_attempt", "next_attempt", "finished", "body",
]  # fmt: skip


def _retry_or_give_up(
    delivery: WebhookDelivery, attempt: int, *, error: str, asked: int | None = None
) -> str:
    if attempt >= MAX_ATTEMPTS:
        return _finish(
            delivery,
            WebhookDelivery.Status.GIVEN_UP,
            error=f"gave up after {attempt} tries: {error}",
        )
    due = timezone.now() + retry_delay(attempt, asked)
    delivery.status, delivery.error = WebhookDelivery.Status.FAILED, error[:500]
    delivery.next_attempt = due
    delivery.save(update_fields=_FIELDS)
    logger.info("webhook delivery %s: try %s failed (%s)", delivery.pk, attempt, error[:200])
    # Not queued (the queue is away): the sweep queues it once it is due.
    _enqueue(delivery.pk, attempt + 1, what="not queued for its retry", run_after=due)
    return f"retrying at {due.isoformat()}: {error}"


def _finish(delivery: WebhookDelivery, status: str, *, error: str = "") -> str:
    """Done with: the body is dropped (nothing needs it any more)."""
    delivery.status, delivery.error = status, error[:500]
    delivery.finished, delivery.next_attempt, delivery.body = timezone.now(), None, ""
    delivery.save(update_fields=_FIELDS)
    if status != WebhookDelivery.Status.SENT:
        logger.warning("webhook delivery %s %s: %s", delivery.pk, status, error[:200])
    return f"{status}: {error or delivery.response_code}"


def deliveries_sweep() -> dict[str, int]:
    """Queue again the deliveries whose task is missing, and try again those a dead
    worker left "sending" (core/sweep.py says which). Returns how many, by reason."""
    return sweep.run(
        WebhookDelivery,
        queue="webhook",
        waiting=WAITING,
        sending=WebhookDelivery.Status.SENDING,
        released_to=WebhookDelivery.Status.FAILED,
        try_again=_try_again_stalled,
        enqueue=lambda delivery: _enqueue(
            delivery.pk, delivery.attempts + 1, what="still not queued"
        ),
    )


def _try_again_stalled(delivery: WebhookDelivery) -> None:
    delivery.attempts += 1
    _retry_or_give_up(delivery, delivery.attempts, error="the worker stopped during this try")


@task()
def deliveries_sweep_task() -> dict[str, int]:
    """Listed in MEYDAN_PERIODIC_TASKS: queues its next run, then `deliveries_sweep`."""
    periodic.schedule_next(deliveries_sweep_task, sweep.EVERY)
    return deliveries_sweep()
