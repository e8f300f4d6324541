"""A site's webhooks and what the worker did with each call (docs/webhooks.md)."""

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """The closed list of events a webhook can ask for (receivers.py maps the
    comment domain's events onto it)."""

    COMMENT_POSTED = "comment.posted", _("a comment was published as it was posted")
    COMMENT_HELD = "comment.held", _("a comment waits for a moderator")
    COMMENT_APPROVED = "comment.approved", _("a moderator approved a comment")
    COMMENT_REMOVED = "comment.removed", _("a comment was removed (spam, trash, erased)")
    COMMENT_EDITED = "comment.edited", _("a comment was edited")
    THREAD_CLOSED = "thread.closed", _("a page was closed for comments")


PING = "ping"  # the admin's "send a test ping"; every webhook gets it


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An address a site's events are POSTed to, signed with its secret.

    The secret is made here, never typed: staff see it once, when the webhook is
    made or its secret renewed (admin.py); afterwards only its first characters.
    It is kept in clear because signing needs it (as every HMAC webhook sender)."""

    class Format(models.TextChoices):
        MEYDAN = "meydan", _("Meydan JSON (signed, documented schema)")
        SLACK = "slack", _("Slack incoming webhook")
        MATRIX = "matrix", _("Matrix (hookshot generic webhook)")

    site = models.ForeignKey(
        "meydan_sites.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.CharField(
        _("URL"),
        max_length=2000,
        help_text=_("An https:// address (or http://) that accepts POST requests."),
    )
    events = models.JSONField(_("events"), default=list)
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.MEYDAN
    )
    secret = models.CharField(_("secret"), max_length=80, default=new_secret, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["site_id", "pk"]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def secret_hint(self) -> str:
        return self.secret[:10] + "…"


class WebhookDelivery(models.Model):
    """One event for one webhook, as the worker tried to deliver it.

    The body waits here, exactly as it will be sent (so every retry sends the same
    bytes and `id`), and is emptied once the delivery is finished: the log keeps
    what happened, not what the comment said."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        FAILED = "failed", _("failed, will try again")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        GIVEN_UP = "given_up", _("given up")
        WITHDRAWN = "withdrawn", _("not sent: the comment was erased")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("payload id"))
    # The comment the body quotes, if any: withdrawn when it is erased (erasure.py).
    comment_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    body = models.TextField(blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    last_attempt = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt = models.DateTimeField(_("next attempt"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True, db_index=True)
    # When a task for it was last queued: the sweep queues again what has none
    # (core/sweep.py).
    enqueued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    # The run that holds it while "sending" (core/sweep.py).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt"], name="webhook_delivery_waiting")]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook}: {self.status}"
