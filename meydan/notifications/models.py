"""What the mail queue keeps: each message's delivery, and the addresses that must
not be mailed again (a permanent failure, or a complaint).

No address is stored in clear (meydan.core.sealing): each is a keyed hash, to match
it, and a sealed copy only the mail worker can open, to write to it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meydan.core import sealing


class Delivery(models.Model):
    """One message to one address, as the worker tried to send it.

    The message itself (`message`: text, HTML, headers) waits here, not in the task
    queue, so that erasing a comment can withdraw the mail that quotes it; it is
    emptied once the message is sent or given up on."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RETRYING = "retrying", _("retrying")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("not sent: address suppressed")
        WITHDRAWN = "withdrawn", _("not sent: what it quoted was erased")

    to_hash = models.CharField(_("to (keyed hash)"), max_length=32, db_index=True)
    to_sealed = models.CharField(_("to (sealed)"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, blank=True)  # "test", "reply", …
    message = models.JSONField(default=dict, blank=True, editable=False)
    # The comment the message quotes, if any (withdrawn when it is erased).
    comment_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    answer = models.CharField(_("server's answer"), max_length=500, blank=True)
    created = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    # What the sweep reads to queue again a message whose task was lost (core/sweep.py).
    enqueued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    # The run that holds it while "sending" (core/sweep.py).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    last_attempt = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_attempt"], name="delivery_waiting")]

    def __str__(self) -> str:
        return f"{self.kind or 'mail'} to {self.to_shown}: {self.status}"

    @property
    def to_shown(self) -> str:
        return sealing.mask_of(self.to_sealed)


class Suppression(models.Model):
    """An address Meydan sends nothing to any more (its server refused it for good)."""

    address_hash = models.CharField(_("address (keyed hash)"), max_length=32, unique=True)
    shown = models.CharField(_("address"), max_length=300, blank=True)  # masked
    reason = models.CharField(_("reason"), max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.shown or self.address_hash


class Subscription(models.Model):
    """A reader's wish to hear of new comments on a thread, of replies to their own
    comments there, or of a site's new posts. Nothing is sent to it before it is
    confirmed (double opt-in), except the one confirmation message."""

    class Kind(models.TextChoices):
        THREAD = "thread", _("every new comment on this page")
        REPLIES = "replies", _("replies to my comments on this page")
        POSTS = "posts", _("new posts on this site")

    site = models.ForeignKey("meydan_sites.Site", on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(
        "comments.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    email_hash = models.CharField(_("address (keyed hash)"), max_length=32)
    email_sealed = models.CharField(_("address (sealed)"), max_length=1000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    confirmed = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # No flood: after one message, the next MEYDAN_NOTIFY_DIGEST_SECONDS gather into
    # one digest, due at `digest_due`.
    last_notified = models.DateTimeField(null=True, blank=True)
    digest_due = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email_hash", "site", "thread", "kind"], name="subscription_once"
            ),
            models.UniqueConstraint(
                fields=["email_hash", "site", "kind"],
                condition=models.Q(thread=None),
                name="site_subscription_once",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "kind"], name="subscription_thread_kind"),
            models.Index(fields=["email_hash"], name="subscription_email_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.email_shown}: {self.kind}"

    @property
    def email_shown(self) -> str:
        return sealing.mask_of(self.email_sealed)


class Notified(models.Model):
    """A comment whose notifications went out, so that a comment approved, trashed
    and approved again is announced once."""

    comment_id = models.BigIntegerField(primary_key=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"comment {self.comment_id} announced"


class PostAnnounced(models.Model):
    """A site's post that was announced to its "new posts" subscribers (once)."""

    site = models.ForeignKey("meydan_sites.Site", on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    title = models.CharField(max_length=300)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "url"], name="post_announced_once")]

    def __str__(self) -> str:
        return self.title


class PendingNotice(models.Model):
    """A comment a subscriber will hear of in their next digest."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="pending")
    comment_id = models.BigIntegerField()
    is_reply = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "comment_id"], name="notice_once")
        ]

    def __str__(self) -> str:
        return f"comment {self.comment_id} for {self.subscription_id}"


class ModeratorMail(models.Model):
    """How a moderator wants to hear of comments that wait for them."""

    class Choice(models.TextChoices):
        EACH = "each", _("one email per comment")
        DIGEST = "digest", _("one email an hour at most, listing them")
        OFF = "off", _("no email")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    held = models.CharField(max_length=8, choices=Choice.choices, default=Choice.EACH)
    digest_due = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.held}"


class HeldNotice(models.Model):
    """A held comment a moderator will hear of in their next digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment_id = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment_id"], name="held_notice_once")
        ]

    def __str__(self) -> str:
        return f"comment {self.comment_id} for moderator {self.user_id}"
