"""Putting a message in the mail queue, and sending it from the worker.

`mail_enqueue` is the only way Meydan sends mail: it records a Delivery and, after
the caller's transaction commits, hands the message to the task queue; the worker
(`meydan worker`) runs `deliver`. No request ever waits for an SMTP server.

Headers are built only from our own text: a recipient is one address (no CR, LF,
comma or several addresses); a subject is our wording plus a cleaned title, cut to
a line. Django's mail module refuses header injection too; we refuse earlier, with
a clear error, so that a bad address is never queued.
"""

import re
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meydan.core.ratelimit import hit
from meydan.notifications.models import Delivery, Suppression

MAX_ATTEMPTS = 6
_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")


def clean_header_text(value: str, *, limit: int = 150) -> str:
    """One line of text, fit for a header: control characters become spaces."""
    text = " ".join(_LINE_BREAKS.sub(" ", value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_address(value: str) -> str:
    """One valid address, or ValidationError (several addresses, header tricks, …)."""
    address = (value or "").strip()
    if _LINE_BREAKS.search(address) or "," in address or ";" in address:
        raise ValidationError("One e-mail address, please.")
    validate_email(address)
    return address


def mail_enqueue(
    *, to: str, subject: str, text: str, html: str = "", headers: dict | None = None, kind: str = ""
) -> Delivery:
    """Queue one message; it is handed to the worker once the current transaction
    commits (at once outside one)."""
    address = clean_address(to)
    delivery = Delivery.objects.create(to=address, subject=clean_header_text(subject), kind=kind)
    message = {
        "to": address,
        "subject": delivery.subject,
        "text": text,
        "html": html,
        "headers": {
            name: clean_header_text(value, limit=998) for name, value in (headers or {}).items()
        },
    }
    transaction.on_commit(lambda: deliver.enqueue(delivery.pk, message))
    return delivery


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
def deliver(delivery_id: int, message: dict, attempt: int = 1) -> str:
    """Send one queued message (the worker runs this). A temporary failure (4xx, the
    server unreachable) is tried again later, MAX_ATTEMPTS times in all; a refusal
    for good (5xx for the recipient) suppresses the address."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (Delivery.Status.SENT, Delivery.Status.FAILED):
        return "nothing to do"
    if Suppression.objects.filter(address__iexact=message["to"]).exists():
        delivery.attempts = attempt
        return _finish(delivery, Delivery.Status.SUPPRESSED, "address suppressed")
    rate = settings.MEYDAN_MAIL_RATE
    wait = hit("mail-send", "all", *rate) if rate else 0
    if wait:
        # Over the installation's send rate (a viral article must not get the mail
        # account suspended): this message waits its turn, without using up a try.
        deliver.using(run_after=timezone.now() + timedelta(seconds=wait)).enqueue(
            delivery_id, message, attempt
        )
        return f"waiting {wait} s for the send rate"
    delivery.attempts = attempt
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["text"],
        to=[message["to"]],
        headers=message.get("headers") or {},
        connection=get_connection(),
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        code, words = _answer_of(error)
        answer = f"{code} {words}" if code else words
        permanent = code is not None and 500 <= code < 600
        if permanent:
            if isinstance(error, smtplib.SMTPRecipientsRefused):
                Suppression.objects.get_or_create(
                    address=message["to"].lower(), defaults={"reason": answer[:500]}
                )
            return _finish(delivery, Delivery.Status.FAILED, answer)
        if attempt >= MAX_ATTEMPTS:
            return _finish(
                delivery, Delivery.Status.FAILED, f"gave up after {attempt} tries: {answer}"
            )
        delivery.status, delivery.answer = Delivery.Status.RETRYING, answer[:500]
        delivery.save(update_fields=["status", "answer", "attempts"])
        deliver.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
            delivery_id, message, attempt + 1
        )
        return f"retrying: {answer}"
    return _finish(delivery, Delivery.Status.SENT, "accepted")


def _finish(delivery: Delivery, status: str, answer: str) -> str:
    delivery.status, delivery.answer, delivery.finished = status, answer[:500], timezone.now()
    delivery.save(update_fields=["status", "answer", "attempts", "finished"])
    return f"{status}: {answer}"
