"""Commenters' email addresses, kept so that a copy of the database gives none away.

An address is stored twice, never in clear:

- a keyed hash (`email_hash`), to match an address again: bans, "first comment",
  duplicates, an author's history, subscriptions, "manage my comments";
- a sealed copy (`seal`) to write to: a libsodium sealed box (PyNaCl) to the
  installation's public key. Only the mail worker holds the private key
  (MEYDAN_EMAIL_PRIVATE_KEY or MEYDAN_EMAIL_PRIVATE_KEY_FILE), so a web worker, the
  database and its backups cannot open it. `meydan keys generate` makes the pair.

The stored form carries a masked address too (``a•••@g•••.com``), which is all a
moderator sees unless the operator hands the workspace the private key as well
(MEYDAN_MODERATION_SEES_EMAIL):

    s1|<mask>|<base64 sealed box>     sealed to MEYDAN_EMAIL_PUBLIC_KEY
    p1|<mask>|<address>               no key configured (the embedded default)

Without a public key everything still works, but the address is in the database
in clear (the README says so); `meydan keys seal` seals such rows once a key is set.
"""

import base64
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from meydan.core.privacy import keyed_hash

SEALED = "s1"
PLAIN = "p1"


class CannotOpen(Exception):
    """A sealed address, and no private key in this process."""


def normalise(address: str) -> str:
    return (address or "").strip().lower()


def email_hash(address: str) -> str:
    """The stored form of an address for matching ('' for none): 32 hex digits of an
    HMAC keyed from SECRET_KEY, of the address in lower case."""
    address = normalise(address)
    return keyed_hash("email", address) if address else ""


def is_email_hash(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def mask(address: str) -> str:
    """'aynur@gmail.com' -> 'a•••@g•••.com': enough to tell two addresses apart at a
    glance, not enough to write to."""
    address = (address or "").strip()
    if not address:
        return ""
    local, _, domain = address.rpartition("@")
    if not local:
        return address[:1] + "•••"
    host, dot, tld = domain.rpartition(".")
    if not host:
        host, tld, dot = domain, "", ""
    return f"{local[:1]}•••@{host[:1]}•••{dot}{tld}"


@functools.cache
def _public_key(encoded: str):
    from nacl.public import PublicKey

    try:
        return PublicKey(base64.b64decode(encoded, validate=True))
    except Exception as error:  # binascii.Error, nacl's ValueError/TypeError
        raise ImproperlyConfigured(
            "MEYDAN_EMAIL_PUBLIC_KEY is not a key printed by `meydan keys generate`"
        ) from error


@functools.cache
def _private_key(encoded: str):
    from nacl.public import PrivateKey

    try:
        return PrivateKey(base64.b64decode(encoded, validate=True))
    except Exception as error:
        raise ImproperlyConfigured(
            "MEYDAN_EMAIL_PRIVATE_KEY is not a key printed by `meydan keys generate`"
        ) from error


def private_key_text() -> str:
    """The private key this process was given (variable, or file), or ''."""
    text = settings.MEYDAN_EMAIL_PRIVATE_KEY
    path = settings.MEYDAN_EMAIL_PRIVATE_KEY_FILE
    if not text and path:
        try:
            text = Path(path).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"MEYDAN_EMAIL_PRIVATE_KEY_FILE: cannot read {path}: {error.strerror}"
            ) from error
    return text


def sealing_configured() -> bool:
    """Whether new addresses are sealed (a public key is set)."""
    return bool(settings.MEYDAN_EMAIL_PUBLIC_KEY)


def can_open() -> bool:
    """Whether this process can read sealed addresses (the mail worker can)."""
    return bool(private_key_text())


def seal(address: str) -> str:
    """The stored form of an address to write to ('' for none)."""
    address = (address or "").strip()
    if not address:
        return ""
    shown = mask(address)
    if not sealing_configured():
        return f"{PLAIN}|{shown}|{address}"
    from nacl.public import SealedBox

    box = SealedBox(_public_key(settings.MEYDAN_EMAIL_PUBLIC_KEY)).encrypt(address.encode())
    return f"{SEALED}|{shown}|{base64.b64encode(box).decode()}"


def is_sealed(stored: str) -> bool:
    return (stored or "").startswith(SEALED + "|")


def is_stored(value: str) -> bool:
    """Whether `value` is a stored form (sealed or plain), not a bare address."""
    return (value or "").startswith((SEALED + "|", PLAIN + "|"))


def stored_hash(stored: str) -> str:
    """The keyed hash of a stored form's address, where this process can tell it
    (a plain one, or a sealed one with the key); '' otherwise. Callers that hold the
    row's own hash column should use that instead."""
    return email_hash(unseal_or_empty(stored))


def mask_of(stored: str) -> str:
    """The masked address of a stored form (no key needed)."""
    parts = (stored or "").split("|", 2)
    return parts[1] if len(parts) == 3 else ""


def unseal(stored: str) -> str:
    """The address in a stored form ('' for none). Raises CannotOpen for a sealed
    one in a process without the private key."""
    if not stored:
        return ""
    kind, _, rest = stored.partition("|")
    _shown, _, payload = rest.partition("|")
    if kind == PLAIN:
        return payload
    if kind != SEALED:
        raise CannotOpen("not a stored address")
    key_text = private_key_text()
    if not key_text:
        raise CannotOpen("this process has no MEYDAN_EMAIL_PRIVATE_KEY")
    from nacl.exceptions import CryptoError
    from nacl.public import SealedBox

    try:
        return SealedBox(_private_key(key_text)).decrypt(base64.b64decode(payload)).decode()
    except (CryptoError, ValueError) as error:
        raise CannotOpen("sealed to another key") from error


def unseal_or_empty(stored: str) -> str:
    """The address, or '' where this process cannot open it."""
    try:
        return unseal(stored)
    except CannotOpen:
        return ""


def shown_to_moderators(stored: str) -> str:
    """What the moderation workspace shows of an address: the mask, or the address
    itself where the operator gave the workspace the key (MEYDAN_MODERATION_SEES_EMAIL)."""
    if settings.MEYDAN_MODERATION_SEES_EMAIL:
        address = unseal_or_empty(stored)
        if address:
            return address
    return mask_of(stored)


@dataclass(frozen=True)
class Stored:
    """An address as Meydan keeps it: its keyed hash and its sealed copy. What a
    process that cannot open addresses (a web worker) passes around."""

    hash: str = ""
    sealed: str = ""

    @classmethod
    def of(cls, address: str) -> "Stored":
        return cls(email_hash(address), seal(address))

    def __bool__(self) -> bool:
        return bool(self.hash)

    @property
    def shown(self) -> str:
        return mask_of(self.sealed)


_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+\.[^\s<>\"',;:()\[\]]+")


def masked_in(text: str) -> str:
    """`text` with every address in it masked ("<a•••@g•••.com> unknown")."""
    return _ADDRESS.sub(lambda match: mask(match.group(0)), text)


def without_addresses(data):
    """A copy of JSON-like `data` with every address in its strings masked (a
    provider's profile as allauth keeps it)."""
    if isinstance(data, dict):
        return {key: without_addresses(value) for key, value in data.items()}
    if isinstance(data, list):
        return [without_addresses(value) for value in data]
    if isinstance(data, str) and "@" in data:
        return masked_in(data)
    return data


def generate_pair() -> tuple[str, str]:
    """A new (public, private) key pair, base64."""
    from nacl.public import PrivateKey

    private = PrivateKey.generate()
    encode = base64.b64encode
    return encode(bytes(private.public_key)).decode(), encode(bytes(private)).decode()
