"""The purge: delete what Meydan no longer needs to keep about readers.

Our commenters write under governments that jail journalists, so what we keep can
be used against them. The purge makes most of it expire. It runs daily in the
worker (privacy.tasks.purge_daily queues its own next run) or from cron as
`meydan purge`. docs/retention.md lists what it removes and when.

Each step is a few statements, runs on its own and counts what it removed.
Running the purge again at the same moment removes nothing, and a step that
failed is done by the next run. It logs counts only (logger "meydan.privacy"),
never an address or a hash.
"""

import logging
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meydan.accounts.models import WidgetToken
from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.core.models import HashKey
from meydan.core.privacy import ip_key_named, ip_keys_forget
from meydan.moderation.models import Ban
from meydan.notifications.models import Delivery, Subscription
from meydan.notifications.services import CONFIRM_DAYS
from meydan.privacy.models import ManageLink
from meydan.sites.models import Site
from meydan.webhooks.models import WebhookDelivery

logger = logging.getLogger("meydan.privacy")

# What each count is, in the order the purge removes them (`meydan purge` prints these).
REMOVED = {
    "ip_hashes": "IP hashes of comments older than their site's ip_hash_days",
    "emails": "addresses of published comments older than their site's email_days "
    "(the keyed hash stays)",
    "manage_links": '"manage my comments" links past their hour',
    "subscriptions": f"subscriptions never confirmed within {CONFIRM_DAYS} days",
    "widget_tokens": "expired widget sign-in tokens",
    "sessions": "expired sessions",
    "bans": "expired bans",
    "deliveries": "mail deliveries finished more than MEYDAN_DELIVERY_DAYS ago",
    "task_results": "finished background tasks older than MEYDAN_DELIVERY_DAYS",
    "webhook_deliveries": "webhook deliveries finished more than MEYDAN_DELIVERY_DAYS ago",
    "ip_keys": "IP hash keys no longer needed",
}


def purge(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Remove what has expired as of `now` (default: now) and return how many of each
    (the keys of REMOVED). With `dry_run`, count what would go and change nothing."""
    now = now or timezone.now()
    counts = {"ip_hashes": _comment_ip_hashes(now, dry_run)}

    counts["emails"] = _comment_addresses(now, dry_run)
    counts["manage_links"] = _delete(ManageLink.objects.filter(expires__lte=now), dry_run)

    counts["subscriptions"] = _delete(
        Subscription.objects.filter(
            confirmed__isnull=True, created__lt=now - timedelta(days=CONFIRM_DAYS)
        ),
        dry_run,
    )
    counts["widget_tokens"] = _delete(WidgetToken.objects.filter(expires__lte=now), dry_run)
    counts["sessions"] = _sessions(now, dry_run)
    # Before the keys: an expired ban no longer keeps its IP key.
    counts["bans"] = _delete(Ban.objects.filter(expires__lte=now), dry_run)
    finished = now - timedelta(days=settings.MEYDAN_DELIVERY_DAYS)
    counts["deliveries"] = _delete(Delivery.objects.filter(finished__lt=finished), dry_run)
    counts["task_results"] = _delete(
        DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=finished,
        ),
        dry_run,
    )
    counts["webhook_deliveries"] = _delete(
        WebhookDelivery.objects.filter(finished__lt=finished), dry_run
    )
    counts["ip_keys"] = _ip_keys(now, dry_run)

    logger.info(
        "Purge%s: %s",
        " (dry run, nothing removed)" if dry_run else "",
        ", ".join(f"{name} {n}" for name, n in counts.items()),
    )
    return counts


def _delete(queryset, dry_run: bool) -> int:
    """How many rows of the queryset's model go; cascades to other models (a
    subscription's pending notices) are not counted."""
    if dry_run:
        return queryset.count()
    _, per_model = queryset.delete()
    return per_model.get(queryset.model._meta.label, 0)


def _comment_ip_hashes(now: datetime, dry_run: bool) -> int:
    """One UPDATE per site. The hash is never shown to readers and no cached page
    holds it, so no thread version moves and no event is sent."""
    removed = 0
    for site_id, days in Site.objects.values_list("pk", "ip_hash_days"):
        old = Comment.objects.filter(
            thread__site_id=site_id, created__lt=now - timedelta(days=days)
        ).exclude(ip_hash="")
        removed += old.count() if dry_run else old.update(ip_hash="")
    return removed


def _comment_addresses(now: datetime, dry_run: bool) -> int:
    """Site.email_days: a published comment's address is replaced by its keyed hash
    (comments.services: the sealed copy goes; bans, first comments and history still
    match the hash; nobody can be written to at it any more)."""
    removed = 0
    for site in Site.objects.exclude(email_days=None):
        before = now - timedelta(days=site.email_days)
        if dry_run:
            removed += comment_services.comments_with_addresses(site, before=before).count()
        else:
            removed += comment_services.comments_forget_addresses(site, before=before)
    return removed


def _sessions(now: datetime, dry_run: bool) -> int:
    """Expired sessions. With sessions in the database (Django's default, and ours)
    this is the DELETE that SessionStore.clear_expired runs, on the purge's clock
    and counted. Other engines are asked to clear_expired (cache and cookie
    sessions expire by themselves) and count 0."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        if not dry_run:
            store.clear_expired()
        return 0
    return _delete(store.get_model_class().objects.filter(expire_date__lt=now), dry_run)


def _ip_keys(now: datetime, dry_run: bool) -> int:
    """Delete the IP keys nothing needs. A key is needed while it is younger than the
    rotation period plus the longest ip_hash_days of any site: until then, comments
    may hold hashes made under it. It is also needed while an unexpired IP ban names
    it (a permanent ban, for as long as it exists). The newest key is always kept, so
    ids never repeat. This applies to the legacy key (core.privacy) as well."""
    longest = Site.objects.aggregate(days=Max("ip_hash_days"))["days"] or 0
    cutoff = now - timedelta(days=settings.MEYDAN_IP_KEY_DAYS + longest)
    bans = Ban.objects.filter(kind=Ban.Kind.IP).filter(Q(expires__isnull=True) | Q(expires__gt=now))
    named = {ip_key_named(value) for value in bans.values_list("value", flat=True)}
    newest = HashKey.objects.order_by("-id").values_list("id", flat=True).first()
    needed = {key for key in named | {newest} if key is not None}
    old = HashKey.objects.filter(created__lt=cutoff).exclude(id__in=needed)
    removed = _delete(old, dry_run)
    if removed and not dry_run:
        ip_keys_forget()  # this process stops hashing under them at once; others in minutes
    return removed
