"""`meydan worker`: run the background work (email) from the task queue.

`make run` starts one beside the server. In production run it under the same
supervisor as `meydan serve` (systemd, a container); several may run at once, each
task runs once. Stop it with SIGTERM or Ctrl-C: it finishes the task at hand.

The queue is the database by default (django-tasks-db's worker); with
MEYDAN_TASKS_URL=redis://… it is Redis, run by an RQ worker with its scheduler, so
that tasks due later (retries, digests) run when they are due.

A database outage does not stop it. A task that meets one waits for the database
and runs again (core/tasks.py). With the database queue, the worker's own look at
the queue fails too: it logs one line, waits (a SIGTERM then stops it at once), and
goes on when the database answers (bench/drills/db_outage.py --tasks db). With the
Redis queue the RQ worker never asks the database itself; when Redis goes away the
RQ worker stops, and this command waits for Redis and starts it again.

At start (not with --batch) it makes sure each periodic task (MEYDAN_PERIODIC_TASKS:
the daily purge, the delivery sweeps) has one run waiting, never two (core.periodic),
and again when Redis comes back. With --batch, from cron, run `meydan purge` daily
as well (docs/retention.md).
"""

import contextlib
import logging
import signal
import time

from django.conf import settings
from django.core.management import BaseCommand, call_command
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from meydan.core import periodic
from meydan.core.tasks import OUTAGE, drop_connection, wait_for_database

logger = logging.getLogger("meydan.tasks")
QUEUE_OUTAGE = (RedisConnectionError, RedisTimeoutError, ConnectionError)


class Command(BaseCommand):
    help = "Run background work (email) from the task queue until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due now, then exit")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at an empty queue"
        )

    def handle(self, *, batch, interval, verbosity, **options):
        if not batch:
            periodic.ensure_all_scheduled()
        backend = settings.TASKS["default"]["BACKEND"]
        if backend == "django_tasks_rq.RQBackend":
            while True:
                try:
                    call_command(
                        "rqworker",
                        *settings.MEYDAN_TASK_QUEUES,
                        with_scheduler=True,
                        job_class="django_tasks_rq.Job",
                        burst=batch,
                        verbosity=verbosity,
                    )
                    return
                except QUEUE_OUTAGE as error:
                    if batch:
                        raise
                    self._wait_for_redis(error)
                    # A Redis that restarted empty lost the periodic runs waiting
                    # there (the sweeps among them): queue them again.
                    with contextlib.suppress(*QUEUE_OUTAGE):
                        periodic.ensure_all_scheduled()
        while True:
            try:
                call_command(
                    "db_worker",
                    queue_name=",".join(settings.MEYDAN_TASK_QUEUES),
                    interval=interval,
                    batch=batch,
                    reload=False,
                    startup_delay=not batch,
                    verbosity=verbosity,
                )
                return
            except OUTAGE as error:
                if batch:
                    raise
                self._wait_for_database(error)

    @staticmethod
    def _wait_for_redis(error: Exception) -> None:
        """The RQ worker stops when Redis goes away (bench/drills/redis_outage.py):
        wait for it, then start it again."""
        import django_rq

        logger.warning(
            "worker: the task queue (Redis) is unavailable (%s); waiting for it",
            type(error).__name__,
        )
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        connection = django_rq.get_connection(settings.MEYDAN_TASK_QUEUES[0])
        delay = 0.5
        while True:
            try:
                connection.ping()
                break
            except QUEUE_OUTAGE:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        logger.warning("worker: the task queue answers again; going on")

    @staticmethod
    def _wait_for_database(error: Exception) -> None:
        logger.warning(
            "worker: the database is unavailable (%s); waiting for it", type(error).__name__
        )
        drop_connection()
        # db_worker's handlers only ask it to stop after its task: with none running,
        # SIGTERM and Ctrl-C stop the process at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        while not wait_for_database(60):
            pass
        logger.warning("worker: the database answers again; going on")
