"""The production queue: Redis (RQ) over a real connection, with the real worker
command in its own process, delivering to a real SMTP server on loopback."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import require_tool
from tests.test_redis import redis_reachable

pytestmark = pytest.mark.slow

ENQUEUE = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from meydan.notifications.mail import mail_enqueue
mail_enqueue(to="reader@example.org", subject="Through Redis", text="Hello from RQ", kind="test")
"""


def test_mail_goes_through_redis_and_the_rq_worker(tmp_path, smtp_server):
    require_tool(redis_reachable(), "Redis is not listening on 127.0.0.1:6379")
    import redis

    queue_url = "redis://127.0.0.1:6379/14"
    redis.Redis.from_url(queue_url).flushdb()
    sink, host, port = smtp_server
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meydan.settings",
        "MEYDAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        "MEYDAN_TASKS_URL": queue_url,
        "MEYDAN_EMAIL_URL": f"smtp://{host}:{port}",
    }
    subprocess.run([sys.executable, "-c", ENQUEUE], env=env, check=True, timeout=120)  # noqa: S603 - our own code
    assert sink.messages == []  # queued in Redis, not sent
    worker = [sys.executable, "-m", "meydan.cli", "worker", "--batch"]
    subprocess.run(worker, env=env, check=True, timeout=120, capture_output=True)  # noqa: S603
    deadline = time.time() + 10
    while not sink.messages and time.time() < deadline:
        time.sleep(0.1)
    [message] = sink.messages
    assert message["Subject"] == "Through Redis" and message["To"] == "reader@example.org"
    status = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from meydan.notifications.models "
         "import Delivery; print(Delivery.objects.get().status)"],
        env=env, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    assert status.stdout.strip() == "sent"
    redis.Redis.from_url(queue_url).flushdb()
