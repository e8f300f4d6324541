"""The privacy app's background work: the daily purge (see privacy.purge)."""

from datetime import timedelta

from django_tasks import task

from meydan.core import periodic
from meydan.privacy.purge import purge

EVERY = timedelta(days=1)


@task()
def purge_daily() -> dict[str, int]:
    """Listed in MEYDAN_PERIODIC_TASKS: the worker queues one at start when none is
    waiting. It queues tomorrow's run before purging, so a failing run does not
    end the schedule."""
    periodic.schedule_next(purge_daily, EVERY)
    return purge()
