"""Meydan as a Tor onion service (docs/onion.md).

MEYDAN_ONION_URL names the onion address that reaches this same installation, e.g.
`http://<56 characters>.onion`. Then:
- its host is accepted (settings.py adds it to ALLOWED_HOSTS);
- pages served under the ordinary name carry `Onion-Location: <onion>/<same path>`,
  so that Tor Browser offers the reader the onion (it only heeds the header on
  HTTPS pages, which is how production serves them);
- requests that arrive through the onion are never redirected to https (an onion
  has no certificate unless the operator bought one, and Tor already encrypts and
  authenticates the connection end to end), and never get the header again.

The address is checked when the settings load, checksum included, so a mistyped
character stops start-up with a message instead of sending readers to a dead onion.
Pure (no Django import): settings.py calls parse_onion_url; the middleware is
meydan.core.middleware.OnionAwareSecurityMiddleware.

Tor's own format: base32(public key (32 bytes) | checksum (2) | version (1)), with
checksum = SHA3-256(".onion checksum" | public key | version)[:2] and version 3.
"""

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

_VERSION = b"\x03"


@dataclass(frozen=True)
class OnionURL:
    origin: str  # scheme://host[:port], no trailing slash
    host: str  # the .onion name, lower case


def parse_onion_url(value: str) -> OnionURL:
    """`value` as an onion origin, or ValueError saying what is wrong with it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError("MEYDAN_ONION_URL must start with http:// or https://")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("MEYDAN_ONION_URL must be only the onion's address, e.g. http://….onion")
    if parts.path not in ("", "/"):
        raise ValueError(
            "MEYDAN_ONION_URL must be the onion's root (Meydan is served at / there too)"
        )
    host = (parts.hostname or "").lower()
    if not host.endswith(".onion"):
        raise ValueError(f"MEYDAN_ONION_URL's host {host!r} is not a .onion name")
    # Tor serves any subdomain of the service by the last label (e.g. www.<id>.onion).
    service = host[: -len(".onion")].rsplit(".", 1)[-1]
    if len(service) != 56:
        raise ValueError(
            "MEYDAN_ONION_URL is not a version 3 onion address (56 characters before "
            ".onion; version 2 addresses stopped working in 2021)"
        )
    try:
        raw = base64.b32decode(service.upper())
    except ValueError:
        raise ValueError("MEYDAN_ONION_URL's address has characters outside a-z and 2-7") from None
    key, checksum, version = raw[:32], raw[32:34], raw[34:]
    expected = hashlib.sha3_256(b".onion checksum" + key + version).digest()[:2]
    if version != _VERSION or checksum != expected:
        raise ValueError(
            "MEYDAN_ONION_URL's address fails its checksum: check it against the "
            "hostname file in Tor's HiddenServiceDir"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("MEYDAN_ONION_URL has a port that is not a number") from None
    default = {"http": 80, "https": 443}[parts.scheme]
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
    return OnionURL(origin=origin, host=host)


def onion_address_for(public_key: bytes) -> str:
    """The version 3 onion name of an ed25519 public key (tests and docs examples)."""
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + _VERSION).digest()[:2]
    return base64.b32encode(public_key + checksum + _VERSION).decode().lower() + ".onion"
