"""A software passkey for tests without a browser: it answers WebAuthn options as a
platform authenticator would (a P-256 key, "none" attestation, user present and
verified), built with python-fido2's own types. The browser tests use Chromium's
virtual authenticator instead (tests/browser/test_passkeys.py)."""

import hashlib
import json
import os
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

ORIGIN = "https://testserver"  # what the browser would report for the test client's host
FLAGS = AuthenticatorData.FLAG


def options_in(html: str) -> dict:
    """The options a passkey page gives the browser (its JSON block)."""
    match = re.search(r'<script id="passkey-options" type="application/json">(.*?)</script>', html)
    assert match, "no passkey options on the page"
    return json.loads(match.group(1))


class SoftKey:
    def __init__(self, origin: str = ORIGIN):
        self.origin = origin
        self.credentials: dict[bytes, dict] = {}

    def create(self, options: dict, *, verified: bool = True) -> dict:
        public = options["publicKey"]
        rp_id = public["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(16)
        self.credentials[credential_id] = {
            "key": key,
            "rp_id": rp_id,
            "user": public["user"]["id"],
            "counter": 0,
        }
        attested = AttestedCredentialData.create(
            b"\0" * 16, credential_id, ES256.from_cryptography_key(key.public_key())
        )
        flags = FLAGS.UP | FLAGS.AT | (FLAGS.UV if verified else 0)
        data = AuthenticatorData.create(_sha256(rp_id.encode()), flags, 0, attested)
        client_data = CollectedClientData.create(
            "webauthn.create", public["challenge"], self.origin
        )
        return {
            "id": websafe_encode(credential_id),
            "rawId": websafe_encode(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(AttestationObject.create("none", data, {})),
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, options: dict, *, credential_id: bytes | None = None) -> dict:
        public = options["publicKey"]
        credential_id = credential_id or next(iter(self.credentials))
        stored = self.credentials[credential_id]
        stored["counter"] += 1
        data = AuthenticatorData.create(
            _sha256(stored["rp_id"].encode()), FLAGS.UP | FLAGS.UV, stored["counter"]
        )
        client_data = CollectedClientData.create("webauthn.get", public["challenge"], self.origin)
        signature = stored["key"].sign(
            bytes(data) + _sha256(client_data), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": websafe_encode(credential_id),
            "rawId": websafe_encode(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(data),
                "signature": websafe_encode(signature),
                "userHandle": stored["user"],
            },
            "clientExtensionResults": {},
        }


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def user_handle_of(answer: dict) -> str:
    return websafe_decode(answer["response"]["userHandle"]).decode()
