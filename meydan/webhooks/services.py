"""Writes: a site's webhooks (the admin is their front door), and the test ping."""

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from meydan.webhooks import payloads
from meydan.webhooks.addresses import Refused, check_registration
from meydan.webhooks.delivery import deliveries_enqueue
from meydan.webhooks.models import PING, Event, Webhook, WebhookDelivery, new_secret
from meydan.webhooks.queries import CACHE_SECONDS, cache_key, events_from_database

__all__ = ["Refused", "webhook_delete", "webhook_ping", "webhook_renew_secret", "webhook_save"]


def _forget(site_ids) -> None:
    """The sites' cached event lists: forgotten now, and written anew after the
    commit (a read racing the change, which only ever cache.add()s, cannot put the
    old list back over it)."""
    site_ids = set(site_ids)
    cache.delete_many([cache_key(pk) for pk in site_ids])

    def renew() -> None:
        for pk in site_ids:
            cache.set(cache_key(pk), sorted(events_from_database(pk)), CACHE_SECONDS)

    transaction.on_commit(renew)


def webhook_save(webhook: Webhook, *, previous_site_id: int | None = None) -> Webhook:
    """Save a new or changed webhook. Its address is checked (and stored as read,
    e.g. `http://0x7f.1/` as `http://127.0.0.1/`): Refused says why not. Unknown
    events are dropped. A new webhook gets its secret here (models.new_secret)."""
    webhook.url = check_registration(webhook.url)
    chosen = set(webhook.events or [])
    webhook.events = [event for event in Event.values if event in chosen]  # in list order
    with transaction.atomic():
        webhook.save()
        _forget([webhook.site_id, previous_site_id or webhook.site_id])
    return webhook


def webhook_delete(webhook: Webhook) -> None:
    with transaction.atomic():
        site_id = webhook.site_id
        webhook.delete()
        _forget([site_id])


def webhook_renew_secret(webhook: Webhook) -> str:
    """A new secret; the old one stops signing at once. Returns it (shown once)."""
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook.secret


def webhook_ping(webhook: Webhook) -> WebhookDelivery:
    """Queue a test call ("ping") to this webhook, active or not, whatever events it
    asked for: staff see in the delivery log whether the receiver answered."""
    data = payloads.payload(PING, site=webhook.site, occurred_at=timezone.now())
    [delivery] = deliveries_enqueue([webhook], data)
    return delivery
