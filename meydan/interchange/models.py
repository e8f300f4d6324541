"""What an import brought in: its batch, and each thread and comment with the id it
had in the system it came from (so a second import finds what it already has, and an
undo removes exactly what the batch added)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meydan.comments.models import Comment, Thread
from meydan.sites.models import Site


class ImportBatch(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking the file")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(_("format"), max_length=20)
    filename = models.CharField(_("file"), max_length=255)
    # The upload, for an import run by the worker; removed when it has run.
    upload = models.CharField(max_length=500, blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    # Why it failed: `error` in English (the command line's words, for the operator and
    # the logs); `error_code` (interchange.wording.ERRORS) and `error_params` are what
    # the workspace words in the moderator's language when it shows the batch.
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.format} {self.filename}"


class ImportedThread(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="threads")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    created = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "thread"], name="imported_thread_once")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.thread_id}"


class ImportedComment(models.Model):
    """A comment as known to its source: `source` names the system and installation
    ("wordpress:https://blog.example"), `source_id` its id there."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="comments")
    # Kept when the comment is erased (its author withdrew it, a moderator deleted
    # it): a later import of the same file must not bring it back.
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=300)
    source_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "source", "source_id"], name="imported_comment_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}"
