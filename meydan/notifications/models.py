"""What the mail queue keeps: each message's delivery, and the addresses that must
not be mailed again (a permanent failure, or a complaint)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    """One message to one address, as the worker tried to send it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("not sent: address suppressed")

    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, blank=True)  # "test", "reply", …
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    answer = models.CharField(_("server's answer"), max_length=500, blank=True)
    created = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.kind or 'mail'} to {self.to}: {self.status}"


class Suppression(models.Model):
    """An address Meydan sends nothing to any more (its server refused it for good)."""

    address = models.EmailField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.address
