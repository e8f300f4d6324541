"""`meydan import FILE --site KEY`: bring another system's comments into a site.

    meydan import export.xml --site caspian                 # format from the content
    meydan import export.xml --site caspian --dry-run       # what would happen
    meydan import disqus.xml --site caspian --map host:old.example=new.example --map https
    meydan import undo 12                                   # take batch 12 back out

See docs/importing.md for the formats, the --map rules and what is kept.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from meydan.interchange import services
from meydan.interchange.models import ImportBatch
from meydan.interchange.readers import FORMATS
from meydan.interchange.records import ImportFileError
from meydan.interchange.urlmap import MapError
from meydan.sites.models import Site


class Command(BaseCommand):
    help = "Import comments from WordPress, Disqus, Isso, Commento, Remark42 or Meydan."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="+", help="the export file, or: undo BATCH")
        parser.add_argument("--site", help="the site's key")
        parser.add_argument("--format", choices=FORMATS, help="instead of recognising it")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="RULE",
            help="rewrite page addresses: host:OLD=NEW, prefix:OLD=NEW, https, slash:add, "
            "slash:strip, csv:FILE (repeatable, applied in order)",
        )

    def handle(self, *, file, site, format, dry_run, map, verbosity, **options):
        if file[0] == "undo":
            return self._undo(file[1:])
        if len(file) != 1:
            raise CommandError("Give one file to import.")
        if not site:
            raise CommandError("Give the site to import into: --site KEY (see `meydan site list`).")
        target = Site.objects.filter(slug=site).first()
        if target is None:
            raise CommandError(f"There is no site with the key {site!r}.")
        bar = Progress(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr)
        try:
            batch, report = services.import_file(
                file[0],
                target,
                fmt=format,
                maps=map,
                dry_run=dry_run,
                progress=bar if verbosity else None,
            )
        except (ImportFileError, MapError) as error:
            raise CommandError(f"{file[0]}: {error}. Nothing was imported.") from None
        except FileNotFoundError:
            raise CommandError(f"{file[0]}: no such file.") from None
        bar.finish()
        self.stdout.write(summary(report.as_dict(), dry_run=dry_run, batch=batch))

    def _undo(self, args):
        if len(args) != 1 or not args[0].isdigit():
            raise CommandError("Give the batch to undo: meydan import undo BATCH")
        batch = ImportBatch.objects.filter(pk=int(args[0])).first()
        if batch is None:
            raise CommandError(f"There is no import batch {args[0]}.")
        if batch.state == ImportBatch.State.UNDONE:
            raise CommandError(f"Import {batch.pk} was undone already.")
        result = services.undo(batch)
        self.stdout.write(
            f"Import {batch.pk} undone: {result['deleted']} comments and "
            f"{result['threads_deleted']} threads removed"
            + (
                f"; {result['kept']} kept, because readers have replied to them since"
                if result["kept"]
                else ""
            )
            + "."
        )


def summary(report: dict, *, dry_run: bool, batch=None) -> str:
    """The report as lines a person reads."""
    verb = "would be" if dry_run else "were"
    added = report["added"]
    lines = [
        f"{'Dry run: nothing was changed. ' if dry_run else ''}"
        f"{report['read']:,} comments read ({report['format']}, from {report['source']}) "
        f"in {report['seconds']:.1f} s.",
        f"Threads: {report['threads_matched']:,} matched an existing page, "
        f"{report['threads_created']:,} {verb} created.",
        f"Comments {verb} added: {report['added_total']:,}"
        + (
            " (" + ", ".join(f"{n:,} {status}" for status, n in sorted(added.items())) + ")"
            if added
            else ""
        ),  # fmt: skip
    ]
    if report["already_imported"]:
        lines.append(f"Already imported before, left as they are: {report['already_imported']:,}")
    if report["orphans"]:
        lines.append(
            f"Replies whose parent is not in the file, attached to the thread: "
            f"{report['orphans']:,}"
        )
    for reason, count in sorted(report["skipped"].items()):
        lines.append(f"Skipped, {reason}: {count:,}")
    for what, count in sorted(report["cleaned"].items()):
        lines.append(f"Cleaned, {what}: {count:,}")
    if report["foreign_count"]:
        lines.append(
            f"{report['foreign_count']:,} threads have addresses outside the site's origins "
            "(rewrite them with --map, or add the origin to the site), e.g.:"
        )
        lines += [f"  {url}" for url in report["foreign_pages"]]
    if report["new_pages"] and report["threads_created"]:
        lines.append("Addresses that matched no existing page (new threads), e.g.:")
        lines += [f"  {url}" for url in report["new_pages"]]
    if batch is not None:
        lines.append(f"Batch {batch.pk}: undo it with `meydan import undo {batch.pk}`.")
    return "\n".join(lines)


class Progress:
    """Counts, rate and time left: a bar redrawn in place on a terminal, a plain line
    every few seconds otherwise (a log file, a CI run)."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 5.0) and done != total:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        left = f"{(total - done) / rate:,.0f} s left" if rate and total else ""
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else 0
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(
                f"\r[{bar}] {done:,}/{total or 0:,} comments  {rate:,.0f}/s  {left}  "
            )
            self.drawn = True
        else:
            self.stream.write(
                f"imported {done:,} of {total or 0:,} comments, {rate:,.0f}/s {left}\n"
            )
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
