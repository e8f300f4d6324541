"""`meydan worker`: run the background work (email) queued in the database.

`make run` starts one beside the server. In production run it under the same
supervisor as `meydan serve` (systemd, a container); several may run at once, each
task runs once. Stop it with SIGTERM or Ctrl-C: it finishes the task at hand.
"""

from django.core.management import BaseCommand, call_command


class Command(BaseCommand):
    help = "Run background work (email) from the task queue until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued now, then exit"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at an empty queue"
        )

    def handle(self, *, batch, interval, verbosity, **options):
        call_command(
            "db_worker",
            queue_name="default,email",
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=verbosity,
        )
