"""cProfile one request path of `make bench` through Django's request handler
(middleware, django-ninja, cache, database), on a copy of the bench database.

    .venv/bin/python bench/profile_request.py thread|counts|etag|post|bigpage [--n 2000]
        [--db bench/data/meydan-<hash>-quick.sqlite3] [--top 30] [--sort tottime]
        [--plain] [--wsgi]

The cache is warmed first (the thread read's payload is cached after one request),
so a read shows the warm path that `make bench` measures. It prints the slowest
functions and the time per request; the numbers are server time without gunicorn.
"""

import argparse
import cProfile
import glob
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))


class WsgiClient:
    """GET through meydan.wsgi.application as a server would call it."""

    class Response:
        def __init__(self, status: str, headers: list):
            self.status_code = int(status.split()[0])
            self.headers = dict(headers)

        def __getitem__(self, name):
            return self.headers[name]

    def __init__(self):
        from meydan.wsgi import application

        self.application = application

    def get(self, path, params=None, **headers):
        from urllib.parse import urlencode

        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path,
            "QUERY_STRING": urlencode(params or {}, doseq=True),
            "HTTP_HOST": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9", **headers,
        }  # fmt: skip
        seen = {}

        def start_response(status, response_headers, exc_info=None):
            seen["status"], seen["headers"] = status, response_headers

        b"".join(self.application(environ, start_response))
        return self.Response(seen["status"], seen["headers"])

    def post(self, *args, **kwargs):
        raise SystemExit("--wsgi is for the read paths")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=["thread", "counts", "etag", "post", "bigpage", "me"])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--db", default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument(
        "--plain", action="store_true", help="no cProfile: CPU ms per request (for py-spy)"
    )
    parser.add_argument(
        "--wsgi",
        action="store_true",
        help="reads through meydan.wsgi.application (the fast path, as `meydan serve`), "
        "not Django's test client",
    )
    args = parser.parse_args()
    db = args.db or sorted(glob.glob(str(BENCH / "data" / "meydan-*-quick.sqlite3")))[-1]
    var = Path(tempfile.mkdtemp(prefix="meydan-profile-"))
    shutil.copyfile(db, var / "meydan.sqlite3")
    os.environ.update(
        MEYDAN_VAR_DIR=str(var),
        MEYDAN_SECRET_KEY="meydan-bench-not-a-secret",  # noqa: S106 - bench.py's fixed key
        MEYDAN_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="meydan.settings",
        MEYDAN_LOG_LEVEL="WARNING",
    )
    if args.path == "post":
        os.environ.update(
            MEYDAN_RATELIMIT_COMMENTS="off",
            MEYDAN_MIN_FORM_SECONDS="off",
            MEYDAN_POW="off",  # a browser's job: the bench client is a program
            MEYDAN_RATELIMIT_SITE_COMMENTS="1000000/m",
        )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)  # the copy may predate the code's migrations

    client = WsgiClient() if args.wsgi else Client(HTTP_HOST="127.0.0.1")
    lines = (BENCH / "run").glob("*/post-meydan.tsv")
    posts = []
    for tsv in sorted(lines)[-1:]:
        posts = [line.split("\t", 1)[1] for line in tsv.read_text().splitlines()]

    def request(i: int):
        n = i % 20 + 1
        if args.path == "thread":
            return client.get("/api/v1/threads", {"site": "bench", "url": f"/article-{n}"})
        if args.path == "bigpage":
            return client.get("/api/v1/threads", {"site": "bench", "url": "/big"})
        if args.path == "etag":
            return client.get(
                "/api/v1/threads",
                {"site": "bench", "url": f"/article-{n}"},
                HTTP_IF_NONE_MATCH=etags[n],
            )
        if args.path == "counts":
            urls = [f"/article-{(n * 7 + k) % 20 + 1}" for k in range(20)]
            return client.get("/api/v1/counts", {"site": "bench", "url": urls})
        if args.path == "me":
            return client.get("/api/v1/me")
        body = json.loads(posts[i % len(posts)])
        body["body"] += f" (profile {i})"
        return client.post(
            "/api/v1/comments",
            json.dumps(body),
            content_type="application/json",
            HTTP_ORIGIN="http://127.0.0.1:8081",
        )

    etags = {}
    for n in range(1, 21):  # warm the caches
        response = client.get("/api/v1/threads", {"site": "bench", "url": f"/article-{n}"})
        etags[n] = response["ETag"]
    for i in range(20):
        request(i)
    if args.plain:
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(args.n):
            request(i + 20)
        print(
            f"{args.path}: {args.n} requests, {1000 * (time.perf_counter() - started) / args.n:.3f}"
            f" ms each, {1000 * (time.process_time() - cpu) / args.n:.3f} CPU ms (no profiler)"
        )
        shutil.rmtree(var, ignore_errors=True)
        return
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    statuses: dict[int, int] = {}
    for i in range(args.n):
        status = request(i + 20).status_code
        statuses[status] = statuses.get(status, 0) + 1
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort)
    stats.print_stats(args.top)
    print(
        f"{args.path}: {args.n} requests, {1000 * elapsed / args.n:.3f} ms each under cProfile "
        f"(statuses {statuses})"
    )
    print(out.getvalue())
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
