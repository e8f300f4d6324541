"""Imports as operators and staff run them: from the command line at once, or from
the moderation workspace as a background task; and an import undone as a whole."""

import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meydan.comments import services as comment_services
from meydan.comments.events import Channel
from meydan.comments.models import Thread
from meydan.interchange import engine
from meydan.interchange.models import ImportBatch, ImportedComment
from meydan.interchange.records import ImportFileError
from meydan.interchange.urlmap import MapError, UrlMap

log = logging.getLogger(__name__)
B = ImportBatch.State


def uploads_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def import_file(
    path, site, *, fmt=None, maps=(), dry_run=False, actor=None, progress=None, batch=None
) -> tuple[ImportBatch | None, engine.Report]:
    """Check the file, then import it (or, with `dry_run`, count what would happen).
    Raises ImportFileError or MapError (nothing stored) for a file or rule that
    cannot be used. A real import is recorded as an ImportBatch for undo."""
    urlmap = UrlMap.parse(list(maps))
    fmt, total = engine.check(path, fmt)
    if not dry_run and batch is None:
        batch = ImportBatch.objects.create(
            site=site,
            format=fmt,
            filename=Path(path).name[:255],
            options={"maps": list(maps)},
            created_by=actor,
        )
    if batch is not None:
        _update(batch, format=fmt, state=B.RUNNING, total=total, done=0)
    try:
        report = engine.run(
            path,
            site,
            fmt=fmt,
            urlmap=urlmap,
            dry_run=dry_run,
            batch=batch,
            actor=actor,
            progress=progress,
            checked=total,
        )
    except BaseException as error:  # killed too (KeyboardInterrupt): say where it stopped
        if batch is not None:
            _update(batch, state=B.FAILED, finished=timezone.now(),
                    error=f"Stopped after {batch.done:,} comments: {error!r}. The chunks "
                    "written are whole; import the same file again to go on.",
                    error_code="stopped",
                    error_params={"done": batch.done, "detail": repr(error)})  # fmt: skip
        raise
    if batch is not None:
        _update(batch, state=B.DONE, done=report.read, report=report.as_dict(),
                finished=timezone.now())  # fmt: skip
    return batch, report


def _update(batch: ImportBatch, **fields) -> None:
    for name, value in fields.items():
        setattr(batch, name, value)
    # Outside any import transaction: staff watch the progress while it runs.
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)


def queue_upload(site, uploaded, *, fmt=None, maps=(), dry_run=False, actor=None) -> ImportBatch:
    """Keep an uploaded file (owner-only, under var/imports/) and queue its import."""
    UrlMap.parse(list(maps))  # a bad rule is refused now, not in the worker
    batch = ImportBatch.objects.create(
        site=site,
        format=fmt or "",
        filename=os.path.basename(uploaded.name)[:255],
        options={"maps": list(maps)},
        dry_run=dry_run,
        created_by=actor,
    )
    target = uploads_dir() / f"{batch.pk}.upload"
    with open(target, "wb") as out:
        os.chmod(target, 0o600)
        for chunk in uploaded.chunks():
            out.write(chunk)
    batch.upload = str(target)
    ImportBatch.objects.filter(pk=batch.pk).update(upload=batch.upload)
    transaction.on_commit(lambda: run_batch.enqueue(batch.pk))
    return batch


@task()
def run_batch(batch_id: int) -> str:
    """The worker's half of an upload: the same import as `meydan import`, its
    progress and report kept on the batch for the workspace to show."""
    batch = ImportBatch.objects.select_related("site", "created_by").filter(pk=batch_id).first()
    if batch is None or batch.state != B.QUEUED:
        return "nothing to do"
    last = [0.0]

    def progress(done, total):
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == total:
            last[0] = now
            _update(batch, done=done, total=total)

    path = batch.upload
    try:
        _update(batch, state=B.CHECKING)
        _, report = import_file(
            path,
            batch.site,
            fmt=batch.format or None,
            maps=batch.options.get("maps", []),
            dry_run=batch.dry_run,
            actor=batch.created_by,
            progress=progress,
            batch=None if batch.dry_run else batch,
        )
        if batch.dry_run:
            _update(batch, state=B.DONE, report=report.as_dict(), done=report.read,
                    finished=timezone.now())  # fmt: skip
        return "done"
    except ImportFileError as error:
        _update(batch, state=B.FAILED, error=str(error), error_code=error.code,
                error_params=error.params | {"line": error.line, "column": error.column},
                finished=timezone.now())  # fmt: skip
        return "failed"
    except MapError as error:
        _update(batch, state=B.FAILED, error=str(error), error_code=error.code,
                error_params=error.params, finished=timezone.now())  # fmt: skip
        return "failed"
    except Exception as error:
        log.exception("import %s failed", batch_id)
        _update(batch, state=B.FAILED, error=f"The import stopped: {error}",
                error_code="crashed", error_params={"detail": str(error)},
                finished=timezone.now())  # fmt: skip
        raise
    finally:
        if path:
            Path(path).unlink(missing_ok=True)
            ImportBatch.objects.filter(pk=batch.pk).update(upload="")


def undo(batch: ImportBatch, *, actor=None) -> dict:
    """Remove exactly what `batch` added: its comments (except those readers have
    answered since, which stay with their ancestors) and the threads it created
    that are empty afterwards. Returns counts."""
    if batch.state == B.UNDONE:
        return {"deleted": 0, "kept": 0, "threads_deleted": 0}
    deleted = kept = threads_deleted = 0
    for imported in batch.threads.select_related("thread__site"):
        thread: Thread = imported.thread
        origins = dict(
            ImportedComment.objects.filter(batch=batch, comment__thread=thread).values_list(
                "pk", "comment_id"
            )
        )
        ids = list(origins.values())
        gone, stays = comment_services.comments_unimport(
            thread, ids, channel=Channel.IMPORT, actor=actor
        )
        # The records of what went go too (the same file can be imported again); a
        # comment erased before the undo keeps its record, so it is never brought back.
        ImportedComment.objects.filter(pk__in=list(origins), comment__isnull=True).delete()
        deleted += gone
        kept += stays
        if imported.created and comment_services.thread_delete_if_empty(thread):
            threads_deleted += 1
    result = {"deleted": deleted, "kept": kept, "threads_deleted": threads_deleted}
    _update(batch, state=B.UNDONE, report={**batch.report, "undo": result})
    return result
