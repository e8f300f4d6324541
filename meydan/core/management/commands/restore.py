"""`meydan restore PATH`: a backup made by `meydan backup` (or pg_dump's custom
format) into the configured database, which must be empty.

Before anything is changed it checks that PATH is a backup of the engine the site
is configured for (SQLite file or pg_dump archive), that it is whole (SQLite's
integrity check; pg_restore can read its table of contents), and that the target
holds no site and no comment. Afterwards it says whether migrations are pending (a
backup from an older version). Stop `meydan serve` and the workers first. See
docs/backups.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from meydan.core import backup
from meydan.core.management.commands.backup import plural

EMPTY_HINT = {
    backup.SQLITE: (
        "Restore into an empty database: point MEYDAN_VAR_DIR at an empty directory "
        "(or move {target} and its -wal and -shm files away)."
    ),
    backup.POSTGRESQL: (
        "Restore into an empty database: `createdb` a new one and point DATABASE_URL "
        "at it (postgres://user@host:5432/newdb)."
    ),
}


class Command(BaseCommand):
    help = "Restore a backup made by `meydan backup` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("path", help="an SQLite backup or a pg_dump custom-format archive")

    def handle(self, *, path, **options):
        source = Path(path)
        try:
            summary, engine = self.restore(source)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(f"The database cannot be read: {error}") from None
        except OSError as error:
            raise CommandError(f"The restore failed: {error}") from None
        counted = (
            f"{plural(summary.comments or 0, 'comment')} on {plural(summary.sites or 0, 'site')}"
        )
        size = source.stat().st_size / 1_000_000
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {counted} from {source} ({size:,.1f} MB) into "
                f"{target_name(engine)} in {summary.seconds:.2f} s."
            )
        )
        self.report_migrations()

    def restore(self, source: Path) -> tuple[backup.Summary, str]:
        if not source.is_file():
            raise backup.BackupError(f"There is no file at {source}.")
        engine = backup.configured_engine()
        found = backup.detect_format(source)
        if found != engine:
            names = {backup.SQLITE: "an SQLite", backup.POSTGRESQL: "a PostgreSQL"}
            configured = {
                backup.SQLITE: "SQLite (no DATABASE_URL is set)",
                backup.POSTGRESQL: "PostgreSQL (DATABASE_URL)",
            }
            raise backup.BackupError(
                f"{source} is {names[found]} backup, but this Meydan uses "
                f"{configured[engine]}. Nothing was changed. {backup.ENGINES_HINT}"
            )
        if engine == backup.SQLITE:
            target = backup.sqlite_path()
            refuse_unless_empty(*backup.sqlite_target_counts(target), target=target, engine=engine)
            return backup.sqlite_restore(source, target), engine
        comments, sites = backup.pg_counts()
        refuse_unless_empty(comments or 0, sites or 0, target=target_name(engine), engine=engine)
        tables = backup.pg_target_tables()
        if tables:
            raise backup.BackupError(
                f"The database {target_name(engine)} already has {len(tables)} tables "
                f"(such as {', '.join(tables[:3])}), and pg_restore needs an empty one. "
                + EMPTY_HINT[engine].format(target=target_name(engine))
            )
        return backup.pg_restore(source), engine

    def report_migrations(self):
        connection.close()
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        known = set(executor.loader.graph.nodes)
        unknown = sorted(set(executor.loader.applied_migrations) - known)
        if plan:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(plan)} migrations are pending: the backup comes from an older "
                    "version of Meydan. Run `meydan migrate` before starting the site."
                )
            )
        elif unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup has {len(unknown)} migrations this version does not know "
                    f"(such as {unknown[0][0]}.{unknown[0][1]}): it comes from a newer "
                    "Meydan. Run that version, or a newer one."
                )
            )
        else:
            self.stdout.write("Migrations: up to date.")


def refuse_unless_empty(comments: int, sites: int, *, target, engine: str) -> None:
    if comments or sites:
        raise backup.BackupError(
            f"The database {target} is not empty: it holds {plural(comments, 'comment')} "
            f"and {plural(sites, 'site')}, which a restore would replace. Nothing was "
            "changed. " + EMPTY_HINT[engine].format(target=target)
        )


def target_name(engine: str) -> str:
    if engine == backup.SQLITE:
        return str(backup.sqlite_path())
    db = connection.settings_dict
    return f"{db['NAME']!r} on {db.get('HOST') or 'the local socket'}"
