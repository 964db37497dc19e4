"""A software authenticator for tests: makes real passkeys (ECDSA P-256, "none" attestation)
and signs real assertions, which the webauthn library checks like a phone's.

It answers the JSON options the site hands out, with the JSON the browser script would send.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


@dataclass
class Key:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    keys: list[Key] = field(default_factory=list)
    user_verified: bool = True

    def _flags(self, extra: int = 0) -> int:
        return FLAG_UP | (FLAG_UV if self.user_verified else 0) | extra

    def _client_data(self, kind: str, challenge: str, origin: str | None = None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin},
            separators=(",", ":"),
        ).encode()

    def create(self, options: str | dict, *, origin: str | None = None) -> dict:
        """The answer to navigator.credentials.create() for these options."""
        options = json.loads(options) if isinstance(options, str) else options
        key = Key(
            credential_id=os.urandom(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
        )
        numbers = key.private_key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = bytes(16) + struct.pack(">H", len(key.credential_id)) + key.credential_id
        auth_data = (
            hashlib.sha256(key.rp_id.encode()).digest()
            + bytes([self._flags(FLAG_AT)])
            + struct.pack(">I", key.sign_count)
            + attested
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.keys.append(key)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(key.credential_id),
            "rawId": b64url(key.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: str | dict,
        *,
        key: Key | None = None,
        origin: str | None = None,
        sign_count: int | None = None,
    ) -> dict:
        """The answer to navigator.credentials.get(); the counter goes up by one each time
        unless ``sign_count`` says otherwise (a cloned key)."""
        options = json.loads(options) if isinstance(options, str) else options
        key = key or self.keys[-1]
        key.sign_count = key.sign_count + 1 if sign_count is None else sign_count
        auth_data = (
            hashlib.sha256(key.rp_id.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", key.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = key.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(key.credential_id),
            "rawId": b64url(key.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(key.user_handle),
            },
            "clientExtensionResults": {},
        }
