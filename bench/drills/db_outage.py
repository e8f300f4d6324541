"""Drill: PostgreSQL stops for 10 seconds under load, then starts again.

    .venv/bin/python bench/drills/db_outage.py [--quick] [--tasks redis|db] [--outage 10]

Runs on a private PostgreSQL and Redis (never the machine's own), `meydan serve
--workers 2` and `meydan worker`, with readers and posters (bench/drills/outage.py).
After the warm-up it stops PostgreSQL (`pg_ctl stop -m fast`), waits, starts it.

What it proves, and checks (the exit status is 1 when one fails):
- while the database is down, cached thread reads still answer 200 from the cache;
- everything else answers 503 with Retry-After and a JSON error (API) or an HTML
  page, never a 500, never a traceback, and no request waits more than a few seconds;
- /healthz stays 200; /readyz turns 503 and back to 200;
- after the start Meydan serves again without a restart (the time to the first
  acknowledged post is printed);
- no acknowledged comment is lost, and no post answered 503 was stored;
- `meydan worker` is still running afterwards, and an email queued after the
  recovery is sent (the file mail backend, in the drill's directory).
Loopback only; bounded: about warm-up + outage + 30 s plus start-up, then it stops.
"""

import argparse

from outage import Drill, finish

MAX_OUTAGE_LATENCY = 5.0  # seconds: no request may wait longer while the database is away


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter warm-up and tail")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds without PostgreSQL")
    parser.add_argument(
        "--tasks",
        choices=["redis", "db"],
        default="redis",
        help="the task queue: Redis (production) or the database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the drill's directory")
    args = parser.parse_args()
    warmup, after = (5, 10) if args.quick else (15, 20)
    drill = Drill(
        what="db", outage_seconds=args.outage, warmup=warmup, after=after, tasks=args.tasks
    )
    failures = []
    r, mail = drill.run(keep=args.keep)
    if r["down.cached"]["statuses"].keys() - {200}:
        failures.append(f"cached reads while down: {r['down.cached']['statuses']}")
    for kind in ("cached", "uncached", "post"):
        if r[f"down.{kind}"]["max"] > MAX_OUTAGE_LATENCY * 1000:
            failures.append(f"a {kind} request waited {r[f'down.{kind}']['max']:.0f} ms while down")
    if r["problems"]:
        failures.append(f"{len(r['problems'])} unexpected answers")
    if r["readyz"][0] is None or r["readyz"][1] is None:
        failures.append(f"/readyz did not go 503 and back: {r['readyz']}")
    if r["first_post_after"] is None:
        failures.append("no post succeeded after PostgreSQL came back")
    if r["present"] != r["acked"]:
        failures.append(f"{r['acked'] - r['present']} acknowledged comments lost")
    if r["refused_present"]:
        failures.append(f"{r['refused_present']} posts answered 503 were stored")
    finish(failures, mail)


if __name__ == "__main__":
    main()
