"""Comments keep their moderation reason as a code with parameters (comments.reasons),
beside the English text they had. The rows stored before get theirs from that text,
read by the parser that reads audit snapshots and old exports."""

from collections import defaultdict
from functools import lru_cache

from django.db import migrations, models

CHUNK = 5000


def codes_from_text(apps, schema_editor):
    from meydan.comments.reasons import Reason

    Comment = apps.get_model("comments", "Comment")
    parsed = lru_cache(maxsize=4096)(Reason.parse)
    rows = Comment.objects.exclude(moderation_reason="").order_by("pk")
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).values_list("pk", "moderation_reason")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        # One UPDATE per distinct text in the chunk, by primary key.
        by_text = defaultdict(list)
        for pk, text in chunk:
            by_text[text].append(pk)
        for text, pks in by_text.items():
            reason = parsed(text)
            Comment.objects.filter(pk__in=pks).update(
                reason_code=reason.code, reason_params=reason.params
            )


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0008_statement_of_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="reason_code",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name="comment",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        # Backwards: the text is still there, the columns go.
        migrations.RunPython(codes_from_text, migrations.RunPython.noop),
    ]
