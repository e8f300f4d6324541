"""The proof-of-work challenge behind the `pow` check: issue, price and verify.

ALTCHA's scheme (the `altcha` package, protocol v1), with no third party: the server
picks a secret number n in [0, max_number], and sends SHA-256(salt + n) (the
challenge), the salt and an HMAC of the challenge. The reader's browser tries every
number from 0 until the hash matches — max_number / 2 hashes on average — and sends
back the number with the rest (a base64 JSON "payload"). Checking it is one hash and
one HMAC, and needs no storage: what was issued is in the salt, and the signature
covers it.

- The HMAC key is derived from SECRET_KEY (core.privacy.keyed_hash), for this
  purpose only.
- The salt carries the expiry (MEYDAN_POW_EXPIRES), the site's key, the thread's
  page key and the difficulty issued; verify() refuses another site or page.
- A payload is good once: its signature is remembered in the cache until the
  challenge expires (`payload_spend`), so a replay is refused.
- The difficulty (max_number) starts at MEYDAN_POW_DIFFICULTY and rises under a
  flood: challenges asked for and comments posted are counted per minute (two fixed
  windows, as core.ratelimit does) per address (a keyed hash, never stored), per
  thread and per site. For each scope the rate over its threshold
  (MEYDAN_POW_FLOOD_*) gives a level — every doubling over the threshold is a level
  — and each level multiplies the work by 4, up to MEYDAN_POW_MAX_DIFFICULTY. The
  counts age out with the windows, so the difficulty falls back within two minutes
  of quiet.
"""

import base64
import binascii
import hmac
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import altcha
from django.conf import settings
from django.core.cache import cache

from meydan.core.privacy import keyed_hash
from meydan.core.ratelimit import SlidingWindow

ALGORITHM = "SHA-256"
WINDOW = 60  # seconds: rates are per minute
LEVEL_FACTOR = 4  # work multiplied per level
MAX_PAYLOAD = 4000  # characters of base64: a real payload is about 400


def hmac_key() -> str:
    return keyed_hash("pow-challenge", "altcha-hmac-key", 64)


def address_key(ip: str | None) -> str:
    """The address as the counters know it: a keyed hash, kept only in the cache."""
    return keyed_hash("pow-address", ip) if ip else ""


# --- flood counters -------------------------------------------------------------


def _rate(scope: str, key: str, now: float, count: bool) -> float:
    """Events per minute for (scope, key) over the last minute, counting this one
    when `count` (core.ratelimit's sliding window: the flood is measured, not refused)."""
    window = SlidingWindow(f"meydan:pow:{scope}:{key}", WINDOW, now)
    if count:
        window.count()
    return window.rate


def _scopes(site_key: str, page_key: str, address: str) -> list[tuple[str, str, int]]:
    scopes = [
        ("site", site_key, settings.MEYDAN_POW_FLOOD_SITE),
        (
            "thread",
            f"{site_key}:{keyed_hash('pow-thread', page_key)}",
            (settings.MEYDAN_POW_FLOOD_THREAD),
        ),
    ]
    if address:
        scopes.append(("address", address, settings.MEYDAN_POW_FLOOD_ADDRESS))
    return scopes


def flood_level(site_key: str, page_key: str, address: str, *, count: bool, now=None) -> int:
    """0 when every scope is under its threshold; else 1 + log2(rate / threshold)
    for the busiest scope. With `count`, this event is counted first."""
    now = time.time() if now is None else now
    level = 0
    for scope, key, threshold in _scopes(site_key, page_key, address):
        rate = _rate(scope, key, now, count)
        if threshold and rate > threshold:
            level = max(level, 1 + int(math.log2(rate / threshold)))
    return level


def difficulty_for(level: int) -> int:
    base = settings.MEYDAN_POW_DIFFICULTY
    return min(settings.MEYDAN_POW_MAX_DIFFICULTY, base * LEVEL_FACTOR**level)


# --- issue ------------------------------------------------------------------------


def challenge_issue(
    *, site_key: str, page_key: str, ip: str | None, now: float | None = None
) -> dict:
    """A signed challenge for a comment on `page_key` of `site_key`, priced by the
    current flood (this request counted). The JSON the widget's solver (and ALTCHA's
    own widget) reads: algorithm, challenge, maxnumber, salt, signature; plus
    `expires` (seconds since the epoch)."""
    now = time.time() if now is None else now
    level = flood_level(site_key, page_key, address_key(ip), count=True, now=now)
    max_number = difficulty_for(level)
    expires = datetime.fromtimestamp(now, UTC) + timedelta(seconds=settings.MEYDAN_POW_EXPIRES)
    issued = altcha.create_challenge_v1(
        algorithm=ALGORITHM,
        max_number=max_number,
        salt_length=12,
        hmac_key=hmac_key(),
        salt="",
        number=None,
        expires=expires,
        params={"site": site_key, "page": keyed_hash("pow-thread", page_key, 16),
                "max": str(max_number)},
    )  # fmt: skip
    return {
        "algorithm": issued.algorithm,
        "challenge": issued.challenge,
        "maxnumber": issued.max_number,
        "salt": issued.salt,
        "signature": issued.signature,
        "expires": int(expires.timestamp()),
    }


# --- verify -----------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What verify() found: `problem` is "" for a good payload, else one of
    "missing", "malformed", "tampered", "expired", "wrong site", "wrong page",
    "replayed"."""

    problem: str
    max_number: int = 0
    signature: str = ""
    expires: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem


def _decode(payload: str) -> dict | None:
    try:
        data = json.loads(base64.b64decode(payload, validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    fields = ("algorithm", "challenge", "number", "salt", "signature")
    if any(name not in data for name in fields):
        return None
    if not all(isinstance(data[name], str) for name in fields if name != "number"):
        return None
    if not isinstance(data["number"], int) or isinstance(data["number"], bool):
        return None
    if data["algorithm"] != ALGORITHM:  # the only one we issue
        return None
    return data


def _signed_by_us(data: dict) -> bool:
    """ALTCHA v1's check (the challenge is the hash of salt and number, the signature
    our HMAC of the challenge), compared in constant time: the package's
    verify_solution compares the signature with `==`, which tells a patient client
    how many leading characters of a forged signature were right."""
    salt = data["salt"] if data["salt"].endswith("&") else data["salt"] + "&"
    challenge = altcha.hash_hex(ALGORITHM, f"{salt}{data['number']}".encode())
    signature = altcha.hmac_hex(ALGORITHM, challenge.encode(), hmac_key())
    return hmac.compare_digest(challenge, data["challenge"]) & hmac.compare_digest(
        signature, data["signature"]
    )


def challenge_verify(
    payload: str | None, *, site_key: str, page_key: str, now: float | None = None
) -> Checked:
    """Check a solution without spending it (see payload_spend)."""
    if not payload:
        return Checked("missing")
    if len(payload) > MAX_PAYLOAD:
        return Checked("malformed")
    data = _decode(payload)
    if data is None:
        return Checked("malformed")
    if not _signed_by_us(data):
        return Checked("tampered")
    # The salt is covered by the signature from here on: its values are ours.
    params = parse_qs(data["salt"].split("?", 1)[1]) if "?" in data["salt"] else {}
    try:
        expires = int(params["expires"][0])
        max_number = int(params["max"][0])
        site, page = params["site"][0], params["page"][0]
    except (KeyError, IndexError, ValueError):
        return Checked("malformed")
    signature = data["signature"]
    now = time.time() if now is None else now
    if expires < now:
        return Checked("expired", max_number, signature, expires)
    if site != site_key:
        return Checked("wrong site", max_number, signature, expires)
    if page != keyed_hash("pow-thread", page_key, 16):
        return Checked("wrong page", max_number, signature, expires)
    if cache.get(_spent_key(signature)):
        return Checked("replayed", max_number, signature, expires)
    return Checked("", max_number, signature, expires)


def _spent_key(signature: str) -> str:
    return f"meydan:pow:spent:{signature}"


def payload_spend(checked: Checked, now: float | None = None) -> bool:
    """Remember a good payload until it expires; False when it was spent already
    (two posts racing with the same one: cache.add is atomic)."""
    now = time.time() if now is None else now
    timeout = max(1, int(checked.expires - now) + 5)
    return cache.add(_spent_key(checked.signature), 1, timeout=timeout)
