"""Posting to a thread with 10,000 confirmed subscribers beside a thread with none,
and how fast the worker then tells all of them.

    .venv/bin/python bench/notify_fanout.py [--subscribers 10000] [--posts 400]

In process, on a scratch SQLite database (MEYDAN_VAR_DIR in a temporary directory):

1. Posting: `--posts` comments through POST /api/v1/comments (the Django test
   client), alternating between the followed thread and the unfollowed one in the
   same run, so both see the same machine. Prints wall ms per post (p50, p99) and
   posts/s for each side and their ratio: the fan-out happens in the worker, so the
   two should differ by no more than the noise.
2. Fan-out: one comment on the followed thread is handed to the real worker
   (`meydan worker --batch`) with a real SMTP server on loopback (aiosmtpd) as the
   mail server and the send rate off. Prints how long the notify task takes to
   queue the messages, the send rate to the sink (emails/s) and the time until the
   last message was accepted.
"""

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

SITE = "bench"
ORIGIN = "http://127.0.0.1:8081"


class Sink:
    def __init__(self):
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.last = time.perf_counter()
        return "250 OK"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=400)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()

    var = Path(tempfile.mkdtemp(prefix="meydan-notify-fanout-"))
    os.environ.update(
        MEYDAN_VAR_DIR=str(var),
        MEYDAN_SECRET_KEY="meydan-bench-not-a-secret",  # noqa: S106 - a scratch key
        MEYDAN_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="meydan.settings",
        MEYDAN_LOG_LEVEL="WARNING",
        MEYDAN_RATELIMIT_COMMENTS="off",
        MEYDAN_MIN_FORM_SECONDS="off",
        MEYDAN_POW="off",  # a browser's job: the bench client is a program
        MEYDAN_RATELIMIT_SITE_COMMENTS="1000000/m",
        MEYDAN_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        MEYDAN_MAIL_RATE="off",
        MEYDAN_PUBLIC_URL="http://127.0.0.1:8000",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    call_command("migrate", verbosity=0)
    from meydan.comments import services
    from meydan.notifications.models import Delivery, Subscription
    from meydan.sites.models import Site

    site = Site.objects.create(name="Bench", slug=SITE, domain="127.0.0.1", origins=ORIGIN)
    followed = services.thread_get_or_create(site=site, key="/followed", title="Followed")
    services.thread_get_or_create(site=site, key="/quiet", title="Quiet")
    now = timezone.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                site=site, thread=followed, kind="thread", email=f"s{i}@example.org", confirmed=now
            )  # fmt: skip
            for i in range(args.subscribers)
        ],
        batch_size=2000,
    )
    client = Client(HTTP_HOST="127.0.0.1")
    token = json.loads(client.get(f"/api/v1/sites/{SITE}").content)["form_token"]

    def post(key: str, i: int) -> float:
        body = {"site": SITE, "url": key, "title": "T", "name": f"Reader {i % 50}",
                "email": f"reader{i % 50}@example.org", "form_token": token,
                "body": f"Comment number {i} on {key}"}  # fmt: skip
        start = time.perf_counter()
        response = client.post(
            "/api/v1/comments", json.dumps(body), content_type="application/json",
            HTTP_ORIGIN=ORIGIN,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        if response.status_code not in (201, 202):
            raise SystemExit(f"post refused: {response.status_code} {response.content[:300]}")
        return elapsed

    for i in range(40):  # warm up both paths
        post("/followed" if i % 2 else "/quiet", -1 - i)
    times = {"/followed": [], "/quiet": []}
    for i in range(args.posts):
        key = "/followed" if i % 2 else "/quiet"
        times[key].append(post(key, i))

    print(f"posting, {args.posts // 2} posts each, interleaved, same run:")
    rows = {}
    for key, label in (("/followed", f"{args.subscribers:,} subscribers"), ("/quiet", "none")):
        values = times[key]
        rows[key] = (statistics.median(values) * 1000, percentile(values, 0.99) * 1000,
                     len(values) / sum(values))  # fmt: skip
        p50, p99, rate = rows[key]
        print(
            f"  thread with {label:>18}: p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {rate:7.1f} posts/s"
        )
    ratio_p99 = rows["/followed"][1] / rows["/quiet"][1]
    ratio_rate = rows["/followed"][2] / rows["/quiet"][2]
    print(f"  followed / none: p99 {ratio_p99:.2f}x, throughput {ratio_rate:.2f}x")

    # Fan-out of one comment on the followed thread, by the real worker.
    notify = DBTaskResult.objects.filter(task_path__endswith="notify_comment")
    keep = notify.filter(args_kwargs__args__0=followed.comments.order_by("pk").first().pk)
    DBTaskResult.objects.exclude(pk__in=keep.values("pk")).delete()
    start = time.perf_counter()
    call_command("worker", batch=True, verbosity=0)  # the notify task queues the messages
    queued = Delivery.objects.count()
    while Delivery.objects.filter(status="queued").exists():
        call_command("worker", batch=True, verbosity=0)
    total = time.perf_counter() - start
    sent = Delivery.objects.filter(status="sent").count()
    print(f"fan-out of one comment to {args.subscribers:,} confirmed subscribers:")
    print(f"  {queued:,} messages queued; {sent:,} accepted by the SMTP sink")
    print(f"  ({sink.count:,} received by the sink)")
    print(
        f"  {sent / total:,.0f} emails/s through the worker; last one delivered after {total:.1f} s"
    )
    controller.stop()


if __name__ == "__main__":
    main()
