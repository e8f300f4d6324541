"""Meydan's settings plus knobs that have no environment variable, for experiments
with bench/bench.py only (never for serving):

    .venv/bin/python bench/bench.py --meydan-env PYTHONPATH=bench \
        --meydan-env DJANGO_SETTINGS_MODULE=experiment_settings \
        --meydan-env BENCH_LOCMEM_MAX_ENTRIES=10000 ...

BENCH_LOCMEM_MAX_ENTRIES  the local-memory cache's MAX_ENTRIES (Django's default: 300)
BENCH_CONN_MAX_AGE        CONN_MAX_AGE (MEYDAN_DB_CONN_MAX_AGE does the same in settings)
"""

import os

from meydan.settings import *  # noqa: F403
from meydan.settings import CACHES, DATABASES

if os.environ.get("BENCH_LOCMEM_MAX_ENTRIES"):
    CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = int(
        os.environ["BENCH_LOCMEM_MAX_ENTRIES"]
    )
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
