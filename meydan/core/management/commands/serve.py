"""`meydan serve`: the production server (gunicorn) with the settings we recommend."""

import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Meydan with gunicorn (production settings; see README, 'Running in production')."

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
                "Threads per worker (default: MEYDAN_THREADS or 1: sync workers, which "
                "gave the lowest tail latency in bench/; see docs/scaling.md)."
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
        argv = [
            sys.executable, "-m", "gunicorn", "meydan.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--worker-class", "gthread" if threads > 1 else "sync",
            "--access-logfile", os.environ.get("MEYDAN_ACCESS_LOG", "-"),
            "--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]  # fmt: skip
        # Recycling workers empties their local-memory cache and stalls requests (the
        # p99 of hundreds of ms in bench/results/): off unless the operator asks.
        max_requests = os.environ.get("MEYDAN_MAX_REQUESTS", "")
        if max_requests:
            argv += ["--max-requests", max_requests, "--max-requests-jitter", "100"]
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
