"""Periodic tasks on the production queue: Redis (RQ), with the real worker command in
its own process. One run waits, never two; a run queues the next one. (The database
queue is tested in tests/privacy/test_purge.py, with the daily purge.)"""

import os
import subprocess
import sys

import pytest

from tests.conftest import require_redis

pytestmark = pytest.mark.slow

QUEUE_URL = "redis://127.0.0.1:6379/12"

SCHEDULE = """
import django; django.setup()
from datetime import timedelta
from django.core.management import call_command
call_command("migrate", verbosity=0)
from meydan.core import periodic
from meydan.privacy.tasks import purge_daily
print(periodic.ensure_scheduled(purge_daily), periodic.schedule_next(purge_daily, timedelta(1)))
"""

WAITING = """
import django; django.setup()
import django_rq
from django_tasks_rq.backend import Job
from meydan.privacy.tasks import purge_daily
queue = django_rq.get_queue("default", job_class=Job)
due = [job.func_name for job in Job.fetch_many(queue.get_job_ids(), connection=queue.connection)]
later = queue.scheduled_job_registry.get_job_ids()
later = [job.func_name for job in Job.fetch_many(later, connection=queue.connection)]
print(due.count(purge_daily.module_path), later.count(purge_daily.module_path))
"""


def test_one_run_waits_on_redis_and_each_run_queues_the_next(tmp_path):
    require_redis()
    import redis

    redis.Redis.from_url(QUEUE_URL).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meydan.settings",
        "MEYDAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'periodic.sqlite3'}",
        "MEYDAN_TASKS_URL": QUEUE_URL,
    }

    def python(code: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own code
            [sys.executable, "-c", code], env=env, timeout=120, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    try:
        assert python(SCHEDULE) == "True False"  # queued one due now; then none more
        assert python(SCHEDULE) == "False False"  # a second worker starting: still one
        assert python(WAITING) == "1 0"
        worker = [sys.executable, "-m", "meydan.cli", "worker", "--batch"]
        done = subprocess.run(worker, env=env, timeout=120, capture_output=True, text=True)  # noqa: S603
        assert done.returncode == 0, done.stderr
        assert python(WAITING) == "0 1"  # it ran, and queued tomorrow's
        assert python(SCHEDULE) == "False False"
    finally:
        redis.Redis.from_url(QUEUE_URL).flushdb()
