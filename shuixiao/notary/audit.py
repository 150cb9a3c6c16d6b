"""The full audit of a store against its log (``shuixiao ledger verify``).

:func:`audit_store` trusts nothing in the database except the signatures it
can check, and names every mismatch:

* **batches**: each logged batch's encoding is canonical and matches its
  columns, hashes to its batch hash, and carries a valid signature of the
  device key it names, valid at the batch's time; each device's batches link
  up (sequence ``s + 1`` carries the hash of ``s``);
* **the tree**: the log's tiles are recomputed from the batch hashes in leaf
  order and compared tile by tile; every leaf has exactly one batch;
* **checkpoints**: each stored checkpoint's root is recomputed, its note
  matches it and the log's signature verifies;
* **readings**: every reading a batch carries is stored with the signed
  value (converted to the canonical unit as ingestion does) and the signed
  quality flag, unless
  ingestion rejected it and it waits in the quarantine; every stored reading
  of a notarised meter (bound to a device, unsigned ingestion not allowed) is
  carried by a logged batch.
"""

from __future__ import annotations

import hashlib
import math
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError, LedgerVerificationError, NotFoundError, UnitError
from shuixiao.ledger import (
    BATCH_LABELS,
    Batch,
    Checkpoint,
    Note,
    TileHasher,
    VerifierKey,
    append_to_tiles,
    leaf_hash,
    verify_batch_signature,
)
from shuixiao.model import Meter, Quality
from shuixiao.storage import Store
from shuixiao.storage.ledger import (
    DeviceKeyRecord,
    LedgerStore,
    LogInfo,
    Outcome,
    StoredBatch,
)
from shuixiao.units import lookup_unit

__all__ = ["AuditProblem", "AuditReport", "audit_store"]

_NAMED = 20  # differing hashes named one by one in a tile; the rest are counted


@dataclass(frozen=True)
class AuditProblem:
    """One mismatch found by the audit.

    Parameters
    ----------
    kind : str
        ``batch``, ``signature``, ``chain``, ``tree``, ``checkpoint``,
        ``reading_changed``, ``reading_missing`` or ``reading_unnotarised``.
    subject : str
        The item: ``leaf 17``, ``batch gw-01#3``, ``reading xg-steel/FT-101 at 1717200000``.
    message : str
        What is wrong.
    """

    kind: str
    subject: str
    message: str


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`audit_store`.

    Parameters
    ----------
    problems : tuple of AuditProblem
    batches : int
        Batches checked.
    readings : int
        Batch readings compared with the store.
    unnotarised : int
        Stored readings of meters where unsigned ingestion is allowed that no batch carries (not problems).
    checkpoints : int
        Checkpoints checked.
    warnings : tuple of str
        Things to know that are not mismatches (open incidents, readings not yet checkable).
    seconds : float
        How long it took. [s]
    """

    problems: tuple[AuditProblem, ...]
    batches: int
    readings: int
    unnotarised: int
    checkpoints: int
    warnings: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing mismatched."""
        return not self.problems


@dataclass
class _Rows:
    """The readings of one batch as columns: names once, then a code per reading."""

    meters: list[str]
    meter_codes: list[int]
    ts: list[int]
    values: list[float]
    qualities: list[int]
    units: list[str | None]
    unit_codes: list[int]

    def __len__(self) -> int:
        return len(self.ts)


@dataclass
class _Expected:
    """The readings of one enterprise as its logged batches say they are, batch after batch, as columns.

    A reading is named by its index in the concatenation; the outcome of one ingestion did not accept
    is kept in ``exceptions`` (the others were accepted).
    """

    meters: dict[str, int] = field(default_factory=dict)
    units: dict[str | None, int] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    meter_codes: list[int] = field(default_factory=list)
    unit_codes: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    qualities: list[int] = field(default_factory=list)
    exceptions: dict[int, tuple[int, int | None]] = field(default_factory=dict)

    def add(self, rows: _Rows, label: str, exceptions: dict[int, tuple[int, int | None]]) -> None:
        """Append a batch's readings (``exceptions``: outcomes by position in the batch)."""
        meters = [self.meters.setdefault(m, len(self.meters)) for m in rows.meters]
        units = [self.units.setdefault(u, len(self.units)) for u in rows.units]
        size = len(self.ts)
        for position, outcome in exceptions.items():
            self.exceptions[size + position] = outcome
        self.meter_codes += [meters[c] for c in rows.meter_codes]
        self.unit_codes += [units[c] for c in rows.unit_codes] if len(units) > 1 else [units[0]] * len(rows)
        self.batches += [len(self.labels)] * len(rows)
        self.ts += rows.ts
        self.values += rows.values
        self.qualities += rows.qualities
        self.labels.append(label)

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        """``(meter codes, unit codes, batch numbers, times, values, qualities)`` of every reading, in order."""
        return (
            np.array(self.meter_codes, dtype=np.intp),
            np.array(self.unit_codes, dtype=np.intp),
            np.array(self.batches, dtype=np.intp),
            np.array(self.ts, dtype=np.int64),
            np.array(self.values, dtype=np.float64),
            np.array(self.qualities, dtype=np.int8),
        )


class _Signed:
    """An enterprise's signed readings concatenated, grouped by meter (what :meth:`_Audit._meter` compares)."""

    def __init__(self, expected: _Expected) -> None:
        self.expected = expected
        meters, self.units, self.batches, self.ts, self.values, self.qualities = expected.columns()
        self.unit_names = list(expected.units)
        order = np.argsort(meters, kind="stable")  # by meter, then as logged
        bounds = np.searchsorted(meters[order], np.arange(len(expected.meters) + 1))
        self._groups = {
            name: order[bounds[code] : bounds[code + 1]] for name, code in expected.meters.items()
        }

    def latest(self, meter: str) -> npt.NDArray[np.intp]:
        """Indexes of the meter's readings to check: where batches repeat a time, the last logged one's."""
        group = self._groups.get(meter, np.zeros(0, dtype=np.intp))
        backwards = self.ts[group][::-1]
        _, first = np.unique(backwards, return_index=True)
        return np.sort(group[len(group) - 1 - first])


_Parsed = tuple[str, int, bytes, int, _Rows]
_HEADER = struct.Struct(">Q32sQI")
_VERSIONS: Final = {label: version for version, label in BATCH_LABELS.items()}
_LABEL_SIZE: Final = 18
_NUMBERS: Final = {1: 16, 2: 17}  # bytes of ts, value (and, from version 2, quality) in a reading
_TIME_VALUE = struct.Struct(">Qd")


_MATRIX: Final = 64  # readings from which a batch is worth reading as a byte matrix (NumPy's set-up cost)


def _fixed_rows(data: bytes, position: int, count: int, version: int) -> _Rows | None:
    """Read ``count`` readings from ``position`` as one array when every record has the first one's layout.

    Gateways name their meters alike and report one unit, so a batch's records usually have one
    length; then the records are rows of a byte matrix and the fields are its columns. None when not
    (or when the batch is too small for it to pay).
    """
    if count < _MATRIX or position >= len(data):
        return None
    numbers = _NUMBERS[version]
    meter_size = data[position]
    unit_at = position + 1 + meter_size + numbers
    if unit_at >= len(data):
        return None
    unit_size = data[unit_at]
    width = 1 + meter_size + numbers + 1 + unit_size
    if len(data) - position != width * count:
        return None
    table = np.frombuffer(data, dtype=np.uint8, offset=position).reshape(count, width)
    if np.any(table[:, 0] != meter_size) or np.any(table[:, 1 + meter_size + numbers] != unit_size):
        return None
    meter_bytes = np.ascontiguousarray(table[:, 1 : 1 + meter_size]).view(f"S{meter_size}")[:, 0]
    names, meter_codes = np.unique(meter_bytes, return_inverse=True)
    fixed = np.ascontiguousarray(table[:, 1 + meter_size : 1 + meter_size + 16])
    ts = fixed[:, :8].copy().view(">u8")[:, 0].astype(np.int64)
    values = fixed[:, 8:].copy().view(">f8")[:, 0].astype(np.float64)
    qualities = table[:, 1 + meter_size + 16].tolist() if version > 1 else [0] * count
    if unit_size:
        start = 1 + meter_size + numbers + 1
        unit_bytes = np.ascontiguousarray(table[:, start : start + unit_size]).view(f"S{unit_size}")[:, 0]
        unit_names, unit_codes = np.unique(unit_bytes, return_inverse=True)
        units: list[str | None] = [bytes(u).ljust(unit_size, b"\0").decode("utf-8") for u in unit_names]
    else:
        units, unit_codes = [None], np.zeros(count, dtype=np.intp)
    meters = [bytes(m).ljust(meter_size, b"\0").decode("utf-8") for m in names]
    return _Rows(
        meters, meter_codes.tolist(), ts.tolist(), values.tolist(), qualities, units, unit_codes.tolist()
    )


def _record_rows(data: bytes, position: int, count: int, version: int) -> tuple[_Rows, int]:
    """Read ``count`` readings from ``position`` record by record; return them and the end position."""
    meters: dict[str, int] = {}
    units: dict[str | None, int] = {}
    meter_codes, unit_codes, times, values, qualities = [], [], [], [], []
    numbers = _NUMBERS[version]
    for _ in range(count):
        size = data[position]
        meter = data[position + 1 : position + 1 + size].decode("utf-8")
        position += 1 + size
        ts, value = _TIME_VALUE.unpack_from(data, position)
        qualities.append(data[position + 16] if version > 1 else 0)
        position += numbers
        size = data[position]
        unit = data[position + 1 : position + 1 + size].decode("utf-8") if size else None
        position += 1 + size
        meter_codes.append(meters.setdefault(meter, len(meters)))
        unit_codes.append(units.setdefault(unit, len(units)))
        times.append(ts)
        values.append(value)
    return _Rows(list(meters), meter_codes, times, values, qualities, list(units), unit_codes), position


def _parse(data: bytes) -> _Parsed:
    """Read a stored batch encoding: (device, sequence, previous hash, created, readings as columns).

    Faster than :meth:`Batch.decode` (no objects per reading, no canonical re-encoding): the audit
    checks the encoding by its hash and its signature instead. Falls back to ``Batch.decode`` for the
    error message when the encoding is malformed.
    """
    try:
        version = _VERSIONS[data[:_LABEL_SIZE]]
        position = _LABEL_SIZE
        size = data[position]
        device = data[position + 1 : position + 1 + size].decode("utf-8")
        position += 1 + size
        sequence, previous, created, count = _HEADER.unpack_from(data, position)
        position += _HEADER.size
        rows = _fixed_rows(data, position, count, version)
        if rows is None:
            rows, position = _record_rows(data, position, count, version)
            if position != len(data):
                raise ValueError("trailing bytes")
    except (KeyError, ValueError, IndexError, struct.error, UnicodeDecodeError):
        Batch.decode(data)  # raises LedgerVerificationError naming what is wrong
        raise LedgerVerificationError("malformed batch encoding") from None
    return device, sequence, previous, created, rows


class _Audit:
    def __init__(self, store: Store, log_key: VerifierKey | None, enterprise: str | None) -> None:
        self.store = store
        self.ledger = LedgerStore(store)
        self.log: LogInfo = self.ledger.local_log()
        self.log_key = log_key
        self.enterprise = enterprise
        self.problems: list[AuditProblem] = []
        self.warnings: list[str] = []
        self.leaves: list[bytes] = []
        self.links: dict[str, dict[int, tuple[bytes, bytes]]] = {}
        self.expected: dict[str, _Expected] = {}
        self.checked = 0
        self.unnotarised = 0

    def problem(self, kind: str, subject: str, message: str) -> None:
        self.problems.append(AuditProblem(kind, subject, message))

    # --- batches -------------------------------------------------------------------------------

    def batches(self) -> int:
        keys: dict[int, DeviceKeyRecord] = {k.id: k for k in self.ledger.device_keys()}
        count = 0
        page: list[StoredBatch] = []
        for stored in self.ledger.iter_batches(self.log.id):
            page.append(stored)
            if len(page) == 2_000:
                self._page(page, keys)
                count += len(page)
                page = []
        self._page(page, keys)
        count += len(page)
        for device, chain in self.links.items():
            for sequence in sorted(chain):
                if sequence + 1 in chain and chain[sequence + 1][1] != chain[sequence][0]:
                    self.problem(
                        "chain",
                        f"batch {device}#{sequence + 1}",
                        f"does not link to batch {device}#{sequence} (previous hash "
                        f"{chain[sequence + 1][1].hex()[:16]}…, batch {sequence} hashes to {chain[sequence][0].hex()[:16]}…)",
                    )
        return count

    def _page(self, page: list[StoredBatch], keys: dict[int, DeviceKeyRecord]) -> None:
        rows = self.ledger.reading_outcomes([b.id for b in page if b.enterprise is not None])
        for stored in page:
            subject = f"batch {stored.device}#{stored.sequence} (leaf {stored.leaf_index})"
            if stored.leaf_index != len(self.leaves):
                first = len(self.leaves)
                self.problem(
                    "tree",
                    f"leaf {first}",
                    f"leaves {first}..{stored.leaf_index - 1} have no batch (deleted rows?)"
                    if stored.leaf_index > first
                    else f"two batches claim leaf {stored.leaf_index}",
                )
                self.leaves += [b""] * max(0, stored.leaf_index - first)
            digest = hashlib.sha256(stored.encoding).digest()
            self.leaves.append(leaf_hash(stored.batch_hash))
            if digest != stored.batch_hash:
                self.problem(
                    "batch",
                    subject,
                    f"the stored encoding hashes to {digest.hex()[:16]}…, not its batch hash",
                )
            try:
                batch = _parse(stored.encoding)
            except LedgerVerificationError as err:
                self.problem("batch", subject, f"stored encoding is not a batch: {err}")
                continue
            columns = (stored.device, stored.sequence, stored.previous_hash, stored.created, stored.readings)
            if columns != batch[:4] + (len(batch[4]),):
                self.problem("batch", subject, "the batch columns differ from the signed encoding")
            self.links.setdefault(batch[0], {})[batch[1]] = (digest, batch[2])
            if stored.enterprise is not None:
                self._signature(
                    stored, batch, keys.get(stored.key_id) if stored.key_id is not None else None, subject
                )
                self._expect(stored, batch, rows.get(stored.id, (0, {})), subject)

    def _signature(
        self, stored: StoredBatch, batch: _Parsed, record: DeviceKeyRecord | None, subject: str
    ) -> None:
        device, _, _, created, _ = batch
        if record is None or record.device != device:
            self.problem(
                "signature", subject, f"the device key it names ({stored.key_id}) is not a key of {device}"
            )
            return
        key = record.to_device_key()
        if not key.valid_at(created):
            self.problem(
                "signature", subject, f"device key {record.id} was not valid at the batch's time {created}"
            )
        elif key.revoked_at is not None and stored.received >= key.revoked_at:
            self.warnings.append(
                f"{subject} was received after its key {record.id} was compromised ({key.revoked_at}); trust it "
                "only if a witness cosigned a checkpoint holding it before then"
            )
        try:
            verify_batch_signature(stored.encoding, stored.signature, key.public_key)
        except LedgerVerificationError:
            self.problem(
                "signature",
                subject,
                f"the signature does not verify with device key {record.id} ({record.public_key.hex()[:16]}…)",
            )

    def _expect(
        self,
        stored: StoredBatch,
        batch: _Parsed,
        outcomes: tuple[int, dict[int, tuple[int, int | None]]],
        subject: str,
    ) -> None:
        assert stored.enterprise is not None
        if self.enterprise is not None and stored.enterprise != self.enterprise:
            return
        readings = batch[4]
        kept, exceptions = outcomes
        if kept != len(readings):
            self.problem("batch", subject, f"{kept} reading outcomes kept for {len(readings)} readings")
        expected = self.expected.get(stored.enterprise)
        if expected is None:
            expected = self.expected[stored.enterprise] = _Expected()
        expected.add(readings, subject, {p: o for p, o in exceptions.items() if p < len(readings)})

    # --- the tree and checkpoints ----------------------------------------------------------------

    def tree(self) -> dict[tuple[int, int], bytes]:
        nodes: dict[tuple[int, int], bytes] = {}
        recomputed = (
            append_to_tiles(0, {}, [h if h else bytes(32) for h in self.leaves], inner=nodes)
            if self.leaves
            else {}
        )
        if self.log.size != len(self.leaves):
            self.problem(
                "tree",
                "log size",
                f"the log says {self.log.size} leaves, {len(self.leaves)} batches are logged",
            )
        keys = sorted(set(recomputed) | {(0, i) for i in range((self.log.size + 255) // 256)})
        stored = self.ledger.read_tiles_and_nodes(self.log.id, keys)
        for key in keys:
            mine = recomputed.get(key, b"")
            theirs, held_nodes = stored.get(key, (b"", b""))
            # the nodes of a tile whose row differs differ too: the row's hashes are named below; tiles
            # written before migration 0007 hold no nodes
            if held_nodes and mine == theirs and held_nodes != nodes.get(key):
                self.problem(
                    "tree",
                    f"tile {key[0]}/{key[1]}",
                    "its stored inner node hashes differ from the ones recomputed from the batches "
                    "(inclusion proofs read from this store would not verify)",
                )
            if mine == theirs:
                continue
            level, index = key
            differing = [
                i // 32
                for i in range(0, max(len(mine), len(theirs)), 32)
                if mine[i : i + 32] != theirs[i : i + 32]
            ]
            for offset in differing[:_NAMED]:
                position = index * 256 + offset
                held, logged = theirs[offset * 32 : offset * 32 + 32], mine[offset * 32 : offset * 32 + 32]
                if level == 0:
                    self.problem(
                        "tree",
                        f"leaf {position}",
                        f"the log holds {held.hex()[:16] or 'nothing'}…, the batch logged there hashes to "
                        f"{logged.hex()[:16] or 'nothing'}…",
                    )
                else:
                    self.problem(
                        "tree",
                        f"tree node at height {8 * level}, index {position}",
                        "the stored node hash differs from the one recomputed from the batches",
                    )
            if len(differing) > _NAMED:
                self.problem(
                    "tree",
                    f"tile {level}/{index}",
                    f"{len(differing) - _NAMED} more differing hashes in this tile",
                )
        return recomputed

    def checkpoints(self, tiles: dict[tuple[int, int], bytes]) -> int:
        hasher = TileHasher(lambda keys: {k: tiles[k] for k in keys if k in tiles})
        key = self.log_key
        if key is None and self.log.vkey is not None:
            key = VerifierKey.parse(self.log.vkey)
        found = self.ledger.checkpoints(self.log.id)
        for checkpoint in found:
            subject = f"checkpoint of size {checkpoint.size}"
            try:
                note = Note.from_text(checkpoint.note)
                body = Checkpoint.from_text(note.text)
            except LedgerVerificationError as err:
                self.problem("checkpoint", subject, f"the stored note does not parse: {err}")
                continue
            if (body.size, body.root_hash) != (checkpoint.size, checkpoint.root):
                self.problem(
                    "checkpoint", subject, "the signed note states another size or root than its columns"
                )
            if key is not None and not any(
                key.matches(s) and key.verify(note.text, s) for s in note.signatures
            ):
                self.problem("checkpoint", subject, f"the note is not validly signed by {key.name}")
            if checkpoint.size > len(self.leaves):
                self.problem("checkpoint", subject, f"larger than the {len(self.leaves)} leaves logged")
                continue
            try:
                root = hasher.root(checkpoint.size)
            except InvalidInputError:
                continue  # the tree problems are named already
            if root != checkpoint.root:
                self.problem(
                    "checkpoint",
                    subject,
                    f"signed root {checkpoint.root.hex()[:16]}…, the logged batches give {root.hex()[:16]}…",
                )
        return len(found)

    # --- readings ---------------------------------------------------------------------------------

    def readings(self) -> None:
        enterprises = set(self.expected)
        policies = self.ledger.meter_policies(self.enterprise)
        enterprises |= {p.enterprise for p in policies}
        for enterprise in sorted(enterprises):
            try:
                model = self.store.load_enterprise(enterprise)
            except NotFoundError:
                self.warnings.append(
                    f"enterprise {enterprise!r} is gone; its batches were checked, its readings not"
                )
                continue
            meters = {m.id: m for m in model.meters}
            strict = {
                p.meter
                for p in policies
                if p.enterprise == enterprise and p.device and not p.unsigned_allowed
            }
            lenient = {p.meter for p in policies if p.enterprise == enterprise and p.unsigned_allowed}
            expected = self.expected.get(enterprise, _Expected())
            quarantined = self.ledger.quarantined(
                [q for _, q in expected.exceptions.values() if q is not None]
            )
            columns = _Signed(expected)
            for meter_id in sorted(set(expected.meters) | strict | lenient):
                meter = meters.get(meter_id)
                if meter is None:
                    self.warnings.append(
                        f"meter {enterprise}/{meter_id} is no longer in the model; not checked"
                    )
                    continue
                self._meter(enterprise, meter, columns, meter_id in strict, quarantined)

    def _meter(
        self,
        enterprise: str,
        meter: Meter,
        signed_rows: _Signed,
        strict: bool,
        quarantined: set[int],
    ) -> None:
        """Compare a meter's stored readings with the signed ones, as arrays; name each mismatch."""
        frame = self.store.read_readings(enterprise, meter.id)
        stored_ts = frame["ts"].dt.as_unit("s").astype("int64").to_numpy()
        stored_values = frame["value"].to_numpy(dtype=np.float64)
        stored_qualities = frame["quality"].to_numpy(dtype=np.int8)
        order = np.argsort(stored_ts, kind="stable")
        stored_ts, stored_values = stored_ts[order], stored_values[order]
        stored_qualities = stored_qualities[order]
        chosen = signed_rows.latest(meter.id)
        ts = signed_rows.ts[chosen]
        # the canonical value ingestion stores: value * factor + offset of the unit signed (the meter's when none)
        units = signed_rows.expected.units
        factors = np.full(len(units), math.nan)
        offsets = np.full(len(units), math.nan)
        for code in np.unique(signed_rows.units[chosen]).tolist():
            unit = signed_rows.unit_names[code]
            try:
                found = lookup_unit(unit or meter.unit, meter.quantity)
            except UnitError:
                continue
            factors[code], offsets[code] = found.factor, found.offset
        unit_codes = signed_rows.units[chosen]
        signed = signed_rows.values[chosen] * factors[unit_codes] + offsets[unit_codes]
        self.checked += len(ts)
        at = np.minimum(np.searchsorted(stored_ts, ts), max(len(stored_ts) - 1, 0))
        found_at = (stored_ts[at] == ts) if len(stored_ts) else np.zeros(len(ts), dtype=bool)
        held = stored_values[at] if len(stored_ts) else np.full(len(ts), math.nan)
        held_quality = stored_qualities[at] if len(stored_ts) else np.full(len(ts), -1, dtype=np.int8)
        # math.isclose(held, signed, rel_tol=1e-9, abs_tol=1e-12), element by element
        with np.errstate(invalid="ignore"):
            close = (held == signed) | (
                np.abs(held - signed) <= np.maximum(1e-9 * np.maximum(np.abs(held), np.abs(signed)), 1e-12)
            )
        same_quality = held_quality == signed_rows.qualities[chosen]
        for k in np.flatnonzero(~(found_at & close & same_quality)).tolist():
            self._mismatch(
                enterprise,
                meter,
                signed_rows,
                int(chosen[k]),
                (signed[k], held[k]),
                int(held_quality[k]) if close[k] else None,
                bool(found_at[k]),
                quarantined,
            )
        signed_ts = np.sort(ts)  # the stored times a batch carries, by a sorted search
        where = np.minimum(np.searchsorted(signed_ts, stored_ts), max(len(signed_ts) - 1, 0))
        carried = signed_ts[where] == stored_ts if len(signed_ts) else np.zeros(len(stored_ts), dtype=bool)
        if strict:
            for when in stored_ts[~carried].tolist():
                self.problem(
                    "reading_unnotarised",
                    f"reading {enterprise}/{meter.id} at {when}",
                    "stored, but no logged batch carries it, and unsigned ingestion is not allowed for this meter "
                    "(inserted?)",
                )
        else:
            self.unnotarised += int(np.count_nonzero(~carried))

    def _mismatch(
        self,
        enterprise: str,
        meter: Meter,
        signed_rows: _Signed,
        index: int,
        values: tuple[float, float],
        quality: int | None,
        stored: bool,
        quarantined: set[int],
    ) -> None:
        """Name one signed reading (``index`` among the enterprise's) that is not stored as signed.

        ``values`` is the signed value in the canonical unit and the stored one; ``quality`` the stored
        flag when the value is stored as signed (so only the flag differs), else None.
        """
        signed, value = values
        when = int(signed_rows.ts[index])
        label = signed_rows.expected.labels[int(signed_rows.batches[index])]
        outcome, quarantine_id = signed_rows.expected.exceptions.get(index, (Outcome.ACCEPTED, None))
        subject = f"reading {enterprise}/{meter.id} at {when}"
        if not stored:
            if outcome == Outcome.REJECTED and quarantine_id in quarantined:
                return  # rejected at ingestion; it waits in the quarantine
            if outcome == Outcome.REJECTED:
                self.problem(
                    "reading_missing",
                    subject,
                    f"rejected at ingestion from {label}, but its quarantine entry {quarantine_id} is gone",
                )
            else:
                self.problem("reading_missing", subject, f"carried by {label} but not stored (deleted?)")
            return
        if quality is not None:
            signed_quality = Quality(int(signed_rows.qualities[index]))
            self.problem(
                "reading_changed",
                subject,
                f"stored with quality {Quality(quality).name.lower()}, but {label} signed "
                f"{signed_quality.name.lower()}",
            )
            return
        unit = signed_rows.unit_names[int(signed_rows.units[index])] or meter.unit
        self.problem(
            "reading_changed",
            subject,
            f"stored {float(value)!r}, but {label} signed {float(signed_rows.values[index])!r} {unit} "
            f"(= {float(signed)!r} canonical)",
        )


def audit_store(
    store: Store, *, log_key: VerifierKey | None = None, enterprise: str | None = None
) -> AuditReport:
    """Audit the store against its log (see the module documentation).

    Parameters
    ----------
    store : Store
    log_key : VerifierKey, optional
        The log's verifier key as known from outside; the key recorded in the store when omitted.
    enterprise : str, optional
        Check only this enterprise's readings (batches and the tree are always checked whole).

    Returns
    -------
    AuditReport
    """
    started = time.perf_counter()
    audit = _Audit(store, log_key, enterprise)
    batches = audit.batches()
    tiles = audit.tree()
    checkpoints = audit.checkpoints(tiles)
    audit.readings()
    for incident in audit.ledger.incidents(open_only=True, enterprise=enterprise):
        audit.warnings.append(f"open incident {incident.id} ({incident.kind}): {incident.message}")
    return AuditReport(
        tuple(audit.problems),
        batches,
        audit.checked,
        audit.unnotarised,
        checkpoints,
        tuple(audit.warnings),
        time.perf_counter() - started,
    )
