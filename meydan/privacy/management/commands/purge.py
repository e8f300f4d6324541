"""`meydan purge`: delete what Meydan no longer needs to keep (docs/retention.md).

The worker runs the same purge daily by itself. Without a worker (`meydan worker
--batch` from cron, say), run this daily from cron:

    17 3 * * *  meydan purge --quiet
"""

from django.core.management import BaseCommand

from meydan.privacy.purge import REMOVED, purge


class Command(BaseCommand):
    help = "Delete expired IP hashes, sessions, tokens, bans, deliveries and old IP keys."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be removed; remove nothing"
        )
        parser.add_argument("--quiet", action="store_true", help="print nothing (for cron)")

    def handle(self, *, dry_run, quiet, **options):
        counts = purge(dry_run=dry_run)
        if quiet:
            return
        self.stdout.write("Would remove (dry run):" if dry_run else "Removed:")
        for name, n in counts.items():
            self.stdout.write(f"{n:>9}  {REMOVED.get(name, name)}")
