"""Commenters' addresses leave the table in clear: each becomes a keyed hash and a
sealed copy (meydan.core.sealing; sealed to MEYDAN_EMAIL_PUBLIC_KEY when it is set
while migrating, otherwise kept in the plain form until `meydan keys seal`)."""

from django.db import migrations, models

BATCH = 2000


def seal_addresses(apps, schema_editor):
    from meydan.core import sealing

    Comment = apps.get_model("comments", "Comment")
    rows = Comment.objects.exclude(author_email="").order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).only("pk", "author_email")[:BATCH])
        if not batch:
            return
        for comment in batch:
            comment.author_email_hash = sealing.email_hash(comment.author_email)
            comment.author_email_sealed = sealing.seal(comment.author_email)
        Comment.objects.bulk_update(batch, ["author_email_hash", "author_email_sealed"])
        last = batch[-1].pk


def unseal_addresses(apps, schema_editor):
    from meydan.core import sealing

    Comment = apps.get_model("comments", "Comment")
    for comment in Comment.objects.exclude(author_email_sealed="").iterator():
        comment.author_email = sealing.unseal_or_empty(comment.author_email_sealed)
        comment.save(update_fields=["author_email"])


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_author_email_index")]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="author_email_hash",
            field=models.CharField(blank=True, max_length=32, verbose_name="email (keyed hash)"),
        ),
        migrations.AddField(
            model_name="comment",
            name="author_email_sealed",
            field=models.CharField(blank=True, max_length=1000, verbose_name="email (sealed)"),
        ),
        migrations.RunPython(seal_addresses, unseal_addresses),
        migrations.RemoveIndex(model_name="comment", name="comment_author_email_ci"),
        migrations.RemoveField(model_name="comment", name="author_email"),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(fields=["author_email_hash", "status"], name="comment_author_email_hash"),
        ),
    ]
