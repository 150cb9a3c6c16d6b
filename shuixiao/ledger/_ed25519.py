"""Ed25519 (RFC 8032) on raw key bytes, via the ``cryptography`` package.

Keys cross the engine boundary as bytes: a private key is its 32-byte seed,
a public key its 32-byte encoding. Loading them from files or a key store is
the business of adapters.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shuixiao.errors import InvalidInputError

__all__ = ["KEY_SIZE", "SIGNATURE_SIZE", "ed25519_public_key", "generate_ed25519_key", "sign", "verify"]

KEY_SIZE = 32
"""Length of an Ed25519 private key (seed) and of a public key. [bytes]"""

SIGNATURE_SIZE = 64
"""Length of an Ed25519 signature. [bytes]"""


def _private(private_key: bytes) -> Ed25519PrivateKey:
    if len(private_key) != KEY_SIZE:
        raise InvalidInputError(
            f"an Ed25519 private key is a {KEY_SIZE}-byte seed, got {len(private_key)} bytes"
        )
    return Ed25519PrivateKey.from_private_bytes(bytes(private_key))


def generate_ed25519_key() -> tuple[bytes, bytes]:
    """Return a new random Ed25519 key pair as ``(private_key, public_key)``, 32 bytes each.

    Examples
    --------
    >>> private_key, public_key = generate_ed25519_key()
    >>> len(private_key), len(public_key), ed25519_public_key(private_key) == public_key
    (32, 32, True)
    """
    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ed25519_public_key(private_key: bytes) -> bytes:
    """Return the 32-byte public key of a 32-byte Ed25519 private key (seed).

    Raises
    ------
    InvalidInputError
        If ``private_key`` is not 32 bytes.
    """
    return _private(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(private_key: bytes, message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032 §5.1.6)."""
    return _private(private_key).sign(message)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.

    Malformed keys and signatures give ``False``, never an exception.
    """
    if len(public_key) != KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True
