"""Privacy helpers: we keep client IPs only as keyed hashes, under keys that rotate.

A plain hash of an IPv4 address is reversible by brute force (2^32 tries), so an
address is hashed with an HMAC. Its key is derived from two secrets: a HashKey row
(core.models: 32 random bytes) and SECRET_KEY. A copy of the database alone cannot
brute-force a hash, and neither can SECRET_KEY alone.

Keys rotate every MEYDAN_IP_KEY_DAYS (30 by default). The current key is the newest
one younger than that. The next one is made when a hash is needed and the current
one has grown too old. Ids count up, so two processes rotating at once both try to
insert the same id, and one of them adopts the other's key. `meydan purge`
(meydan.privacy.purge) deletes a key once nothing needs it: it must be older than
the rotation period plus the longest retention of any site (Site.ip_hash_days),
so no comment still holds a hash made under it, and no unexpired IP ban may name
it. A permanent IP ban keeps its key for as long as the ban exists. Once a key
is deleted, the hashes made under it can never again be linked to an address or
to a newer hash, not even by someone who has SECRET_KEY.

A stored hash names its key: "<key id>.<32 hex>" (at most 43 characters, within
Comment.ip_hash's 64). So a ban made from a comment's hash ("ban this comment's
IP") says which key it needs, and `ip_hashes` gives an address's hash under every
key still kept: the ban check matches a ban made before a rotation until the ban
expires.

What a rotation changes for the code that uses the hashes:
- per-IP rate-limit windows (moderation.checks.rate_limit counts by `ip_hash`)
  start again from zero at a rotation: one reader gets one fresh window a month;
- the duplicate check and the moderators' "same author" grouping (by IP, for
  guests without an email) see one address as two across a rotation;
- bans and moderation words match under every kept key (`ip_hashes`).

The legacy key: hashes stored before keys rotated are plain 32-hex values keyed by
SECRET_KEY alone (`legacy_ip_hash`). The core migration that brought HashKey kept a
legacy row (id 0) when the database held any such value. While that row exists,
`ip_hashes` includes the legacy hash, so bans made before the upgrade keep
matching. The purge deletes the row as it deletes any key, once the rotation period
plus the longest ip_hash_days have passed since the upgrade (the comments' legacy
hashes are then gone) and the last legacy IP ban has expired. From then on the
legacy derivation is no longer used. A permanent legacy IP ban keeps it in use.

Each process keeps the keys it read for KEYS_SECONDS, and never past the moment
the current key grows too old. So every worker switches to the next key at the
same moment: the first one to need it makes it and the others find it. A key the
purge deletes is forgotten by the other processes within KEYS_SECONDS. One edge
case: if a key is made inside a caller's transaction that then rolls back, this
process keeps hashing under a key no other process knows, for up to KEYS_SECONDS.
Hashing happens outside transactions on the posting path, and keys are made once
a month.
"""

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

# How long a process trusts the keys it read (never past the current key's period).
KEYS_SECONDS = 600
HEX_DIGITS = 32


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"meydan:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """Hex HMAC-SHA256 of `value` under a key for `purpose`; `length` hex digits.

    The key is derived from SECRET_KEY alone and never rotates: use it for values
    that are not kept, or that must stay comparable for as long as they are kept.
    Client addresses that are stored go through `ip_hash`."""
    digest = hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()
    return digest[:length]


def legacy_ip_hash(ip: str) -> str:
    """An address's hash as stored before keys rotated (the legacy key, id 0)."""
    return keyed_hash("ip", ip, HEX_DIGITS)


@dataclass(frozen=True)
class _Key:
    id: int
    hmac_key: bytes | None  # None: the legacy key

    def hash(self, ip: str) -> str:
        if self.hmac_key is None:
            return legacy_ip_hash(ip)
        digest = hmac.new(self.hmac_key, ip.encode(), hashlib.sha256).hexdigest()
        return f"{self.id}.{digest[:HEX_DIGITS]}"


@dataclass(frozen=True)
class _Keys:
    current: _Key
    kept: tuple[_Key, ...]  # the current key first, then older ones, the legacy key last
    until: float  # time.monotonic() at which the keys are read again
    secret_key: str  # the SECRET_KEY the HMAC keys were derived under


_keys: _Keys | None = None


def ip_hash(ip: str | None) -> str:
    """The stored form of a client address under the current key, "<key id>.<hex>"
    ('' when unknown)."""
    if not ip:
        return ""
    return _read_keys().current.hash(ip)


def ip_hashes(ip: str | None) -> list[str]:
    """The address's hash under every key still kept, the current key's first ([]
    when unknown): what a stored hash of this address can be."""
    if not ip:
        return []
    return [key.hash(ip) for key in _read_keys().kept]


def ip_key_named(value: str) -> int | None:
    """The id of the key a stored IP hash was made under: the number before the dot,
    LEGACY_KEY (0) for a plain 32-hex value, None for anything else."""
    head, dot, tail = value.partition(".")
    if not dot:
        head, tail = "0", value
    if not (head.isascii() and head.isdigit()) or len(tail) != HEX_DIGITS:
        return None
    try:
        bytes.fromhex(tail)
    except ValueError:
        return None
    return int(head)


def ip_keys_forget() -> None:
    """Read the keys again at the next hash (after the purge deleted some, in tests)."""
    global _keys
    _keys = None


def _read_keys() -> _Keys:
    keys = _keys
    if keys is None or time.monotonic() >= keys.until or keys.secret_key != settings.SECRET_KEY:
        keys = _load()
    return keys


def _load() -> _Keys:
    """Read every kept key; make the next one when the newest is too old."""
    global _keys
    from meydan.core.models import LEGACY_KEY, HashKey

    rows = list(HashKey.objects.order_by("-id"))
    now = timezone.now()
    period = timedelta(days=settings.MEYDAN_IP_KEY_DAYS)
    newest = next((row for row in rows if row.id != LEGACY_KEY), None)
    if newest is None or newest.created <= now - period:
        newest = _rotate(after=newest)
        rows = [newest, *(row for row in rows if row.id != newest.id)]
    base = _key("ip")
    kept = tuple(
        _Key(
            row.id,
            None
            if row.id == LEGACY_KEY
            else hmac.new(base, bytes.fromhex(row.secret), hashlib.sha256).digest(),
        )
        for row in rows
    )
    current = next(key for key in kept if key.id == newest.id)
    left = (newest.created + period - now).total_seconds()
    _keys = _Keys(
        current=current,
        kept=(current, *(key for key in kept if key is not current)),
        until=time.monotonic() + max(0.0, min(KEYS_SECONDS, left)),
        secret_key=settings.SECRET_KEY,
    )
    return _keys


def _rotate(*, after):
    """Make the key that follows `after` (None: the first), or, when another process
    made it a moment ago, take theirs: the id is the primary key, so only one insert
    of it succeeds (on SQLite and PostgreSQL alike)."""
    from meydan.core.models import LEGACY_KEY, HashKey

    next_id = (after.id if after is not None else LEGACY_KEY) + 1
    try:
        # A savepoint: losing the race leaves the caller's transaction usable.
        with transaction.atomic():
            return HashKey.objects.create(
                id=next_id, secret=secrets.token_hex(32), created=timezone.now()
            )
    except IntegrityError:
        return HashKey.objects.get(id=next_id)


def client_ip(request) -> str | None:
    """The client's address, trusting X-Forwarded-For only through configured proxies.

    With MEYDAN_TRUSTED_PROXIES = N, the N right-most X-Forwarded-For entries were
    appended by our own proxies, so the client is the entry just left of them; any
    entries further left were written by the client and are ignored.
    """
    trusted = settings.MEYDAN_TRUSTED_PROXIES
    candidate = request.META.get("REMOTE_ADDR")
    if trusted:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted:
            candidate = forwarded[-trusted]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None
