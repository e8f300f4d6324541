"""The production queue: Redis (RQ) over a real connection, with the real worker
command in its own process, delivering to a real SMTP server on loopback."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import require_redis

pytestmark = pytest.mark.slow

ENQUEUE = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from meydan.notifications.mail import mail_enqueue
mail_enqueue(to="reader@example.org", subject="Through Redis", text="Hello from RQ", kind="test")
"""


def test_mail_goes_through_redis_and_the_rq_worker(tmp_path, smtp_server):
    require_redis()
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


QUEUE_DOWN = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from meydan.notifications.mail import mail_enqueue
mail_enqueue(to="reader@example.org", subject="Despite Redis", text="Hello", kind="test")
"""

THREE_MINUTES_LATER = """
import django; django.setup()
from datetime import timedelta
from meydan.notifications.models import Delivery
[delivery] = Delivery.objects.all()
print(delivery.status, delivery.enqueued_at)
Delivery.objects.update(created=delivery.created - timedelta(minutes=3))
"""


def test_mail_queued_while_redis_was_down_is_sent_by_the_sweep(tmp_path, smtp_server):
    """The drill: Redis refuses the task (nothing listens on its port); once a worker
    runs against a Redis that answers, the sweep it schedules at start sends the
    message, once."""
    require_redis()
    import redis

    queue_url = "redis://127.0.0.1:6379/14"
    redis.Redis.from_url(queue_url).flushdb()
    sink, host, port = smtp_server
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meydan.settings",
        "MEYDAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        "MEYDAN_EMAIL_URL": f"smtp://{host}:{port}",
    }
    down = {**env, "MEYDAN_TASKS_URL": "redis://127.0.0.1:1/14"}  # nothing listens there
    enqueued = subprocess.run(  # noqa: S603 - our own code
        [sys.executable, "-c", QUEUE_DOWN], env=down, check=True, timeout=120,
        capture_output=True, text=True,
    )  # fmt: skip
    assert "stays queued" in enqueued.stderr
    env["MEYDAN_TASKS_URL"] = queue_url
    before = subprocess.run(  # noqa: S603
        [sys.executable, "-c", THREE_MINUTES_LATER], env=env, check=True, timeout=60,
        capture_output=True, text=True,
    )  # fmt: skip
    assert before.stdout.strip() == "queued None"
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "meydan.cli", "worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while not sink.messages and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # a second message would come now
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    [message] = sink.messages
    assert message["Subject"] == "Despite Redis"
    status = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from meydan.notifications.models "
         "import Delivery; print(Delivery.objects.get().status)"],
        env=env, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    assert status.stdout.strip() == "sent"
    redis.Redis.from_url(queue_url).flushdb()
