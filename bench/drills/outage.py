"""The outage drills' engine: Meydan under readers and posters while the database
(db_outage.py) or Redis (redis_outage.py) is stopped for a while and started again.

Layout: a private PostgreSQL and Redis (stack.py), `meydan serve --workers 2` with
the production settings (DATABASE_URL, MEYDAN_CACHE_URL and MEYDAN_TASKS_URL on
them), and `meydan worker`. The load:

- cached readers: thread reads (GET /api/v1/threads) of quiet threads nobody posts
  to, so that they stay in the cache;
- an uncached reader: the front page (HTML, always asks the database) and the
  thread read of a busy thread (its cache entry is dropped by every post);
- posters: guests posting unique comments to the busy threads (one of them, the
  "mail" thread, has a confirmed subscriber: every comment there queues an email);
- a prober: /healthz and /readyz twice a second.
"""

import json
import sys
import threading
import time
import uuid
from collections import Counter

from stack import (
    Client,
    Meydan,
    PrivatePostgres,
    PrivateRedis,
    Recorder,
    check_answer,
    manage,
    percentile,
    say,
    statuses_text,
    workspace,
)

KINDS = ("cached", "uncached", "post")
QUIET = [f"/quiet-{i}/" for i in range(5)]
OUTAGE_ONLY = "/outage-only/"  # read before the outage, posted to only during it
BUSY = [f"/busy-{i}/" for i in range(3)]
MAIL_THREAD = "/mail-thread/"
SUBSCRIBER = "subscriber@example.net"


def thread_path(site: str, page: str) -> str:
    from urllib.parse import quote

    return f"/api/v1/threads?site={site}&url={quote('https://drill.example.org' + page)}"


def post_body(site: str, page: str, text: str, n: int, notify: str = "", email: str = "") -> dict:
    return {
        "site": site,
        "url": "https://drill.example.org" + page,
        "title": page.strip("/"),
        "body": text,
        "name": f"Poster {n}",
        "email": email or f"poster{n}@example.net",
        "notify": notify,
    }


class Drill:
    def __init__(
        self,
        *,
        what: str,
        outage_seconds: float,
        warmup: float,
        after: float,
        posters: int = 3,
        cached_readers: int = 2,
        tasks: str = "redis",
    ):
        self.what = what
        self.outage_seconds = outage_seconds
        self.warmup = warmup
        self.after = after
        self.posters = posters
        self.cached_readers = cached_readers
        self.tasks = tasks
        self.rec = Recorder()
        self.stop = threading.Event()
        self.acked: list[tuple[int, str, str, bool]] = []  # id, page, body, published
        self.refused_bodies: list[str] = []  # answered 503: must not be stored
        self.unknown_bodies: list[str] = []  # no answer: either way is fine
        self.lock = threading.Lock()
        self.probes: list[tuple[float, str, int]] = []
        self.events: dict[str, float] = {}

    # --- load ---------------------------------------------------------------------

    def allow_503(self, kind: str) -> bool:
        return self.what == "db" and kind != "cached"

    def cached_reader(self, n: int) -> None:
        client = Client(self.meydan.base, timeout=15)
        i = n
        while not self.stop.is_set():
            answer = client.request("GET", thread_path(self.site, QUIET[i % len(QUIET)]))
            i += 1
            problem = check_answer("cached", answer, allow_503=self.allow_503("cached"))
            if not problem and answer.status != 200:
                problem = f"status {answer.status}"
            self.rec.add("cached", answer, problem)
            time.sleep(0.02)

    def uncached_reader(self) -> None:
        client = Client(self.meydan.base, timeout=15)
        i = 0
        while not self.stop.is_set():
            if i % 2:
                path, html = "/", True
            else:
                path, html = thread_path(self.site, BUSY[i // 2 % len(BUSY)]), False
            i += 1
            answer = client.request("GET", path)
            problem = check_answer(
                "page" if html else "uncached", answer, allow_503=self.allow_503("uncached")
            )
            if not problem and answer.status not in (200, 503):
                problem = f"status {answer.status}"
            self.rec.add("uncached", answer, problem)
            time.sleep(0.05)

    def poster(self, n: int) -> None:
        client = Client(self.meydan.base, timeout=15)
        i = 0
        while not self.stop.is_set():
            page = MAIL_THREAD if n == 0 else BUSY[i % len(BUSY)]
            text = f"Drill comment {n}-{i} {uuid.uuid4().hex[:12]}: the {self.what} outage."
            i += 1
            answer = client.request("POST", "/api/v1/comments", post_body(self.site, page, text, n))
            problem = check_answer("post", answer, allow_503=self.allow_503("post"))
            if not problem and answer.status not in (201, 202, 503):
                problem = f"status {answer.status}: {answer.body[:200]!r}"
            with self.lock:
                if answer.status in (201, 202):
                    data = answer.json()
                    self.acked.append((data["comment"]["id"], page, text, answer.status == 201))
                elif answer.status == 503:
                    self.refused_bodies.append(text)
                else:
                    self.unknown_bodies.append(text)
            self.rec.add("post", answer, problem)
            time.sleep(1.0 if n == 0 else 0.1)

    def prober(self) -> None:
        client = Client(self.meydan.base, timeout=15)
        while not self.stop.is_set():
            for path in ("/healthz", "/readyz"):
                answer = client.request("GET", path)
                with self.lock:
                    self.probes.append((self.rec.now() - answer.seconds, path, answer.status))
            time.sleep(0.5)

    # --- the run ------------------------------------------------------------------

    def prepare(self) -> None:
        base_client = Client(self.meydan.base)
        # Quiet threads with a few comments each, read once so that they are cached.
        for page in QUIET:
            for k in range(5):
                text = f"Seed comment {k} on {page} {uuid.uuid4().hex[:8]}"
                answer = base_client.request(
                    "POST", "/api/v1/comments", post_body(self.site, page, text, 900 + k)
                )
                if answer.status not in (201, 202):
                    raise SystemExit(f"seeding failed: {answer}")
            base_client.request("GET", thread_path(self.site, page))
        base_client.request(
            "POST", "/api/v1/comments", post_body(self.site, OUTAGE_ONLY, "Before.", 951)
        )
        base_client.request("GET", thread_path(self.site, OUTAGE_ONLY))
        for page in BUSY:
            base_client.request(
                "POST", "/api/v1/comments", post_body(self.site, page, "Seed of " + page, 950)
            )
        # The mail thread's subscriber, confirmed (as after clicking the link).
        answer = base_client.request(
            "POST",
            "/api/v1/comments",
            post_body(
                self.site,
                MAIL_THREAD,
                "I follow this thread.",
                999,
                notify="thread",
                email=SUBSCRIBER,
            ),
        )
        if answer.status not in (201, 202):
            raise SystemExit(f"seeding failed: {answer}")
        manage(
            self.meydan.env,
            "shell",
            "-c",
            "from django.utils import timezone; from meydan.notifications.models import Subscription; "  # noqa: E501
            "Subscription.objects.update(confirmed=timezone.now())",
        )

    def run(self, keep: bool = False) -> tuple[dict, dict]:
        with workspace(keep) as root:
            pg = redis = None
            self.meydan = None
            try:
                pg = PrivatePostgres(root)
                redis = PrivateRedis(root)
                env = {
                    "DATABASE_URL": pg.url,
                    "MEYDAN_CACHE_URL": redis.url + "/0",
                    "MEYDAN_NOTIFY_DIGEST_SECONDS": "0",
                    "MEYDAN_MAIL_RATE": "off",
                }
                if self.tasks == "redis":
                    env["MEYDAN_TASKS_URL"] = redis.url + "/1"
                self.meydan = Meydan(root, env)
                self.site = self.meydan.setup()
                self.meydan.start_server()
                self.meydan.start_worker()
                self.prepare()
                say(
                    f"PostgreSQL on :{pg.port}, Redis on :{redis.port}, Meydan on {self.meydan.base}, "  # noqa: E501
                    f"tasks on {self.tasks}"
                )
                report = self._drill(pg, redis)
                if self.what == "redis":
                    report.update(self.stale_report())
                    log = self.meydan.log("server")
                    report["cache_back_logged"] = "cache available again" in log
                    say(
                        f'server log: "cache unavailable" {log.count("cache unavailable")}×, '
                        f'"cache available again" {log.count("cache available again")}×; '
                        f"tracebacks: {log.count('Traceback')}"
                    )
                return report, self.mail_report()
            finally:
                self.stop.set()
                if self.meydan is not None:
                    self.meydan.stop()
                for service in (redis, pg):
                    if service is not None:
                        service.close()

    def _drill(self, pg: PrivatePostgres, redis: PrivateRedis) -> dict:
        threads = [
            threading.Thread(target=self.cached_reader, args=(n,))
            for n in range(self.cached_readers)
        ]
        threads.append(threading.Thread(target=self.uncached_reader))
        threads += [threading.Thread(target=self.poster, args=(n,)) for n in range(self.posters)]
        threads.append(threading.Thread(target=self.prober))
        self.rec = Recorder()
        for t in threads:
            t.start()
        time.sleep(self.warmup)
        service = pg if self.what == "db" else redis
        self.events["down"] = self.rec.now()
        service.stop()
        self.events["stopped"] = self.rec.now()
        say(f"{self.rec.now():6.1f}s {self.what} stopped")
        time.sleep(min(2.0, self.outage_seconds / 3))
        if self.what == "redis":
            self.during_mail_posted = self._post_with_confirmation("during")
            self.outage_only = self._post_outage_only()
        time.sleep(max(0.0, self.outage_seconds - (self.rec.now() - self.events["down"])))
        self.events["starting"] = self.rec.now()
        service.start()
        self.events["up"] = self.rec.now()
        say(
            f"{self.rec.now():6.1f}s {self.what} started again ({self.events['up'] - self.events['starting']:.1f} s to start)"  # noqa: E501
        )
        # An email queued after recovery: one new guest asks to follow a thread.
        time.sleep(2)
        self.after_mail_posted = self._post_with_confirmation("after")
        time.sleep(self.after)
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
        self.events["end"] = self.rec.now()
        return self.report()

    def _post_outage_only(self) -> list[int]:
        """Comments on a thread that was cached before the outage and gets posts only
        during it: are they in its read after Redis is back?"""
        client = Client(self.meydan.base)
        ids = []
        for k in range(3):
            answer = client.request(
                "POST",
                "/api/v1/comments",
                post_body(self.site, OUTAGE_ONLY, f"Posted while Redis was away ({k}).", 960 + k),
            )
            if answer.status == 201:
                ids.append(answer.json()["comment"]["id"])
        return ids

    def stale_report(self) -> dict:
        client = Client(self.meydan.base)
        answer = client.request("GET", thread_path(self.site, OUTAGE_ONLY))
        found: set[int] = set()

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("id"), int):
                    found.add(node["id"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(answer.json())
        shown = [i for i in self.outage_only if i in found]
        say(
            f"thread posted to only during the outage, read {self.rec.now() - self.events['up']:.0f} s "  # noqa: E501
            f"after Redis came back: {len(shown)} of {len(self.outage_only)} new comments shown"
        )
        return {"outage_only": len(self.outage_only), "outage_only_shown": len(shown)}

    def _post_with_confirmation(self, label: str):
        client = Client(self.meydan.base)
        email = f"follower-{label}@example.net"
        answer = client.request(
            "POST",
            "/api/v1/comments",
            post_body(
                self.site,
                BUSY[0],
                f"Please tell me about replies ({label}).",
                777,
                notify="thread",
                email=email,
            ),
        )
        say(f"{self.rec.now():6.1f}s a guest asked to follow a thread ({label}): {answer.status}")
        return email, answer.status

    # --- what happened --------------------------------------------------------------

    def shell(self, code: str) -> str:
        return manage(self.meydan.env, "shell", "-c", code).strip().splitlines()[-1]

    def deliveries(self) -> dict:
        code = (
            "import json; from collections import Counter; "
            "from meydan.notifications.models import Delivery; "
            "print(json.dumps({'by_kind_status': Counter(f'{d.kind}:{d.status}' for d in Delivery.objects.all()), "  # noqa: E501
            "'comment_refs': [d.comment_ref for d in Delivery.objects.exclude(comment_ref=None)]}))"
        )
        return json.loads(self.shell(code))

    def stored(self, ids: list[int], bodies: list[str]) -> tuple[int, int]:
        code = (
            "import json, sys; from meydan.comments.models import Comment; "
            f"ids = {ids!r}; bodies = {bodies!r}; "
            "print(json.dumps([Comment.objects.filter(pk__in=ids).count(), "
            "Comment.objects.filter(body__in=bodies).count()]))"
        )
        present, refused_present = json.loads(self.shell(code))
        return present, refused_present

    def report(self) -> dict:
        ev = self.events
        say("")
        say(
            f"Per second (outage from {ev['down']:.1f} s to {ev['up']:.1f} s): statuses, max latency"  # noqa: E501
        )
        header = f"{'s':>4} {'phase':<7}" + "".join(
            f" {k + ' statuses':<24} {'max ms':>7}" for k in KINDS
        )
        say(header + "  healthz readyz")
        probes_by_second: dict[int, dict[str, Counter]] = {}
        for t, path, status in self.probes:
            probes_by_second.setdefault(int(t), {"/healthz": Counter(), "/readyz": Counter()})[
                path
            ][status] += 1
        for row in self.rec.per_second(KINDS):
            s = row["second"]
            phase = (
                "down"
                if ev["down"] <= s + 0.999 and s < ev["up"]
                else ("after" if s >= ev["up"] else "before")
            )
            line = f"{s:>4} {phase:<7}"
            for k in KINDS:
                cell = row[k]
                line += f" {statuses_text(cell['statuses']):<24} {cell['max'] * 1000:>7.0f}"
            p = probes_by_second.get(s, {"/healthz": Counter(), "/readyz": Counter()})
            line += f"  {statuses_text(p['/healthz']):<7} {statuses_text(p['/readyz'])}"
            say(line)

        result: dict = {"events": ev}
        phases = {
            "before": (0, ev["down"]),
            "down": (ev["down"], ev["up"]),
            "after": (ev["up"], ev["end"]),
        }
        say("")
        say("By phase: statuses, p50 / p99 / max latency (ms)")
        for phase, (a, b) in phases.items():
            for k in KINDS:
                rows = self.rec.window(a, b, k)
                statuses = Counter(r[2] for r in rows)
                lat = [r[3] * 1000 for r in rows]
                result[f"{phase}.{k}"] = {
                    "statuses": dict(statuses),
                    "p50": percentile(lat, 50),
                    "p99": percentile(lat, 99),
                    "max": max(lat, default=0),
                }
                say(
                    f"  {phase:<6} {k:<8} {statuses_text(statuses):<32} "
                    f"{percentile(lat, 50):7.1f} {percentile(lat, 99):7.1f} {max(lat, default=0):7.0f}"  # noqa: E501
                )

        # Readiness: when /readyz turned 503 and when it was 200 again.
        ready_down = next(
            (t for t, p, s in self.probes if p == "/readyz" and s != 200 and t >= ev["down"]), None
        )
        ready_back = next(
            (t for t, p, s in self.probes if p == "/readyz" and s == 200 and t >= ev["up"]), None
        )
        health = Counter(s for t, p, s in self.probes if p == "/healthz")
        result["readyz"] = (ready_down, ready_back)
        say("")
        say(f"/healthz: {statuses_text(health)}")
        if ready_down is not None:
            say(
                f"/readyz: 503 from {ready_down - ev['down']:.1f} s after the stop; "
                f"200 again {ready_back - ev['up']:.1f} s after the start"
                if ready_back
                else "never 200 again"
            )
        else:
            say("/readyz: never turned 503")
        first_post = next(
            (
                t
                for t, k, s, _ in sorted(self.rec.window(ev["up"], ev["end"], "post"))
                if s in (201, 202)
            ),
            None,
        )
        first_after = min(
            (t for t, k, s, _ in self.rec.window(ev["up"], ev["end"], "post")), default=None
        )
        if first_post is not None:
            say(
                f"first acknowledged post after the start: {first_post - ev['up']:.2f} s after it "
                f"(the first post tried after it: {first_after - ev['up']:.2f} s)"
            )
        result["first_post_after"] = None if first_post is None else first_post - ev["up"]

        ids = [a[0] for a in self.acked]
        present, refused_present = self.stored(ids, self.refused_bodies)
        result["acked"], result["present"] = len(ids), present
        say(
            f"acknowledged comments: {len(ids)}, stored: {present}"
            f"{'' if present == len(ids) else '  <-- LOST ' + str(len(ids) - present)}"
        )
        say(
            f"posts answered 503: {len(self.refused_bodies)}, of which stored anyway: {refused_present}"  # noqa: E501
        )
        say(f"posts without an answer: {len(self.unknown_bodies)}")
        result["refused_present"] = refused_present
        result["problems"] = list(self.rec.problems)
        if self.rec.problems:
            say("PROBLEMS:")
            for p in self.rec.problems:
                say("  " + p)
        else:
            say("no unexpected answer (no 500, no traceback, no request without an answer)")
        return result

    def mail_report(self, wait: float = 120) -> dict:
        """Whether the worker lived through it, and what became of the emails."""
        result: dict = {}
        mail_ids = {a[0] for a in self.acked if a[1] == MAIL_THREAD and a[3]}
        deadline = time.time() + wait
        while True:
            d = self.deliveries()
            pending = sum(
                n for ks, n in d["by_kind_status"].items() if ks.endswith((":queued", ":retrying"))
            )
            notified = mail_ids & set(d["comment_refs"])
            if (not pending and len(notified) == len(mail_ids)) or time.time() > deadline:
                break
            time.sleep(1)
        alive = self.meydan.worker.poll() is None
        result.update(
            worker_alive=alive,
            deliveries=d["by_kind_status"],
            mail_comments=len(mail_ids),
            notified=len(notified),
            pending=pending,
        )
        files = list(self.meydan.mail_dir.glob("*.log")) if self.meydan.mail_dir.exists() else []
        result["mail_files"] = len(files)
        after_to = getattr(self, "after_mail_posted", ("", 0))[0]
        result["after_mail_sent"] = any(after_to in f.read_text(errors="replace") for f in files)
        say("")
        say(
            f"worker still running: {'yes' if alive else 'NO (exit ' + str(self.meydan.worker.poll()) + ')'}"  # noqa: E501
        )
        say(f"deliveries by kind:status: {json.dumps(d['by_kind_status'], sort_keys=True)}")
        say(
            f"comments published on the mail thread: {len(mail_ids)}, with a notification queued: {len(notified)}"  # noqa: E501
        )
        say(
            f"mail files written: {len(files)}; the confirmation asked for after recovery was sent: "  # noqa: E501
            f"{'yes' if result['after_mail_sent'] else 'NO'}"
        )
        return result


def finish(failures: list[str], mail: dict) -> None:
    """The checks every outage drill ends with (the worker lived, mail flowed again),
    then PASSED, or FAILED with the reasons and exit status 1."""
    if not mail["worker_alive"]:
        failures.append("meydan worker died")
    if not mail["after_mail_sent"]:
        failures.append("the email queued after recovery was not sent")
    print()
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("PASSED: every check above held")
