"""Chain the audit entries written before the hash chain: per site, oldest first
(by created, then id), in batches, so a log of 100,000 entries neither loads at
once nor builds one giant statement (one UPDATE per row, sent with executemany). Snapshot values an erase may remove get
their commitments (moderation.auditchain); entries an earlier erase already
scrubbed are chained as they are.

It hashes with moderation.auditchain's functions, which read only fields this
migration's state has; a change to what is hashed needs a migration of its own."""

import json

from django.db import connection as default_connection
from django.db import migrations
from django.db.models import Q

BATCH = 2000
FIELDS = ["actor_ref", "seq", "prev_hash", "content_hash", "entry_hash", "seals", "openings"]


def _save(connection, model, batch) -> None:
    """bulk_update's CASE WHEN per row grows slow with the batch; executemany does not."""
    q = connection.ops.quote_name
    jsonb = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sets = ", ".join(
        f"{q(name)} = {jsonb if name in ('seals', 'openings') else '%s'}" for name in FIELDS
    )
    statement = f"UPDATE {q(model._meta.db_table)} SET {sets} WHERE {q('id')} = %s"  # noqa: S608
    rows = [
        [
            json.dumps(getattr(e, name)) if name in ("seals", "openings") else getattr(e, name)
            for name in FIELDS
        ]
        + [e.pk]
        for e in batch
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def backfill(apps, schema_editor):
    from meydan.moderation import auditchain

    AuditEntry = apps.get_model("moderation", "AuditEntry")
    AuditChain = apps.get_model("moderation", "AuditChain")
    site_ids = set(AuditEntry.objects.values_list("site_id", flat=True).distinct())
    for site_id in site_ids:
        rows = AuditEntry.objects.filter(site_id=site_id) if site_id else AuditEntry.objects.filter(
            site__isnull=True
        )
        rows = rows.order_by("created", "pk")
        seq, head, last = 0, auditchain.GENESIS, None
        while True:
            page = rows if last is None else rows.filter(
                Q(created__gt=last[0]) | Q(created=last[0], pk__gt=last[1])
            )
            batch = list(page[:BATCH])
            if not batch:
                break
            for entry in batch:
                seq += 1
                entry.actor_ref = entry.actor_id
                entry.seq, entry.prev_hash = seq, head
                entry.seals, entry.openings = auditchain.seal(entry.before, entry.after)
                entry.content_hash = auditchain.content_hash(entry)
                entry.entry_hash = head = auditchain.entry_hash(head, entry.content_hash, seq)
            _save(schema_editor.connection if schema_editor else default_connection, AuditEntry, batch)
            last = (batch[-1].created, batch[-1].pk)
        AuditChain.objects.update_or_create(
            key=auditchain.chain_key(site_id),
            defaults={"site_id": site_id, "seq": seq, "head_hash": head},
        )


class Migration(migrations.Migration):
    dependencies = [("moderation", "0004_audit_chain")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
