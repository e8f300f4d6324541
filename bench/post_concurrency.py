"""32 readers post at once: is every comment stored exactly once, in order?

    .venv/bin/python bench/post_concurrency.py [--posters 32] [--each 25] [--threads 4]

Each poster is a Python thread with its own database connection and its own
django.test.Client, posting to POST /api/v1/comments (JSON, the post scenario's
checks: everything on except the per-reader rate limit and the minimum form age),
half of the posts replies, all into a few threads so that they contend for the same
rows. On a scratch SQLite database (WAL, as shipped) in a temporary directory, or,
with DATABASE_URL=postgres://…, on a scratch database created next to the one named
there (and dropped afterwards).

Then it checks, and exits 1 if anything is off: every post answered 201 or 202;
exactly one stored row per answer, none without one; per thread, sequence numbers
1..last_seq with no gap or repeat, unique tree paths, the published count and the
version moved by exactly the number of posts.
"""

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from scratch import ORIGIN, SITE, scratch_meydan  # noqa: E402 - beside this script


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posters", type=int, default=32)
    parser.add_argument("--each", type=int, default=25, help="posts per poster")
    parser.add_argument("--threads", type=int, default=4, help="discussions posted into")
    args = parser.parse_args()

    with scratch_meydan(
        "post-concurrency",
        MEYDAN_RATELIMIT_COMMENTS="off",
        MEYDAN_MIN_FORM_SECONDS="off",
        MEYDAN_POW="off",  # a browser's job: the bench client is a program
        MEYDAN_RATELIMIT_SITE_COMMENTS="1000000/m",
    ):
        return run(args)


def run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from meydan.comments import services
    from meydan.comments.models import Comment, Thread
    from meydan.sites.models import Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(name="Bench", slug=SITE, domain="127.0.0.1", origins=ORIGIN)
    seeds: dict[str, list[int]] = {}
    for n in range(1, args.threads + 1):
        thread = services.thread_get_or_create(site=site, key=f"/article-{n}", title=f"A {n}")
        seeds[thread.key] = [
            services.comment_post(
                thread=thread,
                author=services.Author(name="Seed", email=f"seed{i}@example.org"),
                body=f"Seed {i} of {thread.key}",
                moderate=False,
                channel="command",
            ).comment.pk
            for i in range(5)
        ]
    before = {t.key: (t.version, t.last_seq, t.comment_count) for t in Thread.objects.all()}
    token = json.loads(Client(HTTP_HOST="127.0.0.1").get(f"/api/v1/sites/{SITE}").content)[
        "form_token"
    ]
    answers: list[tuple[str, int, int | None, str]] = []  # (key, status, id, body)
    lock = threading.Lock()
    start = threading.Barrier(args.posters)

    def poster(p: int) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        rng = random.Random(p)
        start.wait()
        try:
            for i in range(args.each):
                key = f"/article-{rng.randrange(args.threads) + 1}"
                text = f"Poster {p}, comment {i}: on {key}."
                body = {
                    "site": SITE, "url": key, "title": "A", "form_token": token,
                    "parent": rng.choice(seeds[key]) if i % 2 else None,
                    "name": f"Poster {p}", "email": f"poster{p}@example.org", "body": text,
                }  # fmt: skip
                response = client.post(
                    "/api/v1/comments", json.dumps(body), content_type="application/json",
                    HTTP_ORIGIN=ORIGIN,
                )  # fmt: skip
                made = response.json().get("comment", {}).get("id")
                with lock:
                    answers.append((key, response.status_code, made, text))
        finally:
            connection.close()  # this thread's own connection

    started = time.perf_counter()
    workers = [threading.Thread(target=poster, args=(p,)) for p in range(args.posters)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started

    problems = []
    statuses = Counter(status for _, status, _, _ in answers)
    if set(statuses) - {201, 202} or len(answers) != args.posters * args.each:
        problems.append(f"answers: {dict(statuses)} of {args.posters * args.each} posts")
    accepted = [a for a in answers if a[1] in (201, 202)]
    rows = {
        c.pk: c
        for c in Comment.objects.filter(body__startswith="Poster ")
        .only("pk", "body", "thread__key", "status")
        .select_related("thread")
    }
    ids = [made for _, _, made, _ in accepted]
    if len(set(ids)) != len(ids):
        problems.append("an id was answered twice")
    if set(ids) != set(rows):
        problems.append(f"{len(rows)} rows stored for {len(ids)} accepted posts")
    bodies = Counter(c.body for c in rows.values())
    if any(n > 1 for n in bodies.values()):
        problems.append("a comment was stored twice")
    for made in ids:
        row = rows.get(made)
        if row is not None and row.body != next(a[3] for a in accepted if a[2] == made):
            problems.append(f"comment {made} holds another post's text")
            break
    for thread in Thread.objects.all():
        seqs = sorted(Comment.objects.filter(thread=thread).values_list("seq", flat=True))
        paths = list(Comment.objects.filter(thread=thread).values_list("path", flat=True))
        posted = sum(1 for key, *_ in accepted if key == thread.key)
        published = Comment.objects.filter(thread=thread, status="approved").count()
        version, last_seq, _ = before[thread.key]
        if seqs != list(range(1, thread.last_seq + 1)):
            problems.append(f"{thread.key}: sequence numbers have gaps or repeats")
        if len(set(paths)) != len(paths):
            problems.append(f"{thread.key}: two comments share a tree path")
        if thread.last_seq != last_seq + posted:
            problems.append(
                f"{thread.key}: last_seq {thread.last_seq}, expected {last_seq + posted}"
            )
        if thread.version != version + posted:
            problems.append(f"{thread.key}: version {thread.version}, expected {version + posted}")
        if thread.comment_count != published:
            problems.append(f"{thread.key}: count {thread.comment_count}, published {published}")

    print(
        f"{connection.vendor}: {args.posters} posters x {args.each} posts into {args.threads} "
        f"threads in {elapsed:.1f} s ({len(answers) / elapsed:.0f} posts/s); answers "
        f"{dict(statuses)}; rows stored {len(rows)}"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    print("lost or duplicated writes: none" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
