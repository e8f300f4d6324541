"""Privacy helpers: we keep client IPs only as keyed hashes.

A plain hash of an IPv4 address is reversible by brute force (2^32 tries), so the
hash is an HMAC keyed with a secret derived from SECRET_KEY: without the key the
stored value says nothing, and with it moderators can still match "same address".
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"meydan:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """Hex HMAC-SHA256 of `value` under a key for `purpose`; `length` hex digits."""
    digest = hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()
    return digest[:length]


def ip_hash(ip: str | None) -> str:
    """The stored form of a client address ('' when unknown)."""
    if not ip:
        return ""
    return keyed_hash("ip", ip)


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
