"""The moderation log's hash chain (meydan.moderation.auditchain) and `meydan audit`:
a log edited by hand in the database — a row deleted, a row edited, rows swapped —
fails `meydan audit verify` with exit code 1 at the right entry; an intact log and
one an erase redacted pass."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.moderation import auditchain, services
from meydan.moderation.models import AuditChain, AuditEntry

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def verify(*args) -> tuple[int, str]:
    """(exit code, output) of `meydan audit verify ARGS`."""
    out = StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError as error:
        assert error.returncode == 1, error
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


def tamper(pk: int, **columns) -> None:
    """UPDATE one audit row by hand, as someone with the database would (no ORM)."""
    json_cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sets = ", ".join(
        f'"{name}" = {json_cast if isinstance(value, dict) else "%s"}'
        for name, value in columns.items()
    )
    values = [json.dumps(v) if isinstance(v, dict) else v for v in columns.values()]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {sets} WHERE id = %s", [*values, pk])  # noqa: S608 - names from the test, values as parameters


def remove(pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608 - the model's table


@pytest.fixture
def logged(post, moderator, site):
    """Six entries on `site`'s chain, in order: approve, edit, spam, not_spam, ban, trash."""
    comment = post("The governor's office denied it.", moderate=False)
    comment = comment_services.comment_set_status(
        comment, Comment.Status.PENDING, reason=Reason.other("set up"), channel="moderation"
    )
    services.comment_moderate(comment, "approve", actor=moderator)
    services.comment_moderator_edit(comment, actor=moderator, body="Denied, they said.")
    services.comment_moderate(comment, "spam", actor=moderator)
    services.comment_moderate(comment, "not_spam", actor=moderator)
    services.ban_create(actor=moderator, site=site, kind="ip", value="abc123", reason="flood")
    services.comment_moderate(comment, "trash", actor=moderator, note="off topic")
    entries = list(AuditEntry.objects.filter(site=site).order_by("seq"))
    assert [e.action for e in entries] == ["approve", "edit", "spam", "not_spam", "ban", "trash"]
    return entries


def test_entries_are_chained_in_order(logged, site):
    assert [e.seq for e in logged] == [1, 2, 3, 4, 5, 6]
    assert logged[0].prev_hash == auditchain.GENESIS
    for before, entry in zip(logged, logged[1:], strict=False):
        assert entry.prev_hash == before.entry_hash
    head = AuditChain.objects.get(site=site)
    assert (head.seq, head.head_hash) == (6, logged[-1].entry_hash)


def test_an_intact_log_verifies(logged):
    code, out = verify()
    assert code == 0
    assert f"6 entries intact, head 6:{logged[-1].entry_hash}" in out


def test_a_deleted_row_is_found(logged):
    remove(logged[2].pk)
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 4 (entry id {logged[3].pk}): entry missing: seq 3 not found" in out


def test_the_last_row_deleted_is_found_by_the_chain_head(logged):
    remove(logged[-1].pk)
    code, out = verify()
    assert code == 1
    assert "entry missing: the chain head says seq 6, the last entry is seq 5" in out


def test_a_truncated_tail_with_its_head_rewritten_needs_the_published_head(logged, site):
    """Someone with the database deletes the last entry and moves the head back: only
    a head written down earlier shows it (docs/audit-log.md)."""
    out = StringIO()
    call_command("audit", "head", "--site", site.slug, stdout=out)
    published = out.getvalue().split()[-1]
    assert published == f"6:{logged[-1].entry_hash}"
    remove(logged[-1].pk)
    AuditChain.objects.filter(site=site).update(seq=5, head_hash=logged[-2].entry_hash)
    assert verify()[0] == 0
    code, out = verify("--site", site.slug, "--expect", published)
    assert code == 1
    assert "entry missing: seq 6 of the published head is not in the log" in out


def test_the_published_head_of_an_intact_log_matches(logged, site):
    assert verify("--site", site.slug, "--expect", f"6:{logged[-1].entry_hash}")[0] == 0
    assert verify("--site", site.slug, "--expect", f"6:{'0' * 64}")[0] == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [("note", "nothing to see"), ("after", {"status": "approved"}), ("action", "approve")],
)
def test_an_edited_row_is_found(logged, column, value):
    target = logged[4] if column == "note" else logged[2]
    tamper(target.pk, **{column: value})
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq {target.seq} (entry id {target.pk}): content edited" in out


def test_an_edited_comment_text_in_a_snapshot_is_found(logged):
    edit = logged[1]
    after = dict(edit.after, body="Something the moderator never wrote.")
    tamper(edit.pk, after=after)
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 2 (entry id {edit.pk}): content edited: after.body" in out


def test_rows_swapped_by_seq_are_found(logged):
    """Two entries exchange their places in the chain (seq and time)."""
    a, b = logged[1], logged[2]
    tamper(a.pk, seq=-1)
    tamper(b.pk, seq=a.seq, created=a.created)
    tamper(a.pk, seq=b.seq, created=b.created)
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 2 (entry id {b.pk}): order changed: it was written after the " in out
    assert "entry now at seq 3" in out


def test_rows_swapped_by_content_are_found(logged):
    """Two entries exchange what they say, keeping their places and hashes."""
    a, b = logged[2], logged[3]
    for row, other in ((a, b), (b, a)):
        tamper(row.pk, action=other.action, before=other.before, after=other.after)
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 3 (entry id {a.pk}): content edited" in out


def test_a_row_rehashed_alone_breaks_the_next_link(logged):
    """Editing an entry and recomputing its own hashes is not enough: the next entry
    still names the old hash."""
    target = AuditEntry.objects.get(pk=logged[2].pk)
    target.note = "rewritten"
    auditchain.entry_seal(target, seq=target.seq, prev_hash=target.prev_hash)
    AuditEntry.objects.filter(pk=target.pk).update(
        note=target.note,
        content_hash=target.content_hash,
        entry_hash=target.entry_hash,
        seals=target.seals,
        openings=target.openings,
    )
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 4 (entry id {logged[3].pk}): hash mismatch" in out


def test_redacted_by_an_erase_the_log_still_verifies(post, moderator, site):
    comment = post("Secret words", email="source@example.org", moderate=False)
    services.comment_moderator_edit(comment, actor=moderator, body="Secret words, edited")
    services.comment_moderate(comment, "unapprove", actor=moderator)
    services.comment_delete_forever(comment, actor=moderator)
    entries = list(AuditEntry.objects.filter(site=site).order_by("seq"))
    assert [e.action for e in entries] == ["edit", "unapprove", "delete"]
    stored = json.dumps([[e.before, e.after, e.seals, e.openings] for e in entries])
    assert "Secret" not in stored and "source@" not in stored
    assert [e.redacted is not None for e in entries] == [True, True, False]
    assert entries[0].openings == {} and set(entries[0].seals) >= {"before.body", "after.body"}
    code, out = verify()
    assert code == 0
    assert "3 entries intact" in out
    assert "2 redacted by an erase (their text and author cannot be checked): ids " in out


def test_an_erase_that_keeps_the_text_redacts_only_the_author(post, moderator, site):
    comment = post("Words that stay", name="Leyla", moderate=False)
    services.comment_moderate(comment, "unapprove", actor=moderator)
    comment_services.comment_erase(
        comment, reason=Reason.other("left"), channel="self-service", keep_text=True
    )
    entry = AuditEntry.objects.get(action="unapprove")
    assert entry.redacted is not None and entry.before["body"] == "Words that stay"
    assert "author_name" not in entry.before and set(entry.openings) == {
        "before.body",
        "after.body",
    }
    assert verify()[0] == 0
    # What the erase left can still be checked.
    before = dict(entry.before, body="Other words")
    tamper(entry.pk, before=before)
    code, out = verify()
    assert code == 1 and "content edited: before.body" in out


def test_a_redaction_cannot_hide_an_edit(logged):
    """Stamping an entry redacted lets nothing but a comment's text and author go:
    the action, the note, the statuses are still checked."""
    target = logged[4]  # the ban, with a note
    tamper(target.pk, redacted=target.created, note="")
    code, out = verify()
    assert code == 1
    assert f"BROKEN at seq 5 (entry id {target.pk}): content edited" in out


def test_removing_text_without_a_redaction_is_found(logged):
    edit = logged[1]
    after = {k: v for k, v in edit.after.items() if k != "body"}
    tamper(edit.pk, after=after)
    code, out = verify()
    assert code == 1 and "after.body removed without a redaction" in out


def test_entries_without_a_site_form_their_own_chain(logged, site):
    services.audit_record(actor=None, action="import", note="no site")
    services.audit_record(actor=None, action="import", note="no site again")
    loose = list(AuditEntry.objects.filter(site__isnull=True).order_by("seq"))
    assert [e.seq for e in loose] == [1, 2]
    code, out = verify()
    assert code == 0 and "(no site) [-]: 2 entries intact" in out
    tamper(loose[1].pk, note="x")
    code, out = verify()
    assert code == 1 and f"(no site) [-]: BROKEN at seq 2 (entry id {loose[1].pk})" in out
    assert "6 entries intact" in out  # the site's chain is still fine


def test_an_account_deleted_keeps_the_chain(logged, moderator):
    moderator.delete()
    assert AuditEntry.objects.filter(actor__isnull=True, actor_ref__isnull=False).count() == 6
    assert verify()[0] == 0


def test_the_command_refuses_bad_arguments(logged):
    """Exit code 2, not 1: a question it cannot answer is not a broken log."""
    cases = [
        (["--site", "nowhere"], "No site"),
        (["--site", "caspian-ledger", "--expect", "six"], "SEQ:HASH"),
        (["--expect", f"1:{'a' * 64}"], "needs --site"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message) as raised:
            call_command("audit", "verify", *args, stdout=StringIO())
        assert raised.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_moderators_acting_at_once_do_not_fork_the_chain(site, make_user):
    """PostgreSQL: two moderators write entries at the same moment, each in its own
    transaction on its own connection; the chain stays one line."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writer at a time)")
    moderators = [make_user(f"mod{n}", staff=True, moderates=[site]) for n in range(2)]
    start, errors, rounds = threading.Barrier(2), [], 15

    def act(actor):
        try:
            start.wait(10)
            for n in range(rounds):
                with transaction.atomic():
                    services.audit_record(actor=actor, action="ban", site=site, note=str(n))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=act, args=(m,)) for m in moderators]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    seqs = sorted(AuditEntry.objects.filter(site=site).values_list("seq", flat=True))
    assert seqs == list(range(1, 2 * rounds + 1))
    code, out = verify()
    assert code == 0, out


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_entries_written_before(site, make_user, monkeypatch):
    """Entries from before the chain get one, per site, oldest first by time then id,
    in batches; an erase's earlier scrubbing is kept as it is; the log then verifies
    and new entries follow on."""
    import importlib
    from datetime import timedelta

    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    backfill = importlib.import_module("meydan.moderation.migrations.0005_audit_chain_backfill")
    monkeypatch.setattr(backfill, "BATCH", 3)  # several batches from a few rows
    moderator = make_user("old-editor", staff=True, moderates=[site])
    before_chain = [("moderation", "0003_email_bans_hashed")]
    executor = MigrationExecutor(connection)
    executor.migrate(before_chain)
    try:
        old = executor.loader.project_state(before_chain).apps.get_model("moderation", "AuditEntry")
        start = timezone.now() - timedelta(days=30)
        rows = [
            # (minutes after start, site, action, before, after)
            (5, site.pk, "approve", {"status": "pending", "body": "Old"}, {"status": "approved"}),
            (1, site.pk, "spam", {"status": "approved"}, {"status": "spam"}),
            (5, site.pk, "trash", {"status": "spam", "erased": True}, {"status": "trash"}),
            (2, None, "import", {}, {}),
            (9, site.pk, "ban", {}, {"kind": "ip", "value": "x"}),
            (3, site.pk, "edit", {"body": "a", "author_name": "N"}, {"body": "b"}),
            (4, None, "import undo", {}, {}),
        ]
        made = [
            old.objects.create(
                actor_id=moderator.pk, site_id=s, action=a, before=b, after=af, note="old"
            )
            for (_, s, a, b, af) in rows
        ]
        for entry, (minutes, *_) in zip(made, rows, strict=True):
            old.objects.filter(pk=entry.pk).update(created=start + timedelta(minutes=minutes))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    chained = list(AuditEntry.objects.filter(site=site).order_by("seq"))
    assert [(e.seq, e.action) for e in chained] == [
        (1, "spam"), (2, "edit"), (3, "approve"), (4, "trash"), (5, "ban"),
    ]  # fmt: skip
    assert [e.seq for e in AuditEntry.objects.filter(site=None).order_by("created")] == [1, 2]
    assert all(e.actor_ref == moderator.pk and e.redacted is None for e in chained)
    assert set(chained[1].seals) == {"before.body", "before.author_name", "after.body"}
    assert verify()[0] == 0
    services.audit_record(actor=moderator, action="ban", site=site)
    assert AuditEntry.objects.filter(site=site).order_by("seq").last().seq == 6
    code, out = verify()
    assert code == 0 and "6 entries intact" in out


def test_the_log_page_shows_the_head_and_what_was_redacted(mod_client, post, moderator, site):
    comment = post("Secret words", moderate=False)
    services.comment_moderate(comment, "unapprove", actor=moderator)
    services.comment_delete_forever(comment, actor=moderator)
    seq, digest = auditchain.chain_head(site.pk)
    assert seq == 2
    page = mod_client.get("/moderation/log/").content.decode()
    assert f"{seq}:{digest}" in page and "meydan audit verify" in page
    assert page.count("(redacted)") == 1  # the unapprove; the delete was written without it
    assert "Secret words" not in page


def test_a_lost_head_row_is_reported_and_the_chain_goes_on(logged, site, moderator):
    AuditChain.objects.filter(site=site).delete()
    code, out = verify()
    assert code == 1 and "the chain's head row is gone" in out
    # Moderation does not stop: the next entry follows the last one.
    services.ban_create(actor=moderator, site=site, kind="ip", value="def456")
    assert AuditEntry.objects.filter(site=site).order_by("seq").last().seq == 7
    assert verify()[0] == 0


def test_a_row_inserted_outside_the_chain_is_found(logged, site):
    forged = AuditEntry.objects.create(site=site, action="approve", note="added by hand")
    code, out = verify()
    assert code == 1
    assert f"BROKEN at no seq (entry id {forged.pk}): entry outside the chain" in out
