"""CPU per thread-state lookup on Redis: through Django's cache API (pickled tuples
under Django's keys) against Meydan's raw strings (meydan/core/cache.py,
ResilientRedisCache.raw_*), both on the cache's own connection per thread, for one
page (a thread read) and for twenty (a counts request).

    .venv/bin/python bench/redis_states.py [--n 5000] [--redis redis://127.0.0.1:6379/9]

Only the lookups that hit: the database is never asked. Uses (and leaves) a handful of
keys under the prefix "redis-states-bench" in that Redis database.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def per_call(fn, n: int) -> tuple[float, float]:
    fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
    os.environ.setdefault("MEYDAN_VAR_DIR", tempfile.mkdtemp(prefix="meydan-states-"))
    os.environ["MEYDAN_CACHE_URL"] = args.redis
    import django

    django.setup()
    from meydan.comments import caching
    from meydan.core.cache import ResilientRedisCache

    cache = ResilientRedisCache(args.redis, {"KEY_PREFIX": "redis-states-bench"})
    pages = [f"/article-{i}/" for i in range(20)]
    names = [caching.thread_state_key(1, page) for page in pages]
    cache.set_many({name: (i, 5, 7) for i, name in enumerate(names)}, 600)
    cache.raw_set_many({cache.raw_key(name): b"%d:5:7" % i for i, name in enumerate(names)}, 600)

    def django_api(keys):
        return lambda: [caching.ThreadState(*s) for s in cache.get_many(keys).values()]

    def raw(keys):
        def lookup():
            values = cache.raw_get_many([cache.raw_key(key) for key in keys])
            return [caching.ThreadState(*map(int, v.split(b":"))) for v in values]

        return lookup

    print(f"thread-state lookups on {args.redis}, {args.n} calls each, µs per call")
    print(f"{'':24}{'CPU':>8}{'wall':>8}")
    for label, keys in (("1 page (thread read)", names[:1]), ("20 pages (counts)", names)):
        for way, make in (("Django cache API", django_api), ("raw strings", raw)):
            cpu, wall = per_call(make(keys), args.n)
            print(f"{label:24}{cpu:8.0f}{wall:8.0f}  {way}")


if __name__ == "__main__":
    main()
