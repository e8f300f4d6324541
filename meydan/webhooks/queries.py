"""Reads: which events a site's webhooks listen to (asked after every comment event,
so it is cheap: a flag in the shared cache, else one indexed query)."""

import json

from meydan.core import sqlrows
from meydan.core.shared_cache import site_fact, when_shared
from meydan.webhooks.models import PING, Webhook

# A change to a site's webhooks forgets the entry, and writes the new one after its
# commit (services.py), so that a read racing the change cannot put the old one back
# (cache.add does not overwrite); the expiry is a safety net.
CACHE_SECONDS = 3600


@site_fact
def cache_key(site_id: int) -> str:
    return f"meydan:webhooks:{site_id}"


def events_from_database(site_id: int) -> frozenset[str]:
    """Hand-written (core.sqlrows): without a shared cache it runs after every comment
    event, and the ORM's query cost a post 0.8 ms of its 8 (bench/profile_request.py)."""
    rows = sqlrows.fetch_all(sqlrows.statement(_events_sql), [site_id, True])
    found: set[str] = set()
    for (events,) in rows:
        if isinstance(events, str):  # SQLite hands JSON back as text, PostgreSQL parsed
            events = json.loads(events)
        found.update(events or [])
    return frozenset(found)


def _events_sql() -> str:
    q = sqlrows.quote
    return (
        f"SELECT {q('events')} FROM {sqlrows.table(Webhook)} "  # noqa: S608 - names from the models, values as parameters
        f"WHERE {q('site_id')} = %s AND {q('active')} = %s"
    )


def site_webhook_events(site_id: int) -> frozenset[str]:
    """The events any active webhook of the site asked for (empty: nobody listens)."""
    return frozenset(
        when_shared(
            cache_key(site_id), CACHE_SECONDS, lambda: sorted(events_from_database(site_id))
        )
    )


def webhooks_for(site_id: int, event: str) -> list[Webhook]:
    """The active webhooks of the site that asked for `event` (every one for a ping)."""
    hooks = Webhook.objects.filter(site_id=site_id, active=True).order_by("pk")
    return [hook for hook in hooks if event == PING or event in (hook.events or [])]
