"""Start-up: how soon `meydan serve` answers after it is started.

    .venv/bin/python bench/drills/startup.py [--repeat 5] [--quick]

What it proves: a restart, after a clean stop or after SIGKILL as a supervisor would
do it, answers within about 2 s, because the system checks and collectstatic are
skipped when nothing changed (meydan/core/startup.py); only the first start of a
fresh var dir pays for them.

How: on loopback, for 1 and 2 workers, each repetition makes a fresh var dir with
the demo content (not timed), then times three starts of `meydan serve`:
(a) the first start (checks and collectstatic run), stopped with SIGTERM;
(b) a restart with nothing changed, killed with SIGKILL (the whole process group);
(c) the restart after that SIGKILL, stopped with SIGTERM.
For each start: the time from exec to the first 200 on /healthz (a worker answers),
on /readyz (database, cache and migrations checked) and on the demo article page
(GET with an allowed Host; Django's full request cycle, templates, the thread).
Prints the median and the maximum of each.
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ARTICLE, Server, free_port, fresh_var_dir, get_status, median  # noqa: E402

SCENARIOS = {
    "a": "first start, fresh var dir",
    "b": "restart, nothing changed",
    "c": "restart after SIGKILL",
}


def timed_start(server: Server, deadline_s: float = 120.0) -> tuple[float, float, float]:
    """(healthz, readyz, article) seconds after exec."""
    started = server.start()
    times = []
    for path in ("/healthz", "/readyz", ARTICLE):
        while get_status(server.port, path) != 200:
            if time.monotonic() - started > deadline_s or not server.alive():
                raise SystemExit(f"no 200 on {path}; see {server.log_path}")
            time.sleep(0.01)
        times.append(time.monotonic() - started)
    return times[0], times[1], times[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="2 repetitions")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 2
    port = free_port()
    results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    for workers in args.workers:
        for rep in range(args.repeat):
            var, env = fresh_var_dir("meydan-startup-", port)
            server = Server(env, port, workers=workers)
            try:
                for scenario in "abc":
                    times = timed_start(server)
                    results.setdefault((scenario, workers), []).append(times)
                    print(
                        f"workers {workers} rep {rep + 1} ({scenario}) {SCENARIOS[scenario]}: "
                        f"healthz {times[0]:.2f} s, readyz {times[1]:.2f} s, "
                        f"article {times[2]:.2f} s",
                        flush=True,
                    )
                    if scenario == "b":
                        server.kill()
                    else:
                        server.stop()
            finally:
                server.kill()
                shutil.rmtree(var, ignore_errors=True)

    print()
    print(f"{args.repeat} repetitions; seconds from exec to the first 200, median / max")
    print(f"{'start':<30} {'workers':>7} {'/healthz':>13} {'/readyz':>13} {'article':>13}")
    for (scenario, workers), runs in sorted(results.items()):
        cells = []
        for i in range(3):
            values = [run[i] for run in runs]
            cells.append(f"{median(values):5.2f} / {max(values):5.2f}")
        print(f"{SCENARIOS[scenario]:<30} {workers:>7} " + " ".join(f"{c:>13}" for c in cells))
    restarts = [run[2] for (s, _w), runs in results.items() if s != "a" for run in runs]
    print(
        f"restarts answering the article within 2 s: "
        f"{sum(1 for t in restarts if t <= 2.0)} of {len(restarts)}"
    )


if __name__ == "__main__":
    main()
