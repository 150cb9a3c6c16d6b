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

The batches are read a page at a time and the stored readings a group of
meters at a time, from the driver's rows straight into arrays. With
``workers`` > 1, worker processes check the batches in ranges of leaves and
read the groups of meters; this process gathers what they found in leaf order
and in meter order, so the report is the one a single process makes.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import multiprocessing
import multiprocessing.util
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from shuixiao._workers import usable_cores, worker_count
from shuixiao.errors import (
    ConfigurationError,
    InvalidInputError,
    LedgerVerificationError,
    NotFoundError,
    UnitError,
)
from shuixiao.ledger import (
    BATCH_LABELS,
    Batch,
    Checkpoint,
    DeviceKey,
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
    """Readings of one or more batches as columns: the names once, then a code per reading."""

    meters: list[str]
    meter_codes: npt.NDArray[np.intp]
    ts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    qualities: npt.NDArray[np.int8]
    units: list[str | None]
    unit_codes: npt.NDArray[np.intp]

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
    exceptions: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    size: int = 0
    chunks: list[tuple[npt.NDArray[Any], ...]] = field(default_factory=list)

    def add(self, rows: _Rows, counts: npt.NDArray[np.intp], batches: list[_Carried]) -> None:
        """Append the readings of some of the batches whose readings ``rows`` holds, in order.

        ``counts`` are the readings of each batch of ``rows``; ``batches`` the ones to keep: (their
        position among those, their label, the outcomes not accepted by position in the batch).
        """
        # codes and batch numbers as int32: the worker processes send these columns back (12 bytes a
        # reading less than as intp)
        numbers = np.full(len(counts), -1, dtype=np.int32)
        kept = np.array([b[0] for b in batches], dtype=np.intp)
        numbers[kept] = len(self.labels) + np.arange(len(batches))
        per_reading = np.repeat(numbers, counts)
        mask = per_reading >= 0
        first = self.size + np.cumsum(counts[kept]) - counts[kept]
        for (position, label, exceptions), start in zip(batches, first.tolist(), strict=True):
            self.labels.append(label)
            for at, outcome in exceptions.items():
                if at < counts[position]:
                    self.exceptions[start + at] = outcome
        meters = np.array([self.meters.setdefault(m, len(self.meters)) for m in rows.meters], dtype=np.int32)
        units = np.array([self.units.setdefault(u, len(self.units)) for u in rows.units], dtype=np.int32)
        everything = bool(mask.all())
        chosen = slice(None) if everything else mask
        self.chunks.append(
            (
                meters[rows.meter_codes[chosen]],
                units[rows.unit_codes[chosen]],
                per_reading[chosen],
                rows.ts[chosen],
                rows.values[chosen],
                rows.qualities[chosen],
            )
        )
        self.size += len(self.chunks[-1][0])

    def extend(self, other: _Expected) -> None:
        """Append the readings of ``other``, which follow these in the log."""
        meters = np.array([self.meters.setdefault(m, len(self.meters)) for m in other.meters], dtype=np.intp)
        units = np.array([self.units.setdefault(u, len(self.units)) for u in other.units], dtype=np.intp)
        for at, outcome in other.exceptions.items():
            self.exceptions[self.size + at] = outcome
        offset = len(self.labels)
        self.labels += other.labels
        for meter_codes, unit_codes, batches, ts, values, qualities in other.chunks:
            self.chunks.append(
                (meters[meter_codes], units[unit_codes], batches + offset, ts, values, qualities)
            )
        self.size += other.size

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        """``(meter codes, unit codes, batch numbers, times, values, qualities)`` of every reading, in order."""
        types = (np.intp, np.intp, np.intp, np.int64, np.float64, np.int8)
        if not self.chunks:
            return tuple(np.zeros(0, dtype=t) for t in types)
        return tuple(
            np.concatenate([c[i] for c in self.chunks]).astype(t, copy=False) for i, t in enumerate(types)
        )


class _Signed:
    """An enterprise's signed readings concatenated, grouped by meter (what :meth:`_Audit._meter` compares)."""

    def __init__(self, expected: _Expected) -> None:
        self.expected = expected
        meters, self.units, self.batches, self.ts, self.values, self.qualities = expected.columns()
        self.unit_names = list(expected.units)
        # by meter, then as logged (a radix sort when the codes fit 16 bits)
        order = np.argsort(meters.astype(np.int16) if len(expected.meters) < 2**15 else meters, kind="stable")
        bounds = np.searchsorted(meters[order], np.arange(len(expected.meters) + 1))
        self._groups = {
            name: order[bounds[code] : bounds[code + 1]] for name, code in expected.meters.items()
        }

    def latest(self, meter: str) -> npt.NDArray[np.intp]:
        """Indexes of the meter's readings to check: where batches repeat a time, the last logged one's."""
        group = self._groups.get(meter, np.zeros(0, dtype=np.intp))
        ts = self.ts[group]
        if np.all(ts[1:] > ts[:-1]):  # as usual, each time once and in order: all of them
            return group
        backwards = ts[::-1]
        _, first = np.unique(backwards, return_index=True)
        return np.sort(group[len(group) - 1 - first])


_Parsed = tuple[str, int, bytes, int, _Rows]
_Header = tuple[int, str, int, bytes, int, int, int]
_Carried = tuple[int, str, dict[int, tuple[int, int | None]]]
_HEADER = struct.Struct(">Q32sQI")
_VERSIONS: Final = {label: version for version, label in BATCH_LABELS.items()}
_LABEL_SIZE: Final = 18
_NUMBERS: Final = {1: 16, 2: 17}  # bytes of ts, value (and, from version 2, quality) in a reading
_TIME_VALUE = struct.Struct(">Qd")
_MALFORMED = (KeyError, ValueError, IndexError, struct.error, UnicodeDecodeError)


_MATRIX: Final = 64  # readings from which a batch is worth reading as a byte matrix (NumPy's set-up cost)


def _distinct(fields: npt.NDArray[np.uint8]) -> tuple[list[bytes], npt.NDArray[np.intp]]:
    """The distinct rows of a byte matrix and the number of each row among them.

    Rows of up to 8 bytes are compared as one integer each (sorting integers is some four times
    faster than sorting byte strings).
    """
    count, width = fields.shape
    if width <= 8:
        padded = np.zeros((count, 8), dtype=np.uint8)
        padded[:, :width] = fields
        numbers, codes = np.unique(padded.view(">u8")[:, 0], return_inverse=True)
        return [int(n).to_bytes(8, "big")[:width] for n in numbers.tolist()], codes.reshape(-1)
    names, codes = np.unique(np.ascontiguousarray(fields).view(f"S{width}")[:, 0], return_inverse=True)
    return [bytes(n).ljust(width, b"\0") for n in names], codes.reshape(-1)


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
    names, meter_codes = _distinct(table[:, 1 : 1 + meter_size])
    fixed = np.ascontiguousarray(table[:, 1 + meter_size : 1 + meter_size + 16])
    ts = fixed[:, :8].copy().view(">u8")[:, 0].astype(np.int64)
    values = fixed[:, 8:].copy().view(">f8")[:, 0].astype(np.float64)
    qualities = (
        table[:, 1 + meter_size + 16].astype(np.int8) if version > 1 else np.zeros(count, dtype=np.int8)
    )
    if unit_size:
        start = 1 + meter_size + numbers + 1
        unit_names, unit_codes = _distinct(table[:, start : start + unit_size])
        units: list[str | None] = [u.decode("utf-8") for u in unit_names]
    else:
        units, unit_codes = [None], np.zeros(count, dtype=np.intp)
    meters = [m.decode("utf-8") for m in names]
    return _Rows(
        meters, meter_codes.astype(np.intp), ts, values, qualities, units, unit_codes.astype(np.intp)
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
    rows = _Rows(
        list(meters),
        np.array(meter_codes, dtype=np.intp),
        np.array(times, dtype=np.uint64).astype(np.int64),
        np.array(values, dtype=np.float64),
        np.array(qualities, dtype=np.uint8).astype(np.int8),
        list(units),
        np.array(unit_codes, dtype=np.intp),
    )
    return rows, position


def _header(data: bytes) -> _Header:
    """Read a batch encoding's header: (version, device, sequence, previous hash, created, readings, where they start)."""
    version = _VERSIONS[data[:_LABEL_SIZE]]
    position = _LABEL_SIZE
    size = data[position]
    device = data[position + 1 : position + 1 + size].decode("utf-8")
    position += 1 + size
    sequence, previous, created, count = _HEADER.unpack_from(data, position)
    return version, device, sequence, previous, created, count, position + _HEADER.size


def _parse(data: bytes) -> _Parsed:
    """Read a stored batch encoding: (device, sequence, previous hash, created, readings as columns).

    Faster than :meth:`Batch.decode` (no objects per reading, no canonical re-encoding): the audit
    checks the encoding by its hash and its signature instead. Falls back to ``Batch.decode`` for the
    error message when the encoding is malformed.
    """
    try:
        version, device, sequence, previous, created, count, position = _header(data)
        rows = _fixed_rows(data, position, count, version)
        if rows is None:
            rows, position = _record_rows(data, position, count, version)
            if position != len(data):
                raise ValueError("trailing bytes")
    except _MALFORMED:
        Batch.decode(data)  # raises LedgerVerificationError naming what is wrong
        raise LedgerVerificationError("malformed batch encoding") from None
    return device, sequence, previous, created, rows


def _page_rows(encodings: list[bytes]) -> tuple[list[_Header], _Rows, npt.NDArray[np.intp]] | None:
    """Read the readings of a page of batches as one byte matrix when all their records share one layout.

    Returns the batches' headers, their readings one after the other and the number of each batch's;
    None when a header does not parse, the versions or the layouts differ or there are too few
    readings for it to pay (then :func:`_parse` reads batch by batch and names what is malformed).
    """
    try:
        headers = [_header(data) for data in encodings]
    except _MALFORMED:
        return None
    if not headers or len({h[0] for h in headers}) != 1:
        return None
    bodies = [data[h[6] :] for data, h in zip(encodings, headers, strict=True)]
    counts = np.array([h[5] for h in headers], dtype=np.intp)
    total = int(counts.sum())
    try:
        rows = _fixed_rows(b"".join(bodies), 0, total, headers[0][0])
    except UnicodeDecodeError:
        return None
    if rows is None:
        return None
    width = sum(len(b) for b in bodies) // total
    if np.any(np.array([len(b) for b in bodies], dtype=np.intp) != counts * width):
        return None  # a batch's records do not add up to its count: named batch by batch
    return headers, rows, counts


@dataclass
class _Scanned:
    """What checking a range of logged batches found, for :class:`_Audit` to gather in leaf order.

    ``leaves`` are the batches' (leaf index, leaf hash); ``problems`` pair a problem with the number
    of the batch in the range it was found at; ``links`` are the batches' (device, sequence, hash of
    the encoding, previous hash).
    """

    leaves: list[tuple[int, bytes]] = field(default_factory=list)
    problems: list[tuple[int, AuditProblem]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    links: list[tuple[str, int, bytes, bytes]] = field(default_factory=list)
    expected: dict[str, _Expected] = field(default_factory=dict)


_PAGE: Final = 2_000  # batches read in one query
_Check = tuple[str, Meter, bool]  # enterprise, meter, whether every stored reading must be signed


class _Scan:
    """Check the logged batches of a range of leaves (in the caller or in a worker process)."""

    def __init__(self, store: Store, keys: dict[int, DeviceKeyRecord], enterprise: str | None) -> None:
        self.ledger = LedgerStore(store)
        self.keys = keys
        self.device_keys: dict[int, DeviceKey] = {}  # the engine's form of the keys used, once each
        self.enterprise = enterprise
        self.found = _Scanned()

    def problem(self, kind: str, subject: str, message: str) -> None:
        self.found.problems.append((len(self.found.leaves) - 1, AuditProblem(kind, subject, message)))

    def run(self, log_id: int, after: int, last: int | None) -> _Scanned:
        """Check the batches of the leaves after ``after`` up to ``last`` (None: to the end)."""
        while last is None or after < last:
            limit = _PAGE if last is None else min(_PAGE, last - after)
            page = self.ledger.batches(log_id, after_leaf=after, limit=limit)
            inside = [b for b in page if last is None or b.leaf_index <= last]
            self.page(inside)
            if len(inside) < limit:
                break
            after = inside[-1].leaf_index
        return self.found

    def page(self, page: list[StoredBatch]) -> None:
        outcomes = self.ledger.reading_outcomes([b.id for b in page if b.enterprise is not None])
        matrix = _page_rows([b.encoding for b in page])
        carried: dict[str, list[_Carried]] = {}
        for number, stored in enumerate(page):
            subject = f"batch {stored.device}#{stored.sequence} (leaf {stored.leaf_index})"
            digest = hashlib.sha256(stored.encoding).digest()
            self.found.leaves.append((stored.leaf_index, leaf_hash(stored.batch_hash)))
            if digest != stored.batch_hash:
                self.problem(
                    "batch",
                    subject,
                    f"the stored encoding hashes to {digest.hex()[:16]}…, not its batch hash",
                )
            rows = None
            if matrix is not None:
                _, device, sequence, previous, created, count, _ = matrix[0][number]
            else:
                try:
                    device, sequence, previous, created, rows = _parse(stored.encoding)
                except LedgerVerificationError as err:
                    self.problem("batch", subject, f"stored encoding is not a batch: {err}")
                    continue
                count = len(rows)
            columns = (stored.device, stored.sequence, stored.previous_hash, stored.created, stored.readings)
            if columns != (device, sequence, previous, created, count):
                self.problem("batch", subject, "the batch columns differ from the signed encoding")
            self.found.links.append((device, sequence, digest, previous))
            if stored.enterprise is None:
                continue
            self.signature(stored, device, created, subject)
            if self.enterprise is not None and stored.enterprise != self.enterprise:
                continue
            kept, exceptions = outcomes.get(stored.id, (0, {}))
            if kept != count:
                self.problem("batch", subject, f"{kept} reading outcomes kept for {count} readings")
            expected = self.found.expected.setdefault(stored.enterprise, _Expected())
            if rows is None:
                carried.setdefault(stored.enterprise, []).append((number, subject, exceptions))
            else:
                expected.add(rows, np.array([count], dtype=np.intp), [(0, subject, exceptions)])
        if matrix is not None:
            for enterprise, batches in carried.items():
                self.found.expected[enterprise].add(matrix[1], matrix[2], batches)

    def signature(self, stored: StoredBatch, device: str, created: int, subject: str) -> None:
        record = self.keys.get(stored.key_id) if stored.key_id is not None else None
        if record is None or record.device != device:
            self.problem(
                "signature", subject, f"the device key it names ({stored.key_id}) is not a key of {device}"
            )
            return
        key = self.device_keys.get(record.id)
        if key is None:
            key = self.device_keys[record.id] = record.to_device_key()
        if not key.valid_at(created):
            self.problem(
                "signature", subject, f"device key {record.id} was not valid at the batch's time {created}"
            )
        elif key.revoked_at is not None and stored.received >= key.revoked_at:
            self.found.warnings.append(
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


_METERS_PER_READ: Final = 32
"""Meters whose stored readings are read in one query (and handed to a worker process as one job)."""


def _stored_readings(store: Store, meter_keys: list[int]) -> list[tuple[npt.NDArray[Any], ...]]:
    """The stored ``(times, values, qualities)`` of each meter, by time, in the order of ``meter_keys``.

    [s since epoch, canonical unit, Quality code]
    """
    return LedgerStore(store).stored_readings(meter_keys)


class _Audit:
    def __init__(
        self, store: Store, log_key: VerifierKey | None, enterprise: str | None, pool: _Pool | None
    ) -> None:
        self.store = store
        self.ledger = LedgerStore(store)
        self.log: LogInfo = self.ledger.local_log()
        self.log_key = log_key
        self.enterprise = enterprise
        self.pool = pool
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
        if self.pool is None:
            parts: Iterable[_Scanned] = [_Scan(self.store, keys, self.enterprise).run(self.log.id, -1, None)]
        else:
            # ranges of leaves, the last one open (a tampered store may hold leaves past the log's size)
            count = _CHUNKS_PER_WORKER * self.pool.workers
            bounds = [-1, *(self.log.size * i // count - 1 for i in range(1, count)), None]
            jobs = [
                (self.log.id, keys, self.enterprise, after, last)
                for after, last in itertools.pairwise(bounds)
                if last is None or after is None or last > after
            ]
            parts = self.pool.executor.map(_scan_in_worker, jobs)
        batches = 0
        for part in parts:
            batches += len(part.leaves)
            self._gather(part)
        for device, chain in self.links.items():
            for sequence in sorted(chain):
                if sequence + 1 in chain and chain[sequence + 1][1] != chain[sequence][0]:
                    self.problem(
                        "chain",
                        f"batch {device}#{sequence + 1}",
                        f"does not link to batch {device}#{sequence} (previous hash "
                        f"{chain[sequence + 1][1].hex()[:16]}…, batch {sequence} hashes to {chain[sequence][0].hex()[:16]}…)",
                    )
        return batches

    def _gather(self, part: _Scanned) -> None:
        """Take in the findings of the next range of leaves (the tree problems are named here, in order)."""
        found = iter(part.problems)
        pending = next(found, None)
        for number, (leaf_index, hashed) in enumerate(part.leaves):
            if leaf_index != len(self.leaves):
                first = len(self.leaves)
                self.problem(
                    "tree",
                    f"leaf {first}",
                    f"leaves {first}..{leaf_index - 1} have no batch (deleted rows?)"
                    if leaf_index > first
                    else f"two batches claim leaf {leaf_index}",
                )
                self.leaves += [b""] * max(0, leaf_index - first)
            self.leaves.append(hashed)
            while pending is not None and pending[0] == number:
                self.problems.append(pending[1])
                pending = next(found, None)
        self.warnings += part.warnings
        for device, sequence, digest, previous in part.links:
            self.links.setdefault(device, {})[sequence] = (digest, previous)
        for enterprise, expected in part.expected.items():
            self.expected.setdefault(enterprise, _Expected()).extend(expected)

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
            # the nodes of a tile whose row differs differ too: the row's hashes are named below; a tile
            # without stored nodes has its proofs hash them from the row
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

    def plan(self) -> tuple[list[_Check], Iterator[tuple[npt.NDArray[Any], ...]]]:
        """List the meters whose readings to compare and start reading their stored readings.

        Returns the checks and, in the same order, the meters' stored readings as they come: in the
        worker processes, which read them while this process recomputes the tree.
        """
        enterprises = set(self.expected)
        policies = self.ledger.meter_policies(self.enterprise)
        enterprises |= {p.enterprise for p in policies}
        checks: list[_Check] = []
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
            expected = self.expected.setdefault(enterprise, _Expected())
            for meter_id in sorted(set(expected.meters) | strict | lenient):
                meter = meters.get(meter_id)
                if meter is None:
                    self.warnings.append(
                        f"meter {enterprise}/{meter_id} is no longer in the model; not checked"
                    )
                    continue
                checks.append((enterprise, meter, meter_id in strict))
        keys = {enterprise: self.store.meter_keys(enterprise) for enterprise in {c[0] for c in checks}}
        wanted = [keys[enterprise][meter.id] for enterprise, meter, _ in checks]
        size = _METERS_PER_READ
        if self.pool is not None:
            size = max(1, min(size, -(-len(wanted) // (_CHUNKS_PER_WORKER * self.pool.workers))))
        groups = [wanted[first : first + size] for first in range(0, len(wanted), size)]
        if self.pool is None:
            found: Iterable[list[tuple[npt.NDArray[Any], ...]]] = (
                _stored_readings(self.store, g) for g in groups
            )
        else:
            found = self.pool.executor.map(_stored_in_worker, groups)
        return checks, itertools.chain.from_iterable(found)

    def readings(self, checks: list[_Check], stored: Iterator[tuple[npt.NDArray[Any], ...]]) -> None:
        """Compare the stored readings of the meters of :meth:`plan` with the signed ones."""
        signed: dict[str, tuple[_Signed, set[int]]] = {}
        for (enterprise, meter, strict), held in zip(checks, stored, strict=True):
            if enterprise not in signed:
                expected = self.expected[enterprise]
                quarantined = self.ledger.quarantined(
                    [q for _, q in expected.exceptions.values() if q is not None]
                )
                signed[enterprise] = (_Signed(expected), quarantined)
            self._meter(enterprise, meter, *signed[enterprise], strict, held)

    def _meter(
        self,
        enterprise: str,
        meter: Meter,
        signed_rows: _Signed,
        quarantined: set[int],
        strict: bool,
        held_rows: tuple[npt.NDArray[Any], ...],
    ) -> None:
        """Compare a meter's stored readings (by time) with the signed ones, as arrays; name each mismatch."""
        stored_ts, stored_values, stored_qualities = held_rows
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


# --- worker processes -------------------------------------------------------------------------------

_CHUNKS_PER_WORKER: Final = 4
"""Ranges of leaves (and groups of meters) handed to each worker process: enough to even out their
work, few enough that each range is read in long pages."""

_POOL_BATCHES: Final = {"fork": 2_000, "forkserver": 20_000, "spawn": 20_000}
"""Logged batches from which :func:`audit_store` checks on every core when ``workers`` is not given,
by how the workers start: some 0.2 s of work on one core against some 50 ms (and 0.1 s of CPU
time) to fork them and gather what they found, some 1.5 s against about a second for a server or
fresh processes to import this module."""


@dataclass
class _Pool:
    executor: ProcessPoolExecutor
    workers: int


_worker_store: Store | None = None
"""The store of a worker process (set by :func:`_open_worker_store`; never set in the caller)."""


def _start_method() -> str:
    """How worker processes start: forked from this process where that is safe, else from a server.

    Forking copies the imported modules, so the workers start in some 20 ms; it is safe on Linux
    in a process with a single thread (no lock can be held by a thread the copy lacks) as long as the
    workers open their own connections, which they do. Elsewhere they fork from a ``forkserver``
    that imports this module once (about a second), or start afresh where there is none.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _open_worker_store(url: str) -> None:
    global _worker_store
    _worker_store = Store.open(url)
    # workers end with os._exit, which skips atexit; multiprocessing runs its own finalizers first
    multiprocessing.util.Finalize(None, _worker_store.close, exitpriority=0)


def _in_worker() -> Store:
    if _worker_store is None:
        raise RuntimeError("the audit's worker functions run only in a process started by audit_store")
    return _worker_store


def _scan_in_worker(job: tuple[int, dict[int, DeviceKeyRecord], str | None, int, int | None]) -> _Scanned:
    log_id, keys, enterprise, after, last = job
    return _Scan(_in_worker(), keys, enterprise).run(log_id, after, last)


def _stored_in_worker(meter_keys: list[int]) -> list[tuple[npt.NDArray[Any], ...]]:
    return _stored_readings(_in_worker(), meter_keys)


def audit_store(
    store: Store,
    *,
    log_key: VerifierKey | None = None,
    enterprise: str | None = None,
    workers: int | None = None,
) -> AuditReport:
    """Audit the store against its log (see the module documentation).

    Parameters
    ----------
    store : Store
    log_key : VerifierKey, optional
        The log's verifier key as known from outside; the key recorded in the store when omitted.
    enterprise : str, optional
        Check only this enterprise's readings (batches and the tree are always checked whole).
    workers : int, optional
        Processes that check batches (their hashes, encodings and signatures) and read the stored
        readings, each on its own connection; 1 checks everything in this process. By default one per
        CPU core this process may run on when the log holds enough batches for that to pay (2,000
        where the workers can be forked, 20,000 elsewhere) and the store is not in memory, else 1.
        The report is the same whatever the number.

    Returns
    -------
    AuditReport

    Raises
    ------
    InvalidInputError
        If ``workers`` is not a whole number ≥ 1.
    ConfigurationError
        If ``workers`` > 1 and the store is an in-memory SQLite database.
    """
    if workers is not None:
        workers = worker_count(workers)
    started = time.perf_counter()
    method = _start_method()
    if workers is None:
        workers = 1
        if LedgerStore(store).local_log().size >= _POOL_BATCHES[method]:
            with contextlib.suppress(ConfigurationError):
                store.url_to_reopen()
                workers = usable_cores()
    with contextlib.ExitStack() as stack:
        pool = None
        if workers > 1:
            context = multiprocessing.get_context(method)
            if method == "forkserver":  # the server imports the audit (numpy, the store) once
                context.set_forkserver_preload([__name__])
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_open_worker_store,
                initargs=(store.url_to_reopen(),),
            )
            pool = _Pool(stack.enter_context(executor), workers)
        audit = _Audit(store, log_key, enterprise, pool)
        batches = audit.batches()
        checks, stored = audit.plan()
        tiles = audit.tree()
        checkpoints = audit.checkpoints(tiles)
        audit.readings(checks, stored)
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
