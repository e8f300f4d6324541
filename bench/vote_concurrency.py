"""32 readers up-vote one comment at once: is the count exact?

    .venv/bin/python bench/vote_concurrency.py [--voters 32] [--replays 2]

Each voter is a Python thread with its own database connection and its own
django.test.Client. All wait at a barrier, then each votes on the same comment
through POST /api/v1/comments/{id}/vote as a new guest (the answer issues its voter
id) and replays that request `--replays` times with the id; at a second barrier,
every other voter takes the vote back (DELETE) and replays that too; at a third,
all of them send one and the same new guest's vote at once (a replay racing itself:
the unique (voter, comment) row lets one through). The vote rate
limit is off (every voter comes from 127.0.0.1). On a scratch SQLite database (WAL,
as shipped) in a temporary directory, or, with DATABASE_URL=postgres://…, on a
scratch database created next to the one named there (and dropped afterwards).

Then it checks, and exits 1 if anything is off: every request answered 200; the
first vote of each voter changed something and every replay nothing; the comment's
vote_count equals its Vote rows equals the voters left; the thread's version moved
by exactly the number of changes.
"""

import argparse
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
    parser.add_argument("--voters", type=int, default=32)
    parser.add_argument("--replays", type=int, default=2, help="replays of each request")
    args = parser.parse_args()

    with scratch_meydan("vote-concurrency", MEYDAN_RATELIMIT_VOTES="off"):
        return run(args)


def run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from meydan.accounts.voters import voter_id_new, voter_token
    from meydan.comments import services
    from meydan.comments.models import Comment, Thread, Vote
    from meydan.sites.models import Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(name="Bench", slug=SITE, domain="127.0.0.1", origins=ORIGIN)
    thread = services.thread_get_or_create(site=site, key="/article", title="A")
    comment = services.comment_post(
        thread=thread,
        author=services.Author(name="Seed", email="seed@example.org"),
        body="Vote for me.",
        moderate=False,
        channel="command",
    ).comment
    version_before = Thread.objects.get(pk=thread.pk).version
    path = f"/api/v1/comments/{comment.pk}/vote"
    shared = voter_token(voter_id_new())  # one guest's request, sent by every thread at once
    answers: list[tuple[str, int, bool | None]] = []  # (what, status, changed)
    lock = threading.Lock()
    barrier = threading.Barrier(args.voters)

    def voter(n: int) -> None:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ORIGIN=ORIGIN)

        def send(method, what, token=None):
            headers = {"X-Meydan-Voter": token} if token else {}
            response = getattr(client, method)(path, headers=headers)
            body = response.json() if response.status_code == 200 else {}
            with lock:
                answers.append((what, response.status_code, body.get("changed")))
            return body

        try:
            barrier.wait()
            token = send("post", "vote").get("voter")
            for _ in range(args.replays):
                send("post", "replay", token)
            barrier.wait()
            if n % 2:
                send("delete", "unvote", token)
                for _ in range(args.replays):
                    send("delete", "replay", token)
            barrier.wait()
            send("post", "race", shared)
        finally:
            connection.close()  # this thread's own connection

    started = time.perf_counter()
    workers = [threading.Thread(target=voter, args=(n,)) for n in range(args.voters)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started

    problems = []
    statuses = Counter(status for _, status, _ in answers)
    if set(statuses) != {200}:
        problems.append(f"answers: {dict(statuses)}")
    changes = Counter((what, changed) for what, _, changed in answers)
    unvoters = args.voters // 2
    expected = {("vote", True): args.voters, ("unvote", True): unvoters}
    expected[("replay", False)] = args.replays * (args.voters + unvoters)
    expected[("race", True)] = 1
    expected[("race", False)] = args.voters - 1
    if dict(changes) != expected:
        problems.append(f"changes: {dict(changes)}, expected {expected}")
    comment.refresh_from_db()
    rows = Vote.objects.filter(comment=comment).count()
    left = args.voters - unvoters + 1
    if not (comment.vote_count == rows == left):
        problems.append(f"vote_count {comment.vote_count}, Vote rows {rows}, expected {left}")
    version = Thread.objects.get(pk=thread.pk).version
    if version != version_before + args.voters + unvoters + 1:
        problems.append(
            f"thread version moved {version - version_before}, "
            f"expected {args.voters + unvoters + 1}"
        )
    if Comment.objects.filter(pk=comment.pk, vote_count__lt=0).exists():
        problems.append("negative count")

    print(
        f"{connection.vendor}: {args.voters} voters at once on one comment, each vote "
        f"replayed {args.replays} times, then {unvoters} took theirs back, then one "
        f"guest's vote sent by all at once: "
        f"{len(answers)} requests in {elapsed:.1f} s ({len(answers) / elapsed:.0f}/s); "
        f"answers {dict(statuses)}; vote_count {comment.vote_count}, Vote rows {rows}"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    print("count exact: yes" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
