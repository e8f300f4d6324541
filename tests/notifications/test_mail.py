"""The mail queue end to end: queued after commit, sent by the worker to a real SMTP
server on loopback, tried again after a temporary refusal, stopped for good after a
permanent one; and no header or recipient can be injected."""

import time
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meydan.core.sealing import email_hash
from meydan.notifications.mail import clean_header_text, mail_enqueue
from meydan.notifications.models import Delivery, Suppression

pytestmark = pytest.mark.django_db


def queue(django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return mail_enqueue(
            **{"to": "reader@example.org", "subject": "A reply", "text": "Hello", **fields}
        )


def test_a_message_goes_through_the_worker_to_the_smtp_server(
    mailbox, work, django_capture_on_commit_callbacks
):
    delivery = queue(
        django_capture_on_commit_callbacks,
        html="<p>Hello</p>",
        headers={"List-Unsubscribe": "<https://x.example/u>", "Message-ID": "<1@meydan>"},
        kind="test",
    )
    assert mailbox.messages == []  # queued, not sent in the request
    work()
    [message] = mailbox.to("reader@example.org")
    assert (
        message["Subject"] == "A reply" and message["List-Unsubscribe"] == "<https://x.example/u>"
    )
    assert message["Message-ID"] == "<1@meydan>"
    assert message.get_body(("plain",)).get_content().strip() == "Hello"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.answer) == ("sent", 1, "accepted")


def test_nothing_is_queued_when_the_transaction_rolls_back(
    mailbox, work, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            mail_enqueue(to="reader@example.org", subject="x", text="x")
            raise ZeroDivisionError
    work()
    assert mailbox.messages == [] and not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_temporary_refusal_is_tried_again_later(
    mailbox, work, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_MAIL_RETRY_SECONDS = 1
    mailbox.refuse["reader@example.org"] = "451 4.3.0 Mailbox busy, try later"
    mailbox.refuse_times["reader@example.org"] = 1
    delivery = queue(django_capture_on_commit_callbacks)
    work()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "451" in delivery.answer
    assert mailbox.messages == []
    work()  # the retry waits its turn: not yet
    assert mailbox.messages == []
    time.sleep(1.2)
    work()
    assert len(mailbox.to("reader@example.org")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_permanent_refusal_stops_mail_to_that_address(
    mailbox, work, django_capture_on_commit_callbacks
):
    mailbox.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    first = queue(django_capture_on_commit_callbacks, to="gone@example.org")
    work()
    first.refresh_from_db()
    assert first.status == "failed" and first.answer == "550 5.1.1 No such user here"
    suppressed = Suppression.objects.get()  # by the address's keyed hash, shown masked
    assert (suppressed.address_hash, suppressed.shown) == (
        email_hash("gone@example.org"),
        "g•••@e•••.org",
    )
    del mailbox.refuse["gone@example.org"]
    second = queue(django_capture_on_commit_callbacks, to="Gone@Example.org")
    work()
    second.refresh_from_db()
    assert second.status == "suppressed" and mailbox.messages == []


def test_an_unreachable_server_is_temporary(settings, work, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    delivery = queue(django_capture_on_commit_callbacks)
    work()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "ConnectionRefusedError" in delivery.answer


@pytest.mark.parametrize(
    "address",
    [
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org, victim@example.org",
        "reader@example.org;victim@example.org",
        "=?utf-8?q?reader=40example.org?=",
        "x@" + "a" * 10_000 + ".org",
        "",
    ],
)
def test_no_recipient_can_be_injected(address, mailbox, work):
    with pytest.raises(ValidationError):
        mail_enqueue(to=address, subject="x", text="x")
    assert not Delivery.objects.exists()


def test_a_subject_is_one_clean_line(mailbox, work, django_capture_on_commit_callbacks):
    queue(django_capture_on_commit_callbacks, subject="Re: A title\r\nBcc: victim@example.org")
    work()
    [message] = mailbox.messages
    assert message["Subject"] == "Re: A title Bcc: victim@example.org"
    assert message["Bcc"] is None
    assert clean_header_text("x" * 400).endswith("…") and len(clean_header_text("x" * 400)) == 150


def test_email_test_prints_what_the_server_answered(mailbox, settings):
    out = StringIO()
    call_command("email", "test", "editor@example.org", stdout=out)
    text = out.getvalue()
    assert "RCPT TO editor@example.org: 250 OK" in text
    assert "DATA: 250 Message accepted for delivery" in text
    assert "accepted the test message" in text
    assert mailbox.to("editor@example.org")[0]["Subject"] == "Meydan test message"


def test_email_test_shows_a_refusal(mailbox):
    mailbox.refuse["nobody@example.org"] = "550 5.1.1 No such user here"
    out = StringIO()
    with pytest.raises(CommandError, match="refused the recipient"):
        call_command("email", "test", "nobody@example.org", stdout=out)
    assert "RCPT TO nobody@example.org: 550 5.1.1 No such user here" in out.getvalue()


def test_email_test_refuses_a_bad_address(mailbox):
    with pytest.raises(CommandError, match="not one e-mail address"):
        call_command("email", "test", "a@b.org, c@d.org")


def test_staff_see_deliveries_and_the_servers_answer(
    admin_client, mailbox, work, django_capture_on_commit_callbacks
):
    mailbox.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    queue(django_capture_on_commit_callbacks, to="gone@example.org", kind="reply")
    work()
    page = admin_client.get("/admin/notifications/delivery/").content.decode()
    # Staff see the address masked: the admin is not where an address leaks.
    assert "g•••@e•••.org" in page and "550 5.1.1 No such user here" in page
    assert "gone@example.org" not in page
    assert admin_client.get("/admin/notifications/delivery/add/").status_code == 403
    page = admin_client.get("/admin/notifications/suppression/").content.decode()
    assert "g•••@e•••.org" in page and "gone@example.org" not in page
    found = admin_client.get("/admin/notifications/delivery/?q=gone@example.org").content.decode()
    assert "g•••@e•••.org" in found  # searching by the whole address finds it


def test_the_send_rate_holds_the_backlog_and_drains_it_in_order(
    mailbox, work, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_MAIL_RATE = (2, 60)
    for n in range(5):
        queue(django_capture_on_commit_callbacks, to=f"reader{n}@example.org")
    work()
    assert [m["To"] for m in mailbox.messages] == ["reader0@example.org", "reader1@example.org"]
    waiting = Delivery.objects.filter(status="queued")
    assert waiting.count() == 3 and all(d.attempts == 0 for d in waiting)
    assert DBTaskResult.objects.filter(status="READY", run_after__isnull=False).count() == 3
    # A minute later (the rate's window has passed), the rest go, oldest first.
    cache.clear()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    waiting.update(next_attempt=timezone.now())  # the deliveries know when they are due
    work()
    assert [m["To"] for m in mailbox.messages][2:] == [
        "reader2@example.org", "reader3@example.org",
    ]  # fmt: skip
