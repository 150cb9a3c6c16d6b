"""Publishing the log: signed checkpoints, static tiles, and cosignatures collected from witnesses.

:func:`publish_checkpoint` signs a C2SP checkpoint of the current tree with
the log key. :func:`write_log` writes the log as static files that any web
server can serve (c2sp.org/tlog-tiles), plus one extension directory::

    checkpoint                      the latest checkpoint, with the cosignatures collected
    tile/<L>/<N>[.p/<W>]            node hashes
    tile/entries/<N>[.p/<W>]        entries: the 32-byte batch hashes (leaf data), uint16-length framed
    batches/<N>[.p/<W>]             the batches themselves, in leaf order: per batch a big-endian
                                    uint32 length, the canonical encoding, the 64-byte signature

Files are written to a temporary name and renamed, tiles before the
checkpoint, so a reader never sees a checkpoint whose tiles are missing.
:func:`collect_cosignatures` reads the cosigned checkpoints that witnesses
write (``<witness output>/checkpoint``) and keeps the cosignatures that
verify with the trusted witness keys.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shuixiao.errors import ConfigurationError, LedgerVerificationError
from shuixiao.ledger import (
    SIGNATURE_TYPE_COSIGNATURE,
    TILE_HEIGHT,
    TILE_WIDTH,
    Checkpoint,
    Note,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    encode_entry_bundle,
    entries_path,
    open_checkpoint,
    sign_checkpoint,
    tile_path,
    tile_width,
)
from shuixiao.notary.incidents import record_incident
from shuixiao.notary.source import LogSource
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, StoredCheckpoint, StoredCosignature

__all__ = [
    "CollectReport",
    "batches_path",
    "collect_cosignatures",
    "decode_batch_bundle",
    "encode_batch_bundle",
    "full_note",
    "publish_checkpoint",
    "write_log",
]

_U32 = struct.Struct(">I")


def batches_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of a batch bundle, ``batches/<N>[.p/<W>]`` (the index written as for tiles).

    Examples
    --------
    >>> batches_path(1234, 5)
    'batches/x001/234.p/5'
    """
    return "batches/" + entries_path(index, width).removeprefix("tile/entries/")


def encode_batch_bundle(batches: Sequence[tuple[bytes, bytes]]) -> bytes:
    """Return a batch bundle of ``(encoding, signature)`` pairs (see the module documentation)."""
    return b"".join(_U32.pack(len(encoding)) + encoding + signature for encoding, signature in batches)


def decode_batch_bundle(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a batch bundle into ``(encoding, signature)`` pairs.

    Raises
    ------
    LedgerVerificationError
        If the bundle is truncated.
    """
    found = []
    position = 0
    while position < len(data):
        if position + 4 > len(data):
            raise LedgerVerificationError("malformed batch bundle: truncated length")
        (length,) = _U32.unpack_from(data, position)
        position += 4
        end = position + length + 64
        if end > len(data):
            raise LedgerVerificationError("malformed batch bundle: truncated batch")
        found.append((bytes(data[position : position + length]), bytes(data[position + length : end])))
        position = end
    return found


def full_note(checkpoint: StoredCheckpoint) -> str:
    """Return the checkpoint's signed note with every kept cosignature added."""
    note = Note.from_text(checkpoint.note)
    extra = [NoteSignature(c.witness, c.key_id, c.signature) for c in checkpoint.cosignatures]
    return note.with_signatures(extra).to_text()


def publish_checkpoint(
    store: Store, signer: NoteSigner, *, now: dt.datetime | None = None
) -> StoredCheckpoint:
    """Sign a checkpoint of the local log's current tree, unless the latest one already covers it.

    The first call binds the store's log to the signer (its name is the
    log's origin); later calls must use the same key.

    Parameters
    ----------
    store : Store
    signer : NoteSigner
        The log key (:func:`shuixiao.notary.keys.log_signer`).
    now : datetime.datetime, optional
        Time recorded with a new checkpoint.

    Returns
    -------
    StoredCheckpoint
        The new checkpoint, or the latest one when the tree did not grow.

    Raises
    ------
    ConfigurationError
        If the log was bound to another key.
    """
    ledger = LedgerStore(store)
    log = ledger.bind_local_log(signer.name, str(signer.verifier_key))
    size = ledger.log(log.id).size
    latest = ledger.latest_checkpoint(log.id)
    if latest is not None and latest.size == size:
        return latest
    root = ledger.tile_hasher(log.id).root(size)
    note = sign_checkpoint(Checkpoint(signer.name, size, root), signer)
    created = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    return ledger.add_checkpoint(log.id, size, root, note, created)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _published_size(directory: Path, origin: str) -> int:
    current = directory / "checkpoint"
    if not current.exists():
        return 0
    try:
        checkpoint = Checkpoint.from_text(Note.from_text(current.read_bytes()).text)
    except LedgerVerificationError:
        return 0
    if checkpoint.origin != origin:
        raise ConfigurationError(
            f"{directory} holds the log {checkpoint.origin!r}, not {origin!r}; publish each log to its own directory"
        )
    return checkpoint.size


def write_log(store: Store, directory: Path, checkpoint: StoredCheckpoint | None = None) -> int:
    """Write the local log as static files for ``checkpoint`` (default: the latest); return the files written.

    Only what changed since the checkpoint already in ``directory`` is
    written (full tiles never change), then the checkpoint itself.

    Raises
    ------
    ConfigurationError
        If there is no checkpoint yet, or ``directory`` holds another log.
    """
    ledger = LedgerStore(store)
    log = ledger.local_log()
    checkpoint = checkpoint if checkpoint is not None else ledger.latest_checkpoint(log.id)
    if checkpoint is None or log.origin is None:
        raise ConfigurationError("the log has no checkpoint yet; publish one first (shuixiao ledger publish)")
    directory = Path(directory)
    size = checkpoint.size
    start = min(_published_size(directory, log.origin), size)
    written = 0
    level = 0
    while size >> (TILE_HEIGHT * level):
        first = (start >> (TILE_HEIGHT * level)) // TILE_WIDTH
        last = ((size >> (TILE_HEIGHT * level)) + TILE_WIDTH - 1) // TILE_WIDTH
        keys = [(level, index) for index in range(first, last)]
        tiles = ledger.read_tiles(log.id, keys)
        for key in keys:
            width = tile_width(size, *key)
            if width == 0:
                continue
            data = tiles.get(key, b"")[: width * 32]
            if len(data) != width * 32:
                raise ConfigurationError(
                    f"the store lacks tile {tile_path(*key)}; run shuixiao ledger verify"
                )
            _write(directory / tile_path(*key, width), data)
            written += 1
        level += 1
    for index in range(start // TILE_WIDTH, (size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        batches = ledger.batches(log.id, after_leaf=index * TILE_WIDTH - 1, limit=width)
        if [b.leaf_index for b in batches] != list(range(index * TILE_WIDTH, index * TILE_WIDTH + width)):
            raise ConfigurationError(
                f"the store lacks batches of leaves {index * TILE_WIDTH}..{index * TILE_WIDTH + width - 1}; "
                "run shuixiao ledger verify"
            )
        _write(directory / entries_path(index, width), encode_entry_bundle(b.batch_hash for b in batches))
        _write(
            directory / batches_path(index, width),
            encode_batch_bundle([(b.encoding, b.signature) for b in batches]),
        )
        written += 2
    _write(directory / "checkpoint", full_note(checkpoint).encode("utf-8"))
    return written + 1


@dataclass(frozen=True)
class CollectReport:
    """What :func:`collect_cosignatures` found.

    Parameters
    ----------
    read : int
        Witness checkpoints read.
    kept : int
        Cosignatures new or newer than those kept.
    problems : tuple of str
        Locations that could not be used, and why.
    incidents : tuple of int
        Incidents raised (a witness holding a checkpoint this log never signed).
    """

    read: int
    kept: int
    problems: tuple[str, ...]
    incidents: tuple[int, ...]


def collect_cosignatures(
    store: Store, sources: Sequence[LogSource], witnesses: Sequence[VerifierKey], log_key: VerifierKey
) -> CollectReport:
    """Keep the cosignatures of the local log's checkpoints that trusted witnesses wrote.

    A witness's ``checkpoint`` file must carry a valid log signature; each
    trusted witness's cosignature is verified before it is kept. A validly
    log-signed checkpoint of a size this log signed with another root is a
    split view: it raises an incident.

    Parameters
    ----------
    store : Store
    sources : sequence of LogSource
        The witnesses' output locations.
    witnesses : sequence of VerifierKey
        Trusted witness keys (type 0x04).
    log_key : VerifierKey
        This log's verifier key.
    """
    ledger = LedgerStore(store)
    log = ledger.local_log()
    read = kept = 0
    problems: list[str] = []
    incidents: list[int] = []
    trusted = [w for w in witnesses if w.signature_type == SIGNATURE_TYPE_COSIGNATURE]
    for source in sources:
        try:
            data = source.read("checkpoint")
        except ConfigurationError as err:
            problems.append(str(err))
            continue
        if data is None:
            problems.append(f"{source.location}: no checkpoint yet")
            continue
        try:
            verified = open_checkpoint(data, log_key)
        except LedgerVerificationError as err:
            problems.append(f"{source.location}: {err}")
            continue
        read += 1
        cp = verified.checkpoint
        same = ledger.checkpoints(log.id, size=cp.size)
        match = [c for c in same if c.root == cp.root_hash]
        if not match:
            if same:
                incident = record_incident(
                    ledger,
                    "split_view",
                    f"witness output at {source.location} holds a checkpoint of size {cp.size} signed by this "
                    f"log's key with root {cp.root_hash.hex()[:16]}…, but the log signed root "
                    f"{same[0].root.hex()[:16]}… at that size: the log key signed two trees (key compromise?)",
                    {"size": cp.size, "seen": data.decode("utf-8", "replace"), "signed": same[0].note},
                    log_id=log.id,
                )
                incidents.append(incident.id)
            else:
                problems.append(f"{source.location}: checkpoint of size {cp.size} is not one this log kept")
            continue
        text = verified.note.text
        found = []
        for signature in verified.note.signatures:
            key = next((w for w in trusted if w.matches(signature)), None)
            if key is None:
                continue
            if not key.verify(text, signature):
                problems.append(f"{source.location}: the cosignature of {signature.name} does not verify")
                continue
            found.append(
                StoredCosignature(
                    signature.name,
                    signature.key_id,
                    int.from_bytes(signature.signature[:8], "big"),
                    signature.signature,
                )
            )
        kept += ledger.add_cosignatures(match[0].id, found)
    return CollectReport(read, kept, tuple(problems), tuple(incidents))
