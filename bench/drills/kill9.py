"""kill -9 under write load: nothing acknowledged is lost, nothing is stored twice.

    .venv/bin/python bench/drills/kill9.py [--database sqlite|postgres] [--cycles 20] [--quick]

What it proves: a comment Meydan answered 201 or 202 for is in the database, once,
whatever moment the whole server dies at; the database is intact afterwards; and the
counts kept on each Thread row (comment_count, last_seq) agree with its comments.

How: `meydan serve --workers 2` (loopback, in its own process group) on the demo
content, SQLite in a throw-away var dir or a scratch PostgreSQL database on
127.0.0.1:5432 (created here, dropped at the end). 16 posters (threads, each on a
keep-alive connection) post comments with unique bodies to four pages, as fast as
the server takes them (speed limits and the form's minimum age off). In each cycle
the server starts, answers /readyz, and a seeded random 0.5-3 s later the whole
process group (granian's parent and its workers) gets SIGKILL; then it starts again.
A post whose connection broke before an answer is "in doubt": it may or may not be
stored, and either is fine. Afterwards the rows are read directly (sqlite3 /
psycopg): every acknowledged id is there with its body, no body twice, the integrity
check passes (PRAGMA integrity_check; amcheck's bt_index_check with heapallindexed on
PostgreSQL, and counts by sequential and by index scan), and each thread's
comment_count equals its approved comments and last_seq its highest seq.

Exit status 1 when anything acknowledged is missing or duplicated, or a check fails.
"""

import argparse
import os
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ARTICLE,
    NO_SPEED_LIMITS,
    SITE,
    Poster,
    Server,
    free_port,
    fresh_var_dir,
    median,
    pg_scratch_database,
    wait_for,
)

PAGES = [ARTICLE, "/drill/kill9-a/", "/drill/kill9-b/", "/drill/kill9-c/"]


class Ledger:
    """What the posters were told."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged: dict[int, str] = {}  # comment id -> body
        self.acknowledged_bodies: list[str] = []
        self.in_doubt: list[str] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()  # unexpected answers, by status and code


def poster(index: int, port: int, run: str, ledger: Ledger, stop: threading.Event) -> None:
    client = Poster(port)
    n = 0
    while not stop.is_set():
        n += 1
        body = f"kill9 {run} poster {index} comment {n}: the turnout figures were too low."
        payload = {
            "site": SITE,
            "url": PAGES[(index + n) % len(PAGES)],
            "title": "Drill",
            "body": body,
            "name": f"Poster {index}",
            "email": f"poster{index}@example.net",
        }
        status, data = client.post(payload)
        with ledger.lock:
            ledger.statuses[status] += 1
            if status in (201, 202):
                ledger.acknowledged[data["comment"]["id"]] = body
                ledger.acknowledged_bodies.append(body)
            elif status is None:
                ledger.in_doubt.append(body)
            elif status == 0:
                pass  # never sent: the server is down or starting
            else:
                code = data.get("error", {}).get("code", "") if isinstance(data, dict) else ""
                ledger.errors[f"{status} {code}".strip()] += 1
        if not status:
            time.sleep(0.05)  # the server is down or starting: try again soon
    client.close()


# Each thread's kept counts beside what its rows say: (id, comment_count, last_seq,
# approved comments, highest seq).
THREAD_COUNTS = (
    "SELECT t.id, t.comment_count, t.last_seq,"
    " (SELECT COUNT(*) FROM comments_comment c"
    "   WHERE c.thread_id = t.id AND c.status = 'approved'),"
    " (SELECT COALESCE(MAX(seq), 0) FROM comments_comment c WHERE c.thread_id = t.id)"
    " FROM comments_thread t"
)


def check_sqlite(path: Path, run: str) -> dict:
    con = sqlite3.connect(path)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        rows = con.execute(
            "SELECT id, body FROM comments_comment WHERE body LIKE ?", (f"kill9 {run} %",)
        ).fetchall()
        threads = con.execute(THREAD_COUNTS).fetchall()
    finally:
        con.close()
    ok = [r[0] for r in integrity] == ["ok"] and not fk
    return {
        "rows": rows,
        "threads": threads,
        "integrity": "ok" if ok else f"FAILED {integrity[:5]} fk={fk[:5]}",
    }


def check_postgres(url: str, run: str) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute(
            "SELECT id, body FROM comments_comment WHERE body LIKE %s", (f"kill9 {run} %",)
        ).fetchall()
        threads = con.execute(THREAD_COUNTS).fetchall()
        problems = []
        # amcheck: every B-tree index of the two tables, with heapallindexed (each heap
        # row must be found in the index).
        try:
            con.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            indexes = con.execute(
                "SELECT i.indexrelid::regclass::text FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " WHERE i.indrelid IN ('comments_comment'::regclass, 'comments_thread'::regclass)"
                " AND a.amname = 'btree'"
            ).fetchall()
            for (index,) in indexes:
                try:
                    con.execute("SELECT bt_index_check(%s::regclass, true)", (index,))
                except psycopg.Error as error:
                    problems.append(f"{index}: {error}")
            checked = f"amcheck on {len(indexes)} indexes"
        except psycopg.Error as error:
            checked = f"amcheck unavailable ({error.__class__.__name__})"
        # The same count by a sequential scan and by the primary key's index.
        con.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
        con.execute("SET enable_indexonlyscan = off")
        by_seq = con.execute("SELECT COUNT(*) FROM comments_comment WHERE id > 0").fetchone()[0]
        con.execute("RESET ALL")
        con.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        by_index = con.execute("SELECT COUNT(*) FROM comments_comment WHERE id > 0").fetchone()[0]
        if by_seq != by_index:
            problems.append(f"count by seq scan {by_seq} != by index {by_index}")
    integrity = "ok" if not problems else "FAILED " + "; ".join(problems[:5])
    return {"rows": rows, "threads": threads, "integrity": f"{integrity} ({checked})"}


def run_drill(args, env: dict, port: int, check) -> bool:
    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:8]
    ledger = Ledger()
    stop = threading.Event()
    server = Server(env, port, workers=args.workers)
    first_start = None
    restarts: list[float] = []
    serving = 0.0
    posters = [
        threading.Thread(target=poster, args=(i, port, run, ledger, stop), daemon=True)
        for i in range(args.posters)
    ]
    for thread in posters:
        thread.start()
    try:
        for cycle in range(args.cycles):
            started = server.start()
            ready = wait_for(port, "/readyz", deadline_s=60)
            if ready is None:
                raise SystemExit(f"the server did not become ready; see {server.log_path}")
            if cycle == 0:
                first_start = ready - started
            else:
                restarts.append(ready - started)
            delay = rng.uniform(0.5, 3.0)
            time.sleep(delay)
            server.kill()
            serving += time.monotonic() - ready
            print(
                f"cycle {cycle + 1:>2}: ready after {ready - started:.2f} s, killed after "
                f"{delay:.2f} s; acknowledged so far {len(ledger.acknowledged)}",
                flush=True,
            )
    finally:
        stop.set()
        for thread in posters:
            thread.join(timeout=40)
        server.kill()

    result = check(run)
    rows = result["rows"]
    stored: dict[int, str] = dict(rows)
    bodies = Counter(body for _id, body in rows)
    missing = [(cid, body) for cid, body in ledger.acknowledged.items() if stored.get(cid) != body]
    duplicates = [body for body, n in bodies.items() if n > 1]
    acked_twice = [b for b, n in Counter(ledger.acknowledged_bodies).items() if n > 1]
    in_doubt_stored = sum(1 for body in ledger.in_doubt if body in bodies)
    mismatches = [t for t in result["threads"] if t[1] != t[3] or t[2] != t[4]]
    found = len(ledger.acknowledged) - len(missing)

    print()
    print(f"database:              {args.database}")
    print(f"cycles:                {args.cycles} (seed {args.seed}, {args.posters} posters)")
    print(f"acknowledged:          {len(ledger.acknowledged)} (201/202)")
    print(f"found:                 {found}")
    print(f"missing:               {len(missing)}")
    print(
        f"duplicates:            {len(duplicates)} bodies stored twice, "
        f"{len(acked_twice)} acknowledged twice"
    )
    print(f"in doubt (no answer):  {len(ledger.in_doubt)}, of which stored: {in_doubt_stored}")
    print(f"refused (server down): {ledger.statuses[0]} attempts, never sent")
    print(f"other answers:         {dict(ledger.errors) or 'none'}")
    print(f"integrity:             {result['integrity']}")
    print(f"thread count mismatch: {len(mismatches)} of {len(result['threads'])} threads")
    print(
        f"posts/s while serving: {len(ledger.acknowledged) / serving:.0f} ({serving:.1f} s serving)"
    )
    print(f"first start:           {first_start:.2f} s to /readyz (fresh var dir)")
    if restarts:
        print(
            f"restart to /readyz:    p50 {median(restarts):.2f} s, max {max(restarts):.2f} s "
            f"({len(restarts)} restarts after SIGKILL)"
        )
    for cid, body in missing[:10]:
        print(f"  MISSING {cid}: {body}")
    for body in duplicates[:10]:
        print(f"  DUPLICATE: {body}")
    for t in mismatches[:10]:
        print(
            f"  THREAD {t[0]}: comment_count {t[1]} vs {t[3]} approved, last_seq {t[2]} vs {t[4]}"
        )
    return not (missing or duplicates or acked_twice or mismatches) and result[
        "integrity"
    ].startswith("ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--posters", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20260509)
    parser.add_argument("--quick", action="store_true", help="4 cycles")
    args = parser.parse_args()
    if args.quick:
        args.cycles = min(args.cycles, 4)
    port = free_port()
    if args.database == "sqlite":
        var, env = fresh_var_dir("meydan-kill9-", port, NO_SPEED_LIMITS)
        db = Path(var) / "meydan.sqlite3"
        ok = run_drill(args, env, port, lambda run: check_sqlite(db, run))
    else:
        name = f"meydan_drill_kill9_{os.getpid()}"
        with pg_scratch_database(name) as url:
            var, env = fresh_var_dir(
                "meydan-kill9-", port, {**NO_SPEED_LIMITS, "DATABASE_URL": url}
            )
            ok = run_drill(args, env, port, lambda run: check_postgres(url, run))
    print(f"var dir:               {var}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
