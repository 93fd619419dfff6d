"""Ed25519 signatures over a certificate's canonical JSON.

Ed25519 because keys and signatures are small (32 and 64 bytes), signing is
deterministic (the same certificate always gets the same signature, so a job
that runs twice produces the same PDF) and there are no parameters to get wrong.
"""

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from assettrack.files import create_once

SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SignedCertificate:
    """The exact JSON text that was signed and its signature (base64)."""

    payload_json: str
    signature_b64: str


def canonical_json(data: dict) -> str:
    """One text per certificate, so the signature does not depend on key order."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def load_or_create_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """The service's signing key at `path`, generated (mode 0600, PEM) if missing.

    Written to a temporary file and linked into place, so two workers starting
    at once end up with one key, never a half-written file.
    """
    pem = create_once(
        Path(path),
        lambda: Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public half, for publishing next to /verify."""
    return (
        _public(key)
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short fingerprint to put in certificates: which key signed, after rotation."""
    raw = _public(key).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(data: dict, key: Ed25519PrivateKey) -> SignedCertificate:
    """Sign the canonical JSON of `data` (UTF-8)."""
    payload = canonical_json(data)
    signature = key.sign(payload.encode("utf-8"))
    return SignedCertificate(payload, base64.b64encode(signature).decode("ascii"))


def _load_public(public_key) -> Ed25519PublicKey | None:
    if isinstance(public_key, Ed25519PublicKey | Ed25519PrivateKey):
        return _public(public_key)
    if isinstance(public_key, str):
        public_key = public_key.encode("ascii", "replace")
    if isinstance(public_key, bytes):
        try:
            loaded = serialization.load_pem_public_key(public_key)
        except ValueError:
            return None
        return loaded if isinstance(loaded, Ed25519PublicKey) else None
    return None


def verify(payload_json: str, signature_b64: str, public_key) -> bool:
    """True only if `signature_b64` signs exactly `payload_json` with this key.

    `public_key` is an Ed25519 key or its PEM. Anything malformed (not text, bad
    base64, wrong length, not a key) is simply not a valid signature: False.
    """
    key = _load_public(public_key)
    if key is None or not isinstance(payload_json, str):
        return False
    if not isinstance(signature_b64, str | bytes):
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        message = payload_json.encode("utf-8")
    except (binascii.Error, ValueError):  # bad base64, lone surrogates
        return False
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
