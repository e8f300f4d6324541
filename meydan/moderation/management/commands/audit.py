"""`meydan audit verify|head`: check the moderation log's hash chains, and print
their heads to write down or publish (docs/audit-log.md).

verify exits 0 when every chain adds up, 1 when one does not, naming the first
broken entry of each broken chain (site, seq, id, what is wrong); 2 when asked
something it cannot answer (an unknown site, a malformed --expect)."""

import re

from django.core.management.base import BaseCommand, CommandError

from meydan.moderation import auditchain
from meydan.sites.models import Site

NO_SITE = "-"
EXPECT = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


class Command(BaseCommand):
    help = "Verify the moderation log's hash chains, or print their heads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk each chain; exit 1 at a broken entry")
        head = sub.add_parser("head", help="print each chain's last seq and hash")
        for command in (verify, head):
            command.add_argument(
                "--site",
                metavar="KEY",
                help=f"a site's slug (or '{NO_SITE}' for the entries with no site); "
                "all chains when left out",
            )
        verify.add_argument(
            "--expect",
            metavar="SEQ:HASH",
            help="a head printed earlier by `meydan audit head --site KEY`: check that "
            "entry SEQ still carries HASH (catches a truncated or recomputed log)",
        )

    def handle(self, *args, action, site=None, **options):
        site_ids = self._chains(site)
        if action == "head":
            for site_id in site_ids:
                seq, digest = auditchain.chain_head(site_id)
                self.stdout.write(f"{self._name(site_id)} {seq}:{digest}")
            return
        self._verify(site_ids, site, options.get("expect"))

    def _verify(self, site_ids, site, expect) -> None:
        if expect and site is None:
            raise CommandError("--expect needs --site: a head belongs to one chain.", returncode=2)
        expected = EXPECT.match(expect or "")
        if expect and not expected:
            raise CommandError(
                "--expect takes SEQ:HASH, as `meydan audit head` prints it.", returncode=2
            )
        broken = []
        for site_id in site_ids:
            report = auditchain.chain_verify(site_id)
            name = self._name(site_id)
            if report.broken is None and expected:
                problem = auditchain.published_head_check(site_id, int(expected[1]), expected[2])
                if problem:
                    report.broken = auditchain.Break(
                        report.chain, int(expected[1]), None, [problem]
                    )
            if report.broken is not None:
                b = report.broken
                where = f"seq {b.seq}" if b.seq is not None else "no seq"
                where += f" (entry id {b.entry_id})" if b.entry_id else ""
                self.stdout.write(
                    self.style.ERROR(f"{name}: BROKEN at {where}: " + "; ".join(b.problems))
                )
                broken.append(f"{name} at {where}")
                continue
            line = (
                f"{name}: {report.entries} entries intact, "
                f"head {report.head_seq}:{report.head_hash}"
            )
            if report.redacted:
                ids = ", ".join(str(pk) for pk in report.redacted_ids[:20])
                more = " …" if report.redacted > 20 else ""
                line += (
                    f"; {report.redacted} redacted by an erase (their text and author "
                    f"cannot be checked): ids {ids}{more}"
                )
            self.stdout.write(self.style.SUCCESS(line))
        if broken:
            raise CommandError(
                "The moderation log does not add up: first broken entry of " + ", ".join(broken),
                returncode=1,
            )

    def _chains(self, key: str | None) -> list[int | None]:
        if key is None:
            return auditchain.chains()
        if key == NO_SITE:
            return [None]
        site = Site.objects.filter(slug=key).first()
        if site is None:
            raise CommandError(f"No site '{key}'. `meydan site list` shows them.", returncode=2)
        return [site.pk]

    def _name(self, site_id: int | None) -> str:
        if site_id is None:
            return f"(no site) [{NO_SITE}]"
        slug = Site.objects.filter(pk=site_id).values_list("slug", flat=True).first()
        return f"site {slug or site_id}"
