"""Requests per second of GET /api/v1/threads for a 100-comment thread, served as the
README recommends (`meydan serve`: gunicorn, 2 workers), measured with wrk on
loopback: with the cache as shipped (warm), and with caching off (cold: every
request queries, serialises and renders nothing from cache), plus the 304 path.

    .venv/bin/python bench/thread_rps.py [--seconds 10] [--connections 32]
"""

import argparse
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import manage, meydan_server  # noqa: E402

SEED = """
import random
from meydan.comments import services
from meydan.sites.models import Site
site = Site.objects.get(slug="bench")
thread = services.thread_get_or_create(site=site, key="/article-1/", title="Article 1")
rng = random.Random(1)
posted = []
for i in range(100):
    parents = [c for c in posted if c.depth < 2]
    parent = None if not parents or rng.random() < 1 / 3 else rng.choice(parents)
    text = " ".join(rng.choice("rally crowd police vote freedom games council".split())
                    for _ in range(70))
    posted.append(services.comment_post(
        thread=thread, author=services.Author(name=f"Reader {i % 30}", email=f"r{i}@example.org"),
        body=f"*{text}* [a link](https://example.org/{i})",
        parent_id=parent.pk if parent else None, moderate=False, channel="command").comment)
"""


def wrk(url, seconds, connections, header=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * factor, int(errors.group(1)) if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    def setup(env):
        manage(env, "site", "add", "--name", "Bench", "--origin", "https://bench.example.org")
        manage(env, "shell", "-c", SEED)

    print(f"GET /api/v1/threads, 100 comments, wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"{'case':<28} {'req/s':>9} {'p99 ms':>8} {'errors':>7}")
    for label, cache in [("warm (cache on)", ""), ("cold (caching off)", "dummy://")]:
        with meydan_server({"MEYDAN_CACHE_URL": cache}, setup=setup) as (base, _env):
            url = f"{base}/api/v1/threads?site=bench&url=/article-1/"
            with urllib.request.urlopen(url) as response:  # noqa: S310
                etag = response.headers["ETag"]
                size = len(response.read())
            rps, p99, errors = wrk(url, args.seconds, args.connections)
            print(f"{label:<28} {rps:>9.0f} {p99:>8.1f} {errors:>7}   ({size / 1024:.0f} KB)")
            if not cache:
                rps, p99, errors = wrk(
                    url, args.seconds, args.connections, header=f"If-None-Match: {etag}"
                )
                print(f"{'304 (If-None-Match)':<28} {rps:>9.0f} {p99:>8.1f} {errors:>7}")


if __name__ == "__main__":
    main()
