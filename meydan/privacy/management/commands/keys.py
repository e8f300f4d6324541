"""`meydan keys generate|seal|check`: the key pair that seals commenters' addresses."""

from django.core.management.base import BaseCommand, CommandError

from meydan.core import sealing
from meydan.privacy.sealing import seal_stored

GENERATED = """\
A new key pair for sealing commenters' email addresses.

Give the PUBLIC key to every Meydan process (web and worker):

  MEYDAN_EMAIL_PUBLIC_KEY={public}

Give the PRIVATE key to the mail worker (`meydan worker`) only, in its own
environment or in a file only it can read (mode 600):

  MEYDAN_EMAIL_PRIVATE_KEY={private}
  # or: MEYDAN_EMAIL_PRIVATE_KEY_FILE=/etc/meydan/email.key

Then run `meydan keys seal` once, to seal the addresses stored before.

Keep a copy of the private key somewhere safe and offline: without it, nobody
(not even you) can email the commenters whose addresses were sealed to it.
A web process without it still matches addresses (bans, first comments,
duplicates) by their keyed hash. Giving it to the web processes too
(MEYDAN_MODERATION_SEES_EMAIL=1 shows moderators whole addresses) means a
seized web server gives the addresses away.
"""


class Command(BaseCommand):
    help = "Make the key pair that seals commenters' addresses, seal stored ones, or check."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="print a new key pair and where each half goes")
        seal = sub.add_parser("seal", help="seal the addresses stored before a key was set")
        seal.add_argument("--dry-run", action="store_true", help="count, change nothing")
        sub.add_parser("check", help="say what this process can do with stored addresses")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_generate(self, **options):
        public, private = sealing.generate_pair()
        self.stdout.write(GENERATED.format(public=public, private=private))

    def handle_seal(self, *, dry_run=False, **options):
        try:
            counts = seal_stored(dry_run=dry_run)
        except sealing.CannotOpen as error:
            raise CommandError(str(error)) from error
        verb = "would seal" if dry_run else "sealed"
        for what, count in counts.items():
            self.stdout.write(f"{verb} {count} {what}")

    def handle_check(self, **options):
        if not sealing.sealing_configured():
            self.stdout.write(
                "No MEYDAN_EMAIL_PUBLIC_KEY: new addresses are stored in clear "
                "(with a keyed hash to match them). `meydan keys generate` makes a key pair."
            )
            return
        self.stdout.write("New addresses are sealed to MEYDAN_EMAIL_PUBLIC_KEY.")
        if not sealing.can_open():
            self.stdout.write(
                "This process cannot open them (no private key): as a web process should."
            )
            return
        probe = sealing.seal("probe@example.org")
        try:
            sealing.unseal(probe)
        except sealing.CannotOpen as error:
            raise CommandError(
                "The private key given to this process does not open what the public key "
                f"seals: they are not one pair ({error})."
            ) from error
        self.stdout.write("This process holds the private key and can send mail (a worker).")
