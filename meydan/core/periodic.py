"""Tasks that run on a schedule without cron: each run queues the next one.

A periodic task is an ordinary task (django_tasks' `@task()`) that is listed in
MEYDAN_PERIODIC_TASKS and that first calls `schedule_next(itself, every)`, before
doing its work, so that a failing run does not end the schedule. When `meydan
worker` starts (but not with --batch), it calls `ensure_scheduled` for each listed
task: that queues a run due now, unless a run is already waiting.

"Waiting" means queued and not yet started, whether due now or later. Both
functions look and queue under one lock, so there is never more than one waiting
run of a task, however many workers start at once:
- database queue (django_tasks_db): one transaction, exclusive on SQLite and
  holding an advisory lock on PostgreSQL;
- Redis queue (RQ): a Redis lock; the waiting runs are the task queue's queued and
  scheduled jobs.

A run in progress is not waiting. A worker that starts while a run is in progress
may queue one more run due now. That run does its (idempotent) work a second time
and then queues the next.
"""

import logging
import zlib
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("meydan.periodic")


def ensure_all_scheduled() -> None:
    """What `meydan worker` does at start: every task of MEYDAN_PERIODIC_TASKS gets
    a waiting run (due now) unless it has one."""
    for path in settings.MEYDAN_PERIODIC_TASKS:
        if ensure_scheduled(import_string(path)):
            logger.info("Queued %s: none was waiting", path)


def ensure_scheduled(task) -> bool:
    """Queue a run of `task`, due now, unless one is waiting. True when it queued one."""
    return _queue_unless_waiting(task, run_after=None)


def schedule_next(task, every: timedelta) -> bool:
    """Queue the next run of `task`, due `every` from now, unless one is waiting (the
    run that calls this is running, not waiting). True when it queued one."""
    return _queue_unless_waiting(task, run_after=timezone.now() + every)


def _queue_unless_waiting(task, *, run_after) -> bool:
    backend = settings.TASKS[task.backend]["BACKEND"]
    if backend == "django_tasks_rq.RQBackend":
        return _rq_queue_unless_waiting(task, run_after)
    if backend == "django_tasks_db.DatabaseBackend":
        return _db_queue_unless_waiting(task, run_after)
    # Any other backend (the immediate or dummy ones, in a test) cannot be asked
    # what waits: queue, as asked.
    _enqueue(task, run_after)
    return True


def _enqueue(task, run_after) -> None:
    (task.using(run_after=run_after) if run_after is not None else task).enqueue()


def _lock_id(task) -> int:
    return zlib.crc32(f"meydan:periodic:{task.module_path}".encode())


def _db_queue_unless_waiting(task, run_after) -> bool:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    with exclusive_transaction():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(task)])
        waiting = DBTaskResult.objects.filter(
            task_path=task.module_path,
            backend_name=task.backend,
            status=TaskResultStatus.READY,
        ).exists()
        if waiting:
            return False
        _enqueue(task, run_after)
        return True


def _rq_queue_unless_waiting(task, run_after) -> bool:
    import django_rq
    from django_tasks_rq.backend import Job

    queue = django_rq.get_queue(task.queue_name, job_class=Job)
    redis = queue.connection
    with redis.lock(f"meydan:periodic:{task.module_path}", timeout=60, blocking_timeout=30):
        ids = [*queue.get_job_ids(), *queue.scheduled_job_registry.get_job_ids()]
        jobs = Job.fetch_many(ids, connection=redis) if ids else []
        if any(job is not None and job.func_name == task.module_path for job in jobs):
            return False
        _enqueue(task, run_after)
        return True
