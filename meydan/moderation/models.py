"""What moderation keeps: the learned spam filter's per-site model, bans, readers'
reports and the audit log.

Ban: an account, e-mail address or IP hash barred from a site (or, shadow, shown its
own comments only), until it expires. Flag: one reader's report of a comment (each
reader counts once). AuditEntry: one moderation action — who, when, what, the
comment's state before and after; when a comment is erased its snapshots lose its
text and author (moderation.erasure), the entry stays.

The spam filter (see moderation.spam and moderation.spamfilter):

One SpamModel row per site holds the totals; SpamToken holds two counts per
token, so scoring a comment reads only that comment's tokens (one indexed query)
however large the model grows. The number of tokens per site is bounded by
MEYDAN_SPAM_MAX_TOKENS (50,000 by default, about 5 MB of rows): beyond it the
rarest tokens are pruned. SpamLearned remembers which tokens each moderator
decision added, so that a reversed decision is unlearned exactly.

Nothing here identifies a person beyond what the comments themselves hold:
words, link domains and e-mail domains with counts, no addresses or IPs.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meydan.sites.models import Site


class SpamModel(models.Model):
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="spam_model")
    spam_docs = models.PositiveIntegerField(_("comments learned as spam"), default=0)
    ham_docs = models.PositiveIntegerField(_("comments learned as not spam"), default=0)
    # Sums of SpamToken.spam and SpamToken.ham, and the number of SpamToken rows.
    spam_total = models.PositiveBigIntegerField(default=0)
    ham_total = models.PositiveBigIntegerField(default=0)
    vocabulary = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("spam filter model")

    def __str__(self) -> str:
        return f"{self.site}: {self.spam_docs} spam, {self.ham_docs} not spam"


class SpamToken(models.Model):
    model = models.ForeignKey(SpamModel, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=100)
    spam = models.PositiveIntegerField(default=0)
    ham = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "token"], name="spamtoken_unique_per_model")
        ]

    def __str__(self) -> str:
        return f"{self.token}: {self.spam}/{self.ham}"


class SpamLearned(models.Model):
    """A moderator's decision the model has learned, with the tokens it added."""

    model = models.ForeignKey(SpamModel, on_delete=models.CASCADE, related_name="learned")
    comment = models.OneToOneField(
        "comments.Comment", on_delete=models.CASCADE, related_name="spam_learned"
    )
    is_spam = models.BooleanField()
    tokens = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"comment {self.comment_id}: {'spam' if self.is_spam else 'not spam'}"


class Ban(models.Model):
    """An author who may not comment (or, shadow-banned, comments for themselves only)."""

    class Kind(models.TextChoices):
        USER = "user", _("account")
        EMAIL = "email", _("email")
        IP = "ip", _("IP (keyed hash)")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="bans")
    kind = models.CharField(_("by"), max_length=5, choices=Kind.choices)
    # An account's id, an IP hash, or an address's keyed hash (never the address).
    value = models.CharField(_("value"), max_length=254)
    # What the workspace shows of an email ban: the address masked (a•••@g•••.com).
    shown = models.CharField(_("shown as"), max_length=300, blank=True)
    shadow = models.BooleanField(_("shadow ban"), default=False)
    expires = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"], name="ban_lookup")]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class Flag(models.Model):
    """A reader's report of a comment; each reader (account or keyed IP) counts once.

    `reason` is a code from the closed list Reason (what the moderators' queue and
    the transparency report count by); `note` is the reader's own words, required
    for "other" (moderation.services.report_reason_check)."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        HARASSMENT = "harassment", _("Harassment or hate")
        ILLEGAL = "illegal", _("Illegal content")
        OTHER = "other", _("Other")

    NOTE_MAX = 500

    comment = models.ForeignKey("comments.Comment", on_delete=models.CASCADE, related_name="flags")
    reporter = models.CharField(max_length=80)
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, default=Reason.OTHER
    )
    note = models.CharField(_("in the reader's words"), max_length=NOTE_MAX, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="flag_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"report on comment {self.comment_id}"


class AuditEntry(models.Model):
    """One moderation action: who, when, what, before and after. Written by
    moderation.services only (through auditchain.entry_append); the admin shows it
    read-only.

    Each site's entries form a hash chain (moderation.auditchain): `seq` numbers
    them 1, 2, 3, … per site, `content_hash` covers what the entry says,
    `entry_hash` covers that and `prev_hash`, the hash of the entry before. The
    values an erase may remove (a comment's text and author in the snapshots) are
    covered by commitments in `seals`, whose random openings are kept apart in
    `openings`; a redaction drops a value with its opening and sets `redacted`."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # The actor's id when the entry was written: it stays when the account goes.
    actor_ref = models.BigIntegerField(null=True, blank=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, related_name="+")
    comment = models.ForeignKey(
        "comments.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment_ref = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Set before the entry is hashed (not auto_now_add, which would set it at save).
    created = models.DateTimeField(default=timezone.now, db_index=True)
    seq = models.BigIntegerField(null=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)
    seals = models.JSONField(default=dict, blank=True)
    openings = models.JSONField(default=dict, blank=True)
    redacted = models.DateTimeField(_("redacted"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = _("audit entries")
        constraints = [
            models.UniqueConstraint(fields=["site", "seq"], name="audit_seq_unique_per_site"),
            models.UniqueConstraint(
                fields=["seq"],
                condition=models.Q(site__isnull=True),
                name="audit_seq_unique_without_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.action} #{self.comment_ref}"


class AuditChain(models.Model):
    """The head of one site's audit chain (key "site:<id>", or "none" for the
    entries with no site): the last entry's seq and hash. A new entry locks this
    row, so entries are appended one at a time per site."""

    key = models.CharField(max_length=30, unique=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, related_name="+")
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.key} #{self.seq} {self.head_hash[:12]}"
