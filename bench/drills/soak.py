"""Drill: a mixed soak, N minutes of everything at once, watching memory and errors.

    .venv/bin/python bench/drills/soak.py [--minutes 10] [--quick] [--production]

`meydan serve --workers 2` and `meydan worker` on SQLite (the default), or with
--production on a private PostgreSQL and Redis (cache and task queue; stack.py).
For the whole run, at a steady pace (a soak, not a stress test):

- readers: thread reads (cached and just changed) and the front page (HTML);
- posters: guests posting unique comments; some to a site that holds every comment
  for a moderator (hold_all), so that the moderator has work;
- a moderator: signed in through the staff login form (allauth, /accounts/login/),
  reads the moderation queue (/moderation/) and approves or trashes what waits there,
  one comment per POST to /moderation/act/, as a person clicking the row's buttons;
- sign-ins: the same login form, a new session each time, then the account page.

Every 10 s it samples the RSS of each process (granian's main process, its workers,
the worker) from /proc. At the end it prints, per minute and kind, the count and
p50/p99 latency; the RSS slope after the warm-up (first 20 % of the run, at least a
minute when the run is long enough) per process, by least squares, in MB per 10
minutes; and the error count (any answer but the expected ones, or none): it must
be 0 (exit status 1 otherwise). Loopback only; stops by itself after --minutes.
"""

import argparse
import re
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict

import requests
from stack import (
    SITE_ORIGIN,
    Meydan,
    PrivatePostgres,
    PrivateRedis,
    manage,
    percentile,
    rss_mb,
    say,
    workspace,
)

KINDS = ("read", "page", "post", "held-post", "moderate", "signin")
STAFF = ("drillmod", "drillmod@example.org", "a-long-drill-password-42")
PAGES = [f"{SITE_ORIGIN}/soak-{i}/" for i in range(20)]
HELD_ORIGIN = "https://held.example.org"


class Soak:
    def __init__(self, minutes: float, production: bool):
        self.seconds = minutes * 60
        self.production = production
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, float]] = []  # start, kind, seconds
        self.errors: list[str] = []
        self.rss: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.counts = defaultdict(int)

    def record(self, kind: str, started: float, ok: bool, what: str = "") -> None:
        with self.lock:
            self.rows.append((started - self.t0, kind, time.monotonic() - started))
            if not ok:
                self.errors.append(f"{started - self.t0:7.1f}s {kind}: {what}")

    def call(self, session, kind, method, path, ok_statuses, **kwargs):
        started = time.monotonic()
        try:
            response = session.request(method, self.base + path, timeout=30, **kwargs)
        except requests.RequestException as error:
            self.record(kind, started, False, type(error).__name__)
            return None
        good = response.status_code in ok_statuses and b"Traceback" not in response.content
        self.record(kind, started, good, f"{response.status_code} {response.text[:150]!r}")
        return response

    # --- the load -------------------------------------------------------------------

    def reader(self, n: int) -> None:
        session = requests.Session()
        i = n
        while not self.stop.is_set():
            page = PAGES[i % len(PAGES)]
            params = {"site": self.site, "url": page}
            self.call(session, "read", "GET", "/api/v1/threads", (200,), params=params)
            if i % 10 == 0:
                self.call(session, "page", "GET", "/", (200,))
            i += 1
            time.sleep(0.05)

    def poster(self, n: int) -> None:
        session = requests.Session()
        i = 0
        while not self.stop.is_set():
            held = i % 4 == 3
            origin = HELD_ORIGIN if held else SITE_ORIGIN
            body = {
                "site": self.held_site if held else self.site,
                "url": PAGES[(n * 7 + i) % len(PAGES)].replace(SITE_ORIGIN, origin),
                "title": "Soak",
                "body": f"Soak comment {n}-{i} {uuid.uuid4().hex}",
                "name": f"Soaker {n}",
                "email": f"soaker{n}@example.net",
            }
            kind, ok = ("held-post", (202,)) if held else ("post", (201,))
            self.call(
                session, kind, "POST", "/api/v1/comments", ok, json=body, headers={"Origin": origin}
            )
            i += 1
            time.sleep(0.4)

    def login(self, session, kind: str) -> bool:
        page = self.call(session, kind, "GET", "/accounts/login/", (200,))
        if page is None:
            return False
        token = session.cookies.get("csrftoken", "")
        data = {"login": STAFF[0], "password": STAFF[2], "csrfmiddlewaretoken": token}
        done = self.call(
            session,
            kind,
            "POST",
            "/accounts/login/",
            (302,),
            data=data,
            allow_redirects=False,
            headers={"Referer": self.base + "/accounts/login/"},
        )
        return done is not None and done.status_code == 302

    def moderator(self) -> None:
        session = requests.Session()
        if not self.login(session, "moderate"):
            return
        n = 0
        while not self.stop.is_set():
            queue = self.call(session, "moderate", "GET", "/moderation/?tab=pending", (200,))
            ids = re.findall(r'name="ids" value="(\d+)"', queue.text) if queue is not None else []
            token = session.cookies.get("csrftoken", "")
            for comment_id in ids[:5]:
                action = "approve" if n % 3 else "trash"
                n += 1
                data = {
                    "one": f"{action}:{comment_id}",
                    "csrfmiddlewaretoken": token,
                    "next": "/moderation/",
                }
                self.call(
                    session,
                    "moderate",
                    "POST",
                    "/moderation/act/",
                    (302,),
                    data=data,
                    allow_redirects=False,
                    headers={"Referer": self.base + "/moderation/"},
                )
                with self.lock:
                    self.counts[action] += 1
            time.sleep(1.0)

    def signer(self) -> None:
        while not self.stop.is_set():
            session = requests.Session()
            if self.login(session, "signin"):
                self.call(session, "signin", "GET", "/moderation/", (200,))
            session.close()
            time.sleep(2.0)

    def sampler(self, meydan: Meydan) -> None:
        while not self.stop.is_set():
            now = time.monotonic() - self.t0
            for name, pid in meydan.processes().items():
                value = rss_mb(pid)
                if value is not None:
                    self.rss[name].append((now, value))
            self.stop.wait(10)

    # --- the run -----------------------------------------------------------------

    def run(self) -> int:
        with workspace() as root:
            pg = redis = meydan = None
            try:
                env = {"MEYDAN_RATELIMIT_PREVIEWS": "off"}
                if self.production:
                    pg, redis = PrivatePostgres(root), PrivateRedis(root)
                    env.update(
                        DATABASE_URL=pg.url,
                        MEYDAN_CACHE_URL=redis.url + "/0",
                        MEYDAN_TASKS_URL=redis.url + "/1",
                    )
                meydan = Meydan(root, env)
                self.site = meydan.setup()
                manage(meydan.env, "site", "add", "--name", "Held News", "--origin", HELD_ORIGIN)
                self.held_site = "held-news"
                manage(
                    meydan.env,
                    "shell",
                    "-c",
                    "from meydan.sites.models import Site; "
                    "Site.objects.filter(slug='held-news').update(hold_all=True)",
                )
                manage(
                    {**meydan.env, "DJANGO_SUPERUSER_PASSWORD": STAFF[2]},
                    "createsuperuser",
                    "--noinput",
                    "--username",
                    STAFF[0],
                    "--email",
                    STAFF[1],
                )
                meydan.start_server()
                meydan.start_worker()
                self.base = meydan.base
                say(
                    f"soak: {self.seconds / 60:g} min on "
                    f"{'PostgreSQL + Redis' if self.production else 'SQLite'}, {meydan.base}"
                )
                self.t0 = time.monotonic()
                threads = [threading.Thread(target=self.reader, args=(n,)) for n in range(3)]
                threads += [threading.Thread(target=self.poster, args=(n,)) for n in range(3)]
                threads += [
                    threading.Thread(target=self.moderator),
                    threading.Thread(target=self.signer),
                    threading.Thread(target=self.sampler, args=(meydan,)),
                ]
                for t in threads:
                    t.start()
                deadline = self.t0 + self.seconds
                while time.monotonic() < deadline:
                    time.sleep(min(30, max(0, deadline - time.monotonic())))
                    say(
                        f"  {time.monotonic() - self.t0:5.0f} s: {len(self.rows)} requests, "
                        f"{len(self.errors)} errors"
                    )
                self.stop.set()
                for t in threads:
                    t.join(timeout=60)
                worker_alive = meydan.worker.poll() is None
                log = meydan.log("server") + meydan.log("worker")
            finally:
                self.stop.set()
                if meydan is not None:
                    meydan.stop()
                for service in (redis, pg):
                    if service is not None:
                        service.close()
        return self.report(worker_alive, log)

    def report(self, worker_alive: bool, log: str) -> int:
        say("")
        say("Per minute: requests, p50 / p99 latency (ms) by kind")
        say("min  " + "".join(f"{k:>22}" for k in KINDS))
        minutes = int(self.seconds // 60) + (1 if self.seconds % 60 else 0)
        for m in range(minutes):
            line = f"{m + 1:>3}  "
            for kind in KINDS:
                lat = [
                    r[2] * 1000 for r in self.rows if r[1] == kind and m * 60 <= r[0] < m * 60 + 60
                ]
                cell = (
                    f"{len(lat)}: {percentile(lat, 50):.0f}/{percentile(lat, 99):.0f}"
                    if lat
                    else "-"
                )
                line += f"{cell:>22}"
            say(line)
        say("")
        total = defaultdict(int)
        for _, kind, _ in self.rows:
            total[kind] += 1
        say(
            "totals: "
            + ", ".join(f"{k} {total[k]}" for k in KINDS)
            + f"; moderation actions: approve {self.counts['approve']},"
            + f" trash {self.counts['trash']}"
        )
        warm = min(max(60.0, self.seconds * 0.2), self.seconds / 2)
        say(f"RSS (MB) and its slope after the first {warm:.0f} s (least squares, MB per 10 min):")
        for name, samples in sorted(self.rss.items()):
            after = [(t, v) for t, v in samples if t >= warm]
            slope = ""
            if len(after) >= 3:
                fit = statistics.linear_regression([t for t, _ in after], [v for _, v in after])
                slope = f"{fit.slope * 600:+.2f} MB/10 min over {len(after)} samples"
            first, last = samples[0][1], samples[-1][1]
            peak = max(v for _, v in samples)
            say(f"  {name:<24} start {first:6.1f}  end {last:6.1f}  peak {peak:6.1f}  {slope}")
        tracebacks = log.count("Traceback")
        say(
            f"worker still running at the end: {'yes' if worker_alive else 'NO'}; "
            f"tracebacks in the logs: {tracebacks}"
        )
        say(f"errors: {len(self.errors)}")
        for line in self.errors[:20]:
            say("  " + line)
        return 0 if not self.errors and worker_alive and not tracebacks else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="one minute")
    parser.add_argument("--production", action="store_true", help="PostgreSQL + Redis")
    args = parser.parse_args()
    sys.exit(Soak(1.0 if args.quick else args.minutes, args.production).run())


if __name__ == "__main__":
    main()
