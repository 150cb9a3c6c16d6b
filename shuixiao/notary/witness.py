"""A witness: follow a published log, check that it only grows, mirror it, cosign its checkpoints.

Each run (:meth:`Witness.run_once`) of a witness with its own store and key

1. reads the log's ``checkpoint`` and verifies the log's signature;
2. compares it with every checkpoint of that log it has seen: a different
   root at a size seen before is a **split view** (the log showed two
   different trees); a smaller tree must match the witness's mirror;
3. for a larger tree, checks the RFC 9162 consistency proof from the last
   checkpoint it cosigned (computed from the log's tiles), then **mirrors**
   the new entries (and the batches, when published) into its own store and
   checks that the mirror's root equals the signed root;
4. **cosigns** the checkpoint (c2sp.org/tlog-cosignature, "as of this time,
   this is the largest consistent tree I have seen") and writes the
   checkpoint with its cosignature to its output directory, where the log
   collects it (``shuixiao ledger publish --collect``) and other witnesses
   compare it;
5. reads the other witnesses' outputs (peers) and compares their
   checkpoints with its mirror: a different root for a size it holds is a
   split view.

Mirroring, keeping the checkpoint and the cosignature happen in one
transaction that also checks the mirror did not move meanwhile (the
compare-and-set that c2sp.org/tlog-witness requires). Incidents are recorded
in the witness's store; nothing is cosigned when one is found.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shuixiao.errors import ConfigurationError, LedgerVerificationError
from shuixiao.ledger import (
    EMPTY_ROOT,
    TILE_WIDTH,
    Batch,
    Checkpoint,
    Note,
    NoteSigner,
    TileHasher,
    VerifiedCheckpoint,
    VerifierKey,
    cosign_checkpoint,
    decode_entry_bundle,
    entries_path,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
)
from shuixiao.notary.incidents import record_incident
from shuixiao.notary.publish import _write, batches_path, decode_batch_bundle
from shuixiao.notary.source import LogSource, tile_reader
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, LogInfo, NewBatch, StoredCosignature

__all__ = ["Witness", "WitnessReport"]


@dataclass(frozen=True)
class WitnessReport:
    """What one run of a witness did.

    Parameters
    ----------
    status : str
        ``cosigned`` (a new or the same checkpoint, cosigned now),
        ``stale`` (the log shows an older checkpoint than one cosigned; it matches the mirror),
        ``unavailable`` (the log could not be read) or ``refused`` (an incident).
    size : int or None
        Size of the log's checkpoint.
    previous : int
        Size of the mirror before the run.
    mirrored : int
        Entries mirrored in this run.
    message : str
        What happened, for a person.
    incidents : tuple of int
        Incidents recorded.
    """

    status: str
    size: int | None
    previous: int
    mirrored: int
    message: str
    incidents: tuple[int, ...] = ()


class _Refused(Exception):
    """An incident was recorded; nothing is cosigned."""

    def __init__(self, incident: int, message: str) -> None:
        super().__init__(message)
        self.incident = incident
        self.message = message


class Witness:
    """A witness of one log (see the module documentation).

    Parameters
    ----------
    store : Store
        The witness's own migrated store (mirror, checkpoints seen, incidents).
    signer : NoteSigner
        The witness's cosigner key (type 0x04; :func:`shuixiao.notary.keys.witness_signer`).
    log_key : VerifierKey
        The followed log's verifier key; its name is the log's origin.
    source : LogSource
        Where the log is published.
    output : pathlib.Path, optional
        Directory where the cosigned checkpoint is written (``<output>/checkpoint``).
    peers : sequence of LogSource, optional
        Other witnesses' outputs (or other views of the log) to compare with.
    enterprises : sequence of str, optional
        The enterprises whose log this is: an incident of the log (a split
        view, an inconsistent checkpoint, ...) raises a critical or major
        alarm for each of them in the witness's store
        (:func:`shuixiao.notary.record_incident`).
    clock : callable, optional
        Returns the time [s since epoch]; for tests.
    """

    def __init__(
        self,
        store: Store,
        signer: NoteSigner,
        log_key: VerifierKey,
        source: LogSource,
        *,
        output: Path | None = None,
        peers: Sequence[LogSource] = (),
        enterprises: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = LedgerStore(store)
        self._enterprises = tuple(enterprises)
        self._signer = signer
        self._log_key = log_key
        self._source = source
        self._output = output
        self._peers = tuple(peers)
        self._clock = clock
        if signer.verifier_key.public_key == log_key.public_key:
            raise ConfigurationError("a witness needs its own key, not the log's")

    @property
    def name(self) -> str:
        """The witness's key name."""
        return self._signer.name

    def _mirror(self) -> LogInfo:
        return self._ledger.mirror_log(self._log_key.name, str(self._log_key))

    def _incident(self, kind: str, message: str, mirror: LogInfo, **detail: object) -> _Refused:
        found = record_incident(
            self._ledger,
            kind,
            message,
            {"witness": self.name, "log": mirror.origin, **detail},
            log_id=mirror.id,
            enterprises=self._enterprises,
        )
        return _Refused(found.id, message)

    def run_once(self) -> WitnessReport:
        """Follow the log one step (see the module documentation).

        Raises
        ------
        StorageError
            If the witness's database fails, or the mirror moved during the run.
        """
        mirror = self._mirror()
        previous = mirror.size
        try:
            data = self._source.read("checkpoint")
        except ConfigurationError as err:
            return WitnessReport("unavailable", None, previous, 0, str(err))
        if data is None:
            return WitnessReport(
                "unavailable", None, previous, 0, f"{self._source.location} has no checkpoint yet"
            )
        incidents: list[int] = []
        try:
            try:
                verified = open_checkpoint(data, self._log_key)
            except LedgerVerificationError as err:
                raise self._incident(
                    "bad_checkpoint",
                    f"the checkpoint at {self._source.location} does not verify with {self._log_key}: {err}",
                    mirror,
                    note=data.decode("utf-8", "replace"),
                ) from None
            report = self._follow(verified, mirror)
        except _Refused as refused:
            incidents.append(refused.incident)
            report = WitnessReport("refused", None, previous, 0, refused.message)
        incidents += self._compare_peers()
        return WitnessReport(
            report.status,
            report.size,
            report.previous,
            report.mirrored,
            report.message,
            (*report.incidents, *incidents),
        )

    def _seen(self, mirror: LogInfo, checkpoint: Checkpoint, note: str, **where: object) -> None:
        """Refuse a checkpoint whose size was seen with another root (split view)."""
        for seen in self._ledger.checkpoints(mirror.id, size=checkpoint.size):
            if seen.root != checkpoint.root_hash:
                raise self._incident(
                    "split_view",
                    f"{mirror.origin} showed two different trees of size {checkpoint.size}: root "
                    f"{seen.root.hex()[:16]}… (seen {seen.created.isoformat()}) and now "
                    f"{checkpoint.root_hash.hex()[:16]}…",
                    mirror,
                    size=checkpoint.size,
                    seen=seen.note,
                    now=note,
                    **where,
                )

    def _follow(self, verified: VerifiedCheckpoint, mirror: LogInfo) -> WitnessReport:
        checkpoint = verified.checkpoint
        log_signature = next(s for s in verified.note.signatures if self._log_key.matches(s))
        note = Note(verified.note.text, (log_signature,)).to_text()
        self._seen(mirror, checkpoint, note)
        previous = mirror.size
        hasher = self._ledger.tile_hasher(mirror.id)
        if checkpoint.size <= previous:
            mine = hasher.root(checkpoint.size)
            if mine != checkpoint.root_hash:
                raise self._incident(
                    "split_view",
                    f"{mirror.origin} signed root {checkpoint.root_hash.hex()[:16]}… for size {checkpoint.size}, "
                    f"but its entries mirrored here give {mine.hex()[:16]}…",
                    mirror,
                    size=checkpoint.size,
                    now=note,
                )
            if checkpoint.size < previous:
                return WitnessReport(
                    "stale",
                    checkpoint.size,
                    previous,
                    0,
                    f"{mirror.origin} shows size {checkpoint.size}, older than the {previous} cosigned; it matches",
                )
            self._cosign(mirror, checkpoint, note, previous, [], [])
            return WitnessReport(
                "cosigned",
                checkpoint.size,
                previous,
                0,
                f"{mirror.origin} unchanged at {checkpoint.size}; cosigned again",
            )
        if previous > 0:
            self._check_consistency(mirror, checkpoint, previous, hasher.root(previous), note)
        leaves, batches = self._fetch(mirror, previous, checkpoint.size)
        self._cosign(mirror, checkpoint, note, previous, leaves, batches)
        return WitnessReport(
            "cosigned",
            checkpoint.size,
            previous,
            len(leaves),
            f"{mirror.origin} grew from {previous} to {checkpoint.size}: consistent, mirrored and cosigned",
        )

    def _check_consistency(
        self, mirror: LogInfo, checkpoint: Checkpoint, previous: int, old_root: bytes, note: str
    ) -> None:
        remote = TileHasher(tile_reader(self._source, checkpoint.size))
        try:
            proof = remote.consistency_proof(previous, checkpoint.size)
            verify_consistency(previous, checkpoint.size, proof, old_root, checkpoint.root_hash)
        except (LedgerVerificationError, ValueError) as err:
            raise self._incident(
                "inconsistent",
                f"{mirror.origin} at size {checkpoint.size} is not an extension of the tree of size {previous} "
                f"cosigned before: {err}",
                mirror,
                old_size=previous,
                old_root=old_root.hex(),
                now=note,
            ) from None

    def _fetch(self, mirror: LogInfo, start: int, end: int) -> tuple[list[bytes], list[NewBatch]]:
        """Read the entries ``[start, end)`` (and their batches, when published)."""
        leaves: list[bytes] = []
        batches: list[NewBatch] = []
        now = int(self._clock())
        for index in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, end - index * TILE_WIDTH)
            data = self._source.read(entries_path(index, width))
            entries = decode_entry_bundle(data) if data is not None else []
            if len(entries) != width or any(len(e) != 32 for e in entries):
                raise self._incident(
                    "mirror_mismatch",
                    f"entry bundle {entries_path(index, width)} of {mirror.origin} is missing or malformed",
                    mirror,
                    bundle=entries_path(index, width),
                )
            skip = max(0, start - index * TILE_WIDTH)
            leaves += [leaf_hash(e) for e in entries[skip:]]
            published = self._source.read(batches_path(index, width))
            if published is None:
                continue
            for (encoding, signature), entry in zip(
                decode_batch_bundle(published)[skip:], entries[skip:], strict=False
            ):
                if hashlib.sha256(encoding).digest() != entry:
                    raise self._incident(
                        "mirror_mismatch",
                        f"a batch in {batches_path(index, width)} of {mirror.origin} does not hash to its entry",
                        mirror,
                        entry=entry.hex(),
                    )
                batch = Batch.decode(encoding)
                batches.append(
                    NewBatch(
                        enterprise=None,
                        device=batch.device,
                        sequence=batch.sequence,
                        previous_hash=batch.previous_hash,
                        batch_hash=entry,
                        created=batch.created,
                        received=now,
                        signature=signature,
                        key_id=None,
                        status="mirrored",
                        encoding=encoding,
                        count=len(batch.readings),
                    )
                )
        if batches and len(batches) != len(leaves):
            batches = []  # a partial set of batches would misplace leaf indexes; keep the hashes only
        return leaves, batches

    def _cosign(
        self,
        mirror: LogInfo,
        checkpoint: Checkpoint,
        note: str,
        previous: int,
        leaves: list[bytes],
        batches: list[NewBatch],
    ) -> None:
        timestamp = int(self._clock())
        signature = cosign_checkpoint(checkpoint, self._signer, timestamp)

        def verify_root(hasher: TileHasher) -> None:
            root = hasher.root(checkpoint.size) if checkpoint.size else EMPTY_ROOT
            if root != checkpoint.root_hash:
                raise LedgerVerificationError(
                    f"the entries of {mirror.origin} give root {root.hex()[:16]}…, its checkpoint says "
                    f"{checkpoint.root_hash.hex()[:16]}…",
                    expected=checkpoint.root_hash,
                    calculated=root,
                )

        try:
            self._ledger.advance_mirror(
                mirror.id,
                previous,
                leaves,
                batches,
                (checkpoint.size, checkpoint.root_hash, note),
                StoredCosignature(signature.name, signature.key_id, timestamp, signature.signature),
                verify_root,
            )
        except LedgerVerificationError as err:
            raise self._incident(
                "mirror_mismatch", str(err), mirror, size=checkpoint.size, now=note
            ) from None
        if self._output is not None:
            cosigned = Note.from_text(note).with_signatures([signature]).to_text()
            _write(Path(self._output) / "checkpoint", cosigned.encode("utf-8"))

    def _compare_peers(self) -> list[int]:
        """Compare the peers' checkpoints with the mirror; record split views."""
        incidents = []
        mirror = self._mirror()
        hasher = self._ledger.tile_hasher(mirror.id)
        for peer in self._peers:
            try:
                data = peer.read("checkpoint")
                if data is None:
                    continue
                verified = open_checkpoint(data, self._log_key)
            except (ConfigurationError, LedgerVerificationError):
                continue  # a peer that cannot be read or is not signed by the log proves nothing
            checkpoint = verified.checkpoint
            try:
                self._seen(mirror, checkpoint, data.decode("utf-8"), peer=peer.location)
                if checkpoint.size <= mirror.size and hasher.root(checkpoint.size) != checkpoint.root_hash:
                    raise self._incident(
                        "split_view",
                        f"witness output at {peer.location} holds {mirror.origin} at size {checkpoint.size} with "
                        f"root {checkpoint.root_hash.hex()[:16]}…, but the log showed this witness another tree",
                        mirror,
                        size=checkpoint.size,
                        peer=peer.location,
                        now=data.decode("utf-8"),
                    )
            except _Refused as refused:
                incidents.append(refused.incident)
        return incidents
