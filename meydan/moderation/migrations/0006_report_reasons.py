"""Readers' reports carry a reason from a closed list (Flag.Reason) and, optionally,
their own words (Flag.note). Reports made before had free text only: each becomes
"other", its text kept as the note."""

from django.db import migrations, models


def free_text_to_other(apps, schema_editor):
    Flag = apps.get_model("moderation", "Flag")
    for flag in Flag.objects.all().only("pk", "reason").iterator():
        Flag.objects.filter(pk=flag.pk).update(note=(flag.reason or "")[:500], reason="other")


def other_to_free_text(apps, schema_editor):
    Flag = apps.get_model("moderation", "Flag")
    for flag in Flag.objects.all().only("pk", "reason", "note").iterator():
        text = flag.note if flag.reason == "other" else f"{flag.reason}: {flag.note}".rstrip(": ")
        Flag.objects.filter(pk=flag.pk).update(reason=text[:200])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_audit_chain_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="note",
            field=models.CharField(blank=True, max_length=500, verbose_name="in the reader's words"),
        ),
        migrations.RunPython(free_text_to_other, other_to_free_text),
        migrations.AlterField(
            model_name="flag",
            name="reason",
            field=models.CharField(
                choices=[
                    ("spam", "Spam"),
                    ("harassment", "Harassment or hate"),
                    ("illegal", "Illegal content"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
                verbose_name="reason",
            ),
        ),
    ]
