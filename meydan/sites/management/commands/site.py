"""`meydan site add|list|remove`: register the sites that embed Meydan comments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from meydan.sites.models import Site
from meydan.sites.services import site_create, site_remove, site_token_rotate

SNIPPET = """\
Paste this where the comments should appear on {name}'s pages:

  <div id="meydan-thread"></div>
  <script src="{base}/embed.js" data-meydan-site="{slug}" async></script>

On list pages, <span data-meydan-count="/path/of/article/"></span> shows "N comments".
"""


class Command(BaseCommand):
    help = "Register, list and remove sites that embed Meydan comments."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a site and print its embed snippet")
        add.add_argument("--name", required=True)
        add.add_argument("--origin", action="append", required=True, dest="origins")
        add.add_argument("--base-url", default=settings.MEYDAN_PUBLIC_URL)
        add.add_argument(
            "--language",
            default="en",
            choices=[code for code, _name in settings.LANGUAGES],
            help="the site's default language (README, Languages)",
        )
        sub.add_parser("list", help="list sites")
        token = sub.add_parser(
            "token", help="make a new secret token for announcing posts (the old one stops working)"
        )
        token.add_argument("slug")
        token.add_argument("--base-url", default=settings.MEYDAN_PUBLIC_URL)
        remove = sub.add_parser("remove", help="delete a site and all its comments")
        remove.add_argument("slug")
        remove.add_argument("--yes", action="store_true", help="do not ask")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_add(self, *, name, origins, base_url, language, **options):
        try:
            site = site_create(name=name, origins=origins, language=language)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Registered {site.name} as '{site.slug}'."))
        base = (base_url or "http://127.0.0.1:8000").rstrip("/")
        self.stdout.write(SNIPPET.format(name=site.name, base=base, slug=site.slug))
        self._print_token(site, base)

    def handle_token(self, *, slug, base_url, **options):
        site = Site.objects.filter(slug=slug).first()
        if site is None:
            raise CommandError(f"No site '{slug}'. `meydan site list` shows them.")
        self._print_token(site, (base_url or "http://127.0.0.1:8000").rstrip("/"))

    def _print_token(self, site, base: str) -> None:
        token = site_token_rotate(site)
        self.stdout.write(
            "\nSecret token for announcing new posts to subscribers (shown once; "
            f"`meydan site token {site.slug}` makes a new one):\n  {token}\n"
            "From your server, when a post is published:\n"
            f"  curl -X POST {base}/api/v1/sites/{site.slug}/posts \\\n"
            f"    -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n"
            """    -d '{"url": "https://…/the-post/", "title": "The title"}'\n"""
        )

    def handle_list(self, **options):
        sites = Site.objects.order_by("id")
        if not sites:
            self.stdout.write("No sites yet: meydan site add --name NAME --origin https://…")
        for site in sites:
            origins = ", ".join(site.origin_list) or "-"
            self.stdout.write(f"{site.slug:<24} {site.name:<28} {origins}")

    def handle_remove(self, *, slug, yes, **options):
        site = Site.objects.filter(slug=slug).first()
        if site is None:
            raise CommandError(f"No site '{slug}'. `meydan site list` shows them.")
        count = sum(t.comment_count for t in site.threads.all())
        if not yes:
            answer = input(f"Delete {site.name} and its {count} comments? Type the key: ")
            if answer.strip() != slug:
                raise CommandError("Nothing deleted.")
        site_remove(site)
        self.stdout.write(f"Deleted {site.name}.")
