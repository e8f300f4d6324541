"""Bans by email keep the address's keyed hash and its mask, not the address."""

from django.db import migrations, models


def hash_email_bans(apps, schema_editor):
    from meydan.core import sealing

    Ban = apps.get_model("moderation", "Ban")
    for ban in Ban.objects.filter(kind="email"):
        if sealing.is_email_hash(ban.value):
            continue
        ban.shown = sealing.mask(ban.value)
        ban.value = sealing.email_hash(ban.value)
        ban.save(update_fields=["value", "shown"])


def scrub_audit_addresses(apps, schema_editor):
    """Audit snapshots quoted the author's address: they keep its mask only."""
    from meydan.core import sealing

    AuditEntry = apps.get_model("moderation", "AuditEntry")
    for entry in AuditEntry.objects.all().iterator():
        changed = False
        for side in ("before", "after"):
            snapshot = getattr(entry, side)
            if isinstance(snapshot, dict) and "@" in str(snapshot.get("author_email", "")):
                snapshot["author_email"] = sealing.mask(snapshot["author_email"])
                changed = True
            if isinstance(snapshot, dict) and snapshot.get("kind") == "email":
                value = str(snapshot.get("value", ""))
                if "@" in value:
                    snapshot["value"] = sealing.email_hash(value)
                    changed = True
        if changed:
            entry.save(update_fields=["before", "after"])


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_bans_flags_audit")]

    operations = [
        migrations.AddField(
            model_name="ban",
            name="shown",
            field=models.CharField(blank=True, max_length=300, verbose_name="shown as"),
        ),
        migrations.RunPython(hash_email_bans, migrations.RunPython.noop),
        migrations.RunPython(scrub_audit_addresses, migrations.RunPython.noop),
    ]
