"""The first IP key and, on a database that already holds IP hashes, the legacy key.

Hashes stored before keys rotated are plain 32-hex values keyed by SECRET_KEY alone
(core.privacy.legacy_ip_hash). If any comment or IP ban holds one, a legacy row
(id 0) is kept, so that those bans go on matching until the purge finds nothing
needs it (see core.privacy). A new database gets no legacy row.

The tables are read by name and only if they exist: this migration does not depend
on the apps above core, and on a new database they may not have been created yet
(they are empty then anyway).
"""

import secrets

from django.db import migrations
from django.utils import timezone


def _hashed_before(connection) -> bool:
    tables = set(connection.introspection.table_names())
    probes = [
        ("comments_comment", "SELECT 1 FROM comments_comment WHERE ip_hash <> '' LIMIT 1"),
        ("moderation_ban", "SELECT 1 FROM moderation_ban WHERE kind = 'ip' LIMIT 1"),
    ]
    with connection.cursor() as cursor:
        for table, sql in probes:
            if table in tables:
                cursor.execute(sql)
                if cursor.fetchone() is not None:
                    return True
    return False


def forwards(apps, schema_editor):
    HashKey = apps.get_model("core", "HashKey")
    keys = HashKey.objects.using(schema_editor.connection.alias)
    if keys.exists():
        return
    now = timezone.now()
    if _hashed_before(schema_editor.connection):
        keys.create(id=0, secret="", created=now)
    keys.create(id=1, secret=secrets.token_hex(32), created=now)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
