"""The moderation log as a hash chain: an entry deleted, edited or moved shows.

Each site's audit entries (and, apart, those with no site) form one chain. Entry
number `seq` (1, 2, 3, … with no gaps) stores

    content_hash = SHA-256(canonical JSON of what it says: actor, site, comment,
                   action, note, time, seq, the snapshots before and after)
    entry_hash   = SHA-256(prev_hash ":" content_hash ":" seq)
    prev_hash    = the entry_hash of entry seq - 1 (64 zeros for the first)

and AuditChain keeps each chain's head (last seq and its entry_hash). Appending
locks that head row in the transaction of the moderation action itself, so two
moderators acting at once queue up instead of forking the chain; the unique
(site, seq) constraint is the backstop. `chain_verify` walks a chain again and
names the first entry that does not add up.

An erase for privacy must remove a comment's text and author from the log
without breaking the chain. So the values an erase may remove (`SEALED_KEYS` of a
snapshot) do not go into the content hash themselves: each goes in as a
commitment, SHA-256(random opening, key, value). The commitments are stored with
the entry (`seals`, hashed with it); the openings apart (`openings`, not hashed).
A redaction drops the value and its opening, stamps `redacted`, and leaves the
commitment: the entry's hash still holds, everything else in it (who, what,
when, statuses, note) can still be checked, and what was erased cannot be
guessed back from the commitment (its opening is gone). What a redaction can
hide is therefore only ever a comment's text or author, and `verify` counts the
entries it happened to. See docs/audit-log.md.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from meydan.moderation.models import AuditChain, AuditEntry

GENESIS = "0" * 64
# The snapshot keys that name a comment's author or quote its text: the only ones
# an erase may take out of the log (moderation.erasure uses the same lists).
AUTHOR_KEYS = ("author_name", "author_email", "author_url")
TEXT_KEYS = ("body",)
SEALED_KEYS = AUTHOR_KEYS + TEXT_KEYS
# What moderation.erasure leaves in a snapshot it scrubbed.
ERASED_MARK = "erased"
SNAPSHOTS = ("before", "after")


def chain_key(site_id: int | None) -> str:
    return f"site:{site_id}" if site_id is not None else "none"


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def commitment(opening: str, key: str, value) -> str:
    return hashlib.sha256(
        opening.encode() + b"\0" + key.encode() + b"\0" + _canonical(value)
    ).hexdigest()


def seal(before: dict, after: dict) -> tuple[dict, dict]:
    """(seals, openings) for the sealed values of a new entry's snapshots."""
    seals, openings = {}, {}
    for name, snapshot in zip(SNAPSHOTS, (before, after), strict=True):
        if not isinstance(snapshot, dict):
            continue
        for key in SEALED_KEYS:
            if key in snapshot:
                path = f"{name}.{key}"
                openings[path] = secrets.token_hex(16)
                seals[path] = commitment(openings[path], path, snapshot[key])
    return seals, openings


def _public(name: str, snapshot, seals: dict, redacted: bool):
    """What of a snapshot goes into the content hash as it is (not sealed)."""
    if not isinstance(snapshot, dict):
        return snapshot
    public = {k: v for k, v in snapshot.items() if k not in SEALED_KEYS}
    if redacted and any(path.startswith(f"{name}.") for path in seals):
        # moderation.erasure marks a snapshot it scrubbed; the mark is not content.
        public.pop(ERASED_MARK, None)
    return public


def content_hash(entry: AuditEntry) -> str:
    redacted = entry.redacted is not None
    seals = entry.seals or {}
    content = {
        "actor": entry.actor_ref,
        "site": entry.site_id,
        "comment": entry.comment_ref,
        "action": entry.action,
        "note": entry.note,
        "created": _timestamp(entry.created),
        "seq": entry.seq,
        "before": _public("before", entry.before, seals, redacted),
        "after": _public("after", entry.after, seals, redacted),
        "seals": seals,
    }
    return hashlib.sha256(_canonical(content)).hexdigest()


def entry_hash(prev_hash: str, content: str, seq: int) -> str:
    return hashlib.sha256(f"{prev_hash}:{content}:{seq}".encode()).hexdigest()


def entry_seal(entry: AuditEntry, *, seq: int, prev_hash: str) -> None:
    """Fill a new entry's chain fields (the caller saves it)."""
    entry.seq, entry.prev_hash = seq, prev_hash
    if entry.actor_ref is None:
        entry.actor_ref = entry.actor_id
    entry.seals, entry.openings = seal(entry.before, entry.after)
    entry.content_hash = content_hash(entry)
    entry.entry_hash = entry_hash(prev_hash, entry.content_hash, seq)


def _entries(site_id: int | None):
    if site_id is None:
        return AuditEntry.objects.filter(site__isnull=True)
    return AuditEntry.objects.filter(site_id=site_id)


def _head_locked(site) -> AuditChain:
    key = chain_key(site.pk if site is not None else None)
    head = AuditChain.objects.select_for_update().filter(key=key).first()
    if head is None:
        # A chain's first entry; or its head row went missing, and the chain goes on
        # from its last entry rather than clash with it (verify reports the loss).
        last = (
            _entries(site.pk if site is not None else None)
            .filter(seq__isnull=False)
            .order_by("-seq")
            .values_list("seq", "entry_hash")
            .first()
        )
        seq, digest = last or (0, GENESIS)
        try:
            with transaction.atomic():
                AuditChain.objects.create(key=key, site=site, seq=seq, head_hash=digest)
        except IntegrityError:
            pass  # another action made it first; lock theirs
        head = AuditChain.objects.select_for_update().get(key=key)
    return head


def entry_append(entry: AuditEntry) -> AuditEntry:
    """Save a new entry at the end of its site's chain, in the caller's transaction
    (or its own): the head stays locked until the moderation action commits, so the
    entry's place in the chain and the action stand or fall together. Every entry
    must be written through here (moderation.services.audit_record): a row created
    otherwise has no place in the chain, and verify says so."""
    with transaction.atomic(savepoint=False):  # no savepoint: a failure undoes the action
        head = _head_locked(entry.site)
        # Timed once in line (on one server, times then follow seq).
        entry.created = timezone.now()
        entry_seal(entry, seq=head.seq + 1, prev_hash=head.head_hash)
        entry.save(force_insert=True)
        head.seq, head.head_hash = entry.seq, entry.entry_hash
        head.save(update_fields=["seq", "head_hash"])
    return entry


def entry_redact(entry: AuditEntry, keys: tuple[str, ...]) -> bool:
    """Take the sealed `keys` (a subset of SEALED_KEYS) out of an entry's snapshots,
    keep their commitments, forget their openings and stamp the entry redacted.
    The caller holds the row (select_for_update). Returns whether anything changed."""
    changed = False
    openings = dict(entry.openings or {})
    snapshots = {}
    for name in SNAPSHOTS:
        snapshot = getattr(entry, name)
        if isinstance(snapshot, dict) and any(key in snapshot for key in keys):
            kept = {k: v for k, v in snapshot.items() if k not in keys}
            snapshots[name] = kept | {ERASED_MARK: True}
            changed = True
        for key in keys:
            openings.pop(f"{name}.{key}", None)
    if not changed:
        return False
    for name, snapshot in snapshots.items():
        setattr(entry, name, snapshot)
    entry.openings = openings
    entry.redacted = entry.redacted or timezone.now()
    entry.save(update_fields=["before", "after", "openings", "redacted"])
    return True


# Verifying ------------------------------------------------------------------


@dataclass
class Break:
    """The first entry of a chain that does not add up."""

    chain: str
    seq: int | None
    entry_id: int | None
    problems: list[str]


@dataclass
class ChainReport:
    chain: str
    site_id: int | None
    entries: int = 0
    redacted: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    redacted_ids: list[int] = field(default_factory=list)
    broken: Break | None = None


def _seal_problems(entry: AuditEntry) -> list[str]:
    """The sealed values still present must match their commitments; a value may be
    missing only from a redacted entry whose opening is gone too."""
    problems = []
    seals, openings = entry.seals or {}, entry.openings or {}
    for name in SNAPSHOTS:
        snapshot = getattr(entry, name)
        if not isinstance(snapshot, dict):
            continue
        for key in SEALED_KEYS:
            path = f"{name}.{key}"
            if key in snapshot:
                opening = openings.get(path)
                if path not in seals or opening is None:
                    problems.append(f"content edited: {path} was not in the entry")
                elif commitment(opening, path, snapshot[key]) != seals[path]:
                    problems.append(f"content edited: {path}")
            elif path in seals and (entry.redacted is None or path in openings):
                problems.append(f"entry missing content: {path} removed without a redaction")
    return problems


def _problems(entry: AuditEntry, prev: AuditEntry | None, site_id) -> list[str]:
    expected_seq = prev.seq + 1 if prev is not None else 1
    expected_prev = prev.entry_hash if prev is not None else GENESIS
    problems = []
    if entry.seq != expected_seq:
        problems.append(
            f"entry missing: seq {expected_seq}"
            + (f" to {entry.seq - 1}" if entry.seq - 1 > expected_seq else "")
            + " not found"
        )
    if entry.prev_hash != expected_prev:
        moved = (
            _entries(site_id)
            .filter(entry_hash=entry.prev_hash)
            .exclude(pk=entry.pk)
            .values_list("seq", flat=True)
            .first()
        )
        if moved is not None:
            problems.append(f"order changed: it was written after the entry now at seq {moved}")
        elif entry.seq == expected_seq:
            problems.append("hash mismatch: it does not link to the entry before")
    # Times are not compared: `seq` is the order, and servers' clocks may differ a
    # little (a time edited by hand changes the content hash anyway).
    if content_hash(entry) != entry.content_hash:
        problems.append("content edited: its content hash does not match")
    problems += _seal_problems(entry)
    if entry_hash(entry.prev_hash, entry.content_hash, entry.seq) != entry.entry_hash:
        problems.append("hash mismatch: entry hash")
    if entry.comment_id is not None and entry.comment_id != entry.comment_ref:
        problems.append("content edited: comment")
    return problems


def chain_verify(site_id: int | None, *, batch: int = 2000) -> ChainReport:
    """Walk one chain in seq order; stop at the first broken entry."""
    report = ChainReport(chain=chain_key(site_id), site_id=site_id)
    entries = _entries(site_id).order_by("seq")
    prev = None
    for entry in entries.iterator(chunk_size=batch):
        if entry.seq is None:
            report.broken = Break(report.chain, None, entry.pk, ["entry outside the chain"])
            return report
        problems = _problems(entry, prev, site_id)
        if problems:
            report.broken = Break(report.chain, entry.seq, entry.pk, problems)
            return report
        report.entries += 1
        if entry.redacted is not None:
            report.redacted += 1
            report.redacted_ids.append(entry.pk)
        prev = entry
    report.head_seq = prev.seq if prev else 0
    report.head_hash = prev.entry_hash if prev else GENESIS
    head = AuditChain.objects.filter(key=report.chain).first()
    if head is None and report.entries:
        report.broken = Break(
            report.chain, None, None, ["entry missing: the chain's head row is gone"]
        )
    elif head is not None and (head.seq, head.head_hash) != (report.head_seq, report.head_hash):
        problem = (
            f"entry missing: the chain head says seq {head.seq}, the last entry is "
            f"seq {report.head_seq}"
            if head.seq > report.head_seq
            else "hash mismatch: the chain head does not match the last entry"
        )
        report.broken = Break(report.chain, head.seq, None, [problem])
    return report


def chains() -> list[int | None]:
    """The site ids of every chain, entries or head (None: the entries with no site)."""
    ids = set(AuditEntry.objects.values_list("site_id", flat=True).distinct())
    ids |= {
        None if key == "none" else int(key.split(":", 1)[1])
        for key in AuditChain.objects.values_list("key", flat=True)
    }
    return sorted(ids, key=lambda i: (i is None, i or 0))


def chain_head(site_id: int | None) -> tuple[int, str]:
    head = AuditChain.objects.filter(key=chain_key(site_id)).first()
    return (head.seq, head.head_hash) if head else (0, GENESIS)


def head_before(site_id: int | None, moment: datetime) -> tuple[int, str]:
    """(seq, hash) of the last entry of the chain written before `moment`, (0, GENESIS)
    when there is none: the head a transparency report publishes for its month."""
    row = (
        _entries(site_id)
        .filter(created__lt=moment)
        .order_by("-seq")
        .values_list("seq", "entry_hash")
        .first()
    )
    return tuple(row) if row else (0, GENESIS)


def chain_heads(sites) -> list[tuple]:
    """(site, seq, hash) of each of `sites`' chains, for the log page."""
    heads = {
        site_id: (seq, digest)
        for site_id, seq, digest in AuditChain.objects.filter(site__in=sites).values_list(
            "site_id", "seq", "head_hash"
        )
    }
    return [(site, *heads.get(site.pk, (0, GENESIS))) for site in sites]


def published_head_check(site_id: int | None, seq: int, digest: str) -> str | None:
    """Compare a head written down earlier with the chain: None when the entry `seq`
    still carries `digest`, else what is wrong (truncated or rewritten)."""
    row = _entries(site_id).filter(seq=seq).first()
    if row is None:
        return f"entry missing: seq {seq} of the published head is not in the log"
    if row.entry_hash != digest.lower():
        return f"hash mismatch: seq {seq} does not carry the published hash"
    return None
