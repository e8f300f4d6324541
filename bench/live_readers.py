"""Live updates under a crowd: N readers keep one thread open while comments are posted.

    .venv/bin/python bench/live_readers.py [--readers 10000] [--seconds 30] [--procs 2]
                                            [--cache redis://127.0.0.1:6379/14]
    (make bench-live)

Serves Meydan as operators do (`meydan serve`, granian, 2 workers; SQLite, Redis as the
shared cache: the production layout of docs/scaling.md without nginx), then runs two
phases of the same posting load (and with --nginx, --sse one more each) and prints
them side by side:

  quiet   no live readers, only 50 observers (they measure the time to see a comment)
  crowd   --readers live readers, each on its own keep-alive connection, asking
          GET /api/v1/live?site&url as the widget and comments/live.js do: every
          MEYDAN_LIVE_SECONDS (1.4 s), each time at random between 2/3 and 4/3 of it,
          with the last ETag in If-None-Match (the browser's cache does that for them)
  nginx   (--nginx) the crowd asking through nginx's one-second micro-cache
  sse     (--sse) the crowd listening to the stream instead: `meydan live` (one
          granian ASGI process) beside the same server, each reader one
          GET /api/v1/live/stream held open; the web server's after-commit receiver
          PUBLISHes each new count on Redis, the stream server pushes it

Posting load in both phases: one comment a second into the watched thread (the
readers see each one) and four a second into other threads, each POST timed
(p50/p99 of all of them). The time to see a comment is, for each reader and each
comment posted into the watched thread, from the moment the POST was sent until that
reader got an answer with the new count: p50/p99/max over all of them.

The load generator is Python asyncio on raw sockets (an HTTP client library costs
several times more CPU per request: this is one GET line and a status line), spread
over --procs processes; it runs on the same two cores as the server, so the crowd's
numbers include the generator's own share of the CPU. The server's CPU per phase is
read from /proc (its process tree).

The Redis database given is FLUSHED at the start (the default, 14, is the bench's own).
"""

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from server import MEYDAN, ROOT, free_port, manage  # noqa: E402 - beside this script

SITE = "bench"
ORIGIN = "http://127.0.0.1:8081"
WATCHED = "/breaking-news/"
QUIET_PAGES = [f"/other-{n}/" for n in range(20)]
TICK = os.sysconf("SC_CLK_TCK")
SERIAL = itertools.count(1)  # every comment different (the duplicate check refuses repeats)


# --- the server ------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds used by pid and its descendants (granian's workers)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return total


def server_cpu(args) -> float:
    return sum(tree_cpu(pid) for pid in args.server_pids)


def machine_busy() -> float:
    with open("/proc/stat") as fh:
        cpu = [int(x) for x in fh.readline().split()[1:]]
    return (sum(cpu) - cpu[3] - cpu[4]) / TICK


def start_server(args):
    var = tempfile.mkdtemp(prefix="meydan-live-")
    port = free_port()
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": var,
        "MEYDAN_ACCESS_LOG": "off",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEYDAN_CACHE_URL": args.cache,
        "MEYDAN_LIVE_SECONDS": str(args.interval),
        # granian queues at most 1,024 connections by default; the crowd opens 10,000
        "GRANIAN_BACKLOG": str(max(1024, args.readers + 1000)),
        # a program posts, not a browser (as bench/post_concurrency.py)
        "MEYDAN_RATELIMIT_COMMENTS": "off",
        "MEYDAN_MIN_FORM_SECONDS": "off",
        "MEYDAN_POW": "off",
        "MEYDAN_RATELIMIT_SITE_COMMENTS": "1000000/m",
        # the stream (--sse): its own channel, and room for the whole crowd
        "MEYDAN_LIVE_CHANNEL": "meydan:live-bench",
        "MEYDAN_LIVE_STREAM_MAX": str(args.readers + 1000),
    }
    import redis

    redis.Redis.from_url(args.cache).flushdb()
    manage(env, "migrate", "-v0")
    out = manage(env, "site", "add", "--name", "Bench", "--origin", ORIGIN)
    if f"'{SITE}'" not in out:
        raise SystemExit(f"meydan site add did not register '{SITE}': {out}")
    log = open(Path(var) / "server.log", "wb")  # noqa: SIM115 - closed by the caller
    process = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "serve", "--port", str(port), "--workers", "2"],
        env=env, cwd=ROOT, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120  # a busy machine starts workers slowly
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/api/v1/me", timeout=2)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        process.wait(timeout=20)
        raise SystemExit(f"the server did not start; see {var}/server.log")
    return process, port, log, env


def start_stream(env):
    """`meydan live` on a port of its own; returns (process, port)."""
    port = free_port()
    log = open(Path(env["MEYDAN_VAR_DIR"]) / "live.log", "wb")  # noqa: SIM115 - kept open
    process = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "live", "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # noqa: S310
        except urllib.error.HTTPError:
            return process, port  # it answers (404 for /): running
        except OSError:
            time.sleep(0.2)
    raise SystemExit("meydan live did not start; see live.log in the var dir")


NGINX_CONF = """\
# bench/live_readers.py: the micro-cache of docs/scaling.md, for /api/v1/live too.
worker_processes 2;
worker_rlimit_nofile 40000;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=meydan_api:10m max_size=100m
                     inactive=10m use_temp_path=off;
    keepalive_requests 1000000;
    upstream meydan {{
        server 127.0.0.1:{upstream};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=16384;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        location = /api/v1/live {{
            proxy_pass http://meydan;
            proxy_cache meydan_api;
            proxy_cache_key "$request_uri|$http_origin";
            proxy_ignore_headers Vary;
            proxy_cache_revalidate on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503;
            proxy_cache_background_update on;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 2s;
        }}
        location / {{
            proxy_pass http://meydan;
        }}
    }}
}}
"""


def start_nginx(upstream: int):
    prefix = Path(tempfile.mkdtemp(prefix="meydan-live-nginx-"))
    (prefix / "tmp").mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, upstream=upstream))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(  # noqa: S603 - our own config
        [nginx, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    return process, port


# --- raw HTTP/1.1 on asyncio streams ---------------------------------------------


async def read_answer(reader) -> tuple[int, dict, bytes]:
    status = int((await reader.readline()).split(b" ", 2)[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return status, headers, body


LIVE_PATH = f"/api/v1/live?site={SITE}&url={WATCHED}"


async def live_reader(port, interval, stop_at, seen, stats):
    """One reader: its own connection, asking about every `interval` seconds."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["connect_errors"] += 1
        return
    etag = None
    known = None
    await asyncio.sleep(random.uniform(0, interval))  # readers arrive over time
    while time.time() < stop_at:
        request = f"GET {LIVE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if etag:
            request += f"If-None-Match: {etag}\r\n"
        writer.write((request + "\r\n").encode())
        try:
            status, headers, body = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats["errors"] += 1
            return
        stats[status] = stats.get(status, 0) + 1
        if status == 200:
            etag = headers.get("etag")
            count = json.loads(body)["count"]
            now = time.time()
            if known is not None:
                for n in range(known + 1, count + 1):
                    seen.append((n, now))
            known = count
        elif status != 304:
            stats["errors"] += 1
        await asyncio.sleep(interval * random.uniform(2 / 3, 4 / 3))
    writer.close()


STREAM_REQUEST = (
    f"GET /api/v1/live/stream?site={SITE}&url={WATCHED} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    f"Origin: {ORIGIN}\r\nAccept: text/event-stream\r\n\r\n"
).encode()


async def sse_reader(port, base, stop_at, seen, stats):
    """One reader of the stream (`meydan live`): one request, then events (each one a
    chunk of its own: the lines between are the chunks' sizes, and are skipped)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(STREAM_REQUEST)
        status = int((await reader.readline()).split(b" ", 2)[1])
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
    except (OSError, ValueError, IndexError):
        stats["connect_errors"] += 1
        return
    if status != 200:
        stats[status] = stats.get(status, 0) + 1
        stats["errors"] += 1
        writer.close()
        return
    known = base
    stats[200] = stats.get(200, 0) + 1
    while True:  # cancelled when the phase ends (asyncio.wait_for per line costs a task)
        try:
            line = await reader.readline()
        except OSError:
            stats["errors"] += 1
            break
        if not line:
            break
        if line.startswith(b"data: "):
            count = json.loads(line[6:])["count"]
            now = time.time()
            for n in range(known + 1, count + 1):
                seen.append((n, now))
            known = max(known, count)
            stats["events"] = stats.get("events", 0) + 1
    writer.close()


def readers_process(port, count, interval, stop_at, out, sse_base=None):
    """A load-generating process: `count` readers; puts (seen, stats) on `out`."""

    async def main():
        seen, stats = [], {"errors": 0, "connect_errors": 0}
        tasks = []
        for i in range(count):
            if sse_base is None:
                reader = live_reader(port, interval, stop_at, seen, stats)
            else:
                reader = sse_reader(port, sse_base, stop_at, seen, stats)
            tasks.append(asyncio.create_task(reader))
            if i % 200 == 199:
                await asyncio.sleep(0.02)  # do not open 5,000 connections in one burst
        await asyncio.sleep(max(0.0, stop_at - time.time()))
        await asyncio.wait(tasks, timeout=5)  # a poll under way may finish
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return seen, stats

    out.put(asyncio.run(main()))


async def poster(port, token, stop_at, posted, latencies, start_at=0.0, ready=None):
    """Five comments a second: one into the watched thread, four into quiet ones. Its
    connection is opened first (`ready` is set then), so that it does not queue behind
    the crowd's, as a writer's keep-alive connection through nginx would not."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if ready is not None:
        ready.set()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    n = 0
    next_at = time.time()
    while time.time() < stop_at:
        watched = n % 5 == 0
        body = json.dumps({
            "site": SITE, "url": WATCHED if watched else random.choice(QUIET_PAGES),
            "title": "Breaking", "name": "Bench", "email": f"b{n}@example.org",
            "form_token": token, "body": f"Comment {next(SERIAL)}: the crowd keeps growing.",
        }).encode()  # fmt: skip
        head = (
            f"POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sent = time.time()
        writer.write(head.encode() + body)
        status, _headers, answer = await read_answer(reader)
        latencies.append(time.time() - sent)
        if status != 201:
            raise SystemExit(f"POST answered {status}: {answer[:200]!r}")
        if watched:
            posted.append(sent)
        n += 1
        next_at += 0.2
        await asyncio.sleep(max(0.0, next_at - time.time()))
    writer.close()


def api_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:  # noqa: S310
        return json.loads(r.read())


def phase(name, port, token, readers, args, sse_port=None, read_port=None):
    """Run one phase; returns its numbers. With `sse_port`, the readers listen to the
    stream server (`meydan live`) instead of asking /api/v1/live; with `read_port`,
    they ask there (nginx in front of Meydan)."""
    base_count = api_get(port, f"/api/v1/live?site={SITE}&url={WATCHED}")["count"]
    sse_base = base_count if sse_port else None
    warmup = 8.0 if readers > 1000 else 3.0
    stop_at = time.time() + warmup + args.seconds
    queue = multiprocessing.Queue()
    procs = max(1, min(args.procs, readers // 1000 or 1))
    workers = [
        multiprocessing.Process(
            target=readers_process,
            args=(
                sse_port or read_port or port,
                readers // procs + (i < readers % procs),
                args.interval,
                stop_at,
                queue,
                sse_base,
            ),
        )
        for i in range(procs)
    ]
    posted, latencies = [], []
    start_at = stop_at - args.seconds
    marks = {}

    async def posting():
        ready = asyncio.Event()
        task = asyncio.create_task(poster(port, token, stop_at, posted, latencies, start_at, ready))
        await ready.wait()
        for w in workers:
            w.start()
        log(f"{name}: {readers} readers starting")
        await asyncio.sleep(max(0.0, start_at - time.time()))
        marks["cpu"], marks["busy"], marks["t"] = (server_cpu(args), machine_busy(), time.time())
        await task

    asyncio.run(posting())
    cpu0, busy0, t0 = marks["cpu"], marks["busy"], marks["t"]
    cpu1, busy1, t1 = server_cpu(args), machine_busy(), time.time()
    log(f"{name}: {len(latencies)} posts in {t1 - t0:.1f} s; collecting the readers' numbers")
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    seen_times: list[float] = []
    stats: dict = {}
    for seen, s in results:
        for k, v in s.items():
            stats[k] = stats.get(k, 0) + v
        for n, at in seen:
            index = n - base_count - 1
            if 0 <= index < len(posted):
                seen_times.append(at - posted[index])
    answered = stats.get(200, 0) + stats.get(304, 0)
    if sse_port:
        answered = 0  # one request per reader; then events
    seconds = t1 - t0
    return {
        "name": name,
        "events": stats.get("events", 0),
        "readers": readers,
        "live_per_s": answered / (seconds + warmup),
        "share_304": stats.get(304, 0) / answered if answered else 0,
        "errors": stats["errors"] + stats["connect_errors"],
        "posts": len(latencies),
        "post_p50_ms": 1000 * statistics.median(latencies or [float("nan")]),
        "post_p99_ms": 1000 * quantile(latencies or [float("nan")], 0.99),
        "seen": len(seen_times),
        "expected_seen": len(posted) * readers,
        "see_p50_s": statistics.median(seen_times) if seen_times else float("nan"),
        "see_p99_s": quantile(seen_times, 0.99) if seen_times else float("nan"),
        "see_max_s": max(seen_times) if seen_times else float("nan"),
        "server_cpu": (cpu1 - cpu0) / seconds,
        "machine_cpu": (busy1 - busy0) / seconds,
    }


def log(text):
    print(time.strftime("%H:%M:%S"), text, file=sys.stderr, flush=True)


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--observers", type=int, default=50, help="readers in the quiet phase")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--procs", type=int, default=2, help="load-generating processes")
    parser.add_argument("--interval", type=float, default=1.4, help="MEYDAN_LIVE_SECONDS")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--sse", action="store_true", help="a phase more: the crowd on the stream (meydan live)"
    )
    parser.add_argument(
        "--nginx", action="store_true", help="a phase more: the crowd through nginx's micro-cache"
    )
    parser.add_argument(
        "--no-crowd", action="store_true", help="leave out the crowd polling Meydan directly"
    )
    args = parser.parse_args()

    process, port, log, env = start_server(args)
    args.server_pids = [process.pid]
    sse = None
    try:
        token = api_get(port, f"/api/v1/sites/{SITE}")["form_token"]
        # the watched thread and the quiet ones exist before the readers come
        asyncio.run(poster(port, token, time.time() + 4.5, [], []))
        rows = [phase("quiet", port, token, args.observers, args)]
        if not args.no_crowd:
            rows.append(phase("crowd", port, token, args.readers, args))
        if args.nginx:
            nginx, nginx_port = start_nginx(port)
            args.server_pids.append(nginx.pid)
            try:
                rows.append(phase("nginx", port, token, args.readers, args, read_port=nginx_port))
            finally:
                nginx.terminate()
                nginx.wait(timeout=10)
                args.server_pids.remove(nginx.pid)
        if args.sse:
            sse, sse_port = start_stream(env)
            args.server_pids.append(sse.pid)
            rows.append(phase("sse", port, token, args.readers, args, sse_port=sse_port))
    finally:
        if sse is not None:
            sse.terminate()
            sse.wait(timeout=10)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()

    load = os.getloadavg()
    print(f"live readers: meydan serve (granian, 2 workers), SQLite, Redis cache ({args.cache});")
    print(f"  MEYDAN_LIVE_SECONDS={args.interval:g}; {args.seconds:g} s per phase; posting 5/s,")
    print(f"  1/s into the watched thread; generator: {args.procs} asyncio processes on the same")
    print(f"  {os.cpu_count()} cores; load average at the end {load[0]:.2f}")
    print()
    head = (
        f"{'phase':<6} {'readers':>7} {'live/s':>7} {'304':>5} {'err':>4} {'posts':>5} "
        f"{'post p50':>9} {'post p99':>9} {'seen':>8} {'see p50':>8} {'see p99':>8} "
        f"{'see max':>8} {'srv CPU':>8} {'all CPU':>8}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['name']:<6} {r['readers']:>7} {r['live_per_s']:>7.0f} {r['share_304']:>5.0%} "
            f"{r['errors']:>4} {r['posts']:>5} {r['post_p50_ms']:>7.1f}ms "
            f"{r['post_p99_ms']:>7.1f}ms "
            f"{r['seen'] / max(1, r['expected_seen']):>8.1%} {r['see_p50_s']:>7.2f}s "
            f"{r['see_p99_s']:>7.2f}s {r['see_max_s']:>7.2f}s {r['server_cpu']:>7.2f}c "
            f"{r['machine_cpu']:>7.2f}c"
        )
    print()
    print("seen: share of (reader, comment) pairs seen before the phase ended; srv CPU: cores")
    print("used by the server's processes (sse: meydan serve and meydan live); all CPU: by the")
    print("whole machine (generator, other work). live/s: GET /api/v1/live answered per second")
    print(
        "(sse: 0, one long request per reader; events delivered: "
        + ", ".join(f"{r['name']} {r['events']}" for r in rows if r["events"])
        + ")."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
