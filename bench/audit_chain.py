"""What the moderation log's hash chain costs (meydan/moderation/auditchain.py).

    .venv/bin/python bench/audit_chain.py [--actions 300] [--rounds 5] [--entries 100000]

1. A moderation action (comment_moderate: approve, then unapprove, … on one
   comment, each its own transaction with the audit entry in it), in ms, with the
   chained writer and with the plain INSERT it replaced; the best of --rounds,
   the two interleaved (the machine is shared).
2. `meydan audit verify` of one site's chain of --entries entries (loaded in bulk),
   and the migration's backfill of as many unchained entries.

On a scratch SQLite database (WAL, as shipped) in a temporary directory, or, with
DATABASE_URL=postgres://…, on a scratch database created next to the one named
there (and dropped afterwards).
"""

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from scratch import ORIGIN, SITE, scratch_meydan  # noqa: E402 - beside this script


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_meydan("audit-chain"):
        return run(args)


def run(args) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from meydan.comments import services as comments
    from meydan.moderation import auditchain, services
    from meydan.moderation.models import AuditChain, AuditEntry
    from meydan.sites.models import Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(name="Bench", slug=SITE, domain="127.0.0.1", origins=ORIGIN)
    editor = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    thread = comments.thread_get_or_create(site=site, key="/article", title="A")
    comment = comments.comment_post(
        thread=thread,
        author=comments.Author(name="Seed", email="seed@example.org"),
        body="A comment moderated again and again.",
        moderate=False,
        channel="command",
    ).comment

    chained = auditchain.entry_append

    def plain(entry):  # what moderation.services wrote before the chain
        entry.save(force_insert=True)
        return entry

    def per_action_ms(writer) -> float:
        nonlocal comment
        services.auditchain.entry_append = writer
        started = time.perf_counter()
        for n in range(args.actions):
            action = "unapprove" if n % 2 == 0 else "approve"
            comment = services.comment_moderate(comment, action, actor=editor)
        return (time.perf_counter() - started) / args.actions * 1000

    best = {"plain": float("inf"), "chained": float("inf")}
    for _ in range(args.rounds):
        for name, writer in (("plain", plain), ("chained", chained)):
            best[name] = min(best[name], per_action_ms(writer))
    services.auditchain.entry_append = chained
    vendor = connection.vendor
    print(f"database: {vendor}")
    print(
        f"moderation action (comment_moderate, best of {args.rounds} x {args.actions}): "
        f"plain insert {best['plain']:.2f} ms, chained {best['chained']:.2f} ms "
        f"(+{best['chained'] - best['plain']:.2f} ms)"
    )

    # A long chain on a second site, loaded in bulk (hashes computed as entry_append does).
    big = Site.objects.create(name="Big", slug="big", domain="big.example", origins="")
    started = time.perf_counter()
    head, batch = auditchain.GENESIS, []
    for seq in range(1, args.entries + 1):
        entry = AuditEntry(
            actor=editor, site=big, comment_ref=seq, action="approve", note="bulk",
            before={"status": "pending", "body": f"Comment {seq}", "author_name": "A"},
            after={"status": "approved", "body": f"Comment {seq}", "author_name": "A"},
        )  # fmt: skip
        auditchain.entry_seal(entry, seq=seq, prev_hash=head)
        head = entry.entry_hash
        batch.append(entry)
        if len(batch) == 5000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)
    AuditChain.objects.create(key=auditchain.chain_key(big.pk), site=big, seq=seq, head_hash=head)
    print(f"loaded {args.entries} chained entries in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    report = auditchain.chain_verify(big.pk)
    took = time.perf_counter() - started
    if report.broken is not None or report.entries != args.entries:
        print(f"verify failed: {report}")
        return 1
    print(f"verify {args.entries} entries: {took:.1f} s ({args.entries / took:,.0f} entries/s)")

    # The migration's backfill, on the same rows unchained.
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("meydan.moderation.migrations.0005_audit_chain_backfill")
    AuditEntry.objects.filter(site=big).update(
        seq=None, prev_hash="", content_hash="", entry_hash="", seals={}, openings={}
    )
    AuditChain.objects.filter(site=big).delete()
    AuditEntry.objects.exclude(site=big).delete()  # half chained by part 1: not a real log
    started = time.perf_counter()
    backfill.backfill(apps, None)
    took = time.perf_counter() - started
    if auditchain.chain_verify(big.pk).broken is not None:
        print("backfill left a broken chain")
        return 1
    print(f"backfill {args.entries} entries: {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
