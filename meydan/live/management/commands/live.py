"""`meydan live`: the stream of live updates (GET /api/v1/live/stream), a second server
beside `meydan serve`.

granian again, this time with --interface asgi: one asyncio process holds thousands of
open streams (docs/scaling.md, "Live updates", measured 10,000 on one core), where the
WSGI server would need a thread per reader. It needs Redis (MEYDAN_LIVE_REDIS_URL, by
default the cache's): the web server's processes PUBLISH every change of a thread's
count there, and each stream process subscribes once. Point readers at it with
MEYDAN_LIVE_STREAM_URL (in production nginx routes /api/v1/live/stream to it:
deploy/nginx/meydan.conf); pages that cannot reach it poll GET /api/v1/live.
"""

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meydan.core.management.commands.serve import granian_log_config_file


class Command(BaseCommand):
    help = "Serve live updates as Server-Sent Events (GET /api/v1/live/stream) with granian."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("MEYDAN_LIVE_STREAM_PORT", "8001")),
            help="Default: MEYDAN_LIVE_STREAM_PORT or 8001.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("MEYDAN_LIVE_WORKERS", "1")),
            help=(
                "Processes (default: MEYDAN_LIVE_WORKERS or 1; each holds up to "
                "MEYDAN_LIVE_STREAM_MAX streams and one Redis subscription)."
            ),
        )

    def handle(self, *args, host, port, workers, **options):
        if not settings.MEYDAN_LIVE_REDIS_URL:
            raise CommandError(
                "The stream needs Redis: set MEYDAN_CACHE_URL (or MEYDAN_LIVE_REDIS_URL) "
                "to a redis:// URL. Without it pages poll GET /api/v1/live, no stream needed."
            )
        fmt = settings.MEYDAN_LOG_FORMAT
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        log_config = granian_log_config_file(Path(settings.VAR_DIR), fmt)
        argv = [
            sys.executable, "-m", "granian", "--interface", "asgi", "meydan.live.asgi:application",
            "--host", host, "--port", str(port),
            "--workers", str(workers),
            "--no-ws", "--respawn-failed-workers",
            "--backlog", "4096",  # a crowd opening one story connects within seconds
            # granian serves at most this many requests at once per process (by default
            # backlog/workers: 4,096): each open stream is one, and beyond our own limit
            # the app answers 503 at once rather than leaving readers queued unanswered.
            "--backpressure", str(settings.MEYDAN_LIVE_STREAM_MAX + 256),
            "--log-config", str(log_config),
            "--no-access-log",  # one line per reader's visit, not per event: nginx has it
        ]  # fmt: skip
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with granian
