"""Scale: the thread read and the comment post on PostgreSQL with 10,000 comments and
with 10,000,000.

    make bench-scale
    .venv/bin/python bench/scale_pg.py [--reads 2000] [--posts 300] [--sizes small,huge]
                                       [--reload] [--no-save]

What it does:
1. One database per size on 127.0.0.1:5432 (user postgres, trust auth):
   meydan_scale_small (1,000 threads x 10 comments), meydan_scale_huge (1,000,000 x
   10), and, when --sizes names it, meydan_scale_big (100,000 x 10). Each gets
   `meydan migrate`, one site, and its threads and comments bulk-loaded with COPY,
   streamed row by row as they are made (the loader stays near 110 MB resident at any
   size; 10,000,000 comments are 14 GB on disk and took 10 minutes to load on 2 vCPUs).
   The rows are the ones comments.services.comment_post(moderate=False) writes (the
   same columns and values: seq, root_seq, materialised path, depth, avatar key, IP
   hash, rendered body_html, the thread's count, version and last_seq); the loader
   checks that by posting three threads through the service in a transaction it
   rolls back and comparing every column (tests/bench/test_scale_rows.py does the
   same on the test database). Reply trees follow the shared workload
   (shared/bench/WORKLOAD.md): top-level with p 1/3, else a reply to an earlier
   comment of depth < 3; texts come from the shared seed.py (a pool of 4,096,
   rendered once). Then VACUUM ANALYZE. A loaded database is reused while its
   fingerprint (loader version, sizes, Meydan's migrations, Django and allauth
   versions; kept as the database's COMMENT) and row counts match.
2. Per database, in a fresh process: GET /api/v1/threads?site=scale&url=/article-N
   through Django's handler (django.test.Client) for --reads random threads with
   the cache off (MEYDAN_CACHE_URL=dummy://: every read runs its queries), then the
   database time of the same reads (CaptureQueriesContext), then the shipped
   default (local-memory cache, not shared) reading the sample twice, timing the
   second pass.
3. After the reads, per database, in fresh processes: --posts comments posted as a
   reader's widget posts them, POST /api/v1/comments through Django's handler, into
   random loaded threads (top-level with p 1/3, else a reply to one of the thread's
   comments), with rate limits, the form's minimum age and the proof of work off (as
   bench/bench.py's post scenario), each post committed: server time, CPU, and the
   database part (its statements and the COMMIT). Then the posted comments are
   deleted and the threads' counters restored, and every table's row count is
   checked to be the loaded one again, so the database stays reusable.
4. On the largest database: EXPLAIN (ANALYZE, BUFFERS) of every query one uncached
   read runs, and a check that no plan scans a comments table sequentially.
5. Prints the report, with the largest/smallest ratios (mean, p50, p99), and saves
   it to bench/results/<date>-scale-pg-<machine>.txt.

Only 127.0.0.1 is ever contacted.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "isso"))
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432/{db}"
SIZES = {"small": 1_000, "big": 100_000, "huge": 1_000_000}  # threads; PER_THREAD comments each
PER_THREAD = 10
SEED = 20251126  # the shared workload's seed
TEXT_POOL = 4096
LOADER_VERSION = "1"  # bump when the generated rows change
SITE_SLUG = "scale"
ORIGIN = "http://127.0.0.1:8081"
SECRET = "meydan-bench-not-a-secret"  # noqa: S105 - fixed, so stored hashes stay valid
BASE_TIME = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
VERIFY_THREADS = 3
TARGET_RATIO = 1.5
# Tables of the comments app: a sequential scan on these is what the scale target forbids.
SCAN_FORBIDDEN = re.compile(r"Seq Scan on (comments_\w+)")
INDEX_SCAN = re.compile(r"((?:Index Only Scan|Index Scan)(?: Backward)? using \w+ on \w+)")


def timing_into(spent: list[float]):
    """A connection.execute_wrapper that appends each statement's time (ms) to `spent`."""

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append((time.perf_counter() - started) * 1000)

    return timed


def log(message: str) -> None:
    print(message, flush=True)


def db_name(size: str) -> str:
    return f"meydan_scale_{size}"


def child_env(db: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": PG.format(db=db),
        "MEYDAN_SECRET_KEY": SECRET,
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SETTINGS_MODULE": "meydan.settings",
        # Meydan from this script's own tree (a worktree of a commit measures that commit).
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MEYDAN_CACHE_URL", None)
    env.pop("MEYDAN_SHARED_CACHE", None)
    env.pop("MEYDAN_TASKS_URL", None)  # tasks in the database, where the posts' are undone
    env.update(extra)
    return env


# --- The generated rows (pure given a site; shared with tests/bench/) ------------


def thread_plan(rng: random.Random, count: int = PER_THREAD) -> list[tuple[int | None, int, int]]:
    """(parent index or None, author index, text index) per comment, in posting order:
    the shared workload's tree (top-level with p 1/3, else a reply to a uniformly
    chosen earlier comment of depth < 3, depth counted from 1)."""
    plan: list[tuple[int | None, int, int]] = []
    depth: list[int] = []
    for idx in range(count):
        if idx == 0 or rng.random() < 1 / 3:
            parent, d = None, 1
        else:
            while True:
                parent = rng.randrange(idx)
                if depth[parent] < 3:
                    break
            d = depth[parent] + 1
        plan.append((parent, rng.randrange(300), rng.randrange(TEXT_POOL)))
        depth.append(d)
    return plan


def plans(count: int):
    """The reply-tree plans of threads 1..count (deterministic)."""
    rng = random.Random(SEED)
    for _ in range(count):
        yield thread_plan(rng)


class Workload:
    """Authors and texts as comment_post would store them on `site`: cleaned by
    posting.validated, the body rendered, avatar key and IP hash computed."""

    def __init__(self, site):
        import seed  # the shared seed.py (bench/isso/seed.py)

        from meydan.comments.avatars import avatar_key
        from meydan.comments.rendering import render_markdown
        from meydan.comments.services.posting import Author, validated
        from meydan.core import sealing
        from meydan.core.privacy import ip_hash

        self.site = site
        self.authors = []  # (Author as stored, raw Author, ip, avatar key, ip hash)
        for raw in seed.make_authors(random.Random(SEED)):
            given = Author(name=raw["author"], email=raw["email"] or "", url=raw["website"] or "")
            author, _ = validated(site, given, "x", email_required=True)
            key = avatar_key(email=sealing.email_hash(author.email), name=author.name)
            self.authors.append((author, given, raw["ip"], key, ip_hash(raw["ip"])))
        # Each author's address as stored (core.sealing), computed once per author.
        self.addresses = [
            (sealing.email_hash(a.email), sealing.seal(a.email)) for a, *_ in self.authors
        ]
        rng = random.Random(SEED + 1)
        probe = self.authors[0][1]
        self.texts = []  # (text as given, body as stored, body_html)
        for _ in range(TEXT_POOL):
            text = seed.comment_text(rng)
            _, body = validated(site, probe, text, email_required=True)
            self.texts.append((text, body, render_markdown(body)))

    def created(self, thread_no: int, idx: int) -> datetime.datetime:
        return BASE_TIME + datetime.timedelta(minutes=10 * thread_no, seconds=37 * idx)

    def thread_row(self, thread_no: int, count: int) -> dict:
        """Thread `thread_no` (its id) after `count` comments were posted to it."""
        key = f"/article-{thread_no}"
        return {
            "id": thread_no,
            "site_id": self.site.pk,
            "key": key,
            "url": key,
            "title": f"Article {thread_no}",
            "is_open": self.site.comments_open,
            "comment_count": count,
            "version": count,  # one thread_changed() per comment posted
            "last_seq": count,
            "created": self.created(thread_no, 0) - datetime.timedelta(seconds=1),
            "last_comment_at": self.created(thread_no, count - 1),
            "pinned_id": None,  # no editors' choices in the loaded threads
            "pick_count": 0,
        }

    def comment_rows(self, thread_no: int, plan) -> list[dict]:
        """The comments of thread `thread_no`; ids follow on from earlier threads'."""
        from meydan.comments.tree import child_path

        if self.site.max_depth < 3:
            raise SystemExit("the site's nesting limit would move replies; raise max_depth")
        first_id = (thread_no - 1) * PER_THREAD + 1
        comments: list[dict] = []
        for idx, (parent_idx, author_no, text_no) in enumerate(plan):
            author, _given, _ip, key, hashed_ip = self.authors[author_no]
            parent = comments[parent_idx] if parent_idx is not None else None
            seq = idx + 1
            comments.append(
                {
                    "id": first_id + idx,
                    "thread_id": thread_no,
                    "parent_id": parent["id"] if parent else None,
                    "replied_to_id": parent["id"] if parent else None,
                    "seq": seq,
                    "root_seq": int(parent["path"][:6], 36) if parent else seq,
                    "path": child_path(parent["path"] if parent else "", seq),
                    "depth": parent["depth"] + 1 if parent else 0,
                    "user_id": None,
                    "author_name": author.name,
                    "author_email_hash": self.addresses[author_no][0],
                    "author_email_sealed": self.addresses[author_no][1],
                    "author_url": author.url,
                    "avatar_key": key,
                    "author_provider": "",
                    "author_picture": "",
                    "body": self.texts[text_no][1],
                    "body_html": self.texts[text_no][2],
                    "status": "approved",
                    "moderation_reason": "",
                    "reason_code": "",
                    "reason_params": {},  # jsonb: written as JSON text by the COPY
                    "shadow": False,
                    "spam_score": None,
                    "flag_count": 0,
                    "removal_reason": "",
                    "removal_note": "",
                    "removed_at": None,
                    "vote_count": 0,
                    "created": self.created(thread_no, idx),
                    "edited": None,
                    "ip_hash": hashed_ip,
                    "is_pick": False,
                    "picked_at": None,
                    "picked_by_id": None,
                }
            )
        return comments

    def post(self, thread, plan, thread_no: int) -> None:
        """Post `plan` into `thread` through the service, as an importer would."""
        from meydan.comments import services

        ids: list[int] = []
        for idx, (parent_idx, author_no, text_no) in enumerate(plan):
            _author, given, ip, _key, _hash = self.authors[author_no]
            result = services.comment_post(
                thread=thread,
                author=given,
                body=self.texts[text_no][0],
                parent_id=ids[parent_idx] if parent_idx is not None else None,
                ip=ip,
                created=self.created(thread_no, idx),
                moderate=False,
                channel="command",
            )
            ids.append(result.comment.pk)


def comparable(thread_row: dict, comment_rows: list[dict]) -> tuple[dict, list[dict]]:
    """Rows without their ids (parents named by seq), for comparing two loads."""
    by_id = {row["id"]: row["seq"] for row in comment_rows}
    thread = {k: v for k, v in thread_row.items() if k not in ("id", "key", "url", "title")}
    thread.pop("created", None)  # the service stamps the thread's creation with now()
    out = []
    for row in comment_rows:
        row = dict(row)
        row.pop("id")
        row.pop("thread_id")
        row["parent_id"] = by_id.get(row["parent_id"])
        row["replied_to_id"] = by_id.get(row["replied_to_id"])
        out.append(row)
    return thread, sorted(out, key=lambda r: r["seq"])


def stored_rows(thread_id: int) -> tuple[dict, list[dict]]:
    from meydan.comments.models import Comment, Thread

    thread = Thread.objects.filter(pk=thread_id).values().get()
    comments = list(Comment.objects.filter(thread_id=thread_id).values())
    return thread, comments


def check_columns(thread_row: dict, comment_row: dict) -> None:
    """The generator fills exactly the models' columns (a new column must be decided)."""
    from meydan.comments.models import Comment, Thread

    for model, row in ((Thread, thread_row), (Comment, comment_row)):
        columns = {f.column for f in model._meta.concrete_fields}
        if set(row) != columns:
            raise SystemExit(
                f"{model.__name__} columns changed: loader has {sorted(set(row) - columns)}"
                f" extra, {sorted(columns - set(row))} missing; update bench/scale_pg.py"
            )


# --- Loading (child process, Django configured for one database) ---------------


def fingerprint(threads: int) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(f"loader {LOADER_VERSION} threads {threads} x {PER_THREAD}\n".encode())
    for package in ("Django", "django-allauth"):
        digest.update(f"{package} {version(package)}\n".encode())
    for path in sorted(ROOT.glob("meydan/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\n" + path.read_bytes())
    return digest.hexdigest()[:16]


def child_load(threads: int) -> None:
    """Bulk-load `threads` threads into the (migrated, empty) database; print JSON."""
    import django

    django.setup()
    import psycopg
    from django.db import connection, transaction

    from meydan.comments.models import Comment, Thread
    from meydan.sites.models import Site

    site = Site.objects.get(slug=SITE_SLUG)
    # A third of the workload's authors give no email (as for the shared bench site).
    Site.objects.filter(pk=site.pk).update(require_name_email=False)
    site.refresh_from_db()
    started = time.perf_counter()
    work = Workload(site)
    prepared = time.perf_counter() - started

    check_columns(work.thread_row(1, PER_THREAD), work.comment_rows(1, next(plans(1)))[0])
    t_cols = [f.column for f in Thread._meta.concrete_fields]
    c_cols = [f.column for f in Comment._meta.concrete_fields]
    t_table, c_table = Thread._meta.db_table, Comment._meta.db_table

    started = time.perf_counter()
    html_bytes = 0
    with psycopg.connect(PG.format(db=connection.settings_dict["NAME"])) as pg:
        pg.execute("SET session_replication_role = replica")  # no FK triggers while loading
        pg.execute("SET synchronous_commit = off")
        with pg.cursor() as cur:
            with cur.copy(f"COPY {t_table} ({', '.join(t_cols)}) FROM STDIN") as copy:
                for n in range(1, threads + 1):
                    row = work.thread_row(n, PER_THREAD)
                    copy.write_row([row[c] for c in t_cols])
            with cur.copy(f"COPY {c_table} ({', '.join(c_cols)}) FROM STDIN") as copy:
                for n, plan in enumerate(plans(threads), start=1):
                    for row in work.comment_rows(n, plan):
                        html_bytes += len(row["body_html"])
                        copy.write_row(
                            [
                                json.dumps(v) if isinstance(v, dict) else v
                                for v in map(row.get, c_cols)
                            ]
                        )
                    if n % 20_000 == 0:
                        log(f"  {n:,} threads copied ({time.perf_counter() - started:.0f} s)")
            for table in (t_table, c_table):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            # What the foreign keys would have checked: every parent is in the same thread.
            cur.execute(
                f"SELECT count(*) FROM {c_table} c LEFT JOIN {c_table} p ON p.id = c.parent_id "  # noqa: S608
                f"WHERE c.parent_id IS NOT NULL AND (p.id IS NULL OR p.thread_id <> c.thread_id)"
            )
            orphans = cur.fetchone()[0]
    copied = time.perf_counter() - started
    if orphans:
        raise SystemExit(f"{orphans} comments have a parent outside their thread")

    # The same threads through the service, in a transaction rolled back: every column equal.
    verified = 0
    for n, plan in enumerate(plans(VERIFY_THREADS), start=1):
        with transaction.atomic():
            from meydan.comments import services

            probe = services.thread_get_or_create(site=site, key=f"/scale-verify-{n}")
            work.post(probe, plan, n)
            posted = comparable(*stored_rows(probe.pk))
            bulk = comparable(*stored_rows(n))
            transaction.set_rollback(True)
        if posted != bulk:
            raise SystemExit(
                f"bulk rows of thread {n} differ from the service's:\n{posted}\n{bulk}"
            )
        verified += 1

    started = time.perf_counter()
    with psycopg.connect(PG.format(db=connection.settings_dict["NAME"]), autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
    vacuumed = time.perf_counter() - started
    print(
        "RESULT "
        + json.dumps(
            {
                "prepare_s": prepared,
                "copy_s": copied,
                "vacuum_s": vacuumed,
                "verified_threads": verified,
                "mean_body_html": html_bytes / (threads * PER_THREAD),
            }
        ),
        flush=True,
    )


# --- Measuring (child process, Django configured for one database) ---------------


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def read_path(n: int) -> str:
    return f"/api/v1/threads?site={SITE_SLUG}&url=/article-{n}"


def child_measure(threads: int, reads: int, round_no: int, explain: bool) -> None:
    """Time `reads` thread reads of random threads (the cache as the environment
    configures it); print the raw times as JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    rng = random.Random(SEED + 100 + round_no)
    sample = [rng.randint(1, threads) for _ in range(reads)]
    cached = not settings.CACHES["default"]["BACKEND"].endswith("DummyCache")

    def read(n: int) -> float:
        started = time.perf_counter()
        response = client.get(read_path(n))
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{read_path(n)} answered {response.status_code}")
        return elapsed * 1000

    body = client.get(read_path(sample[0])).json()
    if body["count"] != PER_THREAD or len(body["comments"]) != PER_THREAD:
        raise SystemExit(f"/article-{sample[0]} shows {len(body['comments'])} comments")
    # Uncached: a short warm-up on other threads (imports, connection, code paths).
    # Cached: read the sample once, so the timed pass finds every page in the cache.
    for n in sample if cached else [rng.randint(1, threads) for _ in range(100)]:
        read(n)
    result: dict = {"response_bytes": len(json.dumps(body)), "cached": cached}
    result["server"], result["cpu"] = [], []
    for n in sample:  # wall time, and this process's CPU time (not what others take)
        cpu = time.process_time()
        result["server"].append(read(n))
        result["cpu"].append((time.process_time() - cpu) * 1000)

    # The database's part: the same reads, timing each query where it is executed.
    spent: list[float] = []

    timed = timing_into(spent)

    result["db"], result["queries"] = [], []
    with connection.execute_wrapper(timed):
        for n in sample:
            spent.clear()
            read(n)
            result["db"].append(sum(spent))
            result["queries"].append(len(spent))

    if explain:  # a thread this process has not read: its pages may not be in shared buffers
        fresh = rng.randint(1, threads)
        with CaptureQueriesContext(connection) as captured:
            read(fresh)
        plans_out = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plans_out.append(
                    {"sql": query["sql"], "plan": [row[0] for row in cursor.fetchall()]}
                )
        result["thread"] = fresh
        result["plans"] = plans_out
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        result["db_size"] = cursor.fetchone()[0]
    print("RESULT " + json.dumps(result), flush=True)


POST_ENV = {
    # As bench/bench.py's post scenario: what stands between a reader and a post and
    # is not the post itself (rate limits, the form's minimum age, the proof of work a
    # reader's browser solves) is off, so every request is a post that gets stored.
    "MEYDAN_RATELIMIT_COMMENTS": "off",
    "MEYDAN_MIN_FORM_SECONDS": "off",
    "MEYDAN_POW": "off",
}


def post_body(work, rng: random.Random, thread_no: int, number: int) -> tuple[dict, str]:
    """One reader's POST /api/v1/comments into /article-`thread_no` and the address it
    comes from: an author and a text of the workload, top-level with p 1/3, else a
    reply to one of the thread's loaded comments (their ids follow from the thread's
    number). The text is marked, so the duplicate check never refuses it."""
    _author, given, ip, _key, _hash = work.authors[rng.randrange(len(work.authors))]
    text = work.texts[rng.randrange(TEXT_POOL)][0]
    parent = None
    if rng.random() >= 1 / 3:
        parent = (thread_no - 1) * PER_THREAD + 1 + rng.randrange(PER_THREAD)
    body = {
        "site": SITE_SLUG,
        "url": f"/article-{thread_no}",
        "title": f"Article {thread_no}",
        "parent": parent,
        "name": given.name,
        "email": given.email,
        "website": given.url,
        "body": f"{text}\n\n(scale post {number})",
    }
    return body, ip


def table_counts() -> dict[str, int]:
    """Exact row counts of every table of the database (the comments table included)."""
    from django.db import connection

    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - our own tables
            counts[name] = cursor.fetchone()[0]
    return counts


def restore_loaded(work, threads: int, touched: set[int]) -> int:
    """Undo the posts: delete every comment after the loaded ones (their ids run to
    threads x PER_THREAD), the background tasks they queued, and give the touched
    threads back their loaded counters (count, version, sequence, last comment's
    time). Returns the comments deleted."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from meydan.comments.models import Comment, Thread

    with transaction.atomic():
        deleted, _ = Comment.objects.filter(id__gt=threads * PER_THREAD).delete()
        # A post the moderation holds (202) queues a message to the moderators; no
        # worker runs here. The loader queues none, so every task is a post's.
        DBTaskResult.objects.all().delete()
        fields = ("comment_count", "version", "last_seq", "last_comment_at")
        for n in sorted(touched):
            row = work.thread_row(n, PER_THREAD)
            Thread.objects.filter(pk=n).update(**{f: row[f] for f in fields})
    return deleted


def child_restore(threads: int) -> None:
    """Undo posts a post round left behind: every thread whose sequence moved on."""
    import django

    django.setup()
    from meydan.comments.models import Thread
    from meydan.sites.models import Site

    moved = Thread.objects.filter(pk__lte=threads).exclude(last_seq=PER_THREAD)
    touched = set(moved.values_list("pk", flat=True))
    deleted = restore_loaded(Workload(Site.objects.get(slug=SITE_SLUG)), threads, touched)
    print("RESULT " + json.dumps({"deleted": deleted, "threads": len(touched)}), flush=True)


def child_post(threads: int, posts: int, round_no: int) -> None:
    """Time `posts` comments posted through POST /api/v1/comments into random loaded
    threads, each committed as a reader's would be; then delete them and restore the
    threads' counters, and check every table's row count is back. Print JSON."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from meydan.sites.models import Site

    site = Site.objects.get(slug=SITE_SLUG)
    work = Workload(site)
    client = Client()
    rng = random.Random(SEED + 200 + round_no)
    before = table_counts()
    if before["comments_comment"] != threads * PER_THREAD:
        raise SystemExit(f"{before['comments_comment']} comments before posting; expected "
                         f"{threads * PER_THREAD}")  # fmt: skip
    touched: set[int] = set()
    spent: list[float] = []
    committed: list[float] = []

    timed = timing_into(spent)

    def post(number: int) -> tuple[float, float, int]:
        thread_no = rng.randint(1, threads)
        touched.add(thread_no)
        body, ip = post_body(work, rng, thread_no, number)
        spent.clear()
        committed.clear()
        cpu = time.process_time()
        started = time.perf_counter()
        response = client.post(
            "/api/v1/comments",
            json.dumps(body),
            content_type="application/json",
            headers={"Origin": ORIGIN},
            REMOTE_ADDR=ip,
        )
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        if response.status_code not in (201, 202):
            raise SystemExit(f"POST into /article-{thread_no} answered "
                             f"{response.status_code}: {response.content[:300]!r}")  # fmt: skip
        return elapsed, cpu, len(spent)

    result: dict = {"server": [], "cpu": [], "db": [], "commit": [], "queries": []}
    statuses: dict[str, int] = {}
    # The COMMIT is no statement (Django commits on the connection), so the execute
    # wrapper does not see it: timed here too, as the database's part of a post.
    commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            committed.append((time.perf_counter() - started) * 1000)
            spent.append(committed[-1])

    try:
        with connection.execute_wrapper(timed):
            connection._commit = timed_commit
            for number in range(20):  # warm-up: imports, connection, code paths
                post(-1 - number)
            statuses.clear()
            for number in range(posts):
                elapsed, cpu, statements = post(number)
                result["server"].append(elapsed)
                result["cpu"].append(cpu)
                result["db"].append(sum(spent))
                result["commit"].append(sum(committed))
                result["queries"].append(statements)
    finally:
        connection._commit = commit
        result["deleted"] = restore_loaded(work, threads, touched)
    after = table_counts()
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys()
               if before.get(k) != after.get(k)}  # fmt: skip
    if changed:
        raise SystemExit(f"row counts not restored after posting: {changed}")
    result["statuses"] = statuses
    result["threads_touched"] = len(touched)
    print("RESULT " + json.dumps(result), flush=True)


# --- Orchestration ----------------------------------------------------------------


def merge(into: dict, result: dict) -> None:
    """Add one round's result: lists are concatenated, the rest kept from the first."""
    for key, value in result.items():
        if isinstance(value, list) and key in into and key != "plans":
            into[key].extend(value)
        else:
            into.setdefault(key, value)


def run_child(env: dict, *args: str) -> dict:
    """Run this script as a child; its progress lines pass through, its RESULT is returned."""
    process = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, __file__, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    result = None
    for line in process.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        else:
            print(line, end="", flush=True)
    if process.wait() != 0 or result is None:
        raise SystemExit(f"{' '.join(args)} failed (exit {process.returncode})")
    return result


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(  # noqa: S603
        ["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql],  # noqa: S607
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {sql}\n{out.stderr}")
    return out.stdout.strip()


def ensure_loaded(size: str, reload: bool) -> dict:
    """The database for `size`, reused when its fingerprint and row counts match."""
    db, threads = db_name(size), SIZES[size]
    mark = f"meydan scale {fingerprint(threads)}"
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"  # noqa: S608
    if exists and not reload:
        comment = psql(
            f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'"  # noqa: S608
        )
        if comment == mark:
            count_sql = (
                "SELECT (SELECT count(*) FROM comments_thread) || ' ' || "
                "(SELECT count(*) FROM comments_comment)"
            )
            counts = psql(count_sql, db)
            found_threads, found_comments = map(int, counts.split())
            if found_threads == threads and found_comments > threads * PER_THREAD:
                # A post round that did not get to undo its posts (killed): undo them
                # now rather than load again.
                log(f"{db}: removing {found_comments - threads * PER_THREAD} posted comments")
                run_child(child_env(db), "_restore", str(threads))
                counts = psql(count_sql, db)
            if counts == f"{threads} {threads * PER_THREAD}":
                log(f"{db}: reused ({mark}; {counts.replace(' ', ' threads, ')} comments)")
                return {"reused": True}
    log(f"{db}: creating, migrating and loading {threads:,} threads x {PER_THREAD}")
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}"')
    env = child_env(db)
    meydan = str(Path(sys.executable).with_name("meydan"))
    started = time.perf_counter()
    subprocess.run([meydan, "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [meydan, "site", "add", "--name", "Scale", "--origin", ORIGIN],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    migrated = time.perf_counter() - started
    result = run_child(env, "_load", str(threads))
    result["migrate_s"] = migrated
    psql(f"COMMENT ON DATABASE \"{db}\" IS '{mark}'")
    return result


def machine() -> tuple[str, list[str]]:
    """The results file's machine slug and the header lines (as bench/bench.py names them)."""
    import platform
    from importlib.metadata import version

    from bench import code_version, machine_slug

    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return machine_slug(), [
        f"machine: nproc {os.cpu_count()}; CPU {cpu}; {mem_kb / 1048576:.0f} GB RAM; "
        f"{platform.system()} {platform.release()}; load average {os.getloadavg()[0]:.2f}",
        f"meydan:  {code_version()} (git HEAD[+hash of uncommitted meydan/ changes]); "
        f"Python {platform.python_version()}; Django {version('Django')}; "
        f"psycopg {version('psycopg')}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000, help="thread reads per database")
    parser.add_argument("--posts", type=int, default=300, help="comments posted per database")
    parser.add_argument("--rounds", type=int, default=10, help="alternations of the sizes")
    parser.add_argument("--sizes", default="small,huge", help=f"of {', '.join(SIZES)}")
    parser.add_argument("--reload", action="store_true", help="load even if already loaded")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    sizes = sorted({s for s in args.sizes.split(",") if s}, key=SIZES.__getitem__)
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown sizes {', '.join(sorted(unknown))}; choose from {', '.join(SIZES)}")
    least, largest = sizes[0], sizes[-1]
    started = time.time()
    slug, machine_lines = machine()
    now = datetime.datetime.now(datetime.UTC)
    lines = [
        f"Meydan scale test on PostgreSQL, {now:%Y-%m-%d %H:%M} UTC",
        *machine_lines,
        f"postgres: {psql('SHOW server_version')}; shared_buffers {psql('SHOW shared_buffers')}",
        "",
    ]
    log("\n".join(lines))
    loads = {size: ensure_loaded(size, args.reload) for size in sizes}
    # The sizes alternate in rounds, so load from other processes on the machine falls
    # on all alike; each round is a fresh process reading other random threads.
    cold: dict[str, dict] = {size: {} for size in sizes}
    warm: dict[str, dict] = {size: {} for size in sizes}
    per_round = max(1, args.reads // args.rounds)
    for round_no in range(args.rounds):
        for size in sizes:
            db, threads = db_name(size), SIZES[size]
            log(f"round {round_no + 1}/{args.rounds}, {db}: {per_round} uncached reads")
            merge(
                cold[size],
                run_child(
                    child_env(db, MEYDAN_CACHE_URL="dummy://"),
                    "_measure",
                    str(threads),
                    str(per_round),
                    str(round_no),
                    "explain" if size == largest and round_no == 0 else "",
                ),
            )
    # The posts come after every read (they add rows to the threads read) and alternate
    # the same way; each round deletes what it posted and restores the threads.
    posted: dict[str, dict] = {size: {} for size in sizes}
    posts_per_round = max(1, args.posts // args.rounds)
    for round_no in range(args.rounds if args.posts else 0):
        for size in sizes:
            db, threads = db_name(size), SIZES[size]
            log(f"round {round_no + 1}/{args.rounds}, {db}: {posts_per_round} posts")
            result = run_child(
                child_env(db, **POST_ENV),
                "_post",
                str(threads),
                str(posts_per_round),
                str(round_no),
            )
            statuses = result.pop("statuses")
            sums = {key: result.pop(key) for key in ("deleted", "threads_touched")}
            merge(posted[size], result)
            for code, count in statuses.items():
                posted[size].setdefault("statuses", {}).setdefault(code, 0)
                posted[size]["statuses"][code] += count
            for key, value in sums.items():
                posted[size][key] = posted[size].get(key, 0) + value
    for size in sizes:
        db, threads = db_name(size), SIZES[size]
        log(f"{db}: {args.reads} reads with the shipped cache (local memory), second pass")
        merge(
            warm[size], run_child(child_env(db), "_measure", str(threads), str(args.reads), "0", "")
        )
    for size in sizes:  # the database's size as the reads saw it
        posted[size].setdefault("db_size", cold[size]["db_size"])
    for data in (cold, warm, posted) if args.posts else (cold, warm):
        for size in sizes:
            for key in ("server", "cpu", "db", "commit"):
                if key in data[size]:
                    data[size][key] = summary(data[size][key])
            data[size]["queries"] = [min(data[size]["queries"]), max(data[size]["queries"])]
    lines[1] += f" (start); {os.getloadavg()[0]:.2f} (end)"

    out = list(lines)
    out.append("load (COPY of the rows comment_post writes; VACUUM ANALYZE):")
    for size, r in loads.items():
        if r.get("reused"):
            out.append(f"  {size:5}  reused (fingerprint and row counts match)")
            continue
        out.append(
            f"  {size:5}  {SIZES[size]:>7,} threads, {SIZES[size] * PER_THREAD:>9,} comments: "
            f"migrate {r['migrate_s']:.1f} s, prepare {r['prepare_s']:.1f} s, COPY "
            f"{r['copy_s']:.1f} s, VACUUM ANALYZE {r['vacuum_s']:.1f} s; mean body_html "
            f"{r['mean_body_html']:.0f} chars; {r['verified_threads']} threads equal to "
            f"comment_post's rows"
        )
    out.append("")
    out.append("thread read, GET /api/v1/threads (Django handler in-process), ms:")
    out.append(f"  {'':30}{'mean':>8}{'p50':>8}{'p99':>8}  queries  database")
    for label, data, key in (
        ("uncached, server", cold, "server"),
        ("uncached, its Python CPU", cold, "cpu"),
        ("uncached, database part", cold, "db"),
        ("shipped cache, server", warm, "server"),
    ):
        for size in sizes:
            s = data[size][key]
            q = data[size]["queries"]
            out.append(
                f"  {label + ' ' + size:30}{s['mean']:8.2f}{s['p50']:8.2f}{s['p99']:8.2f}"
                f"  {q[0]}-{q[1]:<6} {data[size]['db_size']}"
            )
    out.append(
        "  (cached rows go through Django's handler, like the rest; `meydan serve` answers "
        "cached reads before it, see meydan/api/fastpath.py)"
    )
    if args.posts:
        out.append("")
        out.append(
            "comment post, POST /api/v1/comments (Django handler in-process, shipped cache, "
            "rate limits, form age and proof of work off), ms:"
        )
        out.append(f"  {'':30}{'mean':>8}{'p50':>8}{'p99':>8}  queries  database")
        for label, key in (
            ("post, server", "server"),
            ("post, its Python CPU", "cpu"),
            ("post, database part", "db"),
            ("post, of which COMMIT", "commit"),
        ):
            for size in sizes:
                s = posted[size][key]
                q = posted[size]["queries"]
                out.append(
                    f"  {label + ' ' + size:30}{s['mean']:8.2f}{s['p50']:8.2f}{s['p99']:8.2f}"
                    f"  {q[0]}-{q[1]:<6} {posted[size]['db_size']}"
                )
        for size in sizes:
            p = posted[size]
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(p["statuses"].items()))
            out.append(
                f"  {size}: {p['server']['n']} timed posts (responses {statuses}) and "
                f"{p['deleted'] - p['server']['n']} warm-ups into {p['threads_touched']:,} random "
                "threads, each committed (the database part is its statements and the COMMIT; "
                f"queries count both); afterwards the {p['deleted']} comments were deleted and "
                "the threads' counters restored, every table's row count checked back to the "
                "loaded one"
            )
    verdicts = []
    if len(sizes) > 1:
        out.append("")
        pairs = [
            ("uncached server", cold, "server"),
            ("uncached Python CPU", cold, "cpu"),
            ("uncached database", cold, "db"),
            ("cached server", warm, "server"),
        ]
        if args.posts:
            pairs += [
                ("post server", posted, "server"),
                ("post Python CPU", posted, "cpu"),
                ("post database", posted, "db"),
            ]
        for label, data, key in pairs:
            ratios = {
                m: data[largest][key][m] / data[least][key][m] for m in ("mean", "p50", "p99")
            }
            out.append(
                f"  {largest}/{least}, {label:19} mean {ratios['mean']:.2f}x, "
                f"p50 {ratios['p50']:.2f}x, p99 {ratios['p99']:.2f}x"
            )
        ratio = cold[largest]["server"]["mean"] / cold[least]["server"]["mean"]
        met = "met" if ratio <= TARGET_RATIO else "MISS"
        verdicts.append(
            f"target: uncached read, {largest}/{least} mean server time {ratio:.2f}x "
            f"(<= {TARGET_RATIO}x): {met}"
        )
    if "plans" in cold[largest]:
        big = cold[largest]
        out.append("")
        out.append(
            f"EXPLAIN (ANALYZE, BUFFERS) of the {len(big['plans'])} queries of one uncached read "
            f"(/article-{big['thread']}) on {db_name(largest)}, run just after that read "
            "(so its pages are in shared buffers):"
        )
        scans = []
        for number, item in enumerate(big["plans"], start=1):
            out.append(f"-- query {number}: {item['sql']}")
            out.extend("   " + line for line in item["plan"])
            for line in item["plan"]:
                found = SCAN_FORBIDDEN.search(line)
                if found:
                    scans.append(f"query {number}: {found.group(0)}")
        out.append("")
        lines_of_plans = [line for item in big["plans"] for line in item["plan"]]
        used = sorted({m for line in lines_of_plans for m in INDEX_SCAN.findall(line)})
        out.append("scans: " + "; ".join(used))
        seq_tables = {m for line in lines_of_plans for m in re.findall(r"Seq Scan on (\w+)", line)}
        other = sorted(seq_tables - {s.split()[-1] for s in scans})
        if other:
            out.append(f"sequential scans of other tables: {', '.join(other)}")
        verdicts.append(
            f"target: no sequential scan of a comments table in the {largest} read's plans: "
            + ("met" if not scans else "MISS (" + "; ".join(scans) + ")")
        )
    out.append("")
    out.extend(verdicts)
    out.append(f"(run took {time.time() - started:.0f} s)")
    text = "\n".join(out) + "\n"
    print()
    print(text, end="")
    if not args.no_save:
        from bench import save_result

        save_result(f"{now.date().isoformat()}-scale-pg-{slug}", text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        child_load(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_measure":
        child_measure(
            int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "explain" in sys.argv[5:]
        )
    elif len(sys.argv) > 1 and sys.argv[1] == "_restore":
        child_restore(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_post":
        child_post(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
