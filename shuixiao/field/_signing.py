"""Signing at the source: the device key, and batches in the ledger's encoding and transport form."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shuixiao.errors import ConfigurationError, InvalidInputError
from shuixiao.field._records import FieldReading
from shuixiao.ledger import Batch, Reading, ed25519_public_key, sign_batch
from shuixiao.model import Quality

__all__ = ["batch_maker", "read_device_key"]

Maker = Callable[[int, bytes, list[FieldReading]], tuple[bytes, dict[str, Any]]]


def read_device_key(path: Path) -> bytes:
    """Read the device's Ed25519 private key (its 32-byte seed).

    The file holds the seed as 64 hexadecimal digits (as ``shuixiao ledger keys
    add --generate`` writes it) or as 32 raw bytes.  A file that others can read
    is refused.

    Raises
    ------
    ConfigurationError
        If the file cannot be read, is readable by others, or holds no key.
    """
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as err:
        raise ConfigurationError(f"cannot read the device key {path}: {err.strerror or err}") from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"device key {path} can be read by others (mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`"
        )
    text = data.strip()
    try:
        key = bytes.fromhex(text.decode("ascii")) if len(text) == 64 else data
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(f"{path} holds no Ed25519 private key (64 hex digits or 32 bytes)")
    return key


def batch_maker(device: str, key: bytes, clock: Callable[[], float]) -> Maker:
    """Return ``make(sequence, previous_hash, readings) -> (batch hash, transport form)`` for :meth:`Buffer.seal`.

    Parameters
    ----------
    device : str
        The device id (the gateway id), as registered with ``shuixiao ledger keys add``.
    key : bytes
        The device's private key. [32 bytes]
    clock : callable
        Current time [s since epoch]: the batch's ``created``.

    Raises
    ------
    InvalidInputError
        If the key is not an Ed25519 seed.
    """
    from shuixiao.notary.transport import batch_to_json

    ed25519_public_key(key)  # refuses a key of the wrong size now rather than at the first batch

    def make(sequence: int, previous: bytes, readings: list[FieldReading]) -> tuple[bytes, dict[str, Any]]:
        try:
            batch = Batch(
                device,
                sequence,
                previous,
                tuple(Reading(r.meter, r.ts, r.value, r.unit, Quality[r.quality.upper()]) for r in readings),
                int(clock()),
            )
        except InvalidInputError as err:
            raise InvalidInputError(f"cannot sign batch {sequence}: {err}") from err
        return batch.hash(), batch_to_json(batch, sign_batch(batch, key))

    return make
