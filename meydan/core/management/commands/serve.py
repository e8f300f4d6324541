"""`meydan serve`: the production server with the settings we recommend.

Granian (an HTTP server written in Rust, running Meydan as a WSGI application)
rather than gunicorn: on the thread read, where the application's own work is a
cache lookup, gunicorn's HTTP handling in Python cost more than the answer; granian
served 2.5-3x more reads per second on the same two cores (docs/scaling.md).
gunicorn still runs `meydan.wsgi:application` unchanged for those who prefer it.

granian's own lines and its access log go through the same scrub filter as Django's
(plain text, or JSON with MEYDAN_LOG_FORMAT=json: meydan/core/logs.py), and the
access log leaves out the client's address, which granian's default format starts
with. The proxy in front, if it logs, decides what it keeps.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meydan.core import logs, metricsdir, startup
from meydan.settings import env_bool


def granian_log_config_file(var_dir: Path, fmt: str) -> Path:
    """granian's logging configuration (it takes a JSON file), written into the var
    dir: one file per format, replaced whole, so concurrent starts never read half."""
    path = var_dir / f"granian-logging-{fmt}.json"
    content = json.dumps(logs.granian_log_config(fmt), indent=1)
    fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=".granian-logging-")
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
    os.replace(temporary, path)
    return path


def default_threads() -> int:
    """Python threads per worker when neither --threads nor MEYDAN_THREADS says.

    One on SQLite: the answer is in memory or a local file, so a second thread only
    queues for the GIL (and for SQLite's one writer), and one gave the lowest tail
    latency in bench/. Two on PostgreSQL: a worker there waits on the network for
    every query, Redis command and commit, and a second thread works meanwhile
    (`make bench`, PostgreSQL + Redis: posting +16 %, the reads +4-8 %, p99 lower;
    docs/scaling.md)."""
    configured = os.environ.get("MEYDAN_THREADS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise CommandError(f"MEYDAN_THREADS must be a whole number, 1 or more: {configured!r}")
        return int(configured)
    return 2 if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 1


class Command(BaseCommand):
    help = "Serve Meydan with granian (production settings; see README, 'Running in production')."
    # Run by startup.prepare() in a child process, and only when something changed:
    # this process does not load Django's apps at all (meydan/cli.py).
    requires_system_checks = []

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
            default=None,
            help=(
                "Threads per worker (default: MEYDAN_THREADS, else 1 on SQLite and 2 on "
                "PostgreSQL, where a worker waits on the network; see docs/scaling.md)."
            ),
        )

        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help=(
                "Skip the system checks and collecting static files (they are already "
                "in MEYDAN_VAR_DIR/static)."
            ),
        )
        parser.add_argument(
            "--collectstatic",
            action="store_true",
            help="Run the checks and collect static files even if nothing changed.",
        )

    def handle(self, *args, host, port, workers, threads, no_collectstatic, **options):
        if threads is None:
            threads = default_threads()
        elif threads < 1:
            raise CommandError(f"--threads must be 1 or more: {threads}")
        if not no_collectstatic:
            # The checks and collectstatic, when something changed (core/startup.py).
            startup.prepare(force=options["collectstatic"])
        # granian's worker processes add up their metrics in one directory (chosen
        # by meydan.cli before Django loaded: core/metricsdir.py). A fresh start: the
        # files of processes that are gone are deleted, a running `meydan worker`'s kept.
        metrics_dir = Path(
            os.environ.get(metricsdir.ENV) or metricsdir.use_shared_dir(settings.VAR_DIR)
        )
        metrics_dir.mkdir(parents=True, exist_ok=True)
        metricsdir.clear_stale(metrics_dir, also=os.getpid())
        fmt = settings.MEYDAN_LOG_FORMAT
        log_config = granian_log_config_file(Path(settings.VAR_DIR), fmt)
        access_format = logs.ACCESS_LOG_FORMAT_JSON if fmt == "json" else logs.ACCESS_LOG_FORMAT
        argv = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "meydan.wsgi:application",
            "--host", host, "--port", str(port),
            "--workers", str(workers),
            "--blocking-threads", str(threads),
            "--no-ws", "--respawn-failed-workers",
            "--log-config", str(log_config),
            "--access-log" if env_bool("MEYDAN_ACCESS_LOG", True) else "--no-access-log",
            "--access-log-fmt", access_format,
        ]  # fmt: skip
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with granian
