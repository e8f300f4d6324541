"""Drill: Redis stops for 10 seconds under load, then starts again.

    .venv/bin/python bench/drills/redis_outage.py [--quick] [--outage 10]

The same layout and load as db_outage.py (bench/drills/outage.py): a private
PostgreSQL and Redis, `meydan serve --workers 2` with the cache and the task queue in
Redis, `meydan worker`, readers and posters. After the warm-up it stops Redis (a
SIGTERM: it writes its append-only file, as `systemctl stop` does), waits, starts it
again with the same data.

What it proves, and checks (the exit status is 1 when one fails):
- reading and posting go on: only 200/201/202 answers, no 5xx, no traceback;
- what degrades, measured: reads are built from the database (latency before,
  during and after), and what becomes of the emails queued while Redis is away
  (notifications of new comments, a subscription's confirmation);
- the log says "cache available again" after Redis returns, and a thread that got
  comments only during the outage shows them afterwards;
- `meydan worker` (the RQ worker) is still running, and an email queued after the
  recovery is sent.
Loopback only; bounded: about warm-up + outage + 30 s plus start-up, then it stops.
"""

import argparse

from outage import Drill, finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter warm-up and tail")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds without Redis")
    parser.add_argument("--keep", action="store_true", help="keep the drill's directory")
    args = parser.parse_args()
    warmup, after = (5, 10) if args.quick else (15, 20)
    drill = Drill(what="redis", outage_seconds=args.outage, warmup=warmup, after=after)
    r, mail = drill.run(keep=args.keep)
    failures = []
    for phase in ("before", "down", "after"):
        for kind in ("cached", "uncached", "post"):
            bad = {
                s: n
                for s, n in r[f"{phase}.{kind}"]["statuses"].items()
                if s not in (200, 201, 202)
            }
            if bad:
                failures.append(f"{kind} {phase}: {bad}")
    if r["problems"]:
        failures.append(f"{len(r['problems'])} unexpected answers")
    if r["present"] != r["acked"]:
        failures.append(f"{r['acked'] - r['present']} acknowledged comments lost")
    if not r["cache_back_logged"]:
        failures.append('no "cache available again" in the server log')
    if r["outage_only_shown"] != r["outage_only"]:
        failures.append(
            f"{r['outage_only'] - r['outage_only_shown']} comments posted during the outage "
            "missing from their thread's read afterwards"
        )
    during = drill.during_mail_posted[1]
    if during not in (201, 202):
        failures.append(f"a post asking for email during the outage was answered {during}")
    finish(failures, mail)


if __name__ == "__main__":
    main()
