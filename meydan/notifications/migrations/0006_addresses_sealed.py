"""Addresses leave the mail tables in clear: subscriptions, deliveries and
suppressions keep a keyed hash and (where Meydan writes to it) a sealed copy
(meydan.core.sealing). A delivery keeps its message until it is sent."""

from django.db import migrations, models

BATCH = 2000


def _batches(queryset):
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def seal_addresses(apps, schema_editor):
    from meydan.core import sealing

    Subscription = apps.get_model("notifications", "Subscription")
    for batch in _batches(Subscription.objects.all()):
        for row in batch:
            row.email_hash = sealing.email_hash(row.email)
            row.email_sealed = sealing.seal(row.email)
        Subscription.objects.bulk_update(batch, ["email_hash", "email_sealed"])
    Delivery = apps.get_model("notifications", "Delivery")
    for batch in _batches(Delivery.objects.all()):
        for row in batch:
            row.to_hash = sealing.email_hash(row.to)
            row.to_sealed = sealing.seal(row.to)
            row.answer = row.answer.replace(row.to, sealing.mask(row.to))
        Delivery.objects.bulk_update(batch, ["to_hash", "to_sealed", "answer"])
    Suppression = apps.get_model("notifications", "Suppression")
    for batch in _batches(Suppression.objects.all()):
        for row in batch:
            row.address_hash = sealing.email_hash(row.address)
            row.shown = sealing.mask(row.address)
            row.reason = row.reason.replace(row.address, row.shown)
        Suppression.objects.bulk_update(batch, ["address_hash", "shown", "reason"])


def unseal_addresses(apps, schema_editor):
    """Back to addresses in clear, where this process holds the private key (an
    address it cannot open comes back as unknown-N@invalid)."""
    from meydan.core import sealing

    def opened(stored, pk):
        return sealing.unseal_or_empty(stored) or f"unknown-{pk}@invalid"

    for model, sealed, clear in (
        ("Subscription", "email_sealed", "email"),
        ("Delivery", "to_sealed", "to"),
    ):
        Model = apps.get_model("notifications", model)
        for row in Model.objects.all().iterator():
            setattr(row, clear, opened(getattr(row, sealed), row.pk).lower())
            row.save(update_fields=[clear])
    Suppression = apps.get_model("notifications", "Suppression")
    for row in Suppression.objects.all().iterator():
        row.address = f"unknown-{row.pk}@invalid"  # only its hash and mask were kept
        row.save(update_fields=["address"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_moderatormail_heldnotice")]

    operations = [
        # Not unique while it goes, so that going back can add it again and fill it.
        migrations.AlterField(
            model_name="suppression",
            name="address",
            field=models.EmailField(max_length=254, verbose_name="address"),
        ),
        migrations.RemoveConstraint(model_name="subscription", name="subscription_once"),
        migrations.RemoveConstraint(model_name="subscription", name="site_subscription_once"),
        migrations.AddField(
            model_name="subscription",
            name="email_hash",
            field=models.CharField(default="", max_length=32, verbose_name="address (keyed hash)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="subscription",
            name="email_sealed",
            field=models.CharField(default="", max_length=1000, verbose_name="address (sealed)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="delivery",
            name="to_hash",
            field=models.CharField(
                db_index=True, default="", max_length=32, verbose_name="to (keyed hash)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="delivery",
            name="to_sealed",
            field=models.CharField(default="", max_length=1000, verbose_name="to (sealed)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="delivery",
            name="message",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="delivery",
            name="comment_ref",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"),
                    ("retrying", "retrying"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                    ("suppressed", "not sent: address suppressed"),
                    ("withdrawn", "not sent: what it quoted was erased"),
                ],
                default="queued",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="suppression",
            name="address_hash",
            field=models.CharField(default="", max_length=32, verbose_name="address (keyed hash)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="suppression",
            name="shown",
            field=models.CharField(blank=True, max_length=300, verbose_name="address"),
        ),
        migrations.RunPython(seal_addresses, unseal_addresses),
        migrations.RemoveField(model_name="subscription", name="email"),
        migrations.RemoveField(model_name="delivery", name="to"),
        migrations.RemoveField(model_name="suppression", name="address"),
        migrations.AlterField(
            model_name="suppression",
            name="address_hash",
            field=models.CharField(max_length=32, unique=True, verbose_name="address (keyed hash)"),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(
                fields=("email_hash", "site", "thread", "kind"), name="subscription_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(
                condition=models.Q(("thread", None)),
                fields=("email_hash", "site", "kind"),
                name="site_subscription_once",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(fields=["email_hash"], name="subscription_email_hash"),
        ),
    ]
