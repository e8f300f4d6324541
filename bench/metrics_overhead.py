"""What counting requests costs (meydan/core/metrics.py): microseconds per request
through the WSGI application with and without CountRequests around it, in the
cached fast read path and in Django's request cycle, with prometheus_client
counting in memory and in per-process files (PROMETHEUS_MULTIPROC_DIR, as under
`meydan serve`).

    .venv/bin/python bench/metrics_overhead.py [--n 10000] [--rounds 5]

No server and no network: the application is called in a loop, as granian calls it.
The numbers are the best of --rounds (the machine is shared).
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def environ_for(path: str, query: str, **extra) -> dict:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9", **extra,
    }  # fmt: skip


def per_request_us(application, environ: dict, n: int, rounds: int) -> float:
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            b"".join(application(dict(environ), start_response))
        best = min(best, (time.perf_counter() - started) / n * 1e6)
    if not statuses[-1].startswith("200"):
        raise SystemExit(f"the read answered {statuses[-1]}")
    return best


def measure(n: int, rounds: int) -> dict:
    """In this process (PROMETHEUS_MULTIPROC_DIR already chosen by the parent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from meydan.api.fastpath import FastReads
    from meydan.comments import services
    from meydan.core.metrics import CountRequests
    from meydan.sites.models import Site

    site, _ = Site.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "domain": "127.0.0.1"}
    )
    thread = services.thread_get_or_create(site=site, key="/a/", url="/a/", title="A")
    if not thread.comment_count:
        for i in range(20):
            services.comment_post(
                thread=thread,
                author=services.Author(name="Aynur", email="a@example.org"),
                body=f"Comment {i}",
                moderate=False,
                channel="command",
            )
    fast = environ_for("/api/v1/threads", "site=bench&url=/a/")
    # A cookie sends the same read through Django's whole request cycle.
    slow = {**fast, "HTTP_COOKIE": "x=1"}
    with_route = WSGIHandler()
    plain_middleware = [m for m in django.conf.settings.MIDDLEWARE if "RouteLabel" not in m]
    with override_settings(MIDDLEWARE=plain_middleware):
        without_route = WSGIHandler()
    results: dict[str, float] = {}
    bare, counted = FastReads(without_route), CountRequests(FastReads(with_route))
    per_request_us(counted, fast, 200, 1)  # warm the caches
    slow_n = max(n // 5, 200)
    # Alternately, so that the shared machine's ups and downs fall on both.
    for _ in range(rounds):
        for path, environ, count in (("fast path", fast, n), ("Django", slow, slow_n)):
            for label, application in (("without", bare), ("with", counted)):
                key = f"{path}, {label} metrics"
                took = per_request_us(application, environ, count, 1)
                results[key] = min(results.get(key, float("inf")), took)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.n, args.rounds)))
        return
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "MEYDAN_VAR_DIR": var,
            "DATABASE_URL": "",
            "MEYDAN_CACHE_URL": "",
            "MEYDAN_ACCESS_LOG": "off",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        meydan = str(Path(sys.executable).with_name("meydan"))
        subprocess.run([meydan, "migrate", "-v0"], env=env, check=True)  # noqa: S603
        modes = {"in memory": env, "multiprocess files": {**env}}
        metrics_dir = Path(var) / "metrics"
        metrics_dir.mkdir()
        modes["multiprocess files"]["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        print(f"{args.n:,} requests (Django: {max(args.n // 5, 200):,}), best of {args.rounds}")
        for mode, mode_env in modes.items():
            out = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, __file__, "--child", "--n", str(args.n),
                 "--rounds", str(args.rounds)],
                env=mode_env, check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            results = json.loads(out.strip().splitlines()[-1])
            print(f"\nprometheus_client {mode}:")
            for path in ("fast path", "Django"):
                without = results[f"{path}, without metrics"]
                with_ = results[f"{path}, with metrics"]
                print(
                    f"  {path:9}  without {without:7.1f} µs  with {with_:7.1f} µs  "
                    f"overhead {with_ - without:5.1f} µs ({(with_ / without - 1) * 100:4.1f} %)"
                )


if __name__ == "__main__":
    main()
