"""`meydan email test ADDRESS`: send one real message through the configured mail
server, now (not through the queue), and print every answer the server gives — so
"the test mail works but notifications do not" can be told apart from a server that
refuses us."""

import smtplib
import ssl
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.management import BaseCommand, CommandError

from meydan.notifications.mail import clean_address


class Command(BaseCommand):
    help = "Mail tools: `email test ADDRESS` sends a test message and prints the server's answers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        test = sub.add_parser("test", help="send a test message now and show what the server said")
        test.add_argument("address")

    def handle(self, *, action, address, **options):
        try:
            address = clean_address(address)
        except ValidationError:
            raise CommandError(f"{address!r} is not one e-mail address.") from None
        message = EmailMessage(
            subject="Meydan test message",
            body=(
                "This is a test message from Meydan. If you can read it, the mail settings "
                "work: notifications will be sent the same way, by `meydan worker`.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": make_msgid(domain="meydan")},
        )
        if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
            message.send()
            where = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
            self.stdout.write(f"Sent with the {where} mail backend (MEYDAN_EMAIL_URL is not smtp).")
            return
        self._send_over_smtp(message)

    def _say(self, step: str, code, words) -> None:
        text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
        self.stdout.write(f"{step}: {code} {' | '.join(text.splitlines())}")

    def _send_over_smtp(self, message: EmailMessage) -> None:
        host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
        timeout = settings.EMAIL_TIMEOUT
        self.stdout.write(f"Connecting to {host}:{port} ...")
        try:
            if settings.EMAIL_USE_SSL:
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(timeout=timeout)
                code, words = smtp.connect(host, port)
                self._say("connect", code, words)
            code, words = smtp.ehlo()
            self._say("EHLO", code, words)
            if settings.EMAIL_USE_TLS:
                code, words = smtp.starttls(context=ssl.create_default_context())
                self._say("STARTTLS", code, words)
                smtp.ehlo()
            if settings.EMAIL_HOST_USER:
                code, words = smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
                self._say("AUTH", code, words)
            sender = message.from_email
            code, words = smtp.mail(sender)
            self._say(f"MAIL FROM {sender}", code, words)
            if code >= 400:
                raise CommandError("The server refused the sender address.")
            code, words = smtp.rcpt(message.to[0])
            self._say(f"RCPT TO {message.to[0]}", code, words)
            if code >= 400:
                raise CommandError("The server refused the recipient.")
            code, words = smtp.data(message.message().as_bytes())
            self._say("DATA", code, words)
            if code >= 400:
                raise CommandError("The server refused the message.")
            smtp.quit()
        except smtplib.SMTPResponseException as error:
            self._say("refused", error.smtp_code, error.smtp_error)
            raise CommandError("The server refused; its answer is above.") from None
        except (smtplib.SMTPException, OSError) as error:
            raise CommandError(
                f"Could not talk to {host}:{port}: {type(error).__name__}: {error}"
            ) from None
        self.stdout.write(self.style.SUCCESS("The server accepted the test message."))
