"""`meydan backup PATH`: a consistent copy of the database while the site runs.

SQLite: the online backup API from one snapshot (writers never wait), checked with
`PRAGMA integrity_check`. PostgreSQL: `pg_dump --format=custom`. Either way the copy
is written beside PATH and renamed into place only when complete; a failure leaves
nothing at PATH and exits non-zero. See docs/backups.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from meydan.core import backup


class Command(BaseCommand):
    help = "Copy the database to PATH while the site runs (SQLite file or pg_dump archive)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            help="the file to write; a directory gets meydan-<UTC date-time>.sqlite3 (or .dump)",
        )
        parser.add_argument("--force", action="store_true", help="replace PATH if it exists")

    def handle(self, *, path, force, **options):
        try:
            engine = backup.configured_engine()
            destination = Path(path)
            if destination.is_dir():
                destination = destination / backup.default_name(engine)
            if engine == backup.SQLITE:
                summary = backup.sqlite_backup(backup.sqlite_path(), destination, force=force)
            else:
                summary = backup.pg_backup(destination, force=force)
        except backup.BackupError as error:
            raise CommandError(f"{error}\nNo backup was written.") from None
        except DatabaseError as error:
            raise CommandError(f"The database cannot be read: {error}") from None
        except OSError as error:
            raise CommandError(f"The backup failed: {error}\nNo backup was written.") from None
        checked = (
            "SQLite's integrity check passed on the copy."
            if engine == backup.SQLITE
            else "pg_restore can read the archive."
        )
        self.stdout.write(self.style.SUCCESS(f"{describe('Backed up', summary)} {checked}"))


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def describe(verb: str, summary: backup.Summary) -> str:
    """ "Backed up 8 comments on 1 site (as the dump began): PATH, 0.7 MB, in 0.04 s"."""
    counted = ""
    if summary.comments is not None and summary.sites is not None:
        counted = f" {plural(summary.comments, 'comment')} on {plural(summary.sites, 'site')}"
        if summary.note:
            counted += f" ({summary.note})"
    size = summary.size / 1_000_000
    return f"{verb}{counted}: {summary.path}, {size:,.1f} MB, in {summary.seconds:.2f} s."
