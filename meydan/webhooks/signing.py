"""The signature on every webhook call (pure).

    Meydan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

The receiver recomputes the HMAC over the raw bytes it received (before parsing
the JSON), compares in constant time, and refuses a `t` more than REPLAY_SECONDS
away from its own clock: a captured call cannot be replayed later. The same scheme
as Stripe's, so existing verification code fits (docs/webhooks.md has a receiver).
"""

import hashlib
import hmac
import time

REPLAY_SECONDS = 300
HEADER = "Meydan-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, *, now: float | None = None) -> str:
    timestamp = int(now if now is not None else time.time())
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does (for Python receivers and Meydan's own checks)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > REPLAY_SECONDS:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
