"""Queued work that must go out even when its task was lost: the claim and the sweep.

An app that sends something from the worker (mail, webhooks) records it in a row
first and hands the task queue only the row's id, once the caller's transaction
commits. That hand-over can fail (Redis away, MEYDAN_TASKS_URL=redis://…), and a
task can be lost after it (a worker killed in the middle of it, a retry that could
not be queued). The row then waits for ever unless something looks at it again.

Each such row keeps four times, read and written only through this module:

- `enqueued_at`: when a task for it was last handed to the queue *successfully*
  (`enqueue_marked`; never moved back);
- `last_attempt`: when a task last claimed it (`claim`);
- `next_attempt`: when its next try is due (empty: at once, from `created`);
- `created`.

A task first *claims* its row: one conditional UPDATE, waiting and due → "sending".
A second run of the same task (a duplicate, a re-enqueue by the sweep, a worker
that runs it twice) finds the row claimed, finished or not yet due, and does
nothing; PostgreSQL makes the second UPDATE wait for the first and then match no
row, SQLite runs one writer at a time.

Each app's periodic sweep (listed in MEYDAN_PERIODIC_TASKS, every minute) queues
again what has no task that can still run:

- *not queued*: waiting, due more than GRACE ago, and no successful enqueue since
  its last try began (`enqueued_at` empty, or older than `last_attempt`);
- *lost*: waiting, due more than GRACE ago, and queued more than LOST ago (the
  queue lost the task, or the workers are that far behind: then the task runs
  twice and the second run does nothing);
- *stalled*: "sending" for more than STALLED (longer than any task may run: RQ stops
  a job after 180 s): its worker died. That try counts, and the app tries again
  after its usual wait. A worker killed after the receiver accepted the message but
  before "sent" was written sends it twice; that is the one double send left.

A database outage in the middle of a try (core/tasks.py runs the task again in
place once the database answers) finds the row claimed by the run it interrupted:
the claim names that run (`claimed_by`, core.tasks.current_run), so the same run
takes it up again at once, and any other run still finds it taken.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from meydan.core import metrics
from meydan.core.tasks import current_run, enqueue_or_log

logger = logging.getLogger("meydan.sweep")

EVERY = timedelta(minutes=1)  # how often each app's sweep runs
GRACE = timedelta(minutes=2)
LOST = timedelta(minutes=15)
STALLED = timedelta(minutes=10)
SLACK = timedelta(seconds=5)  # clocks of the worker's and the scheduler's hosts differ
BATCH = 500  # rows a sweep queues at most per run (a long outage leaves many)


def enqueue_marked(model, pk: int, task, *args, what: str = "", **kwargs) -> bool:
    """enqueue_or_log(), and on success record on row `pk` that a task is queued."""
    stamp = timezone.now()  # before: a task that runs at once claims after it
    if not enqueue_or_log(task, *args, what=what, **kwargs):
        return False
    model.objects.filter(pk=pk).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stamp)
    ).update(enqueued_at=stamp)
    return True


def claimable(row, *, waiting, sending: str) -> bool:
    """Whether a run may try to claim `row` as read: waiting, or claimed by this same
    run before a database outage interrupted it."""
    run = current_run()
    return row.status in waiting or (
        row.status == sending and run is not None and row.claimed_by == run
    )


def claim(model, pk: int, *, waiting, sending: str):
    """Take row `pk` for one try: the time of the claim, or None when the row is not
    waiting, not due yet, or another run has it. A run that claimed it before a
    database outage (the same core.tasks.current_run) takes it again."""
    now = timezone.now()
    run = current_run() or uuid.uuid4().hex
    due = Q(status__in=waiting) & (Q(next_attempt__isnull=True) | Q(next_attempt__lte=now + SLACK))
    taken = (
        model.objects.filter(pk=pk)
        .filter(due | Q(status=sending, claimed_by=run))
        .update(status=sending, last_attempt=now, claimed_by=run)
    )
    return now if taken else None


def without_task(model, *, waiting):
    """Rows waiting and due whose task is missing (not queued, or lost), due first."""
    now = timezone.now()
    cutoff = now - GRACE
    due = Q(next_attempt__lte=cutoff) | Q(next_attempt__isnull=True, created__lte=cutoff)
    missing = (
        Q(enqueued_at__isnull=True)
        | Q(last_attempt__isnull=False, enqueued_at__lt=F("last_attempt"))
        | Q(enqueued_at__lte=now - LOST)
    )
    return (
        model.objects.filter(status__in=waiting)
        .filter(due & missing)
        .order_by(F("next_attempt").asc(nulls_first=True), "pk")[:BATCH]
    )


def reason(row) -> str:
    """ "not_queued" or "lost", for a row `without_task` returned."""
    if row.enqueued_at is None or (row.last_attempt and row.enqueued_at < row.last_attempt):
        return "not_queued"
    return "lost"


def stalled(model, *, sending: str):
    """Rows a dead worker left "sending"."""
    cutoff = timezone.now() - STALLED
    return model.objects.filter(status=sending, last_attempt__lte=cutoff).order_by("pk")[:BATCH]


def release_stalled(model, row, *, sending: str, to: str) -> bool:
    """Take a stalled row back from its dead worker (unless it finished meanwhile)."""
    return bool(
        model.objects.filter(pk=row.pk, status=sending, last_attempt=row.last_attempt).update(
            status=to
        )
    )


def run(
    model,
    *,
    queue: str,
    waiting,
    sending: str,
    released_to: str,
    try_again: Callable,
    enqueue: Callable,
) -> dict[str, int]:
    """One app's sweep: try again (`try_again(row)`, after the row went back to
    `released_to`) what a dead worker left "sending", and queue again
    (`enqueue(row)` -> queued or not) what has no task; stops at the first enqueue
    the queue refuses, as the next sweep will try again. Counts by reason, also in
    meydan_deliveries_swept_total{queue}."""
    counts: dict[str, int] = {}
    for row in stalled(model, sending=sending):
        if release_stalled(model, row, sending=sending, to=released_to):
            logger.warning("%s delivery %s: its worker stopped during a try", queue, row.pk)
            try_again(row)
            metrics.delivery_swept(queue, "stalled")
            counts["stalled"] = counts.get("stalled", 0) + 1
    for row in without_task(model, waiting=waiting):
        why = reason(row)
        if not enqueue(row):
            break  # the queue is away: the next sweep tries again
        logger.info("%s delivery %s queued again (%s)", queue, row.pk, why)
        metrics.delivery_swept(queue, why)
        counts[why] = counts.get(why, 0) + 1
    return counts
