"""Server time to render the article page with N comments (issue: the article page).

Usage: .venv/bin/python bench/article_render.py [--sizes 100,5000] [--runs 30]

Builds a throw-away SQLite database (or uses DATABASE_URL), posts N comments
through comments.services (a reply tree like shared/bench/WORKLOAD.md: a third
top-level, the rest replying to an earlier comment of depth < 3), then times full
GET requests of the article page through Django's request handler (middleware,
query, template) and prints median and p95 per size and page.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,5000")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("MEYDAN_VAR_DIR", tempfile.mkdtemp(prefix="meydan-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "meydan.settings"
    os.environ["MEYDAN_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meydan.comments import services
    from meydan.newsroom.models import Article
    from meydan.sites.models import Site

    call_command("migrate", verbosity=0)
    site, _ = Site.objects.get_or_create(
        domain="testserver", defaults={"name": "Bench", "slug": "bench"}
    )
    rng = random.Random(20251126)
    words = "rally prisoners baku games council freedom street police crowd vote".split()
    client = Client()
    print(f"database: {connection.vendor}; page size {site.page_size} top-level comments")
    print("cold: the cache is cleared before each request; warm: the page's comment list is cached")
    print(
        f"{'comments':>8} {'page':>5} {'shown':>6} {'cold ms':>8} {'p95':>6} {'queries':>7}"
        f" {'warm ms':>8} {'p95':>6} {'queries':>7} {'KB':>6}"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        article = Article.objects.create(
            site=site, title=f"Article with {size}", slug=f"bench-{size}-{rng.randrange(1 << 30)}",
            body="Body.",
        )  # fmt: skip
        key = article.get_absolute_url()
        thread = services.thread_get_or_create(site=site, key=key, url=key, title=article.title)
        posted: list[tuple[int, int]] = []  # (id, depth)
        for i in range(size):
            candidates = [c for c in posted if c[1] < 2]
            parent = None if i == 0 or rng.random() < 1 / 3 else rng.choice(candidates)
            text = " ".join(rng.choice(words) for _ in range(rng.randint(30, 90)))
            result = services.comment_post(
                thread=thread,
                author=services.Author(name=f"Reader {i % 300}", email=f"r{i % 300}@example.org"),
                body=f"*{text}* [link](https://example.org/{i})",
                parent_id=parent[0] if parent else None,
                moderate=False,
                channel="command",
            )
            posted.append((result.comment.pk, result.comment.depth))
        pages = [1] if size <= site.page_size * 2 else [1, 10]
        for page in pages:
            url = f"{key}?page={page}"
            client.get(url)  # warm template and connection
            row = [f"{size:>8} {page:>5}"]
            for cold in (True, False):
                times = []
                for _ in range(args.runs):
                    if cold:
                        cache.clear()
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{url} answered {response.status_code}")
                if cold:
                    cache.clear()
                    shown = response.content.count(b'class="comment depth-')
                    row.append(f"{shown:>6}")
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                row.append(f"{statistics.median(times):>8.1f} {p95:>6.1f} {len(queries):>7}")
            print(" ".join(row) + f" {len(response.content) / 1024:>6.0f}")


if __name__ == "__main__":
    main()
