"""Side by side, in one run: Meydan, Isso 0.14.0, nginx serving Meydan's own response
bytes as static files (the physical limit for a read), and Meydan behind the nginx
micro-cache of docs/scaling.md, with the shared workload (shared/bench/WORKLOAD.md:
200 threads x 100 comments nested to depth 3, plus /big with 5,000) and the same wrk
scenarios (wrk -t2 -c32 --latency).

    make bench            # full: all 201 threads, 15 s per scenario   (< 10 min once cached)
    make bench QUICK=1    # 20 threads + /big, 3 s per scenario         (< 3 min once cached)

    .venv/bin/python bench/bench.py [--quick] [--servers meydan,isso,nginx,cached]
        [--scenarios thread,thread1,bigpage,bigp10,bigp30,counts,etag,post] [--seconds N]
        [--meydan-workers N] [--meydan-threads N] [--meydan-by-hand] [--meydan-env K=V]
        [--label TEXT] [--no-save]

What it does:
1. bench/data/dataset.jsonl from the shared seed.py (its sha256 is checked), loaded
   once into Meydan through comments.services.comment_post(moderate=False) and into
   Isso through its HTTP API (seed.py's post_thread; 2.5-5.5 min for the full set); the
   seeded databases are cached in bench/data/ keyed by the dataset hash and the mode.
2. Each server gets a fresh copy of its seeded database per run and is restarted for
   every scenario (a slow scenario's backlog cannot leak into the next one):
   - meydan: as the README tells operators, `meydan serve --workers 2` (gunicorn, its
     default worker class and threads, DEBUG off, cache as shipped). The post scenario runs with
     MEYDAN_RATELIMIT_COMMENTS=off, MEYDAN_MIN_FORM_SECONDS=off and MEYDAN_POW=off, and the per-site
     limit raised out of reach (1000000/m: the check still runs, like Isso's guard with
     its limits raised in the shared config); every other check is on.
   - isso: as in shared/bench/isso/bench.sh, gunicorn -w 2 -k sync --preload isso.run.
   - nginx: its own config and prefix under bench/run/, not a daemon, a free port,
     serving Meydan's exact response bodies, saved from Meydan before the scenarios run.
   - cached: the same `meydan serve` behind nginx with proxy_cache (docs/scaling.md).
3. Per scenario and server: one probe request, a short warm-up, then wrk while
   procstat.py samples CPU and RSS of the server's process tree from /proc. Before the
   post scenario, one comment is posted and its thread read for 10 s (is it visible?).
4. Prints one table with ratios and a summary line, and saves it to
   bench/results/<date>-<machine>.txt.

Only 127.0.0.1 is ever contacted.
"""

import argparse
import base64
import datetime
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

# meydan: `meydan serve` as the README says; isso: the shared baseline; nginx: Meydan's
# bytes as static files; cached: Meydan behind the nginx micro-cache of docs/scaling.md
SERVERS = ["meydan", "isso", "nginx", "cached"]
# scenario -> label; which servers run it
SCENARIOS = {
    "thread": ("thread read, random of N (a)", ["meydan", "isso", "nginx", "cached"]),
    "thread1": ("one thread, always /article-1", ["meydan", "nginx", "cached"]),
    "bigpage": ("/big, first page (b')", ["meydan", "isso", "nginx", "cached"]),
    "bigp10": ("/big, page 10", ["meydan", "nginx"]),
    "bigp30": ("/big, page 30", ["meydan", "nginx"]),
    "counts": ("counts, 20 URLs (d)", ["meydan", "isso", "nginx"]),
    "etag": ("conditional GET -> 304", ["meydan", "nginx", "cached"]),
    "post": ("post a comment (c)", ["meydan", "isso"]),
}
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
    for _ in range(600):
        try:
            if fetch(base, path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during startup; see {logfile}")
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start in 60 s; see {logfile}")


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


def seed_meydan(path: Path, subset: list[str], data: Path, idmap_path: Path) -> None:
    log(f"meydan: loading {len(subset)} threads through comment_post (once; cached)")
    var = Path(tempfile.mkdtemp(prefix="meydan-bench-load-"))
    env = meydan_env(var)
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
    with sqlite3.connect(var / "meydan.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(var / "meydan.sqlite3", path)
    shutil.rmtree(var, ignore_errors=True)


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
    name = "meydan"
    ready = "/api/v1/me"

    def __init__(
        self, run: Path, seeded: Path, workers: int, threads: int, by_hand=False, env=None
    ):
        self.var = run / "meydan-var"
        self.var.mkdir()
        shutil.copyfile(seeded, self.var / "meydan.sqlite3")
        self.workers, self.threads = workers, threads
        self.by_hand, self.env = by_hand, env or {}
        self.collected = False
        self.run = run
        manage(meydan_env(self.var), "migrate", "-v0")  # a no-op unless the code has new ones

    def start(self, scenario: str):
        extra = dict(self.env)
        if scenario == "post":
            extra |= {
                "MEYDAN_RATELIMIT_COMMENTS": "off",
                "MEYDAN_MIN_FORM_SECONDS": "off",
                # The proof of work is solved by a reader's browser, not by a load
                # generator; verifying one costs the server ~75 us (docs/bot-defence.md).
                "MEYDAN_POW": "off",
                "MEYDAN_RATELIMIT_SITE_COMMENTS": POST_SITE_LIMIT,
            }
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
        self.logfile = self.run / f"meydan-{scenario}.log"
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                command, env=meydan_env(self.var, extra), cwd=ROOT, stdout=out, stderr=out
            )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base, self.ready, self.process, "meydan", self.logfile)
        self.collected = True
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)

    def count_comments(self) -> int:
        with sqlite3.connect(self.var / "meydan.sqlite3") as db:
            return db.execute("SELECT COUNT(*) FROM comments_comment").fetchone()[0]


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
        location = /api/v1/threads {{
            proxy_pass http://meydan;
            proxy_cache meydan_api;
            # CORS answers differ per Origin (Meydan sends Vary: Origin)
            proxy_cache_key "$request_uri|$http_origin";
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


def run_wrk(base, spec, seconds, connections, threads, out_json, status_json=None, mark=""):
    env = {**os.environ, **spec["env"], "WRK_DIR": str(WRK_DIR), "WRK_JSON": str(out_json)}
    if status_json:
        env["WRK_STATUS_JSON"] = str(status_json)
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
    pid = server.start(scenario)
    try:
        method, path, body, headers = spec["probe"]
        status, _, content, took = fetch(server.base, path, method, body, headers)
        probe = {"status": status, "bytes": len(content), "ms": took * 1000}
        if args.warmup and server.name != "nginx":  # static files: nothing to warm
            warm_rounds = warm_up(server, spec, scenario, args, run)
        else:
            warm_rounds = []
        out = run / f"{scenario}-{server.name}.json"
        statuses = run / f"{scenario}-{server.name}.status.json"
        proc_json = run / f"{scenario}-{server.name}.proc.json"
        sampler = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, str(BENCH / "procstat.py"), str(pid), str(proc_json), "0.2"]
        )
        time.sleep(0.3)  # the sampler's first sample is the CPU baseline
        counting = scenario == "post" and hasattr(server, "count_comments")
        rows_before = server.count_comments() if counting else None
        seconds = max(args.seconds, args.post_seconds) if scenario == "post" else args.seconds
        text, wrk_cpu = run_wrk(server.base, spec, seconds, args.connections, 2, out, statuses)
        sampler.send_signal(signal.SIGTERM)
        sampler.wait(timeout=30)
    finally:
        server.stop()
    rows_added = server.count_comments() - rows_before if counting else None
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
    if rows_added is not None:
        result["rows_added"] = rows_added
    result["warm_rounds"] = warm_rounds
    log(
        f"  {scenario:<8} {server.name:<7} {result['rps']:>9,.1f} req/s"
        f"  p50 {result['p50']:>8.1f} ms  p99 {result['p99']:>8.1f} ms  errors {result['errors']}"
        f"  cpu {fmt(result['cpu_ms'], 2)} ms/req  rss {result['rss_proc_mb']:.0f} MB"
        f"  (probe {status}, {len(content):,} B, {took * 1000:.0f} ms)"
    )
    return result


# --- Collecting Meydan's responses for nginx and the scenarios ----------------------------


def collect(meydan: Meydan, nginx: Nginx | None, ctx: dict, run: Path) -> None:
    """Save Meydan's exact response bodies (for nginx), its ETags, a form token; and
    check that ONE response holds each whole 100-comment thread."""
    meydan.start("collect")
    try:
        etags = {}
        www = nginx.www() if nginx else run / "www"
        (www / "threads").mkdir(parents=True, exist_ok=True)
        for n in range(1, ctx["n_articles"] + 1):
            uri = f"/article-{n}"
            status, headers, body, _ = fetch(meydan.base, MEYDAN_THREAD.replace("{n}", str(n)))
            payload = json.loads(body)
            if status != 200 or len(payload["comments"]) != 100 or payload["pages"] != 1:
                raise SystemExit(f"meydan {uri}: {status}, {len(payload['comments'])} comments")
            etags[uri] = headers["ETag"]
            (www / f"threads{uri}.p.json").write_bytes(body)
        for page in ("", "10", "30"):
            path = MEYDAN_BIG + (f"&page={page}" if page else "")
            status, _, body, _ = fetch(meydan.base, path)
            payload = json.loads(body)
            if status != 200 or payload["count"] != 5000:
                raise SystemExit(f"meydan /big page {page or 1}: {status}")
            ctx["big"][page or "1"] = {"bytes": len(body), "comments": len(payload["comments"]),
                                       "pages": payload["pages"]}  # fmt: skip
            (www / f"threads/big.p{page}.json").write_bytes(body)
        urls = "".join(f"&url=/article-{n}" for n in range(1, 21))
        status, _, body, _ = fetch(meydan.base, "/api/v1/counts?site=bench" + urls)
        (www / "counts.json").write_bytes(body)
        status, _, body, _ = fetch(meydan.base, f"/api/v1/sites/{SITE}")
        ctx["form_token"] = json.loads(body)["form_token"]
    finally:
        meydan.stop()
    ctx["etags"]["meydan"] = etags
    ctx["etag_files"]["meydan"] = run / "etags-meydan.txt"
    ctx["etag_files"]["meydan"].write_text(
        "".join(etags[f"/article-{n}"] + "\n" for n in range(1, ctx["n_articles"] + 1))
    )
    if nginx:  # nginx's own ETag: "<mtime hex>-<size hex>"
        nginx_etags = {}
        for n in range(1, ctx["n_articles"] + 1):
            st = (www / f"threads/article-{n}.p.json").stat()
            nginx_etags[f"/article-{n}"] = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
        ctx["etags"]["nginx"] = nginx_etags
        ctx["etag_files"]["nginx"] = run / "etags-nginx.txt"
        ctx["etag_files"]["nginx"].write_text(
            "".join(nginx_etags[f"/article-{n}"] + "\n" for n in range(1, ctx["n_articles"] + 1))
        )


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


def report(results: list[dict], ctx: dict, args, header: list[str]) -> str:
    by = {(r["scenario"], r["server"]): r for r in results}
    lines = list(header)
    lines.append("")
    cols = (f"{'scenario':<30} {'server':<7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
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
            if server in ("meydan", "cached"):
                isso, nginx = by.get((scenario, "isso")), by.get((scenario, "nginx"))
                vs_isso = ratio(r["rps"], isso["rps"]) if isso else "-"
                vs_nginx = ratio(r["rps"], nginx["rps"]) if nginx else "-"
            errors = str(r["errors"]) + (f"+{r['socket_errors']}s" if r["socket_errors"] else "")
            noisy = "!" if r["neighbour_cpu_s"] > NOISY_CPU_S else " "
            lines.append(
                f"{label if first else '':<30} {server:<7}{noisy}{fmt(r['rps']):>9} "
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
            f"  {r['scenario']:<8} {r['server']:<7} pids seen {r['pids_seen']:>2}: {detail}; "
            f"wrk {r['wrk_cpu_s']:.1f} CPU s, others {r['neighbour_cpu_s']:.1f} CPU s; "
            f"{r['bytes_per_req']:,.0f} B/resp"
        )
    lines.append("")
    lines.append("probe (the first request after the server started, caches cold) and warm-up:")
    for r in results:
        p = r["probe"]
        warm = " -> ".join(f"{rate:,.0f}" for rate in r.get("warm_rounds", []))
        lines.append(
            f"  {r['scenario']:<8} {r['server']:<7} {p['status']} {p['bytes']:>9,} B"
            f" {p['ms']:>8.1f} ms" + (f"; warm-up rounds {warm} req/s" if warm else "")
        )
    for server in ("meydan", "isso"):
        post = by.get(("post", server))
        if post and post.get("statuses"):
            lines.append(
                f"{server} post responses by status: "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(post["statuses"].items()))
                + (" (201 published, 202 held: 2+ links)" if server == "meydan" else "")
            )
            if "rows_added" in post:
                accepted = sum(v for k, v in post["statuses"].items() if k in ("201", "202"))
                extra = post["rows_added"] - accepted
                verdict = (
                    "none lost" if extra >= 0 else f"LOST {-extra} acknowledged comments"
                ) + (
                    f"; {extra} more rows than answers: requests still in flight when wrk "
                    f"stopped (at most {args.connections})"
                    if 0 < extra <= args.connections
                    else ("; DUPLICATED writes" if extra > args.connections else "")
                )
                lines.append(
                    f"  {server}: {accepted:,} comments acknowledged (201/202), "
                    f"{post['rows_added']:,} rows added: {verdict}"
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
                f"  {server:<7} POST {v['status']}; first seen after "
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

    lines.append("")
    lines.append("targets (the issue; ratios from this run; meydan = `meydan serve` as shipped):")
    checks = []
    m, i, n = get("thread"), get("thread", "isso"), get("thread", "nginx")
    if m and n:
        checks.append(("thread read (a) >= 0.2x nginx static", m["rps"] / n["rps"], 0.2, "ge"))
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
    p, pi = get("post"), get("post", "isso")
    if p and pi:
        checks.append(("post >= 6x isso", p["rps"] / pi["rps"], 6, "ge"))
    c, ci = get("counts"), get("counts", "isso")
    if c and ci:
        checks.append(("counts >= 40x isso", c["rps"] / ci["rps"], 40, "ge"))
    worker_rss = max(
        (
            max((pp["peak_rss_kb"] for pp in r["procs"].values()), default=0) / 1024
            for r in results
            if r["server"] == "meydan"
        ),
        default=0,
    )
    if worker_rss:
        checks.append(("meydan process RSS < 120 MB (max over scenarios)", worker_rss, 120, "lt"))
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
    log(f"  visible  {server.name:<7} {result}")
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
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    if args.visibility is None:
        args.visibility = 3.0 if args.quick else 10.0
    servers = [s for s in args.servers.split(",") if s]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s}; known: {', '.join(SCENARIOS)}")
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
    if {"meydan", "nginx", "cached"} & set(servers):
        if not (meydan_db.exists() and meydan_ids.exists()):
            seed_meydan(meydan_db, subset, data, meydan_ids)
    if "isso" in servers and not (isso_db.exists() and isso_ids.exists()):
        seed_isso(isso_db, dataset_threads(data, subset), isso_ids, run)

    ctx = {"n_articles": QUICK_ARTICLES if args.quick else seed.N_ARTICLES, "big": {},
           "etags": {}, "etag_files": {}, "post_tsv": {}}  # fmt: skip
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
        ctx["post_tsv"]["meydan"] = run / "post-meydan.tsv"
        meydan_post_tsv(plan, json.loads(meydan_ids.read_text()), ctx["form_token"],
                        ctx["post_tsv"]["meydan"])  # fmt: skip
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
                for name in ("meydan", "cached")
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
