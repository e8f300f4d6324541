"""Background tasks that outlast a database outage.

A task the worker runs while the database is away (PostgreSQL restarting, SQLite
locked past its busy timeout) fails with OperationalError or InterfaceError, and the
task queue does not run a failed task again: the drill bench/drills/db_outage.py lost
every notification and message whose task ran during a 10-second PostgreSQL restart,
and left their deliveries "queued" for ever.

`@outlasts_database_outages`, under `@task()`, turns such a failure into a warning
line and a wait: the worker asks the database again (every 0.5 s, then less often)
for up to WAIT_SECONDS and runs the task again once it answers; nothing else could
run meanwhile anyway, every task needs the database. When it stays away longer the
same call is queued again for later (REQUEUE_SECONDS; with the Redis queue the task
waits there), up to MAX_ATTEMPTS times, and then given up with an error line. A task
queued in the database cannot be queued again while the database is away: that is
logged and the task fails as before. Other errors are not touched.

Meydan's tasks may run again: each looks at what was done already (a Notified row,
a delivery's status) first. A database that goes away in the middle of one can still
cost a message (a notification task that had recorded itself) or send one twice (a
delivery sent whose "sent" could not be written).
"""

import contextlib
import contextvars
import functools
import logging
import sys
import time
import uuid
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from meydan.core.health import check_database
from meydan.core.unavailable import DATABASE_OUTAGE

logger = logging.getLogger("meydan.tasks")

OUTAGE = DATABASE_OUTAGE
ATTEMPT_KWARG = "outage_attempt"
RUN_KWARG = "outage_run"  # the run's id (current_run), kept when it is queued again
WAIT_SECONDS = 60.0  # in place; RQ stops a job after 180 s
RUNS = 3  # runs in place before it is queued again
REQUEUE_SECONDS = 300
MAX_ATTEMPTS = 12  # queued again at most this many times: about an hour


def drop_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Forget a connection the outage broke: the next query opens a new one."""
    with contextlib.suppress(Exception):
        connections[alias].close()


def wait_for_database(seconds: float, alias: str = DEFAULT_DB_ALIAS) -> bool:
    """True as soon as the database answers, False if it did not within `seconds`."""
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            check_database(alias)
            return True
        except OUTAGE:
            drop_connection(alias)
        if time.monotonic() + delay > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


_run = contextvars.ContextVar("meydan_task_run", default=None)


def current_run() -> str | None:
    """An id for the task being run, the same each time it is run again after a
    database outage, in place or queued again (None outside such a task): what it
    claimed before the outage is still its own (core/sweep.py)."""
    return _run.get()


def outlasts_database_outages(func):
    name = f"{func.__module__}.{func.__name__}"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        attempt = kwargs.pop(ATTEMPT_KWARG, 0)
        token = _run.set(kwargs.pop(RUN_KWARG, None) or uuid.uuid4().hex)
        try:
            return _runs(*args, attempt=attempt, **kwargs)
        finally:
            _run.reset(token)

    def _runs(*args, attempt, **kwargs):
        for run in range(1, RUNS + 1):
            try:
                return func(*args, **kwargs)
            except OUTAGE as error:
                drop_connection()
                logger.warning(
                    "task %s: the database is unavailable (%s); waiting for it",
                    name, type(error).__name__,
                )  # fmt: skip
                if run < RUNS and wait_for_database(WAIT_SECONDS):
                    logger.warning("task %s: the database answers again; running it again", name)
                    continue
                last = error
                break
        if attempt >= MAX_ATTEMPTS:
            logger.error("task %s given up: the database stayed unavailable", name)
            raise last
        task = getattr(sys.modules[func.__module__], func.__name__)
        try:
            task.using(run_after=timezone.now() + timedelta(seconds=REQUEUE_SECONDS)).enqueue(
                *args, **kwargs, **{ATTEMPT_KWARG: attempt + 1, RUN_KWARG: current_run()}
            )
        except Exception as queue_error:  # the queue is the database: it cannot wait there
            logger.error(
                "task %s failed: the database is unavailable, and the task could not be "
                "queued again (%s)", name, type(queue_error).__name__,
            )  # fmt: skip
            raise last from None
        logger.warning("task %s: queued again, to run in %d s", name, REQUEUE_SECONDS)
        return None

    return wrapper


def enqueue_or_log(task, *args, what: str = "", **kwargs) -> bool:
    """Queue `task` now. A task queue that cannot be reached (Redis stopped, with
    MEYDAN_TASKS_URL=redis://…) costs this task only, as one error line saying what
    was lost, never the request that asked for it: the comment or subscription that
    led here is already stored (bench/drills/redis_outage.py)."""
    try:
        task.enqueue(*args, **kwargs)
    except Exception as error:  # whatever the queue's client raises
        logger.error(
            "task queue unavailable (%s): %s not queued%s",
            type(error).__name__,
            getattr(task, "module_path", task),
            f" ({what})" if what else "",
        )
        return False
    return True


def enqueue_on_commit(task, *args, what: str = "", **kwargs) -> None:
    """enqueue_or_log() once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue_or_log(task, *args, what=what, **kwargs))
