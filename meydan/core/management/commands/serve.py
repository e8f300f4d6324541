"""`meydan serve`: the production server with the settings we recommend.

Granian (an HTTP server written in Rust, running Meydan as a WSGI application)
rather than gunicorn: on the thread read, where the application's own work is a
cache lookup, gunicorn's HTTP handling in Python cost more than the answer; granian
served 2.5-3x more reads per second on the same two cores (docs/scaling.md).
gunicorn still runs `meydan.wsgi:application` unchanged for those who prefer it.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from meydan.core import metricsdir
from meydan.settings import env_bool


class Command(BaseCommand):
    help = "Serve Meydan with granian (production settings; see README, 'Running in production')."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("MEYDAN_WORKERS", "0")) or (os.cpu_count() or 1),
            help="Worker processes (default: MEYDAN_WORKERS or one per CPU core).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("MEYDAN_THREADS", "1")),
            help=(
                "Threads per worker (default: MEYDAN_THREADS or 1, which gave the lowest "
                "tail latency in bench/; see docs/scaling.md)."
            ),
        )

        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Skip collecting static files (they are already in MEYDAN_VAR_DIR/static).",
        )

    def handle(self, *args, host, port, workers, threads, no_collectstatic, **options):
        if not no_collectstatic:
            # A child process, so that this one's settings do not pick the storage.
            env = {**os.environ, "MEYDAN_COLLECTING_STATIC": "1"}
            subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
                [sys.executable, "-m", "meydan.cli", "collectstatic", "--noinput", "-v0"],
                env=env,
                check=True,
            )
        # granian's worker processes add up their metrics in one directory (chosen
        # by meydan.cli before Django loaded: core/metricsdir.py). A fresh start: the
        # files of processes that are gone are deleted, a running `meydan worker`'s kept.
        metrics_dir = Path(
            os.environ.get(metricsdir.ENV) or metricsdir.use_shared_dir(settings.VAR_DIR)
        )
        metrics_dir.mkdir(parents=True, exist_ok=True)
        metricsdir.clear_stale(metrics_dir, also=os.getpid())
        argv = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "meydan.wsgi:application",
            "--host", host, "--port", str(port),
            "--workers", str(workers),
            "--blocking-threads", str(threads),
            "--no-ws", "--respawn-failed-workers",
            "--access-log" if env_bool("MEYDAN_ACCESS_LOG", True) else "--no-access-log",
        ]  # fmt: skip
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with granian
