"""Putting a message in the mail queue, and sending it from the worker.

`mail_enqueue` is the only way Meydan sends mail: it records a Delivery and, after
the caller's transaction commits, hands the message to the task queue; the worker
(`meydan worker`) runs `deliver`. No request ever waits for an SMTP server.
`deliver` claims its delivery first, so that two runs of it send once, and
`mail_sweep_task` (every minute) queues again a delivery whose task was never queued
or was lost (core/sweep.py).

Headers are built only from our own text: a recipient is one address (no CR, LF,
comma or several addresses); a subject is our wording plus a cleaned title, cut to
a line. Django's mail module refuses header injection too; we refuse earlier, with
a clear error, so that a bad address is never queued.
"""

import logging
import re
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from meydan.core import metrics, periodic, sealing, sweep
from meydan.core.ratelimit import hit
from meydan.core.tasks import outlasts_database_outages
from meydan.notifications.models import Delivery, Suppression

logger = logging.getLogger("meydan.mail")

MAX_ATTEMPTS = 6
WAITING = (Delivery.Status.QUEUED, Delivery.Status.RETRYING)
_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")


def clean_header_text(value: str, *, limit: int = 150) -> str:
    """One line of text, fit for a header: control characters become spaces."""
    text = " ".join(_LINE_BREAKS.sub(" ", value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_address(value: str) -> str:
    """One valid address, or ValidationError (several addresses, header tricks, …)."""
    address = (value or "").strip()
    if _LINE_BREAKS.search(address) or "," in address or ";" in address:
        raise ValidationError(_("One e-mail address, please."))
    validate_email(address)
    return address


def mail_enqueue(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict | None = None,
    kind: str = "",
    comment_id: int | None = None,
    to_hash: str = "",
) -> Delivery:
    """Queue one message; it is handed to the worker once the current transaction
    commits (at once outside one).

    `to` is an address, or an address as stored with its keyed hash `to_hash`
    (core.sealing: a subscriber's, which this process may be unable to open: the
    worker opens it). `comment_id` names the
    comment the message quotes, so that erasing it withdraws the message. The task
    carries only the delivery's id: the text waits in the Delivery row."""
    if sealing.is_stored(to):
        stored, to_hash = to, to_hash or sealing.stored_hash(to)
    else:
        address = clean_address(to)
        stored, to_hash = sealing.seal(address), sealing.email_hash(address)
    message = {
        "subject": clean_header_text(subject),
        "text": text,
        "html": html,
        "headers": {
            name: clean_header_text(value, limit=998) for name, value in (headers or {}).items()
        },
    }
    delivery = Delivery.objects.create(
        to_hash=to_hash,
        to_sealed=stored,
        subject=message["subject"],
        kind=kind,
        message=message,
        comment_ref=comment_id,
    )
    # A queue that is away leaves the delivery "queued" (logged), not the caller
    # failed; the sweep queues it again later.
    transaction.on_commit(lambda: _enqueue(delivery.pk, what="stays queued"))
    return delivery


def _enqueue(delivery_id: int, *args, what: str, run_after=None) -> bool:
    task = deliver.using(run_after=run_after) if run_after is not None else deliver
    return sweep.enqueue_marked(
        Delivery, delivery_id, task, delivery_id, *args, what=f"delivery {delivery_id} {what}"
    )


def mail_withdraw(*, comment_id: int) -> int:
    """Messages still waiting that quote this comment are not sent (it was erased);
    their text is dropped. Returns how many."""
    withdrawn = Delivery.objects.filter(comment_ref=comment_id, status__in=WAITING).update(
        status=Delivery.Status.WITHDRAWN, message={}, finished=timezone.now(), next_attempt=None
    )
    metrics.email_delivery(Delivery.Status.WITHDRAWN, withdrawn)
    return withdrawn


def retry_delay(attempt: int) -> timedelta:
    """Wait before the next try after a temporary failure: 1, 2, 4, 8, 16 minutes
    (MEYDAN_MAIL_RETRY_SECONDS sets the first step)."""
    return timedelta(seconds=settings.MEYDAN_MAIL_RETRY_SECONDS * 2 ** (attempt - 1))


def _answer_of(error: Exception) -> tuple[int | None, str]:
    """(SMTP code, the server's words) of a failure, or (None, what went wrong)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, words = next(iter(error.recipients.values()))
        return code, words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    if isinstance(error, smtplib.SMTPResponseException):
        words = error.smtp_error
        return error.smtp_code, words.decode("utf-8", "replace") if isinstance(
            words, bytes
        ) else str(words)
    return None, f"{type(error).__name__}: {error}"


@task(queue_name="email")
@outlasts_database_outages
def deliver(delivery_id: int, message: dict | None = None, attempt: int = 1) -> str:
    """Send one queued message (the worker runs this). A temporary failure (4xx, the
    server unreachable) is tried again later, MAX_ATTEMPTS times in all; a refusal
    for good (5xx for the recipient) suppresses the address. (`message` is only
    for tasks queued before messages waited in the Delivery row.)

    It claims the delivery first (core/sweep.py): a second run of it, or a run
    before the next try is due, does nothing."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None or not sweep.claimable(
        delivery, waiting=WAITING, sending=Delivery.Status.SENDING
    ):
        return "nothing to do"
    waited_as = delivery.status
    claimed = sweep.claim(Delivery, delivery.pk, waiting=WAITING, sending=Delivery.Status.SENDING)
    if claimed is None:
        return "nothing to do: not due, or another run has it"
    delivery.status, delivery.last_attempt = Delivery.Status.SENDING, claimed
    # The row counts the tries made; a task queued before the last one (a duplicate)
    # does not start the count again.
    attempt = max(attempt, delivery.attempts + 1)
    if not delivery.message and message:
        # A task queued before messages waited in the Delivery row: the row keeps it
        # now (without the address), so that a retry finds it.
        delivery.message = {key: value for key, value in message.items() if key != "to"}
        delivery.save(update_fields=["message"])
    message = delivery.message
    if not message.get("subject"):
        return _finish(delivery, Delivery.Status.FAILED, "nothing to send: the message is gone")
    if Suppression.objects.filter(address_hash=delivery.to_hash).exists():
        delivery.attempts = attempt
        return _finish(delivery, Delivery.Status.SUPPRESSED, "address suppressed")
    try:
        address = sealing.unseal(delivery.to_sealed)
    except sealing.CannotOpen as error:
        # A worker without the private key: the operator's to fix, so try again later.
        logger.error("Cannot send delivery %s: %s", delivery.pk, error)
        return _retry_or_fail(delivery, attempt, f"cannot open the address: {error}")
    rate = settings.MEYDAN_MAIL_RATE
    wait = hit("mail-send", "all", *rate) if rate else 0
    if wait:
        # Over the installation's send rate (a viral article must not get the mail
        # account suspended): this message waits its turn, without using up a try.
        due = timezone.now() + timedelta(seconds=wait)
        delivery.status, delivery.next_attempt = waited_as, due
        delivery.save(update_fields=["status", "next_attempt"])
        _enqueue(delivery.pk, None, attempt, what="not queued again", run_after=due)
        return f"waiting {wait} s for the send rate"
    delivery.attempts = attempt
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["text"],
        to=[address],
        headers=message.get("headers") or {},
        connection=get_connection(),
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        code, words = _answer_of(error)
        answer = sealing.masked_in(f"{code} {words}" if code else words)
        permanent = code is not None and 500 <= code < 600
        if permanent:
            if isinstance(error, smtplib.SMTPRecipientsRefused):
                Suppression.objects.get_or_create(
                    address_hash=delivery.to_hash,
                    defaults={"reason": answer[:500], "shown": sealing.mask(address)},
                )
            return _finish(delivery, Delivery.Status.FAILED, answer)
        return _retry_or_fail(delivery, attempt, answer)
    return _finish(delivery, Delivery.Status.SENT, "accepted")


def _retry_or_fail(delivery: Delivery, attempt: int, answer: str) -> str:
    if attempt >= MAX_ATTEMPTS:
        return _finish(delivery, Delivery.Status.FAILED, f"gave up after {attempt} tries: {answer}")
    due = timezone.now() + retry_delay(attempt)
    delivery.status, delivery.answer = Delivery.Status.RETRYING, answer[:500]
    delivery.attempts, delivery.next_attempt = attempt, due
    delivery.save(update_fields=["status", "answer", "attempts", "next_attempt"])
    metrics.email_delivery("retried")
    # Not queued (the queue is away): the sweep queues it once it is due.
    _enqueue(delivery.pk, None, attempt + 1, what="not queued for its retry", run_after=due)
    return f"retrying: {answer}"


def _finish(delivery: Delivery, status: str, answer: str) -> str:
    """The message is done with: its text is dropped (nothing needs it any more)."""
    delivery.status, delivery.answer, delivery.finished = status, answer[:500], timezone.now()
    delivery.message, delivery.next_attempt = {}, None
    delivery.save(
        update_fields=["status", "answer", "attempts", "finished", "message", "next_attempt"]
    )
    metrics.email_delivery(status)
    return f"{status}: {answer}"


def mail_sweep() -> dict[str, int]:
    """Queue again the deliveries whose task is missing, and try again those a dead
    worker left "sending" (core/sweep.py says which). Returns how many, by reason."""
    return sweep.run(
        Delivery,
        queue="email",
        waiting=WAITING,
        sending=Delivery.Status.SENDING,
        released_to=Delivery.Status.RETRYING,
        try_again=lambda delivery: _retry_or_fail(
            delivery, delivery.attempts + 1, "the worker stopped during this try"
        ),
        enqueue=lambda delivery: _enqueue(
            delivery.pk, None, delivery.attempts + 1, what="still not queued"
        ),
    )


@task()
def mail_sweep_task() -> dict[str, int]:
    """Listed in MEYDAN_PERIODIC_TASKS: queues its next run, then `mail_sweep`."""
    periodic.schedule_next(mail_sweep_task, sweep.EVERY)
    return mail_sweep()
