"""`meydan export --site KEY --format meydan|wxr|disqus [--thread URL] [--output FILE]`:
a site's comments (or one thread's) as Meydan JSON (lossless, docs/interchange-format.md),
WordPress WXR or Disqus XML, streamed to standard output or a file."""

import sys

from django.core.management.base import BaseCommand, CommandError

from meydan.core.errors import MeydanError
from meydan.interchange.writers import FORMATS, write
from meydan.sites.lookup import page_key_for
from meydan.sites.models import Site


class Command(BaseCommand):
    help = "Export a site's comments as Meydan JSON, WordPress WXR or Disqus XML."

    def add_arguments(self, parser):
        parser.add_argument("--site", required=True, help="the site's key")
        parser.add_argument("--format", choices=FORMATS, default="meydan")
        parser.add_argument("--thread", help="only this page (its URL or path)")
        parser.add_argument("--output", "-o", help="a file (default: standard output)")

    def handle(self, *, site, format, thread, output, **options):
        target = Site.objects.filter(slug=site).first()
        if target is None:
            raise CommandError(f"There is no site with the key {site!r}.")
        key = None
        if thread:
            try:
                key, _ = page_key_for(target, thread)
            except MeydanError as error:
                raise CommandError(f"--thread {thread!r}: {error}") from None
            if not target.threads.filter(key=key).exists():
                raise CommandError(f"--thread: the site has no thread at {key!r}.")
        if output:
            with open(output, "wb") as out:
                count = write(target, format, out, thread_key=key)
            self.stderr.write(f"{count:,} comments written to {output}.")
        else:
            write(target, format, sys.stdout.buffer, thread_key=key)
            sys.stdout.flush()
