"""Side by side, in one run: Meydan in two layouts (SQLite + local-memory cache as shipped,
and the production layout: PostgreSQL + Redis), Isso 0.14.0, nginx serving Meydan's own
response bytes as static files, plain and gzip (the physical limit for a read), and
Meydan behind the nginx micro-cache of docs/scaling.md, with the shared workload
(shared/bench/WORKLOAD.md: 200 threads x 100 comments nested to depth 3, plus /big with
5,000) and the same wrk scenarios (wrk -t2 -c32 --latency).

    make bench            # full: all 201 threads, 15 s per scenario, post and hot 60 s
                          #   (about 25 min once seeded)
    make bench QUICK=1    # 20 threads + /big, 3 s per scenario, post 3 s, hot 10 s
                          #   (about 8 min once seeded)

    .venv/bin/python bench/bench.py [--quick] [--servers meydan,meydan-pg,isso,nginx,cached]
        [--scenarios thread,thread1,thread-gz,bigpage,bigp10,bigp30,counts,etag,post,hot]
        [--seconds N] [--post-seconds N] [--hot-seconds N] [--visibility S]
        [--meydan-workers N] [--meydan-threads N] [--meydan-by-hand] [--meydan-env K=V]
        [--label TEXT] [--no-save]

What it does:
1. bench/data/dataset.jsonl from the shared seed.py (its sha256 is checked), loaded
   once into Meydan through comments.services.comment_post(moderate=False) and into
   Isso through its HTTP API (seed.py's post_thread; 2.5-5.5 min for the full set); the
   seeded databases are cached in bench/data/ keyed by the dataset hash and the mode.
   For meydan-pg the same script loads the same rows in the same order (the same ids
   and keys, so the same URLs as nginx's files) into the PostgreSQL template database
   meydan_bench_seed_<mode>, marked with the dataset hash, the mode and a hash of the
   migrations (reloaded when one changes).
2. Each server gets a fresh copy of its seeded database per run and is restarted for
   every scenario (a slow scenario's backlog cannot leak into the next one):
   - meydan: as the README tells operators, `meydan serve --workers 2` (its default
     server and threads, DEBUG off, cache as shipped: local memory, one per worker).
     The post and hot scenarios run with MEYDAN_RATELIMIT_COMMENTS=off,
     MEYDAN_MIN_FORM_SECONDS=off and MEYDAN_POW=off, and the per-site limit raised out
     of reach (1000000/m: the check still runs, like Isso's guard with its limits
     raised in the shared config); every other check is on.
   - meydan-pg: the same command and settings with DATABASE_URL on its own database
     meydan_bench (CREATE DATABASE ... TEMPLATE meydan_bench_seed_<mode> per run) and
     MEYDAN_CACHE_URL=redis://127.0.0.1:6379/9 as the shared cache, flushed at every
     server start. PostgreSQL and Redis at 127.0.0.1 (postgres user, trust auth).
   - isso: as in shared/bench/isso/bench.sh, gunicorn -w 2 -k sync --preload isso.run.
   - nginx: its own config and prefix under bench/run/, not a daemon, a free port,
     serving Meydan's exact response bodies, saved from Meydan before the scenarios
     run, and with gzip_static the gzip bytes Meydan sends for them (thread-gz).
   - cached: the same `meydan serve` behind nginx with proxy_cache (docs/scaling.md).
3. Per scenario and server: one probe request, a short warm-up, then wrk while
   procstat.py samples CPU and RSS of the server's process tree from /proc. Scenarios
   run in the order above whatever the command line says (post and hot write).
   - thread-gz: the random read with Accept-Encoding: gzip (the probe must come back
     gzip); the report adds the wire bytes of a 100-comment thread plain, gzip and br,
     and br again once the page has settled (up to 30 s more per Meydan server).
   - etag on meydan-pg: pg_stat_database's transactions in meydan_bench over the
     server's life against the requests: a 304 that ran a query would show >= 1 each.
   - post: one comment is first posted and its thread read for 10 s (is it visible?);
     then 60 s of wrk (full run); afterwards every id a 201/202 gave back must be in
     the database, and the rows added are counted against the answers.
   - hot: /article-1, newest first, read by wrk -c32 for --seconds (read-only), then
     again for --hot-seconds while a poster posts 20 comments/s into it through the API
     and a watcher polls it every 50 ms (If-None-Match) for each new comment's id:
     reads/s against read-only, p99, time from the 201 to the id in a read, and page
     builds (meydan_read_page_builds_total on /metrics, before/after) per new version.
4. Prints one table with ratios, both Meydan layouts side by side, the targets and a
   summary line, and saves it to bench/results/<date>-<machine>.txt.

Only 127.0.0.1 is ever contacted.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import http.client
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "isso"))
import seed  # noqa: E402 - the shared seed.py (bench/isso/seed.py), unchanged
from server import MEYDAN, ROOT, free_port, manage  # noqa: E402

DATA = BENCH / "data"
RUNROOT = BENCH / "run"
RESULTS = BENCH / "results"
WRK_DIR = BENCH / "wrk"
ISSO_VENV = BENCH / ".isso-venv"
ISSO_CFG = BENCH / "isso" / "conf" / "isso-bench.cfg"
DATASET_SHA = "611257679a07a8f086a5a8c15e1658165b01522c4da710d1d4016230259519f2"
ORIGIN = seed.ORIGIN  # http://127.0.0.1:8081: Isso's [general] host, Meydan's site origin
SITE = "bench"
SECRET = "meydan-bench-not-a-secret"  # noqa: S105 - fixed, so cached hashes stay valid
QUICK_ARTICLES = 20
POST_SITE_LIMIT = "1000000/m"
NOISY_CPU_S = 2.0  # CPU seconds used by others during one wrk window that flag a row

# meydan: `meydan serve` as the README says (SQLite, local-memory cache); meydan-pg: the
# same on PostgreSQL + Redis (the production layout); isso: the shared baseline; nginx:
# Meydan's bytes as static files; cached: Meydan behind the nginx micro-cache of
# docs/scaling.md
SERVERS = ["meydan", "meydan-pg", "isso", "nginx", "cached"]
MEYDANS = ("meydan", "meydan-pg")
# scenario -> label; which servers run it. Run in this order whatever the command line
# says: the scenarios that write (post, hot) come last, so that the ETags collected
# before the scenarios still hold for the etag scenario.
SCENARIOS = {
    "thread": ("thread read, random of N (a)", ["meydan", "meydan-pg", "isso", "nginx", "cached"]),
    "thread1": ("one thread, always /article-1", ["meydan", "meydan-pg", "nginx", "cached"]),
    "thread-gz": ("thread read (a), gzip", ["meydan", "meydan-pg", "nginx"]),
    "bigpage": ("/big, first page (b')", ["meydan", "meydan-pg", "isso", "nginx", "cached"]),
    "bigp10": ("/big, page 10", ["meydan", "meydan-pg", "nginx"]),
    "bigp30": ("/big, page 30", ["meydan", "meydan-pg", "nginx"]),
    "counts": ("counts, 20 URLs (d)", ["meydan", "meydan-pg", "isso", "nginx"]),
    "etag": ("conditional GET -> 304", ["meydan", "meydan-pg", "nginx", "cached"]),
    "post": ("post a comment (c)", ["meydan", "meydan-pg", "isso"]),
    "hot": ("hot thread + 20 posts/s", ["meydan", "meydan-pg"]),
}
# The production layout's own PostgreSQL database (a fresh copy per run of a seeded
# template) and Redis database (flushed whenever its server starts).
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"
PG_RUN_DB = "meydan_bench"
PG_SEED_DB = "meydan_bench_seed_{mode}"
BENCH_REDIS = "redis://127.0.0.1:6379/9"
# /metrics needs a token (settings.MEYDAN_METRICS_TOKEN); set for the hot scenario only
METRICS_TOKEN = "meydan-bench-metrics-token"  # noqa: S105 - loopback, throw-away servers
# The hot thread: newest first, so that every new (top-level) comment lands on page 1,
# which the readers and the watcher read.
HOT_URL = "/article-1"
HOT_PATH = "/api/v1/threads?site=bench&url=/article-1&order=newest"
HOT_POSTS_PER_S = 20
MEYDAN_THREAD = "/api/v1/threads?site=bench&url=/article-{n}"
MEYDAN_BIG = "/api/v1/threads?site=bench&url=/big"
ISSO_THREAD = "/?uri=%2Farticle-{n}"
ISSO_BIGPAGE = "/?uri=%2Fbig&sort=oldest&offset=0&limit=20&nested_limit=5"


def log(message: str) -> None:
    print(message, flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- HTTP (loopback only) -------------------------------------------------------


def fetch(base: str, path: str, method="GET", body=None, headers=None, timeout=120):
    """(status, headers, body bytes, seconds) of one request."""
    parts = urllib.parse.urlsplit(base)
    if parts.hostname != "127.0.0.1":
        raise ValueError("loopback only")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        conn.request(method, path, body=data, headers=hdrs)
        response = conn.getresponse()
        content = response.read()
        return response.status, response.headers, content, time.perf_counter() - started
    finally:
        conn.close()


def wait_ready(base: str, path: str, process: subprocess.Popen, what: str, logfile: Path) -> None:
    # 3 minutes: Meydan's first start runs its checks and collectstatic, which now
    # compresses the static files too (a minute on a busy two-core machine)
    for _ in range(1800):
        try:
            if fetch(base, path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during startup; see {logfile}")
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start in 180 s; see {logfile}")


def descendants(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                for child in fh.read().split():
                    out.append(int(child))
                    out.extend(descendants(int(child)))
    except OSError:
        pass
    return out


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, grace=5.0) -> None:
    """Our own process: the signal to it, SIGKILL to it and its descendants after `grace`."""
    if process.poll() is not None:
        return
    kids = descendants(process.pid)
    process.send_signal(sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# --- Data ------------------------------------------------------------------------


def dataset() -> Path:
    path = DATA / "dataset.jsonl"
    if path.exists() and sha256(path) == DATASET_SHA:
        return path
    log("dataset: generating bench/data/dataset.jsonl with the shared seed.py")
    DATA.mkdir(exist_ok=True)
    seed.DATA = str(DATA)
    _, digest = seed.write_dataset(seed.generate())
    if digest != DATASET_SHA:
        raise SystemExit(f"dataset sha256 {digest} != {DATASET_SHA} (WORKLOAD.md)")
    return path


def dataset_threads(path: Path, subset: list[str]) -> dict[str, list[dict]]:
    wanted = set(subset)
    threads: dict[str, list[dict]] = {uri: [] for uri in subset}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["thread"] in wanted:
                threads[row["thread"]].append(row)
    return threads


def post_plan(quick: bool) -> list[tuple[int, int | None, dict, str]]:
    """The WORKLOAD's 1,000 fixed post requests as (article, parent idx, author, text):
    the same RNG calls as seed.write_post_requests(). In quick mode article N is mapped
    onto the 20 loaded articles ((N-1) % 20 + 1)."""
    rng = random.Random(seed.SEED + 1)
    authors = seed.make_authors(random.Random(seed.SEED))
    plan = []
    for _ in range(seed.N_POST_REQUESTS):
        n = rng.randint(1, seed.N_ARTICLES)
        parent = rng.randrange(seed.PER_ARTICLE) if rng.random() < 0.5 else None
        author = rng.choice(authors)
        text = seed.comment_text(rng)
        if quick:
            n = (n - 1) % QUICK_ARTICLES + 1
        plan.append((n, parent, author, text))
    return plan


def isso_post_tsv(plan, idmap: dict, out: Path) -> None:
    with open(out, "w", encoding="utf-8") as fh:
        for n, parent, author, text in plan:
            uri = f"/article-{n}"
            body = {
                "author": author["author"],
                "email": author["email"],
                "website": author["website"],
                "parent": idmap[uri][parent] if parent is not None else None,
                "text": text,  # last: post.lua appends its marker here
            }
            path = "/new?uri=" + urllib.parse.quote(uri, safe="")
            fh.write(f"{path}\t{json.dumps(body, ensure_ascii=False)}\n")


def meydan_post_tsv(plan, idmap: dict, form_token: str, out: Path) -> None:
    with open(out, "w", encoding="utf-8") as fh:
        for n, parent, author, text in plan:
            uri = f"/article-{n}"
            body = {
                "site": SITE,
                "url": uri,
                "title": f"Article {n}",
                "parent": idmap[uri][parent] if parent is not None else None,
                "name": author["author"],
                "email": author["email"] or "",
                "website": author["website"] or "",
                "form_token": form_token,
                "body": text,  # last: post.lua appends its marker here
            }
            fh.write(f"/api/v1/comments\t{json.dumps(body, ensure_ascii=False)}\n")


def check_plan_matches_seed(plan, idmap: dict, scratch: Path) -> None:
    """Full mode: our Isso requests are seed.py's own post_requests.tsv, field by field."""
    seed.write_post_requests(None, idmap, str(scratch))
    ours = scratch / "ours.tsv"
    isso_post_tsv(plan, idmap, ours)
    with open(scratch / "post_requests.tsv", encoding="utf-8") as a, open(ours) as b:
        for left, right in zip(a, b, strict=True):
            lp, lb = left.rstrip("\n").split("\t", 1)
            rp, rb = right.rstrip("\n").split("\t", 1)
            if lp != rp or json.loads(lb) != json.loads(rb):
                raise SystemExit("post plan differs from seed.write_post_requests()")


def meydan_env(var: Path, extra: dict | None = None) -> dict:
    return {
        **os.environ,
        "MEYDAN_VAR_DIR": str(var),
        "MEYDAN_SECRET_KEY": SECRET,
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ACCESS_LOG": "off",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(extra or {}),
    }


def load_meydan(env: dict, subset: list[str], data: Path, idmap_path: Path) -> None:
    """Migrate the database `env` names, add the bench site, load the dataset into it."""
    manage(env, "migrate", "-v0")
    out = manage(env, "site", "add", "--name", "Bench", "--origin", ORIGIN)
    if f"'{SITE}'" not in out:
        raise SystemExit(f"meydan site add did not register '{SITE}': {out}")
    subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(BENCH / "meydan_load.py"), SITE, str(data), str(idmap_path), *subset],
        env=env,
        cwd=ROOT,
        check=True,
    )


def seed_meydan(path: Path, subset: list[str], data: Path, idmap_path: Path) -> None:
    log(f"meydan: loading {len(subset)} threads through comment_post (once; cached)")
    var = Path(tempfile.mkdtemp(prefix="meydan-bench-load-"))
    env = meydan_env(var)
    load_meydan(env, subset, data, idmap_path)
    with sqlite3.connect(var / "meydan.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(var / "meydan.sqlite3", path)
    shutil.rmtree(var, ignore_errors=True)


def psql(sql: str, db: str = "postgres") -> str:
    """One statement through psql on 127.0.0.1:5432 as postgres (trust auth)."""
    out = subprocess.run(  # noqa: S603
        ["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql],  # noqa: S607
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"psql failed: {sql}\n{out.stderr}")
    return out.stdout.strip()


def migrations_hash() -> str:
    """Of every migration file: a seeded template database is only reused as long as
    the schema it was migrated to is the code's."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "meydan").glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def seed_meydan_pg(seed_db: str, mark: str, subset: list[str], data: Path, idmap_path: Path):
    """The same load as seed_meydan (same script, same order: the same ids and keys) into
    a PostgreSQL template database, marked with `mark` (dataset, mode, migrations)."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{seed_db}'") == "1"  # noqa: S608
    if exists and idmap_path.exists():
        comment = psql(
            f"SELECT shobj_description(oid, 'pg_database') FROM pg_database "  # noqa: S608
            f"WHERE datname = '{seed_db}'"
        )
        if comment == mark:
            return
    log(f"meydan-pg: loading {len(subset)} threads through comment_post into {seed_db} (once)")
    loading = seed_db + "_loading"
    psql(f'DROP DATABASE IF EXISTS "{loading}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{loading}"')
    var = Path(tempfile.mkdtemp(prefix="meydan-bench-load-"))
    env = meydan_env(var, {"DATABASE_URL": PG_URL.format(db=loading)})
    load_meydan(env, subset, data, idmap_path)
    shutil.rmtree(var, ignore_errors=True)
    psql(f'DROP DATABASE IF EXISTS "{seed_db}" WITH (FORCE)')
    psql(f'ALTER DATABASE "{loading}" RENAME TO "{seed_db}"')
    psql(f"COMMENT ON DATABASE \"{seed_db}\" IS '{mark}'")


def isso_gunicorn(db: Path, port: int, guard: bool, cwd: Path, logfile: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "ISSO_SETTINGS": str(ISSO_CFG),
        "ISSO_DBPATH": str(db),
        "ISSO_PORT": str(port),
        "ISSO_GUARD": "true" if guard else "false",
    }
    # shared/bench/isso/bench.sh: Isso's docs recipe with 2 sync workers
    command = [str(ISSO_VENV / "bin" / "gunicorn"), "-w", "2", "-k", "sync", "--preload",
               "--no-control-socket", "-b", f"127.0.0.1:{port}", "isso.run"]  # fmt: skip
    with open(logfile, "ab") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def seed_isso(path: Path, threads: dict[str, list[dict]], idmap_path: Path, scratch: Path) -> None:
    total = sum(len(rows) for rows in threads.values())
    log(f"isso: posting {total} comments through its API (once; cached; ~75 comments/s)")
    tmp = path.with_suffix(".seeding")
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    port = free_port()
    logfile = scratch / "isso-seed.log"
    process = isso_gunicorn(tmp, port, guard=False, cwd=scratch, logfile=logfile)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, "/info", process, "isso", logfile)
        client = seed.Client(base)
        idmap, done, started = {}, 0, time.time()
        for uri, rows in threads.items():
            idmap[uri] = seed.post_thread(client, rows)
            done += len(rows)
            if len(idmap) % 20 == 0:
                log(f"  isso: posted {done} comments ({done / (time.time() - started):.0f}/s)")
        status, body = client.request("POST", "/count", list(threads))
        if status != 200 or json.loads(body) != [len(rows) for rows in threads.values()]:
            raise SystemExit(f"isso /count does not match the dataset: {status} {body[:200]}")
    finally:
        stop_process(process, grace=30)
    with open(idmap_path, "w") as fh:
        json.dump(idmap, fh)
    tmp.rename(path)


# --- Servers ------------------------------------------------------------------------


class Meydan:
    """`meydan serve` on SQLite with the cache as shipped (local memory, per worker)."""

    name = "meydan"
    ready = "/api/v1/me"

    def __init__(self, run: Path, seeded, workers: int, threads: int, by_hand=False, env=None):
        self.var = run / f"{self.name}-var"
        self.var.mkdir()
        self.workers, self.threads = workers, threads
        self.by_hand, self.env = by_hand, env or {}
        self.collected = False
        self.run = run
        self.prepare(seeded)
        manage(self.server_env(), "migrate", "-v0")  # a no-op unless the code has new ones

    def prepare(self, seeded: Path) -> None:
        shutil.copyfile(seeded, self.var / "meydan.sqlite3")

    def server_env(self, extra: dict | None = None) -> dict:
        return meydan_env(self.var, extra)

    def start(self, scenario: str):
        extra = dict(self.env)
        if scenario in ("post", "hot"):
            extra |= {
                "MEYDAN_RATELIMIT_COMMENTS": "off",
                "MEYDAN_MIN_FORM_SECONDS": "off",
                # The proof of work is solved by a reader's browser, not by a load
                # generator; verifying one costs the server ~75 us (docs/bot-defence.md).
                "MEYDAN_POW": "off",
                "MEYDAN_RATELIMIT_SITE_COMMENTS": POST_SITE_LIMIT,
            }
        if scenario == "hot":  # page builds are counted on /metrics (only with a token)
            extra["MEYDAN_METRICS_TOKEN"] = METRICS_TOKEN
        self.port = free_port()
        command = [MEYDAN, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers)]  # fmt: skip
        if self.threads is not None:  # otherwise: meydan serve's default (README)
            command += ["--threads", str(self.threads)]
        if self.collected:
            command.append("--no-collectstatic")  # collected by the first start
        if self.by_hand:  # the README's "the same thing by hand" (no --max-requests)
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            command = [gunicorn, self.env.get("BENCH_WSGI", "meydan.wsgi:application"),
                       "--workers", str(self.workers), "--threads", str(self.threads or 1),
                       "--bind", f"127.0.0.1:{self.port}",
                       "--access-logfile", "/dev/null"]  # fmt: skip
        self.logfile = self.run / f"{self.name}-{scenario}.log"
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                command, env=self.server_env(extra), cwd=ROOT, stdout=out, stderr=out
            )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base, self.ready, self.process, self.name, self.logfile)
        self.collected = True
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)

    def comment_ids(self, from_id: int = 0) -> set[int]:
        with sqlite3.connect(self.var / "meydan.sqlite3") as db:
            rows = db.execute("SELECT id FROM comments_comment WHERE id >= ?", (from_id,))
            return {row[0] for row in rows}

    def count_comments(self) -> int:
        with sqlite3.connect(self.var / "meydan.sqlite3") as db:
            return db.execute("SELECT COUNT(*) FROM comments_comment").fetchone()[0]


class MeydanPg(Meydan):
    """The production layout: the same `meydan serve` on PostgreSQL (its own database, a
    fresh copy of the seeded template per run) with Redis as the shared cache (its own
    database number, flushed at every start: each scenario starts cold, as on SQLite)."""

    name = "meydan-pg"

    def prepare(self, seeded: str) -> None:
        psql(f'DROP DATABASE IF EXISTS "{PG_RUN_DB}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{PG_RUN_DB}" TEMPLATE "{seeded}"')

    def server_env(self, extra: dict | None = None) -> dict:
        return meydan_env(
            self.var,
            {
                "DATABASE_URL": PG_URL.format(db=PG_RUN_DB),
                "MEYDAN_CACHE_URL": BENCH_REDIS,
                # the stream's pub/sub channel is shared by every Redis database
                "MEYDAN_LIVE_CHANNEL": "meydan-bench:live",
                **(extra or {}),
            },
        )

    def start(self, scenario: str):
        import redis  # Django's RedisCache needs it: installed with Meydan

        redis.Redis.from_url(BENCH_REDIS).flushdb()
        return super().start(scenario)

    def comment_ids(self, from_id: int = 0) -> set[int]:
        out = psql(f"SELECT id FROM comments_comment WHERE id >= {int(from_id)}", PG_RUN_DB)  # noqa: S608
        return {int(line) for line in out.split()}

    def count_comments(self) -> int:
        return int(psql("SELECT COUNT(*) FROM comments_comment", PG_RUN_DB))

    def transactions(self) -> int:
        """Transactions committed or rolled back in the run's database so far. Django
        runs in autocommit: every query outside atomic() is a transaction of its own.
        The counters of a session reach pg_stat_database when it ends (or goes idle
        for a while): read this with the server stopped."""
        return int(
            psql(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "  # noqa: S608
                f"WHERE datname = '{PG_RUN_DB}'"
            )
        )


class Isso:
    name = "isso"
    ready = "/info"

    def __init__(self, run: Path, seeded: Path):
        self.db = run / "isso.db"
        shutil.copyfile(seeded, self.db)
        self.run = run

    def start(self, scenario: str):
        self.port = free_port()
        self.logfile = self.run / f"isso-{scenario}.log"
        self.process = isso_gunicorn(self.db, self.port, True, self.run, self.logfile)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base, self.ready, self.process, "isso", self.logfile)
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


NGINX_CONF = """\
# make bench: nginx serving Meydan's own response bodies as static files.
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    # the thread-gz scenario: a request with Accept-Encoding: gzip gets FILE.gz, Meydan's
    # own gzip bytes saved beside each body (compressed once, as Meydan does per version)
    gzip_static on;
    gzip_vary on;
    server {{
        listen 127.0.0.1:{port} reuseport;  # spread connections over the workers
        root {prefix}/www;
        # the same request line as Meydan's: ?site=bench&url=/article-N[&page=P]
        location = /api/v1/threads {{ try_files /threads$arg_url.p$arg_page.json =404; }}
        location = /api/v1/counts {{ try_files /counts.json =404; }}
        location = /api/v1/me {{ return 200 '{{"signed_in": false}}'; }}
    }}
}}
"""


class Nginx:
    name = "nginx"
    ready = "/api/v1/me"

    def __init__(self, run: Path, workers: int):
        self.prefix = run / "nginx"
        (self.prefix / "tmp").mkdir(parents=True)
        (self.prefix / "www" / "threads").mkdir(parents=True)
        self.workers = workers
        self.run = run

    def www(self) -> Path:
        return self.prefix / "www"

    def start(self, scenario: str):
        self.port = free_port()
        conf = self.prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.prefix, port=self.port, workers=self.workers))
        self.logfile = self.prefix / "error.log"
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(  # noqa: S603 - our own config
            [nginx, "-c", str(conf), "-p", str(self.prefix), "-e", str(self.logfile)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base, self.ready, self.process, "nginx", self.logfile)
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


MICROCACHE_CONF = """\
# make bench: Meydan behind an nginx micro-cache for /api/v1/threads (docs/scaling.md).
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=meydan_api:10m max_size=1g
                     inactive=10m use_temp_path=off;
    # One spelling per coding Meydan answers in (docs/scaling.md, "Compression").
    map $http_accept_encoding $meydan_accept {{
        default      "";
        "~*\\bbr\\b"   "br, gzip";
        "~*\\bgzip\\b" gzip;
    }}
    upstream meydan {{
        server 127.0.0.1:{upstream};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Accept-Encoding $meydan_accept;
        location = /api/v1/threads {{
            proxy_pass http://meydan;
            proxy_cache meydan_api;
            # CORS answers differ per Origin (Meydan sends Vary: Origin), and per coding
            proxy_cache_key "$request_uri|$http_origin|$meydan_accept";
            # validity from Meydan's own Cache-Control: s-maxage=1
            proxy_cache_revalidate on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503;
            proxy_cache_background_update on;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 2s;
            add_header X-Cache $upstream_cache_status always;
        }}
        location / {{
            proxy_pass http://meydan;
        }}
    }}
}}
"""


class MicroCache:
    """Meydan (`meydan serve`, the same fresh database) behind an nginx micro-cache."""

    name = "cached"
    ready = "/api/v1/me"

    def __init__(self, run: Path, meydan: Meydan, workers: int):
        self.meydan = meydan
        self.prefix = run / "microcache"
        (self.prefix / "tmp").mkdir(parents=True)
        self.workers = workers

    def start(self, scenario: str):
        self.meydan.start(f"cached-{scenario}")
        shutil.rmtree(self.prefix / "cache", ignore_errors=True)
        self.port = free_port()
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            MICROCACHE_CONF.format(
                prefix=self.prefix, port=self.port, workers=self.workers, upstream=self.meydan.port
            )
        )
        self.logfile = self.prefix / "error.log"
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(  # noqa: S603 - our own config
            [nginx, "-c", str(conf), "-p", str(self.prefix), "-e", str(self.logfile)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base, self.ready, self.process, "nginx (micro-cache)", self.logfile)
        return f"{self.process.pid},{self.meydan.process.pid}"

    def stop(self) -> None:
        stop_process(self.process)
        self.meydan.stop()


# --- One scenario on one server ----------------------------------------------------


def scenario_spec(scenario: str, server: str, ctx: dict) -> dict:
    """wrk script and its environment, and the probe request."""
    n_env = {"N_ARTICLES": str(ctx["n_articles"])}
    first = "/article-1"
    if scenario == "thread":
        path = MEYDAN_THREAD if server != "isso" else ISSO_THREAD
        return {"script": "thread.lua", "env": {**n_env, "THREAD_PATH": path},
                "probe": ("GET", path.replace("{n}", "1"), None, {})}  # fmt: skip
    if scenario == "thread1":
        path = (MEYDAN_THREAD if server != "isso" else ISSO_THREAD).replace("{n}", "1")
        return {"script": "get.lua", "env": {"GET_PATH": path}, "probe": ("GET", path, None, {})}
    if scenario == "thread-gz":
        return {"script": "thread_enc.lua",
                "env": {**n_env, "THREAD_PATH": MEYDAN_THREAD, "ACCEPT_ENCODING": "gzip"},
                "probe": ("GET", MEYDAN_THREAD.replace("{n}", "1"), None,
                          {"Accept-Encoding": "gzip"})}  # fmt: skip
    if scenario == "hot":
        return {"script": "get.lua", "env": {"GET_PATH": HOT_PATH},
                "probe": ("GET", HOT_PATH, None, {})}  # fmt: skip
    if scenario == "bigpage":
        path = MEYDAN_BIG if server != "isso" else ISSO_BIGPAGE
        return {"script": "get.lua", "env": {"GET_PATH": path}, "probe": ("GET", path, None, {})}
    if scenario in ("bigp10", "bigp30"):
        path = f"{MEYDAN_BIG}&page={scenario[4:]}"
        return {"script": "get.lua", "env": {"GET_PATH": path}, "probe": ("GET", path, None, {})}
    if scenario == "counts":
        urls = [f"/article-{n}" for n in range(1, 21)]
        if server == "isso":
            return {"script": "count.lua", "env": n_env,
                    "probe": ("POST", "/count", urls, {"Origin": ORIGIN})}  # fmt: skip
        query = "/api/v1/counts?site=bench" + "".join(f"&url={u}" for u in urls)
        return {"script": "counts_get.lua", "env": n_env, "probe": ("GET", query, None, {})}
    if scenario == "etag":
        etags = ctx["etag_files"]["meydan" if server == "cached" else server]
        return {"script": "etag.lua",
                "env": {**n_env, "THREAD_PATH": MEYDAN_THREAD, "ETAGS": str(etags)},
                "probe": ("GET", MEYDAN_THREAD.replace("{n}", "1"), None,
                          {"If-None-Match": ctx["etags"]["meydan" if server == "cached"
                                                          else server][first]})}  # fmt: skip
    if scenario == "post":
        tsv = ctx["post_tsv"][server]
        path, body = Path(tsv).read_text(encoding="utf-8").split("\n", 1)[0].split("\t", 1)
        body = json.loads(body)
        body["text" if server == "isso" else "body"] += " (probe)"
        headers = {"Origin": ORIGIN, "Referer": ORIGIN + "/"}
        return {"script": "post.lua", "env": {"POST_REQUESTS": str(tsv), "ORIGIN": ORIGIN},
                "probe": ("POST", path, body, headers)}  # fmt: skip
    raise ValueError(scenario)


WARM_ROUNDS = 8


def warm_up(server, spec, scenario, args, run) -> list[float]:
    """Warm-up rounds of args.warmup seconds until the throughput stops rising (each
    worker fills its own cache: 200 threads x 2 workers is 400 page builds, more than a
    2-second warm-up covered), at most WARM_ROUNDS. Returns each round's req/s."""
    rates: list[float] = []
    if server.name == "isso":  # nothing to fill, and a flooded Isso keeps working after wrk stops
        warm = run / f"{scenario}-{server.name}.warmup.json"
        run_wrk(server.base, spec, args.warmup, 8, 2, warm, mark="w")
        return rates
    for n in range(WARM_ROUNDS):
        warm = run / f"{scenario}-{server.name}.warmup{n}.json"
        run_wrk(server.base, spec, args.warmup, args.connections, 2, warm, mark=f"w{n}")
        data = json.loads(warm.read_text())
        rates.append(data["requests"] / (data["duration_us"] / 1e6))
        if scenario == "post" or (len(rates) > 1 and rates[-1] < 1.1 * rates[-2]):
            break
    return rates


def run_wrk(
    base, spec, seconds, connections, threads, out_json, status_json=None, mark="", ids=None
):
    env = {**os.environ, **spec["env"], "WRK_DIR": str(WRK_DIR), "WRK_JSON": str(out_json)}
    if status_json:
        env["WRK_STATUS_JSON"] = str(status_json)
    if ids:  # post.lua: the ids of the acknowledged comments
        env["WRK_IDS"] = str(ids)
    if mark:
        env["POST_MARK"] = mark
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "--latency", "-s", str(WRK_DIR / spec["script"]), base]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wrk_cpu


def code_version() -> str:
    """HEAD, and a hash of any uncommitted change to meydan/ (the code a server runs)."""
    head = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
    ).stdout.strip()
    diff = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "diff", "HEAD", "--", "meydan"],  # noqa: S607
        capture_output=True,
    ).stdout
    return head + (f"+{hashlib.sha256(diff).hexdigest()[:8]}" if diff else "")


def measure(server, scenario: str, ctx: dict, args, run: Path) -> dict:
    spec = scenario_spec(scenario, server.name, ctx)
    code = code_version()
    # 304 without a query (PostgreSQL): the database's transactions over the server's
    # whole life, read with it stopped (a session's counters arrive when it ends)
    counting_xacts = scenario == "etag" and hasattr(server, "transactions")
    xacts_before = server.transactions() if counting_xacts else None
    pid = server.start(scenario)
    hot = hot_result = readonly = None
    try:
        method, path, body, headers = spec["probe"]
        status, probe_headers, content, took = fetch(server.base, path, method, body, headers)
        probe = {"status": status, "bytes": len(content), "ms": took * 1000,
                 "encoding": probe_headers.get("Content-Encoding")}  # fmt: skip
        if args.warmup and server.name != "nginx":  # static files: nothing to warm
            warm_rounds = warm_up(server, spec, scenario, args, run)
        else:
            warm_rounds = []
        if scenario == "hot":  # the same thread's read-only rate, just before the posting
            ro_json = run / f"hot-readonly-{server.name}.json"
            run_wrk(server.base, spec, args.seconds, args.connections, 2, ro_json)
            readonly = wrk_summary(json.loads(ro_json.read_text()))
        out = run / f"{scenario}-{server.name}.json"
        statuses = run / f"{scenario}-{server.name}.status.json"
        ids_file = run / f"{scenario}-{server.name}.ids.txt"
        proc_json = run / f"{scenario}-{server.name}.proc.json"
        sampler = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, str(BENCH / "procstat.py"), str(pid), str(proc_json), "0.2"]
        )
        time.sleep(0.3)  # the sampler's first sample is the CPU baseline
        counting = scenario == "post" and hasattr(server, "count_comments")
        rows_before = server.count_comments() if counting else None
        max_id_before = max(server.comment_ids(), default=0) if counting else None
        seconds = max(args.seconds, args.post_seconds) if scenario == "post" else args.seconds
        if scenario == "hot":
            seconds = args.hot_seconds
            hot = HotThread(server.base, ctx["form_token"][server.name], run.name)
            hot.start()
        text, wrk_cpu = run_wrk(server.base, spec, seconds, args.connections, 2, out, statuses,
                                ids=ids_file if counting else None)  # fmt: skip
        if hot:
            hot_result = hot.stop()
        sampler.send_signal(signal.SIGTERM)
        sampler.wait(timeout=30)
    finally:
        if hot and hot_result is None:
            hot.stop()
        server.stop()
    if counting:
        rows_added = server.count_comments() - rows_before
        acked = {int(line) for line in ids_file.read_text().split()} if ids_file.exists() else set()
        missing = acked - server.comment_ids(max_id_before + 1)
    xacts = None
    if counting_xacts:
        time.sleep(1.0)  # the sessions' exit flushes their statistics
        xacts = server.transactions() - xacts_before
    (run / f"{scenario}-{server.name}.wrk.txt").write_text(text)
    wrk = json.loads(out.read_text())
    proc = json.loads(proc_json.read_text())
    requests = wrk["requests"]
    seconds = wrk["duration_us"] / 1e6
    errors = wrk["errors"]
    result = {
        "server": server.name,
        "scenario": scenario,
        "rps": requests / seconds if seconds else 0.0,
        "requests": requests,
        "p50": wrk["latency_us"]["p50"] / 1000,
        "p99": wrk["latency_us"]["p99"] / 1000,
        "max": wrk["latency_us"]["max"] / 1000,
        "errors": errors["status"] + errors["timeout"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"],
        "bytes_per_req": wrk["bytes"] / requests if requests else 0,
        "cpu_ms": 1000 * proc["cpu_s"] / requests if requests else None,
        "cpu_s": proc["cpu_s"],
        "other_cpu_s": proc["machine_busy_s"] - proc["cpu_s"],
        "wrk_cpu_s": wrk_cpu,
        # what neither the server nor wrk used: a noisy neighbour (and procstat itself)
        "neighbour_cpu_s": max(0.0, proc["machine_busy_s"] - proc["cpu_s"] - wrk_cpu),
        "rss_proc_mb": proc["peak_rss_proc_kb"] / 1024,
        "rss_tree_mb": proc["peak_rss_total_kb"] / 1024,
        "procs": proc["procs"],
        "pids_seen": proc["pids_seen"],
        "probe": probe,
        "code": code,
    }
    if statuses.exists():
        result["statuses"] = json.loads(statuses.read_text())
    if counting:
        result["rows_added"] = rows_added
        result["acked_ids"] = len(acked)
        result["ids_missing"] = sorted(missing)
    result["seconds"] = seconds
    result["warm_rounds"] = warm_rounds
    if xacts is not None:
        warm_requests = sum(
            json.loads(f.read_text())["requests"]
            for f in run.glob(f"{scenario}-{server.name}.warmup*.json")
        )
        result["xacts"] = xacts
        result["requests_total"] = requests + warm_requests + 1  # + the probe
    if scenario == "hot":
        result["readonly"] = readonly
        result["hot"] = hot_result
    log(
        f"  {scenario:<9} {server.name:<9} {result['rps']:>9,.1f} req/s"
        f"  p50 {result['p50']:>8.1f} ms  p99 {result['p99']:>8.1f} ms  errors {result['errors']}"
        f"  cpu {fmt(result['cpu_ms'], 2)} ms/req  rss {result['rss_proc_mb']:.0f} MB"
        f"  (probe {status}, {len(content):,} B, {took * 1000:.0f} ms"
        + (f", {probe['encoding']}" if probe["encoding"] else "")
        + ")"
    )
    if xacts is not None:
        log(f"  {'':<9} {server.name:<9} {xacts:,} transactions in {PG_RUN_DB} for "
            f"{result['requests_total']:,} requests")  # fmt: skip
    if hot_result:
        log(f"  {'':<9} {server.name:<9} read-only {readonly['rps']:,.0f} req/s; {hot_result}")
    return result


def wrk_summary(wrk: dict) -> dict:
    seconds = wrk["duration_us"] / 1e6
    return {
        "rps": wrk["requests"] / seconds if seconds else 0.0,
        "p50": wrk["latency_us"]["p50"] / 1000,
        "p99": wrk["latency_us"]["p99"] / 1000,
        "errors": sum(wrk["errors"].values()),
    }


def page_builds(base: str) -> float | None:
    """meydan_read_page_builds_total from /metrics (summed over the workers by the
    multiprocess collector), or None where the server does not count them."""
    try:
        status, _, content, _ = fetch(
            base, "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
        )
    except OSError:
        return None
    if status != 200:
        return None
    total = None
    for line in content.decode().splitlines():
        if line.startswith("meydan_read_page_builds_total"):
            total = (total or 0.0) + float(line.rsplit(" ", 1)[1])
    return total


def thread_version(base: str) -> int | None:
    """The hot thread's version, from its ETag ("v<version>-p1-newest")."""
    headers = fetch(base, HOT_PATH)[1]
    found = re.match(r'"v(\d+)-', headers.get("ETag") or "")
    return int(found.group(1)) if found else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class HotThread:
    """The hot scenario's writer and watcher, beside wrk's 32 readers of HOT_PATH:
    - the poster posts HOT_POSTS_PER_S new top-level comments a second into the thread
      through the API (on a fixed schedule; up to 8 in flight, each on a new connection);
    - the watcher reads the thread as a browser does, every 50 ms with If-None-Match, on
      a new connection each time (so that every worker answers some), and notes when
      each comment id first appears: time to see = that moment - the POST's 201.
    Page builds (the /metrics counter) and the thread's versions are read around it."""

    def __init__(self, base: str, form_token: str, stamp: str):
        import threading

        self.base, self.form_token, self.stamp = base, form_token, stamp
        self.lock = threading.Lock()
        self.stopping, self.watch_done = threading.Event(), threading.Event()
        self.posts: list[tuple[int, object, int | None, float]] = []
        self.seen: dict[int, float] = {}
        self.polls = self.poll_errors = 0
        self.threads = [
            threading.Thread(target=self._schedule),
            threading.Thread(target=self._watch),
        ]

    def start(self) -> None:
        self.builds_before = page_builds(self.base)
        self.version_before = thread_version(self.base)
        self.started = time.perf_counter()
        for thread in self.threads:
            thread.start()

    def _post(self, i: int) -> None:
        body = {"site": SITE, "url": HOT_URL, "title": "Article 1", "parent": None,
                "name": "Hot thread poster", "email": "hot@example.org", "website": "",
                "form_token": self.form_token,
                "body": f"Comment {i} into the hot thread (run {self.stamp})."}  # fmt: skip
        headers = {"Origin": ORIGIN, "Referer": ORIGIN + "/"}
        try:
            status, _, content, _ = fetch(self.base, "/api/v1/comments", "POST", body, headers, 30)
        except OSError as error:
            status, content = type(error).__name__, b""
        answered = time.perf_counter()
        cid = json.loads(content)["comment"]["id"] if status in (201, 202) else None
        with self.lock:
            self.posts.append((i, status, cid, answered))

    def _schedule(self) -> None:
        with ThreadPoolExecutor(8) as pool:
            i = 0
            while not self.stopping.is_set():
                delay = self.started + i / HOT_POSTS_PER_S - time.perf_counter()
                if delay > 0:
                    self.stopping.wait(delay)
                    continue
                pool.submit(self._post, i)
                i += 1
        self.posting_seconds = time.perf_counter() - self.started

    def _watch(self) -> None:
        etag = None
        while not self.watch_done.is_set():
            try:
                status, headers, content, _ = fetch(
                    self.base, HOT_PATH, headers={"If-None-Match": etag} if etag else {}, timeout=10
                )
            except OSError:
                status = None
            now = time.perf_counter()
            self.polls += 1
            if status == 200:
                etag = headers.get("ETag")
                for comment in json.loads(content)["comments"]:
                    if comment.get("id") is not None:
                        self.seen.setdefault(comment["id"], now)
            elif status != 304:
                self.poll_errors += 1
            time.sleep(0.05)

    def stop(self) -> dict:
        self.stopping.set()
        self.threads[0].join()  # every POST answered
        published = [(cid, at) for _, status, cid, at in self.posts if status == 201]
        deadline = time.perf_counter() + 5  # the watcher's last chance to see them
        while time.perf_counter() < deadline and any(c not in self.seen for c, _ in published):
            time.sleep(0.05)
        self.watch_done.set()
        self.threads[1].join()
        waits = [max(0.0, self.seen[c] - at) for c, at in published if c in self.seen]
        statuses: dict[str, int] = {}
        for _, status, _, _ in self.posts:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        builds_after = page_builds(self.base)
        version_after = thread_version(self.base)
        builds = (
            builds_after - self.builds_before
            if builds_after is not None and self.builds_before is not None
            else None
        )
        return {
            "posts": len(self.posts),
            "posts_per_s": len(self.posts) / self.posting_seconds,
            "statuses": statuses,
            "published": len(published),
            "never_seen": len(published) - len(waits),
            "see_p50": percentile(waits, 50),
            "see_p99": percentile(waits, 99),
            "see_max": max(waits, default=None),
            "polls": self.polls,
            "poll_errors": self.poll_errors,
            "builds": builds,
            "versions": (
                version_after - self.version_before
                if version_after is not None and self.version_before is not None
                else None
            ),
        }


# --- Collecting Meydan's responses for nginx and the scenarios ----------------------------


def collect(meydan: Meydan, nginx: Nginx | None, ctx: dict, run: Path) -> None:
    """Save Meydan's exact response bodies (for nginx: plain, and its gzip bytes as .gz
    for gzip_static), its ETags, a form token, the wire bytes of a 100-comment thread;
    and check that ONE response holds each whole 100-comment thread. `meydan` may be
    the SQLite or the PostgreSQL server; nginx's files come from the SQLite one."""
    meydan.start("collect")
    www = (nginx.www() if nginx else run / "www") if meydan.name == "meydan" else None
    try:
        etags, sizes = {}, {}
        if www:
            (www / "threads").mkdir(parents=True, exist_ok=True)
        gz_by = set()
        for n in range(1, ctx["n_articles"] + 1):
            uri = f"/article-{n}"
            path = MEYDAN_THREAD.replace("{n}", str(n))
            status, headers, body, _ = fetch(meydan.base, path)
            payload = json.loads(body)
            if status != 200 or len(payload["comments"]) != 100 or payload["pages"] != 1:
                raise SystemExit(
                    f"{meydan.name} {uri}: {status}, {len(payload['comments'])} comments"
                )
            etags[uri] = headers["ETag"]
            sizes[uri] = len(body)
            if not www:
                continue
            (www / f"threads{uri}.p.json").write_bytes(body)
            _, headers, gz, _ = fetch(meydan.base, path, headers={"Accept-Encoding": "gzip"})
            if headers.get("Content-Encoding") == "gzip":
                gz_by.add("meydan")
            else:  # a server without compression yet: what it would send, made here
                gz_by.add("bench")
                gz = gzip.compress(body, compresslevel=6, mtime=0)
            (www / f"threads{uri}.p.json.gz").write_bytes(gz)
        ctx["wire"][meydan.name] = wire_bytes(meydan.base, MEYDAN_THREAD.replace("{n}", "1"))
        if www:
            ctx["gz_by"] = gz_by
            ctx["sizes"] = sizes
        elif ctx.get("sizes"):
            ctx["size_diff"][meydan.name] = sum(sizes.values()) - sum(ctx["sizes"].values())
        for page in ("", "10", "30"):
            path = MEYDAN_BIG + (f"&page={page}" if page else "")
            status, _, body, _ = fetch(meydan.base, path)
            payload = json.loads(body)
            if status != 200 or payload["count"] != 5000:
                raise SystemExit(f"{meydan.name} /big page {page or 1}: {status}")
            if not www:
                continue
            ctx["big"][page or "1"] = {"bytes": len(body), "comments": len(payload["comments"]),
                                       "pages": payload["pages"]}  # fmt: skip
            (www / f"threads/big.p{page}.json").write_bytes(body)
        if www:
            urls = "".join(f"&url=/article-{n}" for n in range(1, 21))
            status, _, body, _ = fetch(meydan.base, "/api/v1/counts?site=bench" + urls)
            (www / "counts.json").write_bytes(body)
        status, _, body, _ = fetch(meydan.base, f"/api/v1/sites/{SITE}")
        ctx["form_token"][meydan.name] = json.loads(body)["form_token"]
    finally:
        meydan.stop()
    ctx["etags"][meydan.name] = etags
    ctx["etag_files"][meydan.name] = run / f"etags-{meydan.name}.txt"
    ctx["etag_files"][meydan.name].write_text(
        "".join(etags[f"/article-{n}"] + "\n" for n in range(1, ctx["n_articles"] + 1))
    )
    if nginx and www:  # nginx's own ETag: "<mtime hex>-<size hex>"
        nginx_etags = {}
        for n in range(1, ctx["n_articles"] + 1):
            st = (www / f"threads/article-{n}.p.json").stat()
            nginx_etags[f"/article-{n}"] = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
        ctx["etags"]["nginx"] = nginx_etags
        ctx["etag_files"]["nginx"] = run / "etags-nginx.txt"
        ctx["etag_files"]["nginx"].write_text(
            "".join(nginx_etags[f"/article-{n}"] + "\n" for n in range(1, ctx["n_articles"] + 1))
        )


SETTLE_WAIT = 30  # s: Meydan settles a page after 10 s (MEYDAN_BROTLI_SETTLE_SECONDS)


def wire_bytes(base: str, path: str) -> dict:
    """Bytes on the wire (the body: headers are about the same) of one response, plain
    and with each coding the server offers; a coding it does not apply is None. Also
    "br_settled": the Brotli bytes once the page has settled (a page unchanged for
    10 s is compressed again at Brotli's slowest quality, with an ETag of its own,
    "…-brs"): asked for every half second until a worker sends them, for at most
    SETTLE_WAIT s; with "settled_after", the seconds from the first Brotli read."""
    out = {}
    for coding in ("identity", "gzip", "br"):
        status, headers, body, _ = fetch(base, path, headers={"Accept-Encoding": coding})
        applied = headers.get("Content-Encoding") or "identity"
        out[coding] = len(body) if status == 200 and applied == coding else None
    out["br_settled"] = out["settled_after"] = None
    if out["br"] is None:
        return out
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_WAIT:
        time.sleep(0.5)
        status, headers, body, _ = fetch(base, path, headers={"Accept-Encoding": "br"})
        if status == 200 and headers.get("ETag", "").endswith('-brs"'):
            out["br_settled"] = len(body)
            out["settled_after"] = time.monotonic() - started
            break
    return out


# --- Report ---------------------------------------------------------------------------


def fmt(value, digits=1) -> str:
    if value is None:
        return "-"
    if digits == 0 or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ratio(a, b) -> str:
    if not a or not b:
        return "-"
    r = a / b
    if r >= 100:
        return f"{r:,.0f}x"
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def versions() -> list[str]:
    def out(command):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=30)  # noqa: S603
            return (result.stdout + result.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    def meta(python, packages):
        code = (
            "import importlib.metadata as m, sys; "
            "print(' '.join(p + ' ' + m.version(p) for p in sys.argv[1:]))"
        )
        return out([python, "-c", code, *packages])

    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    commit = code_version()
    return [
        f"machine: nproc {os.cpu_count()}; CPU {cpu}; {mem_kb / 1048576:.0f} GB RAM; "
        f"{platform.system()} {platform.release()}",
        f"meydan:  {commit} (git HEAD[+hash of uncommitted meydan/ changes]); "
        f"Python {platform.python_version()}; "
        + meta(sys.executable, ["Django", "granian", "django-ninja"]),
        "isso:    " + meta(str(ISSO_VENV / "bin" / "python"), ["isso", "gunicorn", "Werkzeug"]),
        f"nginx:   {out(['nginx', '-v'])}; wrk: {out(['wrk', '-v'])}",
    ]


def machine_slug() -> str:
    cpu = "cpu"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1]
                break
    words = re.sub(r"\(.*?\)|processor|\d+-core|cpu", " ", cpu.lower()).split()
    slug = "-".join(w for w in words[:3] if re.match(r"^[a-z0-9]+$", w))
    return f"{os.cpu_count()}cpu-{slug or 'unknown'}"


def side_by_side(by: dict) -> list[str]:
    """Both layouts in columns, as in docs/scaling.md's table (when meydan-pg ran)."""
    if not any(server == "meydan-pg" for _, server in by):
        return []

    def cell(r) -> str:
        return f"{fmt(r['rps'], 0)}, p99 {fmt(r['p99'])}" if r and r["rps"] else "-"

    def vs(r, o) -> str:
        return ratio(r["rps"], o["rps"]) if r and o else "-"

    lines = [
        "",
        "side by side (req/s, p99 ms; ratios: the row's req/s over nginx's or Isso's for the "
        "same requests; meydan: SQLite + local-memory cache; meydan-pg: PostgreSQL + Redis):",
    ]
    cols = (f"{'scenario':<36} {'meydan':>18} {'meydan-pg':>18} {'isso':>16} {'nginx':>16} "
            f"{'m/nginx':>7} {'pg/nginx':>8} {'m/isso':>7} {'pg/isso':>7}")  # fmt: skip
    lines += [cols, "-" * len(cols)]
    for scenario, (label, _) in SCENARIOS.items():
        m, pg = by.get((scenario, "meydan")), by.get((scenario, "meydan-pg"))
        if not m and not pg:
            continue
        i, n = by.get((scenario, "isso")), by.get((scenario, "nginx"))
        lines.append(
            f"{label:<36} {cell(m):>18} {cell(pg):>18} {cell(i):>16} {cell(n):>16} "
            f"{vs(m, n):>7} {vs(pg, n):>8} {vs(m, i):>7} {vs(pg, i):>7}"
        )
    return lines


def layout_notes(by: dict, ctx: dict, args) -> list[str]:
    """The compressed read, the wire bytes, 304s without a query, the hot thread."""
    lines = []
    wire = ctx.get("wire", {})
    if wire:
        lines += ["", "wire bytes of /article-1 (100 comments), the response body per coding "
                  "(Accept-Encoding: identity / gzip / br):"]  # fmt: skip
        for server, w in wire.items():
            plain = w.get("identity") or 0
            parts = [f"plain {plain:,} B"]
            for coding in ("gzip", "br"):
                size = w.get(coding)
                parts.append(
                    f"{coding} {size:,} B ({100 * size / plain:.1f} % of plain)"
                    if size and plain
                    else f"{coding}: not applied (no Content-Encoding: {coding})"
                )
            if w.get("br_settled") and plain:
                parts.append(
                    f"br once settled {w['br_settled']:,} B ({100 * w['br_settled'] / plain:.1f} %"
                    f" of plain; sent {w['settled_after']:.1f} s after the first br read)"
                )
            elif w.get("br"):
                parts.append(f"br never settled in {SETTLE_WAIT} s")
            lines.append(f"  {server:<9} " + ", ".join(parts))
    if by.get(("thread-gz", "nginx")) and ctx.get("gz_by"):
        made = (
            "Meydan's own gzip bytes, saved from its responses"
            if ctx["gz_by"] == {"meydan"}
            else "gzip -6 made by the bench for (some) threads: Meydan did not compress them"
        )
        lines.append(f"thread-gz: nginx `gzip_static on` serves FILE.gz = {made}.")
    for server, diff in ctx.get("size_diff", {}).items():
        lines.append(
            f"{server}: its 100-comment bodies total {diff:+,} B against SQLite's (nginx's "
            "files): same ids, keys and texts, other timestamps (seeded separately)"
        )
    for server in MEYDANS:
        et = by.get(("etag", server))
        if et and "xacts" in et:
            lines.append(
                f"{server} etag: {et['xacts']:,} transactions in database {PG_RUN_DB} from the "
                f"server's start to its stop (pg_stat_database xact_commit + xact_rollback) for "
                f"{et['requests_total']:,} requests (probe, warm-up, wrk); the cold cache's first "
                "look-ups of the site and each thread's state are among them"
            )
    hot_rows = [(server, by.get(("hot", server))) for server in MEYDANS]
    hot_rows = [(server, r) for server, r in hot_rows if r and r.get("hot")]
    if hot_rows:
        lines += [
            "",
            f"hot thread ({HOT_PATH}): wrk -t2 -c{args.connections} plain GETs (no "
            f"If-None-Match) for {args.hot_seconds} s while a poster posts {HOT_POSTS_PER_S} "
            "comments/s into it through the API; read-only: the same wrk on the same server "
            f"just before, {args.seconds} s. Time to see: a watcher polling every 50 ms with "
            "If-None-Match (new connection each time), from the POST's 201 to the id in a read.",
        ]
        for server, r in hot_rows:
            h, ro = r["hot"], r["readonly"]
            builds = (
                f"{h['builds']:,.0f} page builds for {h['versions']} new versions"
                f" ({h['builds'] / h['versions']:.2f} per version)"
                if h["builds"] is not None and h["versions"]
                else "page builds not counted (no meydan_read_page_builds_total on /metrics)"
            )
            see = (
                f"time to see p50 {h['see_p50']:.2f} s, p99 {h['see_p99']:.2f} s, max "
                f"{h['see_max']:.2f} s"
                if h["see_max"] is not None
                else "time to see: nothing seen"
            )
            lines.append(
                f"  {server:<9} read-only {fmt(ro['rps'], 0)} req/s p99 {fmt(ro['p99'])} ms; "
                f"under posting {fmt(r['rps'], 0)} req/s ({ratio(r['rps'], ro['rps'])}) p50 "
                f"{fmt(r['p50'])} p99 {fmt(r['p99'])} ms, errors {r['errors']}; posts "
                f"{h['posts']:,} made ({h['posts_per_s']:.1f}/s), answers "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(h["statuses"].items()))
                + f"; {builds}; {see}; {h['never_seen']} published never seen; watcher "
                f"{h['polls']:,} polls, {h['poll_errors']} errors"
            )
        lines.append(
            "  (browsers send If-None-Match on every read after the first: their repeats are "
            "the etag scenario's 304s, which cost no page build; these readers are the "
            "worst case, a full body each time)"
        )
    return lines


def report(results: list[dict], ctx: dict, args, header: list[str]) -> str:
    by = {(r["scenario"], r["server"]): r for r in results}
    lines = list(header)
    lines.append("")
    cols = (f"{'scenario':<30} {'server':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'errors':>6} {'CPU ms/req':>10} {'RSS MB proc':>11} {'RSS tree':>8} "
            f"{'/isso':>7} {'/nginx':>7}")  # fmt: skip
    lines.append(cols)
    lines.append("-" * len(cols))
    for scenario, (label, servers) in SCENARIOS.items():
        first = True
        for server in servers:
            r = by.get((scenario, server))
            if r is None:
                continue
            vs_isso = vs_nginx = ""
            if server in ("meydan", "meydan-pg", "cached"):
                isso, nginx = by.get((scenario, "isso")), by.get((scenario, "nginx"))
                vs_isso = ratio(r["rps"], isso["rps"]) if isso else "-"
                vs_nginx = ratio(r["rps"], nginx["rps"]) if nginx else "-"
            errors = str(r["errors"]) + (f"+{r['socket_errors']}s" if r["socket_errors"] else "")
            noisy = "!" if r["neighbour_cpu_s"] > NOISY_CPU_S else " "
            lines.append(
                f"{label if first else '':<30} {server:<9}{noisy}{fmt(r['rps']):>9} "
                f"{fmt(r['p50']):>8} "
                f"{fmt(r['p99']):>8} {errors:>6} {fmt(r['cpu_ms'], 2):>10} "
                f"{r['rss_proc_mb']:>11.0f} {r['rss_tree_mb']:>8.0f} {vs_isso:>7} {vs_nginx:>7}"
            )
            first = False
    codes = sorted({r["code"] for r in results})
    if len(codes) > 1:
        lines.append("")
        lines.append(
            "WARNING: the code changed during this run (git HEAD[+hash of uncommitted meydan/ "
            "changes] at each server start):"
        )
        for code in codes:
            rows = [f"{r['scenario']}/{r['server']}" for r in results if r["code"] == code]
            lines.append(f"  {code}: {', '.join(rows)}")
    lines.append("")
    lines += [
        f"req/s, p50, p99: wrk -t2 -c{args.connections} -d{args.seconds}s --latency "
        f"(post: -d{max(args.seconds, args.post_seconds)}s) (HdrHistogram).",
        "errors: non-2xx/3xx + timeouts (+Ns: socket errors). CPU ms/req: CPU of the server's",
        "process tree(s) in the window / completed requests (cached: nginx + Meydan). RSS MB proc:",
        "peak of the largest single process (VmHWM); tree: peak of the sum. /isso, /nginx: this",
        "row's req/s over Isso's and nginx's in the same run (Meydan rows and the cached rows).",
        "meydan = `meydan serve` as the README says; nginx = Meydan's exact response bodies as",
        "static files; cached = the same `meydan serve` behind the nginx micro-cache of",
        "docs/scaling.md (proxy_cache, validity from Meydan's s-maxage=1, use_stale updating,",
        "cache lock).",
        f"!: other processes on the machine (not the server, not wrk) used more than "
        f"{NOISY_CPU_S:.0f} CPU s during that row's window: a noisy neighbour, compare with care.",
    ]
    if any(r["server"] == "meydan-pg" for r in results):
        lines.append(
            "meydan-pg: CPU ms/req and RSS are the `meydan serve` processes' only; the work of "
            "PostgreSQL's and Redis's own processes (same cores) counts as 'others' and can set "
            "the ! flag."
        )
    lopsided = []
    for r in results:
        cpus = sorted((p["cpu_s"] for p in r["procs"].values()), reverse=True)
        if r["server"] == "meydan" and len(cpus) >= 2 and cpus[0] > 1 and cpus[1] < 0.2 * cpus[0]:
            lopsided.append(f"{r['scenario']} ({cpus[0]:.1f} vs {cpus[1]:.1f} CPU s)")
    if lopsided:
        lines.append(
            "one Meydan worker did (almost) all the work, the other idled (a gthread worker "
            "keeps every keep-alive connection it accepts): " + ", ".join(lopsided)
        )
    noisy_rows = [r for r in results if r["neighbour_cpu_s"] > NOISY_CPU_S]
    if noisy_rows:
        lines.append(
            f"WARNING: {len(noisy_rows)} of {len(results)} rows ran next to other CPU load "
            "(see 'others' below); their absolute numbers are low, the ratios within a "
            "scenario less affected."
        )
    lines.append("")
    lines.append(
        "processes (peak RSS MB / CPU s in the window, per process; pids seen > workers + 1: "
        "a worker was restarted):"
    )
    for r in results:
        procs = sorted(r["procs"].values(), key=lambda p: -p["peak_rss_kb"])
        detail = ", ".join(f"{p['peak_rss_kb'] / 1024:.0f}/{p['cpu_s']:.1f}" for p in procs[:7])
        lines.append(
            f"  {r['scenario']:<9} {r['server']:<9} pids seen {r['pids_seen']:>2}: {detail}; "
            f"wrk {r['wrk_cpu_s']:.1f} CPU s, others {r['neighbour_cpu_s']:.1f} CPU s; "
            f"{r['bytes_per_req']:,.0f} B/resp"
        )
    lines.append("")
    lines.append("probe (the first request after the server started, caches cold) and warm-up:")
    for r in results:
        p = r["probe"]
        warm = " -> ".join(f"{rate:,.0f}" for rate in r.get("warm_rounds", []))
        lines.append(
            f"  {r['scenario']:<9} {r['server']:<9} {p['status']} {p['bytes']:>9,} B"
            f" {p['ms']:>8.1f} ms"
            + (f" {p['encoding']}" if p.get("encoding") else "")
            + (f"; warm-up rounds {warm} req/s" if warm else "")
        )
    for server in ("meydan", "meydan-pg", "isso"):
        post = by.get(("post", server))
        if post and post.get("statuses"):
            lines.append(
                f"{server} post responses by status: "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(post["statuses"].items()))
                + (" (201 published, 202 held: 2+ links)" if server in MEYDANS else "")
                + f" in {post['seconds']:.1f} s"
            )
            if "rows_added" in post:
                accepted = sum(v for k, v in post["statuses"].items() if k in ("201", "202"))
                extra = post["rows_added"] - accepted
                verdict = (
                    "none lost" if extra >= 0 else f"LOST {-extra} acknowledged comments"
                ) + (
                    f"; {extra} more rows than answers: requests still in flight when the "
                    f"warm-up's or the measured wrk stopped (at most 2 x {args.connections})"
                    if 0 < extra <= 2 * args.connections
                    else ("; DUPLICATED writes?" if extra > 2 * args.connections else "")
                )
                lines.append(
                    f"  {server}: {accepted:,} comments acknowledged (201/202), "
                    f"{post['rows_added']:,} rows added: {verdict}"
                )
            if "acked_ids" in post:
                missing = post["ids_missing"]
                lines.append(
                    f"  {server}: of the {post['acked_ids']:,} ids in the 201/202 answers, "
                    + (
                        f"MISSING from the database afterwards: {len(missing)} (e.g. {missing[:5]})"
                        if missing
                        else "every one is in the database afterwards"
                    )
                )

    warm = by.get(("thread1", "meydan"))
    lines.append("")
    lines.append("Meydan, /big (5,000 comments) vs a 100-comment thread:")
    for scenario, text in (("thread1", "/article-1 (warm)"), ("thread", "random /article-N")):
        r = by.get((scenario, "meydan"))
        if r:
            lines.append(
                f"  {text:<20} {fmt(r['rps']):>9} req/s  {fmt(r['cpu_ms'], 2):>6} CPU ms/req"
                f"  {r['bytes_per_req'] / 1024:>6.0f} KB/resp  100 comments"
            )
    for scenario, page in (("bigpage", "1"), ("bigp10", "10"), ("bigp30", "30")):
        r = by.get((scenario, "meydan"))
        big = ctx["big"].get(page)
        if not r or not big:
            continue
        cost = ratio(warm["rps"], r["rps"]) if warm else "-"
        cpu = ratio(r["cpu_ms"], warm["cpu_ms"]) if warm and warm["cpu_ms"] else "-"
        lines.append(
            f"  /big page {page:<10} {fmt(r['rps']):>9} req/s  {fmt(r['cpu_ms'], 2):>6} CPU ms/req"
            f"  {big['bytes'] / 1024:>6.0f} KB/resp  {big['comments']} comments"
            f" (of {big['pages']} pages): time/req {cost}, CPU/req {cpu} the warm read"
        )

    if ctx.get("visibility"):
        lines.append("")
        lines.append(
            "a new comment's visibility: one POST to /article-2, then 4 concurrent reads every "
            "20 ms, each on a new connection:"
        )
        for server, v in ctx["visibility"].items():
            stale_end = v["last_stale"] is not None and v["last_stale"] > v["window"] - 0.5
            lines.append(
                f"  {server:<9} POST {v['status']}; first seen after "
                + (f"{v['first']:.2f} s" if v["first"] is not None else "never")
                + f"; {v['stale']} of {v['reads']} reads in {v['window']:.0f} s still without it"
                + (
                    "; STILL STALE at the end of the window"
                    if stale_end
                    else (f"; last stale read {v['last_stale']:.2f} s" if v["last_stale"] else "")
                )
            )

    def get(scenario, server="meydan"):
        """A row that completed requests (Isso may complete none in a quick run)."""
        row = by.get((scenario, server))
        return row if row and row["rps"] > 0 else None

    lines += side_by_side(by)
    lines += layout_notes(by, ctx, args)

    lines.append("")
    lines.append(
        "targets (the issue; ratios from this run; meydan = `meydan serve` as shipped: SQLite + "
        "local-memory cache; meydan-pg = the same on PostgreSQL + Redis):"
    )
    checks = []
    m, i, n = get("thread"), get("thread", "isso"), get("thread", "nginx")
    if m and n:
        checks.append(("thread read (a) >= 0.35x nginx static", m["rps"] / n["rps"], 0.35, "ge"))
    if m and i:
        checks.append(("thread read (a) ~1000x isso", m["rps"] / i["rps"], 1000, "ge"))
    if m:
        checks.append(("thread read (a) p99 < 50 ms", m["p99"], 50, "lt"))
    if warm:
        checks.append(("warm read (/article-1) p99 < 50 ms", warm["p99"], 50, "lt"))
    b = get("bigpage")
    if warm and b:
        checks.append(("/big page 1 time/req <= 2x the warm 100-comment read",
                       warm["rps"] / b["rps"], 2, "le"))  # fmt: skip
    e = get("etag")
    if warm and e:
        checks.append(("304 req/s >= 0.8x the warm read", e["rps"] / warm["rps"], 0.8, "ge"))
    pi, ci = get("post", "isso"), get("counts", "isso")
    # the production layout's goals are lower: a network round trip to PostgreSQL and
    # Redis per cache miss or write, on the same two cores here
    goals = {"meydan": {"post": 8, "counts": 60}, "meydan-pg": {"post": 6, "counts": 40}}
    for server, goal in goals.items():
        tag = "" if server == "meydan" else f"({server}) "
        if server == "meydan-pg":
            t = get("thread", server)
            if t and n:
                checks.append((f"{tag}thread read (a) >= 0.25x nginx static",
                               t["rps"] / n["rps"], 0.25, "ge"))  # fmt: skip
            if t:
                checks.append((f"{tag}thread read (a) p99 < 50 ms", t["p99"], 50, "lt"))
            et = by.get(("etag", server))
            if et and "xacts" in et:
                # a cold cache looks each thread's state up once (and the site, and the
                # server's start-up checks): beyond that, a 304 that ran even one query
                # would add one transaction per request (1,000 per 1,000)
                allowance = ctx["n_articles"] + 20
                checks.append((
                    f"{tag}304 without a query: transactions beyond the cold cache's "
                    f"{allowance} per 1,000 requests ({et['xacts']:,} for "
                    f"{et['requests_total']:,} requests)",
                    1000 * max(0, et["xacts"] - allowance) / max(1, et["requests_total"]),
                    1, "lt",
                ))  # fmt: skip
        p = get("post", server)
        if p and pi:
            checks.append((f"{tag}post >= {goal['post']}x isso", p["rps"] / pi["rps"],
                           goal["post"], "ge"))  # fmt: skip
        if p and not args.quick:
            checks.append((f"{tag}post sustained 60 s (wrk's s)", p["seconds"], 59.5, "ge"))
        if p and "acked_ids" in p:
            lost = len(p["ids_missing"])
            checks.append((f"{tag}post: acknowledged comments missing afterwards", lost, 0, "le"))
        c = get("counts", server)
        if c and ci:
            checks.append((f"{tag}counts >= {goal['counts']}x isso", c["rps"] / ci["rps"],
                           goal["counts"], "ge"))  # fmt: skip
        worker_rss = max(
            (
                max((pp["peak_rss_kb"] for pp in r["procs"].values()), default=0) / 1024
                for r in results
                if r["server"] == server
            ),
            default=0,
        )
        if worker_rss:
            checks.append(
                (f"{tag}process RSS <= 120 MB (max over scenarios)", worker_rss, 120, "le")
            )
        gz, ngz = get("thread-gz", server), get("thread-gz", "nginx")
        if gz:
            checks.append((f"{tag}compressed read: the probe's Content-Encoding is gzip",
                           float(gz["probe"].get("encoding") == "gzip"), 1, "ge"))  # fmt: skip
        if gz and ngz:
            target = 0.35 if server == "meydan" else 0.25
            checks.append((f"{tag}compressed read >= {target}x nginx gzip_static",
                           gz["rps"] / ngz["rps"], target, "ge"))  # fmt: skip
        hot = by.get(("hot", server))
        if hot and hot.get("hot"):
            h, ro = hot["hot"], hot["readonly"]
            checks.append((f"{tag}hot thread: read p99 <= 50 ms", hot["p99"], 50, "le"))
            checks.append((f"{tag}hot thread: reads/s >= 0.5x its read-only rate",
                           hot["rps"] / ro["rps"] if ro["rps"] else 0, 0.5, "ge"))  # fmt: skip
            if h["builds"] is not None and h["versions"]:
                # a local-memory cache is one per worker: each builds its own copy
                caches = 1 if server == "meydan-pg" else args.meydan_workers
                checks.append((
                    f"{tag}hot thread: page builds per version <= {caches}"
                    + (" (one local cache per worker)" if caches > 1 else ""),
                    h["builds"] / h["versions"], caches, "le",
                ))  # fmt: skip
            if h["see_max"] is not None:
                checks.append((f"{tag}hot thread: every new comment seen within 1 s (max, s)",
                               h["see_max"] if not h["never_seen"] else 99, 1, "le"))  # fmt: skip
    wire = ctx.get("wire", {}).get("meydan")
    if wire and wire.get("identity"):
        for coding in ("gzip", "br", "br_settled"):
            size = wire.get(coding)
            name = "br, the page settled" if coding == "br_settled" else coding
            checks.append((f"wire bytes of a 100-comment thread, {name} <= 20 % of plain"
                           + ("" if size else " (NOT compressed by the server)"),
                           100 * size / wire["identity"] if size else 100, 20, "le"))  # fmt: skip
    mc = get("thread", "cached")
    if mc and n:
        checks.append(
            ("(micro-cached) thread read (a) >= 0.2x nginx", mc["rps"] / n["rps"], 0.2, "ge")
        )
    if mc:
        checks.append(("(micro-cached) thread read (a) p99 < 50 ms", mc["p99"], 50, "lt"))
    for name, value, target, op in checks:
        ok = {"ge": value >= target, "le": value <= target, "lt": value < target}[op]
        lines.append(f"  {'met ' if ok else 'MISS'}  {name}: {value:,.2f}")

    parts = []
    p, c = get("post"), get("counts")
    if m and i and n:
        parts.append(f"read {ratio(m['rps'], i['rps'])} isso, {ratio(m['rps'], n['rps'])} nginx")
    if warm and b:
        parts.append(f"big-first-page {ratio(warm['rps'], b['rps'])} read")
    if warm and e:
        parts.append(f"304 {ratio(e['rps'], warm['rps'])} read")
    if p and pi:
        parts.append(f"post {ratio(p['rps'], pi['rps'])} isso")
    if c and ci:
        parts.append(f"counts {ratio(c['rps'], ci['rps'])} isso")
    if mc and n:
        parts.append(f"micro-cached read {ratio(mc['rps'], n['rps'])} nginx")
    gz, ngz = get("thread-gz"), get("thread-gz", "nginx")
    if gz and ngz:
        parts.append(f"gzip read {ratio(gz['rps'], ngz['rps'])} nginx gzip_static")
    if wire and wire.get("identity") and wire.get("gzip"):
        parts.append(f"wire gzip {100 * wire['gzip'] / wire['identity']:.0f} % of plain")
    if wire and wire.get("identity") and wire.get("br_settled"):
        settled = 100 * wire["br_settled"] / wire["identity"]
        parts.append(f"wire br settled {settled:.1f} % of plain")
    hot = by.get(("hot", "meydan"))
    if hot and hot.get("readonly") and hot["readonly"]["rps"]:
        parts.append(f"hot read {ratio(hot['rps'], hot['readonly']['rps'])} read-only")
    pg_parts = []
    for label, scenario, other in (("read", "thread", "nginx"), ("post", "post", "isso"),
                                   ("counts", "counts", "isso"),
                                   ("gzip read", "thread-gz", "nginx")):  # fmt: skip
        a, o = get(scenario, "meydan-pg"), get(scenario, other)
        if a and o:
            pg_parts.append(f"{label} {ratio(a['rps'], o['rps'])} {other}")
    hot = by.get(("hot", "meydan-pg"))
    if hot and hot.get("readonly") and hot["readonly"]["rps"]:
        pg_parts.append(f"hot read {ratio(hot['rps'], hot['readonly']['rps'])} read-only")
    if pg_parts:
        parts.append("PostgreSQL + Redis: " + ", ".join(pg_parts))
    lines.append("")
    lines.append(
        "(read: the random-thread read (a); big-first-page: time per /big page-1 request over the "
        "warm /article-1 read's; 304: 304 req/s over the warm read's)"
    )
    lines.append("summary: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def proof_of_work(base: str, url: str) -> str:
    """The `altcha` field a reader's browser would send (a guest's comment without it is
    held for a moderator, so it would never become visible)."""
    import altcha

    query = urllib.parse.urlencode({"site": SITE, "url": url})
    challenge = json.loads(fetch(base, f"/api/v1/challenge?{query}")[2])
    found = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    fields = ("algorithm", "challenge", "salt", "signature")
    payload = {**{name: challenge[name] for name in fields}, "number": found.number}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def visibility(server, seconds: float) -> dict:
    """Post one comment, then read its thread with 4 concurrent readers every 20 ms (a new
    connection each time, so that every worker process answers some of the reads)."""
    path = MEYDAN_THREAD.replace("{n}", "2")

    def count(_=None) -> int:
        return json.loads(fetch(server.base, path)[2])["count"]

    server.start("visible")
    try:
        with ThreadPoolExecutor(4) as pool:
            before = max(pool.map(count, range(16)))  # every worker and the micro-cache warm
            token = json.loads(fetch(server.base, f"/api/v1/sites/{SITE}")[2])["form_token"]
            time.sleep(3.2)  # MEYDAN_MIN_FORM_SECONDS: 3 by default
            body = {"site": SITE, "url": "/article-2", "name": "Visibility probe",
                    "email": "probe@example.org", "form_token": token,
                    "altcha": proof_of_work(server.base, "/article-2"),
                    "body": f"Is this comment visible yet? ({time.time():.0f})"}  # fmt: skip
            posted = time.perf_counter()
            status = fetch(server.base, "/api/v1/comments", "POST", body, {"Origin": ORIGIN})[0]
            reads = []
            while (elapsed := time.perf_counter() - posted) < seconds:
                reads += [(elapsed, n > before) for n in pool.map(count, range(4))]
                time.sleep(0.02)
    finally:
        server.stop()
    stale = [t for t, seen in reads if not seen]
    result = {
        "status": status,
        "first": next((t for t, seen in reads if seen), None),
        "last_stale": max(stale) if stale else None,
        "stale": len(stale),
        "reads": len(reads),
        "window": seconds,
    }
    log(f"  visible  {server.name:<9} {result}")
    return result


# --- Main -------------------------------------------------------------------------------


def ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "nginx") if not shutil.which(tool) and not
               Path(f"/usr/sbin/{tool}").exists()]  # fmt: skip
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise SystemExit(f"install {' '.join(missing)}: apt-get install -y {' '.join(missing)}")
        log(f"installing {' '.join(missing)} with apt-get")
        if subprocess.run(["apt-get", "install", "-y", "-q", *missing]).returncode:  # noqa: S603,S607
            subprocess.run(["apt-get", "update", "-q"], check=True)  # noqa: S607
            subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True)  # noqa: S603,S607
    if not (ISSO_VENV / "bin" / "gunicorn").exists():
        log("isso: creating bench/.isso-venv (isso 0.14.0 and gunicorn, pinned)")
        shutil.rmtree(ISSO_VENV, ignore_errors=True)
        subprocess.run(["python3", "-m", "venv", str(ISSO_VENV)], check=True)  # noqa: S603,S607
        subprocess.run(  # noqa: S603
            [
                str(ISSO_VENV / "bin" / "pip"),
                "install",
                "-q",
                "-r",
                str(BENCH / "isso" / "requirements.lock.txt"),
            ],  # fmt: skip
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 threads + /big, 3 s runs")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seconds", type=int, default=None, help="wrk duration (15; quick 3)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up seconds (2; quick 1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--post-seconds", type=int, default=None, help="the post scenario's duration (60; quick 3)"
    )
    parser.add_argument(
        "--visibility", type=float, default=None, help="seconds to watch a new comment (10; 3)"
    )
    parser.add_argument(
        "--hot-seconds", type=int, default=None, help="the hot scenario's posting (60; quick 10)"
    )
    parser.add_argument("--meydan-workers", type=int, default=2)
    parser.add_argument(
        "--meydan-threads", type=int, default=None, help="default: meydan serve's (README)"
    )
    parser.add_argument(
        "--meydan-by-hand",
        action="store_true",
        help="gunicorn meydan.wsgi:application --workers N --threads M (README), not meydan serve",
    )
    parser.add_argument(
        "--meydan-env", action="append", default=[], help="KEY=VALUE for Meydan (experiments)"
    )
    parser.add_argument(
        "--meydan-wsgi", default="", help="with --meydan-by-hand: another WSGI app (experiments)"
    )
    parser.add_argument("--label", default="", help="added to the results file name")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    args.seconds = args.seconds or (3 if args.quick else 15)
    args.post_seconds = args.post_seconds or (3 if args.quick else 60)
    args.hot_seconds = args.hot_seconds or (10 if args.quick else 60)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    if args.visibility is None:
        args.visibility = 3.0 if args.quick else 10.0
    servers = [s for s in args.servers.split(",") if s]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s}; known: {', '.join(SCENARIOS)}")
    for s in servers:
        if s not in SERVERS:
            raise SystemExit(f"unknown server {s}; known: {', '.join(SERVERS)}")
    scenarios = [s for s in SCENARIOS if s in scenarios]  # the writing ones last
    started = time.time()
    ensure_tools()

    mode = "quick" if args.quick else "full"
    data = dataset()
    subset = (
        [f"/article-{n}" for n in range(1, QUICK_ARTICLES + 1)]
        if args.quick
        else [f"/article-{n}" for n in range(1, seed.N_ARTICLES + 1)]
    ) + [seed.BIG_URI]
    key = f"{DATASET_SHA[:12]}-{mode}"
    now = datetime.datetime.now(datetime.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    run = RUNROOT / stamp
    run.mkdir(parents=True)
    meydan_db, meydan_ids = DATA / f"meydan-{key}.sqlite3", DATA / f"meydan-{key}.idmap.json"
    isso_db, isso_ids = DATA / f"isso-{key}.db", DATA / f"isso-{key}.idmap.json"
    if {"meydan", "meydan-pg", "nginx", "cached"} & set(servers):
        if not (meydan_db.exists() and meydan_ids.exists()):
            seed_meydan(meydan_db, subset, data, meydan_ids)
    pg_seed = PG_SEED_DB.format(mode=mode)
    pg_mark = f"{key}-migrations-{migrations_hash()}"
    pg_ids = DATA / f"meydan-pg-{key}.idmap.json"
    if "meydan-pg" in servers:
        seed_meydan_pg(pg_seed, pg_mark, subset, data, pg_ids)
    if "isso" in servers and not (isso_db.exists() and isso_ids.exists()):
        seed_isso(isso_db, dataset_threads(data, subset), isso_ids, run)

    ctx = {"n_articles": QUICK_ARTICLES if args.quick else seed.N_ARTICLES, "big": {},
           "etags": {}, "etag_files": {}, "post_tsv": {}, "form_token": {}, "wire": {},
           "size_diff": {}}  # fmt: skip
    plan = post_plan(args.quick)
    objects = {}
    meydan_extra = dict(item.split("=", 1) for item in args.meydan_env)
    if args.meydan_wsgi:
        meydan_extra["BENCH_WSGI"] = args.meydan_wsgi
    meydan = Meydan(
        run, meydan_db, args.meydan_workers, args.meydan_threads, args.meydan_by_hand, meydan_extra
    )
    nginx = Nginx(run, workers=os.cpu_count() or 1) if "nginx" in servers else None
    collect(meydan, nginx, ctx, run)
    if "meydan" in servers:
        objects["meydan"] = meydan
    if "meydan-pg" in servers:
        objects["meydan-pg"] = MeydanPg(
            run, pg_seed, args.meydan_workers, args.meydan_threads, args.meydan_by_hand,
            meydan_extra,
        )  # fmt: skip
        collect(objects["meydan-pg"], None, ctx, run)
    for name, ids in (("meydan", meydan_ids), ("meydan-pg", pg_ids)):
        if name in objects:  # the same plan; the parents' ids from the server's own load
            ctx["post_tsv"][name] = run / f"post-{name}.tsv"
            meydan_post_tsv(plan, json.loads(ids.read_text()), ctx["form_token"][name],
                            ctx["post_tsv"][name])  # fmt: skip
    if "isso" in servers:
        objects["isso"] = Isso(run, isso_db)
        idmap = json.loads(isso_ids.read_text())
        if not args.quick:
            check_plan_matches_seed(plan, idmap, run)
        ctx["post_tsv"]["isso"] = run / "post-isso.tsv"
        isso_post_tsv(plan, idmap, ctx["post_tsv"]["isso"])
    if nginx:
        objects["nginx"] = nginx
    if "cached" in servers:
        objects["cached"] = MicroCache(run, meydan, workers=os.cpu_count() or 1)

    meydan_cmd = (
        f"gunicorn {args.meydan_wsgi or 'meydan.wsgi:application'}"
        if args.meydan_by_hand
        else "meydan serve"
    )
    threads_arg = f" --threads {args.meydan_threads}" if args.meydan_threads else ""
    log_text = (run / "meydan-collect.log").read_text()
    if found := re.search(r"Using worker: (\w+)", log_text):
        server_desc = f"gunicorn worker class from its log: {found.group(1)}"
    elif "Starting granian" in log_text:
        server_desc = "granian, WSGI"
    else:
        server_desc = "server: see meydan-collect.log"
    if meydan_extra:
        meydan_cmd = " ".join(f"{k}={v}" for k, v in meydan_extra.items()) + " " + meydan_cmd
    header = [
        f"Meydan vs Isso 0.14.0 vs nginx (static copy of Meydan's responses) - {mode} run, "
        f"{now.strftime('%Y-%m-%d %H:%M')} UTC",
        *versions(),
        f"dataset: sha256 {DATASET_SHA[:16]}... ({len(subset) - 1} articles x 100 comments + "
        "/big 5,000; bench/data/dataset.jsonl from the shared seed.py)",
        f"meydan:  `{meydan_cmd} --workers {args.meydan_workers}{threads_arg}` ("
        f"{server_desc}), SQLite, cache as shipped"
        f" ({os.environ.get('MEYDAN_CACHE_URL') or 'local memory'}), DEBUG off; post: "
        f"MEYDAN_RATELIMIT_COMMENTS=off MEYDAN_MIN_FORM_SECONDS=off MEYDAN_POW=off "
        f"MEYDAN_RATELIMIT_SITE_COMMENTS={POST_SITE_LIMIT}",
        f"meydan-pg: the same command on PostgreSQL {pg_version(servers)} (database "
        f"{PG_RUN_DB}, a fresh copy of the seeded {pg_seed} per run) + Redis "
        f"{BENCH_REDIS} as the shared cache (flushed at every server start); live updates "
        "as shipped (wrk reads the API directly: no widget, no live polling)",
        "isso:    gunicorn -w 2 -k sync --preload isso.run (shared bench.sh), guard on with "
        "limits raised; nginx: worker_processes = nproc, Meydan's bodies as files",
        f"wrk -t2 -c{args.connections} -d{args.seconds}s (post: "
        f"-d{max(args.seconds, args.post_seconds)}s, sustained) --timeout 30s --latency; warm-up: "
        f"rounds of {args.warmup} s at -c{args.connections} until req/s stops rising (at most "
        f"{WARM_ROUNDS}; Isso: one at -c8); every server restarted per scenario; same run, "
        "interleaved "
        "per scenario",
    ]
    log("\n".join(header))
    results = []
    for scenario in scenarios:
        if scenario == "post" and args.visibility:
            ctx["visibility"] = {
                name: visibility(objects[name], args.visibility)
                for name in ("meydan", "meydan-pg", "cached")
                if name in objects
            }
        for name in SCENARIOS[scenario][1]:
            if name in objects:
                results.append(measure(objects[name], scenario, ctx, args, run))
    text = report(results, ctx, args, header)
    text += f"(run took {time.time() - started:.0f} s; raw wrk/proc output in bench/run/{stamp}/)\n"
    print()
    print(text, end="")
    if not args.no_save:
        name = f"{now.date().isoformat()}-{machine_slug()}"
        name += ("-quick" if args.quick else "") + (f"-{args.label}" if args.label else "")
        save_result(name, text)


def pg_version(servers: list[str]) -> str:
    return psql("SHOW server_version").split()[0] if "meydan-pg" in servers else "-"


def save_result(name: str, text: str) -> Path:
    """bench/results/<name>.txt, or <name>-2.txt, -3… when that exists."""
    RESULTS.mkdir(exist_ok=True)
    path, n = RESULTS / f"{name}.txt", 1
    while path.exists():
        n += 1
        path = RESULTS / f"{name}-{n}.txt"
    path.write_text(text)
    print(f"saved: {path.relative_to(ROOT)}")
    return path


if __name__ == "__main__":
    main()
