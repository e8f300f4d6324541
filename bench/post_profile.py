"""Server CPU and SQL queries per comment posted through the JSON API, in process.

    .venv/bin/python bench/post_profile.py [--n 1000] [--trained] [--bans] [--profile]

Sets up a scratch SQLite database (MEYDAN_VAR_DIR in a temporary directory, or
DATABASE_URL when it is set: the tables are created in a scratch schema-less
database of the test runner's kind, so point it at a throw-away database), a site
with 20 threads of 20 comments, and posts `--n` comments to POST /api/v1/comments
the way `make bench`'s post scenario does: JSON, a form token from
GET /api/v1/sites/{key}, every moderation check on except the per-reader rate limit
and the minimum form age, half of them replies. `--trained` teaches the site's spam
filter first (so it scores every comment instead of having no opinion), `--bans`
adds a ban for someone else (so the ban check cannot skip its query). Prints the
mean CPU ms per post (time.process_time, queries not captured), on PostgreSQL the
CPU its backend process spent on them (/proc, when the server is on this machine),
and the queries per post (a second, captured pass), then optionally the cProfile of
the first pass.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

SITE = "bench"
ORIGIN = "http://127.0.0.1:8081"
WORDS = (
    "the river rally council budget school road water minister village market "
    "election report protest bridge festival harbour museum train winter summer"
).split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--trained", action="store_true", help="train the spam filter first")
    parser.add_argument("--bans", action="store_true", help="the site has a ban (not ours)")
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 30")
    parser.add_argument("--show-queries", action="store_true", help="print one post's SQL")
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="a new database connection per post, as the server makes with "
        "MEYDAN_DB_CONN_MAX_AGE=0; the test client otherwise keeps one",
    )
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="meydan-post-profile-"))
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
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)

    from meydan.comments import services
    from meydan.comments.models import Comment
    from meydan.moderation.models import Ban
    from meydan.moderation.spam import spam_learn
    from meydan.sites.models import Site

    site = Site.objects.create(name="Bench", slug=SITE, domain="127.0.0.1", origins=ORIGIN)
    rng = random.Random(6)
    parents: dict[str, list[int]] = {}
    for n in range(1, 21):
        thread = services.thread_get_or_create(site=site, key=f"/article-{n}", title=f"A {n}")
        parents[thread.key] = [
            services.comment_post(
                thread=thread,
                author=services.Author(name=f"Seed {i}", email=f"seed{i}@example.org"),
                body=" ".join(rng.choices(WORDS, k=12)),
                moderate=False,
                channel="command",
            ).comment.pk
            for i in range(20)
        ]
    if args.trained:
        seeded = list(Comment.objects.filter(thread__site=site).order_by("pk")[:60])
        for i, comment in enumerate(seeded):
            if i % 2:
                comment.body = f"Cheap pills https://spam{i}.example buy now!!! call 555123{i}"
                comment.save(update_fields=["body"])
            spam_learn(comment, is_spam=bool(i % 2))
    if args.bans:
        Ban.objects.create(site=site, kind=Ban.Kind.EMAIL, value="someone@else.example")

    client = Client(HTTP_HOST="127.0.0.1")
    token = json.loads(client.get(f"/api/v1/sites/{SITE}").content)["form_token"]

    def post(i: int):
        key = f"/article-{i % 20 + 1}"
        body = {
            "site": SITE,
            "url": key,
            "title": "Article",
            "parent": rng.choice(parents[key]) if i % 2 else None,
            "name": f"Reader {i % 97}",
            "email": f"reader{i % 97}@example.org",
            "website": "",
            "form_token": token,
            "body": " ".join(rng.choices(WORDS, k=20)) + f" (post {i})",
        }
        response = client.post(
            "/api/v1/comments", json.dumps(body), content_type="application/json",
            HTTP_ORIGIN=ORIGIN,
        )  # fmt: skip
        if args.reconnect:
            connection.close()
        return response

    for i in range(50):  # warm up: imports, caches, first connection
        post(-1 - i)

    def backend_cpu() -> float | None:
        """CPU seconds of this connection's PostgreSQL backend (same machine), or None."""
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    profiler = cProfile.Profile() if args.profile else None
    backend_started = None if args.reconnect else backend_cpu()
    statuses: dict[int, int] = {}
    batches = []  # CPU ms per post in batches of a tenth: the median shrugs off noise
    batch = max(1, args.n // 10)
    started, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(args.n):
        if i % batch == 0:
            batch_started = time.process_time()
        status = post(i).status_code
        statuses[status] = statuses.get(status, 0) + 1
        if i % batch == batch - 1:
            batches.append(1000 * (time.process_time() - batch_started) / batch)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - started, time.perf_counter() - wall
    backend = backend_cpu()
    backend = None if backend is None or backend_started is None else backend - backend_started
    batches.sort()

    queries = 0
    sample = args.n // 10 or 1
    for i in range(sample):
        with CaptureQueriesContext(connection) as captured:
            post(args.n + i)
        queries += len(captured)
        if args.show_queries and i == 1:
            for query in captured.captured_queries:
                print(query["sql"][:200])

    print(
        f"{connection.vendor}, spam filter {'trained' if args.trained else 'untrained'}, "
        f"{'one ban' if args.bans else 'no bans'}"
        f"{', a connection per post' if args.reconnect else ''}: {args.n} posts, "
        f"statuses {statuses}"
    )
    print(
        f"cpu ms/post {1000 * cpu / args.n:.2f} (batches of a tenth: median "
        f"{batches[len(batches) // 2]:.2f}, best {batches[0]:.2f})"
        + (" under cProfile" if profiler else "")
        + f"  wall ms/post {1000 * wall / args.n:.2f}  queries/post {queries / sample:.2f}"
        + (f"  PostgreSQL backend cpu ms/post {1000 * backend / args.n:.2f}" if backend else "")
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        if os.environ.get("POST_PROFILE_DUMP"):
            profiler.dump_stats(os.environ["POST_PROFILE_DUMP"])
        print(out.getvalue())
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
