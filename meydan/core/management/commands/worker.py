"""`meydan worker`: run the background work (email) from the task queue.

`make run` starts one beside the server. In production run it under the same
supervisor as `meydan serve` (systemd, a container); several may run at once, each
task runs once. Stop it with SIGTERM or Ctrl-C: it finishes the task at hand.

The queue is the database by default (django-tasks-db's worker); with
MEYDAN_TASKS_URL=redis://… it is Redis, run by an RQ worker with its scheduler, so
that tasks due later (retries, digests) run when they are due.

At start (not with --batch) it makes sure each periodic task (MEYDAN_PERIODIC_TASKS:
the daily purge) has one run waiting, never two (core.periodic). With --batch, from
cron, run `meydan purge` daily as well (docs/retention.md).
"""

from django.conf import settings
from django.core.management import BaseCommand, call_command

from meydan.core import periodic


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
            call_command(
                "rqworker",
                *settings.MEYDAN_TASK_QUEUES,
                with_scheduler=True,
                job_class="django_tasks_rq.Job",
                burst=batch,
                verbosity=verbosity,
            )
            return
        call_command(
            "db_worker",
            queue_name=",".join(settings.MEYDAN_TASK_QUEUES),
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=verbosity,
        )
