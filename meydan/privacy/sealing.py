"""Sealing the addresses already stored: rows written before a public key was set
(kept in the plain form, core.sealing) are sealed to it, in place, in batches.

Idempotent: a sealed row is left alone, so `meydan keys seal` can run again at any
time (after setting the key for the first time, or after an interrupted run)."""

from django.db import transaction

from meydan.accounts.models import Profile
from meydan.comments.models import Comment
from meydan.core import sealing
from meydan.notifications.models import Delivery, Subscription

BATCH = 1000

# (model, the column that holds a stored address)
STORED = [
    (Comment, "author_email_sealed"),
    (Subscription, "email_sealed"),
    (Delivery, "to_sealed"),
    (Profile, "email_sealed"),
]


def seal_stored(*, dry_run: bool = False) -> dict[str, int]:
    """Seal every plain stored address to MEYDAN_EMAIL_PUBLIC_KEY. Returns how many
    rows of each kind were (or, with `dry_run`, would be) sealed."""
    if not sealing.sealing_configured():
        raise sealing.CannotOpen("set MEYDAN_EMAIL_PUBLIC_KEY first (`meydan keys generate`)")
    counts = {}
    for model, column in STORED:
        plain = model.objects.filter(**{f"{column}__startswith": sealing.PLAIN + "|"})
        if dry_run:
            counts[model._meta.verbose_name_plural] = plain.count()
            continue
        done = 0
        while True:
            with transaction.atomic():
                rows = list(plain.select_for_update().only("pk", column).order_by("pk")[:BATCH])
                if not rows:
                    break
                for row in rows:
                    setattr(row, column, sealing.seal(sealing.unseal(getattr(row, column))))
                model.objects.bulk_update(rows, [column])
            done += len(rows)
        counts[model._meta.verbose_name_plural] = done
    return counts
