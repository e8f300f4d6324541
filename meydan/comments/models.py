"""Thread and Comment.

The reply tree is a materialised path: each comment gets a per-thread sequence
number `seq`, and `path` is the ancestors' and its own seq, each as six base-36
digits. Sorting by (root_seq, path) gives tree order, so a page of a thread is
one indexed query however large the thread is (see comments.queries).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meydan.comments.reasons import Reason
from meydan.core import sealing
from meydan.core.weburl import site_path, web_url
from meydan.sites.models import Site


class Thread(models.Model):
    """One discussion: the comments under one page of a site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="threads")
    key = models.CharField(
        _("key"), max_length=500, help_text=_("The page's path, e.g. /2015/05/baku-rally/.")
    )
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    is_open = models.BooleanField(_("open for comments"), default=True)
    comment_count = models.PositiveIntegerField(_("published comments"), default=0, editable=False)
    # Bumped in the same transaction as every change to the thread's comments:
    # caches and ETags are keyed on it.
    version = models.PositiveBigIntegerField(default=0, editable=False)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_comment_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The one comment the editors pinned to the top (services.threads.thread_pin): a
    # column, so "one at a time" needs no rule. Always a published comment of this
    # thread: one that leaves published is unpinned in the same transaction.
    pinned = models.ForeignKey(
        "Comment", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("pinned comment"),
    )  # fmt: skip
    # Published comments that are editors' picks: kept with the version, like
    # comment_count, so a page's "Picks (N)" costs no query.
    pick_count = models.PositiveIntegerField(_("editors' picks"), default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="thread_unique_key_per_site")
        ]

    def __str__(self) -> str:
        return self.title or self.key

    def get_absolute_url(self) -> str:
        """The page, as a browser will read the link: a path on this site or an
        address on one of the site's origins; "/" for anything else (rows stored
        before addresses were checked this way)."""
        address = self.url or self.key
        parsed = web_url(address)
        if parsed is not None:
            return parsed.href if self.site.allows_origin(parsed.origin) else "/"
        return site_path(address) or "/"

    @property
    def accepts_comments(self) -> bool:
        """Open, and not past the site's "close after N days"."""
        if not self.is_open:
            return False
        days = self.site.close_after_days
        if days and self.created:
            from datetime import timedelta

            from django.utils import timezone

            return timezone.now() < self.created + timedelta(days=days)
        return True


class Comment(models.Model):
    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Awaiting moderation")
        SPAM = "spam", _("Spam")
        TRASH = "trash", _("Trash")

    class RemovalReason(models.TextChoices):
        """Why moderators removed a comment: the statement of reasons its author
        sees (EU Digital Services Act, art. 17). Stored as the code, shown translated."""

        SPAM = "spam", _("Spam")
        HARASSMENT = "harassment", _("Harassment or hate")
        ILLEGAL = "illegal", _("Illegal content")
        PERSONAL_DATA = "personal_data", _("Personal data of others")
        OFF_TOPIC = "off_topic", _("Off-topic or against the community rules")
        OTHER = "other", _("Other")

    REMOVAL_NOTE_MAX = 500

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The comment the author pressed Reply on; differs from `parent` when the
    # reply was attached higher up because of the site's nesting limit.
    replied_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seq = models.PositiveIntegerField(editable=False)
    root_seq = models.PositiveIntegerField(editable=False)
    path = models.CharField(max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    author_name = models.CharField(_("name"), max_length=100)
    # The author's e-mail is never published, and never stored in clear
    # (meydan.core.sealing): a keyed hash to match it again, and a copy sealed to the
    # mail worker's key. Set both with `set_author_email`.
    author_email_hash = models.CharField(_("email (keyed hash)"), max_length=32, blank=True)
    author_email_sealed = models.CharField(_("email (sealed)"), max_length=1000, blank=True)
    author_url = models.URLField(_("website"), max_length=200, blank=True)
    avatar_key = models.CharField(max_length=32, editable=False)
    # For signed-in readers: the provider they signed in with ("google", "oidc", …)
    # and the key of their stored profile picture (accounts.Picture).
    author_provider = models.CharField(max_length=40, blank=True, editable=False)
    author_picture = models.CharField(max_length=40, blank=True, editable=False)

    body = models.TextField(_("comment"))
    body_html = models.TextField(editable=False)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPROVED
    )
    # Why it has its status (comments.reasons): a stable code with parameters, worded
    # in the reader's language when shown, and the English record made from them
    # (kept in audit snapshots and exports). Written together by `set_reason`.
    moderation_reason = models.CharField(_("moderation reason"), max_length=200, blank=True)
    reason_code = models.CharField(max_length=20, blank=True, editable=False)
    reason_params = models.JSONField(default=dict, blank=True, editable=False)
    # Shadow-banned: kept as spam, but its author still sees it as published.
    shadow = models.BooleanField(_("shadow-banned"), default=False)
    spam_score = models.FloatField(_("spam score"), null=True, blank=True)
    flag_count = models.PositiveSmallIntegerField(_("reader reports"), default=0)
    # The statement of reasons, set when a moderator removes the comment (marked spam,
    # trashed) and cleared when it is published again: shown to its author only.
    removal_reason = models.CharField(
        _("removal reason"), max_length=20, choices=RemovalReason.choices, blank=True
    )
    removal_note = models.CharField(_("removal note"), max_length=REMOVAL_NOTE_MAX, blank=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    # Readers' up-votes, kept here so a read never counts them (comments.services.
    # voting changes it with the Vote row, in one transaction).
    vote_count = models.PositiveIntegerField(_("up-votes"), default=0, editable=False)
    created = models.DateTimeField(_("posted"))
    edited = models.DateTimeField(_("edited"), null=True, blank=True)
    ip_hash = models.CharField(_("IP (keyed hash)"), max_length=64, blank=True)
    # An editor's pick (services.threads.comment_set_pick): shown with a badge and in
    # the thread's "Picks" view while the comment is published. Kept if it is held and
    # approved again (reader reports must not undo an editor's choice); an erase clears it.
    is_pick = models.BooleanField(_("editor's pick"), default=False, editable=False)
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True, editable=False)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "seq"], name="comment_unique_seq"),
        ]
        indexes = [
            # Tree order within a thread: the read path's only query uses it.
            models.Index(fields=["thread", "root_seq", "path"], name="comment_tree_order"),
            models.Index(fields=["thread", "status", "root_seq"], name="comment_thread_roots"),
            models.Index(fields=["status", "created"], name="comment_status_created"),
            # A guest's earlier comments by e-mail (the first-comment check on every
            # post, duplicates, history, "manage my comments"): without it, a new
            # author's post scanned the whole table (2.4 s with 1,000,000 comments on
            # PostgreSQL; 0.2 ms with it).
            models.Index(fields=["author_email_hash", "status"], name="comment_author_email_hash"),
            # A thread's picks, oldest first (the "Picks" view and its count): only the
            # few picked rows are in it.
            models.Index(
                fields=["thread", "created"],
                condition=models.Q(is_pick=True),
                name="comment_thread_picks",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:60]}"

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"

    @property
    def reason(self) -> Reason:
        return Reason(self.reason_code, self.reason_params or {})

    def set_reason(self, reason: Reason) -> list[str]:
        """Store a reason (its code, parameters and English record); returns the
        fields set, for save(update_fields=…)."""
        self.reason_code, self.reason_params = reason.code, reason.params
        self.moderation_reason = reason.text[:200]
        return ["moderation_reason", "reason_code", "reason_params"]

    def set_author_email(self, address: str) -> None:
        stored = sealing.Stored.of(address)
        self.author_email_hash, self.author_email_sealed = stored.hash, stored.sealed

    @property
    def has_author_email(self) -> bool:
        return bool(self.author_email_hash)

    @property
    def author_email_shown(self) -> str:
        """What moderators see: a•••@g•••.com, unless the operator chose otherwise."""
        return sealing.shown_to_moderators(self.author_email_sealed)


class Vote(models.Model):
    """One reader's up-vote of a comment. There are no down-votes.

    `voter` says who, never in clear: "u:<account id>" for a signed-in reader, else
    "g:<keyed hash>" of the random voter id a guest's browser keeps (accounts.voters).
    The unique constraint makes a replayed or repeated vote a no-op."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=40)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Voter first: it also serves "which comments of this thread did I vote for".
            models.UniqueConstraint(fields=["voter", "comment"], name="vote_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"vote on comment {self.comment_id}"
