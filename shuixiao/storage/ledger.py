"""Ledger tables and their repository: device keys, signed batches, the log as tiles, checkpoints, incidents.

The log is kept as C2SP tlog-tiles (:mod:`shuixiao.ledger.tiles`): one row per
tile, 256 node hashes in a row, so appending a thousand batches rewrites a
handful of rows and an inclusion proof reads about three. A store holds one
*local* log (the batches it notarised) and any number of *mirror* logs (logs
of other nodes it follows as a witness).

==========================  ===========================================================================
table                       holds
==========================  ===========================================================================
``ledger_logs``             each log: local or mirror, origin, verifier key, current size
``ledger_tiles``            the node hashes of each log, 256 to a row (C2SP tlog-tiles), with each row's inner nodes
``ledger_device_keys``      device Ed25519 public keys with their validity, rotation and revocation
``ledger_meters``           per meter: the device that signs its readings, and whether unsigned
                            ingestion is allowed for it
``ledger_batches``          every logged batch: encoding, hash, signature, key, leaf index
``ledger_batch_meters``     per batch and meter: the positions and times of its readings in the batch
``ledger_batch_exceptions`` the batch readings ingestion did not accept (duplicate, or rejected with
                            its quarantine id); a reading not listed was accepted
``ledger_checkpoints``      signed checkpoints (size, root, signed note)
``ledger_cosignatures``     witness cosignatures of checkpoints
``ledger_incidents``        missing batches, forks, tampering, split views, bad signatures
==========================  ===========================================================================

Times are UTC datetimes; hashes, keys and signatures are raw bytes.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shuixiao.errors import ConfigurationError, InvalidInputError, NotFoundError, StorageError
from shuixiao.ledger import DeviceKey as EngineDeviceKey
from shuixiao.ledger import (
    TileHasher,
    TileKey,
    append_to_tiles,
    edge_tiles,
    leaf_hash,
)
from shuixiao.storage.schema import UTCTimestamp, metadata, quarantine, utc_seconds
from shuixiao.storage.store import Store

__all__ = [
    "BatchMeterRow",
    "BatchReadingRow",
    "ChainLink",
    "DeviceKeyRecord",
    "Incident",
    "LedgerStore",
    "LogInfo",
    "MeterPolicy",
    "NewBatch",
    "Outcome",
    "StoredBatch",
    "StoredCheckpoint",
    "StoredCosignature",
    "group_batch_readings",
    "ledger_batch_exceptions",
    "ledger_batch_meters",
    "ledger_batches",
    "ledger_checkpoints",
    "ledger_cosignatures",
    "ledger_device_keys",
    "ledger_incidents",
    "ledger_logs",
    "ledger_meters",
    "ledger_tiles",
]

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_CASCADE: Final[dict[str, Any]] = {"ondelete": "CASCADE"}
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LOCAL: Final = "local"
_MIRROR: Final = "mirror"
_CHUNK: Final = 5_000  # rows per IN list or INSERT chunk
_STORED_READING: Final = np.dtype([("ts", np.int64), ("value", np.float64), ("quality", np.int8)])

ledger_logs = sa.Table(
    "ledger_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "kind", sa.String, nullable=False, comment="local (this store's log) or mirror (a followed log)"
    ),
    sa.Column("origin", sa.String, nullable=True, unique=True, comment="checkpoint origin; null until bound"),
    sa.Column("vkey", sa.Text, nullable=True, comment="the log's note verifier key"),
    sa.Column("size", sa.BigInteger, nullable=False, comment="number of leaves"),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Index(
        "ix_ledger_logs_local",
        "kind",
        unique=True,
        sqlite_where=sa.text("kind = 'local'"),
        postgresql_where=sa.text("kind = 'local'"),
    ),
    sqlite_autoincrement=True,
    comment="transparency logs: the local one and mirrors followed as a witness",
)

ledger_tiles = sa.Table(
    "ledger_tiles",
    metadata,
    sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id", **_CASCADE), nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False, comment="tile level (nodes of height 8 level)"),
    sa.Column("idx", sa.BigInteger, nullable=False, comment="tile index within the level"),
    sa.Column("hashes", sa.LargeBinary, nullable=False, comment="the tile's node hashes, 32 bytes each"),
    sa.Column(
        "nodes",
        sa.LargeBinary,
        nullable=True,
        comment="the tile's complete inner node hashes, heights 1 to 7 (254 x 32 bytes when full)",
    ),
    sa.PrimaryKeyConstraint("log_id", "level", "idx"),
    sqlite_with_rowid=False,
    comment="C2SP tlog-tiles of each log",
)

ledger_device_keys = sa.Table(
    "ledger_device_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("device", sa.String, nullable=False, comment="device id as in its batches"),
    sa.Column("enterprise", sa.String, nullable=False, comment="enterprise id owning the device"),
    sa.Column("public_key", sa.LargeBinary, nullable=False, comment="Ed25519 public key, 32 bytes"),
    sa.Column("valid_from", UTCTimestamp(), nullable=False),
    sa.Column("valid_to", UTCTimestamp(), nullable=True, comment="end of validity, exclusive (rotation)"),
    sa.Column("revoked_at", UTCTimestamp(), nullable=True, comment="compromised from this time on"),
    sa.Column("reason", sa.Text, nullable=True, comment="why the key was revoked"),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.UniqueConstraint("device", "public_key"),
    sa.Index(None, "enterprise", "device"),
    sqlite_autoincrement=True,
    comment="device keys with their history (register, rotate, revoke)",
)

ledger_meters = sa.Table(
    "ledger_meters",
    metadata,
    sa.Column("enterprise", sa.String, nullable=False),
    sa.Column("meter", sa.String, nullable=False),
    sa.Column("device", sa.String, nullable=True, comment="device that signs this meter's readings"),
    sa.Column(
        "unsigned_allowed", sa.Boolean, nullable=False, comment="readings without a batch are acceptable"
    ),
    sa.Column("updated", UTCTimestamp(), nullable=False),
    sa.PrimaryKeyConstraint("enterprise", "meter"),
    sa.Index(None, "device"),
    comment="notarisation of each meter: signing device and the enterprise's unsigned-ingestion choice",
)

ledger_batches = sa.Table(
    "ledger_batches",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id", **_CASCADE), nullable=False),
    sa.Column("enterprise", sa.String, nullable=True, comment="null in a mirror"),
    sa.Column("device", sa.String, nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("previous_hash", sa.LargeBinary, nullable=False),
    sa.Column("batch_hash", sa.LargeBinary, nullable=False, comment="SHA-256 of the encoding: the leaf data"),
    sa.Column("created", UTCTimestamp(), nullable=False, comment="when the device closed the batch"),
    sa.Column("received", UTCTimestamp(), nullable=False),
    sa.Column("signature", sa.LargeBinary, nullable=False, comment="Ed25519 signature of the encoding"),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("ledger_device_keys.id"), nullable=True),
    sa.Column("leaf_index", sa.BigInteger, nullable=False),
    sa.Column("readings", sa.Integer, nullable=False, comment="number of readings"),
    sa.Column("status", sa.String, nullable=False, comment="linked, gap (a predecessor missing) or mirrored"),
    sa.Column("encoding", sa.LargeBinary, nullable=False, comment="canonical batch encoding"),
    sa.UniqueConstraint("log_id", "device", "sequence"),
    sa.UniqueConstraint("log_id", "leaf_index"),
    sqlite_autoincrement=True,
    comment="device-signed batches, one leaf of the log each",
)

ledger_batch_meters = sa.Table(
    "ledger_batch_meters",
    metadata,
    sa.Column("batch_id", _ID, sa.ForeignKey("ledger_batches.id", **_CASCADE), nullable=False),
    sa.Column("meter_key", sa.Integer, nullable=False, comment="meters.key"),
    sa.Column(
        "first_ts", UTCTimestamp(), nullable=False, comment="earliest time of its readings in the batch"
    ),
    sa.Column("last_ts", UTCTimestamp(), nullable=False, comment="latest time of its readings in the batch"),
    sa.Column("readings", sa.Integer, nullable=False, comment="number of its readings in the batch"),
    sa.Column(
        "positions",
        sa.LargeBinary,
        nullable=False,
        comment="their indexes in the batch, uint32 big-endian each",
    ),
    sa.Column(
        "times", sa.LargeBinary, nullable=False, comment="their times, s since epoch, int64 big-endian each"
    ),
    sa.PrimaryKeyConstraint("batch_id", "meter_key"),
    sa.Index(None, "meter_key", "last_ts"),  # lookups by time read the rows ending at or after it
    sqlite_with_rowid=False,
    comment="the readings of each meter a batch carries (one row per batch and meter)",
)

ledger_batch_exceptions = sa.Table(
    "ledger_batch_exceptions",
    metadata,
    sa.Column("batch_id", _ID, sa.ForeignKey("ledger_batches.id", **_CASCADE), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, comment="index of the reading in the batch"),
    sa.Column("meter_key", sa.Integer, nullable=False, comment="meters.key"),
    sa.Column("ts", UTCTimestamp(), nullable=False),
    sa.Column("outcome", sa.SmallInteger, nullable=False, comment="Outcome value at ingestion, not accepted"),
    sa.Column("quarantine_id", sa.Integer, nullable=True, comment="quarantine.id when rejected"),
    sa.PrimaryKeyConstraint("batch_id", "position"),
    sa.Index(None, "meter_key", "ts"),
    sqlite_with_rowid=False,
    comment="batch readings that ingestion did not accept; every other batch reading was accepted",
)

ledger_checkpoints = sa.Table(
    "ledger_checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id", **_CASCADE), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("root", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text, nullable=False, comment="the checkpoint as a note signed by the log"),
    sa.Column("created", UTCTimestamp(), nullable=False, comment="signed (local) or first seen (mirror)"),
    sa.UniqueConstraint("log_id", "size", "root"),
    sqlite_autoincrement=True,
    comment="signed checkpoints (C2SP tlog-checkpoint)",
)

ledger_cosignatures = sa.Table(
    "ledger_cosignatures",
    metadata,
    sa.Column(
        "checkpoint_id", sa.Integer, sa.ForeignKey("ledger_checkpoints.id", **_CASCADE), nullable=False
    ),
    sa.Column("witness", sa.String, nullable=False, comment="witness key name"),
    sa.Column("key_id", sa.BigInteger, nullable=False, comment="witness key ID (uint32)"),
    sa.Column("timestamp", UTCTimestamp(), nullable=False, comment="time in the cosignature"),
    sa.Column(
        "signature", sa.LargeBinary, nullable=False, comment="timestamp and Ed25519 signature, 72 bytes"
    ),
    sa.PrimaryKeyConstraint("checkpoint_id", "witness", "key_id"),
    comment="witness cosignatures (C2SP tlog-cosignature)",
)

ledger_incidents = sa.Table(
    "ledger_incidents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String, nullable=False, comment="missing_batch, fork, tamper, split_view, ..."),
    sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("enterprise", sa.String, nullable=True),
    sa.Column("device", sa.String, nullable=True),
    sa.Column("message", sa.Text, nullable=False, comment="what was found, for a person"),
    sa.Column("detail", _JSON, nullable=False, comment="evidence: sequences, hashes, the refused batch"),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Column("resolved_at", UTCTimestamp(), nullable=True),
    sa.Index(None, "kind", "resolved_at"),
    sa.Index(None, "enterprise"),
    sqlite_autoincrement=True,
    comment="ledger incidents",
)


def _instant(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=int(seconds))


def _seconds(value: dt.datetime | None) -> int | None:
    return None if value is None else utc_seconds(value)


class Outcome:
    """What ingestion did with a batch reading (``ledger_batch_exceptions.outcome``; accepted is not listed)."""

    ACCEPTED: Final = 0  #: stored by this batch
    DUPLICATE: Final = 1  #: already stored with the same value
    REJECTED: Final = 2  #: quarantined (see ``quarantine_id``)


@dataclass(frozen=True)
class LogInfo:
    """A log kept in the store.

    Parameters
    ----------
    id : int
        Row id.
    kind : str
        ``local`` or ``mirror``.
    origin : str or None
        Checkpoint origin; None for a local log not yet bound to a key.
    vkey : str or None
        The log's note verifier key.
    size : int
        Number of leaves.
    """

    id: int
    kind: str
    origin: str | None
    vkey: str | None
    size: int


@dataclass(frozen=True)
class DeviceKeyRecord:
    """One entry of a device's key history.

    Parameters
    ----------
    id : int
        Row id (what batches refer to).
    device, enterprise : str
        The device and its enterprise.
    public_key : bytes
        Ed25519 public key. [32 bytes]
    valid_from : datetime.datetime
        First instant the key may sign (UTC).
    valid_to : datetime.datetime or None
        End of validity, exclusive; None while current.
    revoked_at : datetime.datetime or None
        Compromised from this instant on.
    reason : str or None
        Why it was revoked.
    created : datetime.datetime
        When it was registered.
    """

    id: int
    device: str
    enterprise: str
    public_key: bytes
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    revoked_at: dt.datetime | None
    reason: str | None
    created: dt.datetime

    def to_device_key(self) -> EngineDeviceKey:
        """Return the engine's :class:`~shuixiao.ledger.DeviceKey` (times in epoch seconds)."""
        return EngineDeviceKey(
            self.public_key,
            utc_seconds(self.valid_from),
            _seconds(self.valid_to),
            _seconds(self.revoked_at),
        )


@dataclass(frozen=True)
class MeterPolicy:
    """How one meter is notarised.

    Parameters
    ----------
    enterprise, meter : str
        The meter.
    device : str or None
        The device whose batches carry its readings; None if none.
    unsigned_allowed : bool
        Whether readings that came without a batch are acceptable for it.
    """

    enterprise: str
    meter: str
    device: str | None
    unsigned_allowed: bool


class BatchReadingRow(NamedTuple):
    """Where one reading of a batch went at ingestion (a tuple: a batch carries many).

    Parameters
    ----------
    position : int
        Index in the batch.
    meter_key : int
        ``meters.key`` of the reading's meter.
    ts : int
        Time of the reading. [s since epoch]
    outcome : int
        An :class:`Outcome` value.
    quarantine_id : int or None
        Quarantine row of a rejected reading.
    """

    position: int
    meter_key: int
    ts: int
    outcome: int
    quarantine_id: int | None = None


class BatchMeterRow(NamedTuple):
    """The readings of one meter in a batch (a row of ``ledger_batch_meters``).

    Parameters
    ----------
    meter_key : int
        ``meters.key`` of the meter.
    positions : sequence of int
        Indexes of its readings in the batch, ascending.
    times : sequence of int
        Their times, in the same order. [s since epoch]
    """

    meter_key: int
    positions: Sequence[int]
    times: Sequence[int]


def group_batch_readings(meter_keys: Sequence[int], times: Sequence[int]) -> list[BatchMeterRow]:
    """Group a batch's readings by meter: one :class:`BatchMeterRow` per meter, in order of first appearance.

    Parameters
    ----------
    meter_keys : sequence of int
        ``meters.key`` of each reading of the batch, in batch order.
    times : sequence of int
        The time of each reading. [s since epoch]

    Returns
    -------
    list of BatchMeterRow

    Examples
    --------
    >>> [tuple(r) for r in group_batch_readings([7, 8, 7, 8], [0, 0, 900, 900])]
    [(7, range(0, 4, 2), [0, 900]), (8, range(1, 4, 2), [0, 900])]
    """
    keys = list(meter_keys)
    distinct = list(dict.fromkeys(keys))
    period = len(distinct)
    if period and len(keys) % period == 0 and keys[:period] == distinct and keys[period:] == keys[:-period]:
        # the usual layout (a gateway's meters read at each interval in turn): every meter a fixed stride
        ordered = list(times)
        return [
            BatchMeterRow(key, range(first, len(keys), period), ordered[first::period])
            for first, key in enumerate(distinct)
        ]
    positions: dict[int, list[int]] = {key: [] for key in distinct}
    for n, key in enumerate(keys):
        positions[key].append(n)
    return [BatchMeterRow(key, found, [times[n] for n in found]) for key, found in positions.items()]


def _pack_meter_row(batch_id: int, row: BatchMeterRow, when: Callable[[int], Any]) -> tuple[Any, ...]:
    count = len(row.times)
    return (
        batch_id,
        row.meter_key,
        when(min(row.times)),
        when(max(row.times)),
        count,
        struct.pack(f">{count}I", *row.positions),
        struct.pack(f">{count}q", *row.times),
    )


def _unpack(data: bytes, code: str) -> tuple[int, ...]:
    return struct.unpack(f">{len(data) // struct.calcsize(code)}{code}", data)


@dataclass(frozen=True)
class NewBatch:
    """A verified batch to append to a log (see :meth:`LedgerStore.commit_batches`).

    Parameters
    ----------
    enterprise : str or None
        Owner (None in a mirror).
    device : str
    sequence : int
    previous_hash, batch_hash : bytes
    created, received : int
        [s since epoch]
    signature : bytes
    key_id : int or None
        The device key that verified (None in a mirror).
    status : str
        ``linked``, ``gap`` or ``mirrored``.
    encoding : bytes
    count : int
        Number of readings in the batch.
    meters : sequence of BatchMeterRow
        Its readings grouped by meter (:func:`group_batch_readings`); empty in a mirror.
    exceptions : sequence of BatchReadingRow
        The readings ingestion did not accept (duplicate or rejected); the others were accepted.
    """

    enterprise: str | None
    device: str
    sequence: int
    previous_hash: bytes
    batch_hash: bytes
    created: int
    received: int
    signature: bytes
    key_id: int | None
    status: str
    encoding: bytes
    count: int
    meters: Sequence[BatchMeterRow] = field(default=())
    exceptions: Sequence[BatchReadingRow] = field(default=())


@dataclass(frozen=True)
class ChainLink:
    """A logged batch as a device's chain needs it (:meth:`LedgerStore.chain_links`).

    Parameters
    ----------
    id : int
    sequence : int
    hash, previous_hash : bytes
    leaf_index : int
    status : str
    """

    id: int
    sequence: int
    hash: bytes
    previous_hash: bytes
    leaf_index: int
    status: str


@dataclass(frozen=True)
class StoredBatch:
    """A batch as logged.

    Parameters
    ----------
    id, log_id : int
    enterprise : str or None
    device : str
    sequence : int
    previous_hash, batch_hash : bytes
    created, received : int
        [s since epoch]
    signature : bytes
    key_id : int or None
    leaf_index : int
    readings : int
    status : str
    encoding : bytes
    """

    id: int
    log_id: int
    enterprise: str | None
    device: str
    sequence: int
    previous_hash: bytes
    batch_hash: bytes
    created: int
    received: int
    signature: bytes
    key_id: int | None
    leaf_index: int
    readings: int
    status: str
    encoding: bytes


@dataclass(frozen=True)
class StoredCosignature:
    """A witness cosignature kept with a checkpoint.

    Parameters
    ----------
    witness : str
        Witness key name.
    key_id : int
        Witness key ID.
    timestamp : int
        Time in the cosignature. [s since epoch]
    signature : bytes
        Timestamp and Ed25519 signature. [72 bytes]
    """

    witness: str
    key_id: int
    timestamp: int
    signature: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint kept in the store.

    Parameters
    ----------
    id, log_id, size : int
    root : bytes
    note : str
        Signed by the log (cosignatures are in ``cosignatures``).
    created : datetime.datetime
    cosignatures : tuple of StoredCosignature
    """

    id: int
    log_id: int
    size: int
    root: bytes
    note: str
    created: dt.datetime
    cosignatures: tuple[StoredCosignature, ...] = ()


@dataclass(frozen=True)
class Incident:
    """A ledger incident.

    Parameters
    ----------
    id : int
    kind : str
        ``missing_batch``, ``fork``, ``tamper``, ``bad_signature``, ``split_view``,
        ``inconsistent``, ``bad_checkpoint`` or ``mirror_mismatch``.
    log_id : int or None
    enterprise, device : str or None
    message : str
    detail : dict
    created : datetime.datetime
    resolved_at : datetime.datetime or None
    """

    id: int
    kind: str
    log_id: int | None
    enterprise: str | None
    device: str | None
    message: str
    detail: dict[str, Any]
    created: dt.datetime
    resolved_at: dt.datetime | None


def _batch(row: Mapping[Any, Any]) -> StoredBatch:
    return StoredBatch(
        id=int(row["id"]),
        log_id=int(row["log_id"]),
        enterprise=row["enterprise"],
        device=row["device"],
        sequence=int(row["sequence"]),
        previous_hash=bytes(row["previous_hash"]),
        batch_hash=bytes(row["batch_hash"]),
        created=utc_seconds(row["created"]),
        received=utc_seconds(row["received"]),
        signature=bytes(row["signature"]),
        key_id=None if row["key_id"] is None else int(row["key_id"]),
        leaf_index=int(row["leaf_index"]),
        readings=int(row["readings"]),
        status=row["status"],
        encoding=bytes(row["encoding"]),
    )


def _key(row: Mapping[Any, Any]) -> DeviceKeyRecord:
    return DeviceKeyRecord(
        id=int(row["id"]),
        device=row["device"],
        enterprise=row["enterprise"],
        public_key=bytes(row["public_key"]),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        revoked_at=row["revoked_at"],
        reason=row["reason"],
        created=row["created"],
    )


def _incident(row: Mapping[Any, Any]) -> Incident:
    return Incident(
        id=int(row["id"]),
        kind=row["kind"],
        log_id=row["log_id"],
        enterprise=row["enterprise"],
        device=row["device"],
        message=row["message"],
        detail=dict(row["detail"]),
        created=row["created"],
        resolved_at=row["resolved_at"],
    )


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def _binder(connection: sa.Connection) -> Callable[[int], Any]:
    """How an instant (epoch seconds) is bound in driver SQL: an integer on SQLite, a datetime elsewhere."""
    return int if connection.dialect.name == "sqlite" else _instant


def _insert_many(
    connection: sa.Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows with the driver's executemany (bulk appends skip SQLAlchemy's per-value processing)."""
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for first in range(0, len(rows), _CHUNK):
        connection.exec_driver_sql(sql, list(rows[first : first + _CHUNK]))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class LedgerStore:
    """Repository of the ledger tables on a :class:`~shuixiao.storage.Store`.

    Every method runs in its own transaction (opened with
    :meth:`Store.transaction`, so database errors arrive as
    :class:`~shuixiao.errors.StorageError`).

    Parameters
    ----------
    store : Store
        A migrated store.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/db.sqlite") as store:
    ...     store.upgrade()
    ...     ledger = LedgerStore(store)
    ...     log = ledger.local_log()
    ...     print(log.kind, log.size, ledger.append_leaves(log.id, [bytes(32)] * 3), ledger.log(log.id).size)
    local 0 0 3
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        """The underlying store."""
        return self._store

    # --- logs and tiles ---------------------------------------------------------------------------

    def local_log(self) -> LogInfo:
        """Return this store's own log, creating it (empty, no origin yet) on first use."""
        with self._store.transaction("reading the local log") as connection:
            row = self._local_row(connection)
        if row is not None:  # the usual case: no write transaction (it would wait for writers)
            return LogInfo(int(row["id"]), row["kind"], row["origin"], row["vkey"], int(row["size"]))
        with self._store.transaction("creating the local log", write=True) as connection:
            return self._local(connection)

    @staticmethod
    def _local_row(connection: sa.Connection) -> Mapping[Any, Any] | None:
        logs = ledger_logs
        return connection.execute(sa.select(logs).where(logs.c.kind == _LOCAL)).mappings().first()

    def _local(self, connection: sa.Connection) -> LogInfo:
        logs = ledger_logs
        row = self._local_row(connection)
        if row is None:
            connection.execute(sa.insert(logs).values(kind=_LOCAL, size=0, created=_now()))
            row = connection.execute(sa.select(logs).where(logs.c.kind == _LOCAL)).mappings().one()
        return LogInfo(int(row["id"]), row["kind"], row["origin"], row["vkey"], int(row["size"]))

    def bind_local_log(self, origin: str, vkey: str) -> LogInfo:
        """Name the local log by its checkpoint origin and verifier key (once; later calls must agree).

        Raises
        ------
        ConfigurationError
            If the local log is already bound to another origin or key (its
            signing key file was replaced or the origin changed).
        """
        with self._store.transaction("binding the local log to its key", write=True) as connection:
            log = self._local(connection)
            if log.origin is None:
                taken = connection.execute(
                    sa.select(ledger_logs.c.id).where(ledger_logs.c.origin == origin)
                ).first()
                if taken is not None:
                    raise ConfigurationError(
                        f"origin {origin!r} is already used by a mirror in this store; choose another origin"
                    )
                connection.execute(
                    sa.update(ledger_logs).where(ledger_logs.c.id == log.id).values(origin=origin, vkey=vkey)
                )
                return LogInfo(log.id, log.kind, origin, vkey, log.size)
            if (log.origin, log.vkey) != (origin, vkey):
                raise ConfigurationError(
                    f"the local log is {log.vkey}, but the signing key is {vkey}: the log key file was replaced "
                    "or the origin changed; restore the original key file (a log keeps one key for life)"
                )
            return log

    def mirror_log(self, origin: str, vkey: str) -> LogInfo:
        """Return the mirror of the log ``origin``, creating it (empty) on first use.

        Raises
        ------
        ConfigurationError
            If ``origin`` is this store's own log, or the mirror was made for another key.
        """
        with self._store.transaction(f"reading the mirror of {origin}", write=True) as connection:
            row = (
                connection.execute(sa.select(ledger_logs).where(ledger_logs.c.origin == origin))
                .mappings()
                .first()
            )
            if row is None:
                connection.execute(
                    sa.insert(ledger_logs).values(
                        kind=_MIRROR, origin=origin, vkey=vkey, size=0, created=_now()
                    )
                )
                row = (
                    connection.execute(sa.select(ledger_logs).where(ledger_logs.c.origin == origin))
                    .mappings()
                    .one()
                )
            if row["kind"] != _MIRROR:
                raise ConfigurationError(f"{origin} is this store's own log; a witness follows another log")
            if row["vkey"] != vkey:
                raise ConfigurationError(
                    f"the mirror of {origin} was made for key {row['vkey']}, not {vkey}; a log keeps one key"
                )
            return LogInfo(int(row["id"]), row["kind"], row["origin"], row["vkey"], int(row["size"]))

    def log(self, log_id: int) -> LogInfo:
        """Return the log ``log_id``.

        Raises
        ------
        NotFoundError
            If there is no such log.
        """
        with self._store.transaction("reading a log") as connection:
            row = (
                connection.execute(sa.select(ledger_logs).where(ledger_logs.c.id == log_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFoundError(f"no ledger log {log_id}")
        return LogInfo(int(row["id"]), row["kind"], row["origin"], row["vkey"], int(row["size"]))

    def logs(self) -> list[LogInfo]:
        """Return every log, local first."""
        with self._store.transaction("listing logs") as connection:
            rows = connection.execute(sa.select(ledger_logs).order_by(ledger_logs.c.id)).mappings().all()
        found = [LogInfo(int(r["id"]), r["kind"], r["origin"], r["vkey"], int(r["size"])) for r in rows]
        return sorted(found, key=lambda log: log.kind != _LOCAL)

    @staticmethod
    def _read_tiles(
        connection: sa.Connection, log_id: int, keys: Sequence[TileKey], *, inner: bool = False
    ) -> dict[TileKey, Any]:
        """Rows of the tiles ``keys``; with ``inner``, ``(row, nodes)`` pairs (nodes ``b""`` when not stored)."""
        by_level: dict[int, list[int]] = {}
        for level, index in keys:
            by_level.setdefault(int(level), []).append(int(index))
        found: dict[TileKey, Any] = {}
        groups = sorted(by_level.items())
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        for first in range(0, max((len(i) for _, i in groups), default=0), _CHUNK):
            # one statement, each level a primary-key lookup of its own; an OR across levels would scan
            # the table
            parts, params = [], []
            for level, indexes in groups:
                chunk = indexes[first : first + _CHUNK]
                if chunk:
                    parts.append(
                        f"SELECT level, idx, hashes{', nodes' if inner else ''} FROM ledger_tiles "
                        f"WHERE log_id = {mark} AND level = {mark} "
                        f"AND idx IN ({', '.join([mark] * len(chunk))})"
                    )
                    params += [log_id, level, *chunk]
            cursor = connection.connection.cursor()  # the driver's own rows: proofs read tiles often
            try:
                cursor.execute(" UNION ALL ".join(parts), tuple(params))
                for level, index, data, *nodes in cursor.fetchall():
                    found[(int(level), int(index))] = (
                        (bytes(data), bytes(nodes[0] or b"")) if inner else bytes(data)
                    )
            finally:
                cursor.close()
        return found

    def read_tiles(self, log_id: int, keys: Sequence[TileKey]) -> dict[TileKey, bytes]:
        """Return the stored tiles ``keys`` of a log (absent ones are left out)."""
        with self._store.transaction("reading tiles") as connection:
            return self._read_tiles(connection, log_id, keys)

    def read_tiles_and_nodes(
        self, log_id: int, keys: Sequence[TileKey]
    ) -> dict[TileKey, tuple[bytes, bytes]]:
        """Return the stored tiles ``keys`` of a log with their inner node hashes (``b""`` where not stored).

        The pairs are the :data:`~shuixiao.ledger.TileReader` form that spares a proof hashing the
        nodes. Since migration 0009 every row has its nodes, unless its hashes are not a whole tile
        (a damaged row).
        """
        with self._store.transaction("reading tiles") as connection:
            return self._read_tiles(connection, log_id, keys, inner=True)

    def tile_hasher(self, log_id: int, cache_size: int = 256) -> TileHasher:
        """Return a :class:`~shuixiao.ledger.TileHasher` over the stored tiles of a log (roots, proofs)."""
        return TileHasher(lambda keys: self.read_tiles_and_nodes(log_id, keys), cache_size)

    def _lock(self, connection: sa.Connection, log_id: int) -> int:
        size = connection.execute(
            sa.select(ledger_logs.c.size).where(ledger_logs.c.id == log_id).with_for_update()
        ).scalar_one_or_none()
        if size is None:
            raise NotFoundError(f"no ledger log {log_id}")
        return int(size)

    def _append(self, connection: sa.Connection, log_id: int, leaf_hashes: Sequence[bytes]) -> int:
        """Append leaf hashes to a locked log; return the index of the first."""
        size = self._lock(connection, log_id)
        if not leaf_hashes:
            return size
        edges = edge_tiles(size)
        stored = self._read_tiles(connection, log_id, [(level, index) for level, (index, _) in edges.items()])
        current = {level: stored.get((level, index), b"") for level, (index, _) in edges.items()}
        inner: dict[TileKey, bytes] = {}
        changed = append_to_tiles(size, current, leaf_hashes, inner=inner)
        rows = [
            {
                "log_id": log_id,
                "level": level,
                "idx": index,
                "hashes": data,
                "nodes": inner.get((level, index)),
            }
            for (level, index), data in sorted(changed.items())
        ]
        statement = _insert(connection, ledger_tiles)
        statement = statement.on_conflict_do_update(
            index_elements=["log_id", "level", "idx"],
            set_={"hashes": statement.excluded.hashes, "nodes": statement.excluded.nodes},
        )
        for first in range(0, len(rows), _CHUNK):
            connection.execute(statement, rows[first : first + _CHUNK])
        connection.execute(
            sa.update(ledger_logs).where(ledger_logs.c.id == log_id).values(size=size + len(leaf_hashes))
        )
        return size

    def append_leaves(self, log_id: int, leaf_hashes: Sequence[bytes]) -> int:
        """Append leaf hashes to a log in one transaction; return the index of the first.

        This appends bare leaves (benchmarks, mirrors); notarised batches go
        through :meth:`commit_batches`, which keeps the batch with its leaf.
        """
        with self._store.transaction("appending to the log", write=True) as connection:
            return self._append(connection, log_id, leaf_hashes)

    # --- device keys and meters --------------------------------------------------------------------

    def add_device_key(
        self, enterprise: str, device: str, public_key: bytes, valid_from: dt.datetime
    ) -> DeviceKeyRecord:
        """Register a device's public key, valid from ``valid_from`` on.

        Raises
        ------
        InvalidInputError
            If the key is not 32 bytes, the device belongs to another
            enterprise, the key is already registered for it, or the device
            already has a current key (rotate it instead).
        """
        if len(public_key) != 32:
            raise InvalidInputError(f"an Ed25519 public key is 32 bytes, got {len(public_key)}")
        keys = ledger_device_keys
        with self._store.transaction(f"registering a key of {device}", write=True) as connection:
            history = [
                _key(r) for r in connection.execute(sa.select(keys).where(keys.c.device == device)).mappings()
            ]
            owners = {k.enterprise for k in history}
            if owners and owners != {enterprise}:
                raise InvalidInputError(
                    f"device {device!r} belongs to enterprise {owners.pop()!r}; device ids are unique per log"
                )
            if any(k.public_key == bytes(public_key) for k in history):
                raise InvalidInputError(f"this key is already registered for {device!r}")
            if any(k.valid_to is None and k.revoked_at is None for k in history):
                raise InvalidInputError(
                    f"device {device!r} has a current key; use `shuixiao ledger keys rotate` to replace it"
                )
            connection.execute(
                sa.insert(keys).values(
                    device=device,
                    enterprise=enterprise,
                    public_key=bytes(public_key),
                    valid_from=valid_from,
                    created=_now(),
                )
            )
            row = (
                connection.execute(
                    sa.select(keys).where(keys.c.device == device, keys.c.public_key == bytes(public_key))
                )
                .mappings()
                .one()
            )
        return _key(row)

    def rotate_device_key(
        self, device: str, public_key: bytes, at: dt.datetime, *, overlap: dt.timedelta = dt.timedelta(0)
    ) -> DeviceKeyRecord:
        """Close the device's current key at ``at + overlap`` and register ``public_key`` from ``at`` on.

        Raises
        ------
        NotFoundError
            If the device has no current key.
        InvalidInputError
            If the new key is already known, or ``at`` is not after the current key's start.
        """
        keys = ledger_device_keys
        with self._store.transaction(f"rotating the key of {device}", write=True) as connection:
            history = [
                _key(r) for r in connection.execute(sa.select(keys).where(keys.c.device == device)).mappings()
            ]
            current = [k for k in history if k.valid_to is None and k.revoked_at is None]
            if not current:
                raise NotFoundError(f"device {device!r} has no current key; register one with keys add")
            if len(public_key) != 32 or any(k.public_key == bytes(public_key) for k in history):
                raise InvalidInputError(
                    f"the new key must be a 32-byte Ed25519 key not yet used by {device!r}"
                )
            old = current[0]
            end = at + overlap
            if at <= old.valid_from or end <= old.valid_from:
                raise InvalidInputError(
                    f"rotation time {at.isoformat()} must be after the current key's start {old.valid_from.isoformat()}"
                )
            connection.execute(sa.update(keys).where(keys.c.id == old.id).values(valid_to=end))
            connection.execute(
                sa.insert(keys).values(
                    device=device,
                    enterprise=old.enterprise,
                    public_key=bytes(public_key),
                    valid_from=at,
                    created=_now(),
                )
            )
            row = (
                connection.execute(
                    sa.select(keys).where(keys.c.device == device, keys.c.public_key == bytes(public_key))
                )
                .mappings()
                .one()
            )
        return _key(row)

    def revoke_device_key(
        self, device: str, at: dt.datetime, reason: str, *, public_key: bytes | None = None
    ) -> DeviceKeyRecord:
        """Mark a key of the device (default: the current one) compromised from ``at`` on.

        Raises
        ------
        NotFoundError
            If the device has no such key.
        """
        keys = ledger_device_keys
        with self._store.transaction(f"revoking a key of {device}", write=True) as connection:
            history = [
                _key(r) for r in connection.execute(sa.select(keys).where(keys.c.device == device)).mappings()
            ]
            if public_key is None:
                chosen = [k for k in history if k.valid_to is None and k.revoked_at is None]
            else:
                chosen = [k for k in history if k.public_key == bytes(public_key)]
            if not chosen:
                raise NotFoundError(f"device {device!r} has no such key to revoke")
            key = chosen[0]
            connection.execute(
                sa.update(keys).where(keys.c.id == key.id).values(revoked_at=at, reason=reason)
            )
            row = connection.execute(sa.select(keys).where(keys.c.id == key.id)).mappings().one()
        return _key(row)

    def device_keys(self, device: str | None = None, enterprise: str | None = None) -> list[DeviceKeyRecord]:
        """Return key histories, by device then start of validity."""
        keys = ledger_device_keys
        query = sa.select(keys).order_by(keys.c.device, keys.c.valid_from, keys.c.id)
        if device is not None:
            query = query.where(keys.c.device == device)
        if enterprise is not None:
            query = query.where(keys.c.enterprise == enterprise)
        with self._store.transaction("reading device keys") as connection:
            return [_key(r) for r in connection.execute(query).mappings()]

    def set_meters(
        self,
        enterprise: str,
        meters: Sequence[str],
        *,
        device: str | None = None,
        unsigned_allowed: bool | None = None,
    ) -> None:
        """Bind meters to a device and/or set whether unsigned ingestion is allowed for them.

        Arguments left as None keep their stored value (no device, unsigned
        not allowed, for a meter not configured yet).

        Raises
        ------
        NotFoundError
            If the enterprise or a meter does not exist.
        """
        known = self._store.meter_keys(enterprise)
        missing = [m for m in meters if m not in known]
        if missing:
            raise NotFoundError(f"enterprise {enterprise!r} has no meter {', '.join(map(repr, missing))}")
        table = ledger_meters
        with self._store.transaction(f"configuring notarisation of {enterprise}", write=True) as connection:
            existing = {
                r["meter"]: r
                for r in connection.execute(
                    sa.select(table).where(table.c.enterprise == enterprise, table.c.meter.in_(list(meters)))
                ).mappings()
            }
            for meter in meters:
                row = existing.get(meter)
                values = {
                    "device": device if device is not None else (row["device"] if row else None),
                    "unsigned_allowed": unsigned_allowed
                    if unsigned_allowed is not None
                    else (bool(row["unsigned_allowed"]) if row else False),
                    "updated": _now(),
                }
                if row is None:
                    connection.execute(sa.insert(table).values(enterprise=enterprise, meter=meter, **values))
                else:
                    connection.execute(
                        sa.update(table)
                        .where(table.c.enterprise == enterprise, table.c.meter == meter)
                        .values(**values)
                    )

    def meter_policies(self, enterprise: str | None = None) -> list[MeterPolicy]:
        """Return the notarisation settings of configured meters, by enterprise and meter."""
        table = ledger_meters
        query = sa.select(table).order_by(table.c.enterprise, table.c.meter)
        if enterprise is not None:
            query = query.where(table.c.enterprise == enterprise)
        with self._store.transaction("reading meter notarisation settings") as connection:
            return [
                MeterPolicy(r["enterprise"], r["meter"], r["device"], bool(r["unsigned_allowed"]))
                for r in connection.execute(query).mappings()
            ]

    # --- batches -------------------------------------------------------------------------------------

    def chain(self, log_id: int, device: str, sequence: int) -> tuple[StoredBatch | None, ...]:
        """Return the logged batches of ``device`` at ``sequence``, just before it and just after it.

        Returns
        -------
        tuple
            ``(same, predecessor, successor)``, each a :class:`StoredBatch` or None.
        """
        b = ledger_batches
        mine = sa.and_(b.c.log_id == log_id, b.c.device == device)
        with self._store.transaction(f"reading the chain of {device}") as connection:
            same = connection.execute(sa.select(b).where(mine, b.c.sequence == sequence)).mappings().first()
            before = (
                connection.execute(
                    sa.select(b).where(mine, b.c.sequence < sequence).order_by(b.c.sequence.desc()).limit(1)
                )
                .mappings()
                .first()
            )
            after = (
                connection.execute(
                    sa.select(b).where(mine, b.c.sequence > sequence).order_by(b.c.sequence).limit(1)
                )
                .mappings()
                .first()
            )
        return tuple(None if r is None else _batch(r) for r in (same, before, after))

    def chain_links(self, log_id: int, device: str, low: int, high: int) -> list[ChainLink]:
        """Return the device's logged batches with sequence in ``[low, high]``, and the nearest ones outside.

        One transaction, whatever the number of batches a caller is about to place.
        """
        b = ledger_batches
        columns = (b.c.id, b.c.sequence, b.c.batch_hash, b.c.previous_hash, b.c.leaf_index, b.c.status)
        mine = sa.and_(b.c.log_id == log_id, b.c.device == device)
        queries = [
            sa.select(*columns).where(mine, b.c.sequence >= low, b.c.sequence <= high),
            sa.select(*columns).where(mine, b.c.sequence < low).order_by(b.c.sequence.desc()).limit(1),
            sa.select(*columns).where(mine, b.c.sequence > high).order_by(b.c.sequence).limit(1),
        ]
        with self._store.transaction(f"reading the chain of {device}") as connection:
            rows = [row for query in queries for row in connection.execute(query)]
        return sorted(
            (
                ChainLink(
                    int(r.id),
                    int(r.sequence),
                    bytes(r.batch_hash),
                    bytes(r.previous_hash),
                    int(r.leaf_index),
                    r.status,
                )
                for r in rows
            ),
            key=lambda link: link.sequence,
        )

    def commit_batches(self, log_id: int, batches: Sequence[NewBatch]) -> list[int | None]:
        """Append batches to a log with their readings (by meter) and the outcomes not ``accepted``, in one transaction.

        A batch whose ``(device, sequence)`` is already logged (another worker
        was faster) is skipped.

        Returns
        -------
        list of int or None
            The leaf index of each batch; None for one skipped.
        """
        b = ledger_batches
        with self._store.transaction("logging batches", write=True) as connection:
            self._lock(connection, log_id)
            taken: set[tuple[str, int]] = set()
            wanted: dict[str, list[int]] = {}
            for new in batches:
                wanted.setdefault(new.device, []).append(new.sequence)
            for device, sequences in wanted.items():
                for first_chunk in range(0, len(sequences), _CHUNK):
                    rows = connection.execute(
                        sa.select(b.c.sequence).where(
                            b.c.log_id == log_id,
                            b.c.device == device,
                            b.c.sequence.in_(sequences[first_chunk : first_chunk + _CHUNK]),
                        )
                    ).scalars()
                    taken |= {(device, int(s)) for s in rows}
            fresh: list[NewBatch] = []
            for new in batches:
                if (new.device, new.sequence) not in taken:
                    fresh.append(new)
                    taken.add((new.device, new.sequence))
            first = self._append(connection, log_id, [_leaf(n.batch_hash) for n in fresh])
            indexes = {(new.device, new.sequence): first + offset for offset, new in enumerate(fresh)}
            when = _binder(connection)
            _insert_many(
                connection,
                "ledger_batches",
                (
                    "log_id",
                    "enterprise",
                    "device",
                    "sequence",
                    "previous_hash",
                    "batch_hash",
                    "created",
                    "received",
                    "signature",
                    "key_id",
                    "leaf_index",
                    "readings",
                    "status",
                    "encoding",
                ),
                [
                    (
                        log_id,
                        new.enterprise,
                        new.device,
                        new.sequence,
                        new.previous_hash,
                        new.batch_hash,
                        when(new.created),
                        when(new.received),
                        new.signature,
                        new.key_id,
                        first + offset,
                        new.count,
                        new.status,
                        new.encoding,
                    )
                    for offset, new in enumerate(fresh)
                ],
            )
            ids = {
                int(r.leaf_index): int(r.id)
                for r in connection.execute(
                    sa.select(b.c.id, b.c.leaf_index).where(b.c.log_id == log_id, b.c.leaf_index >= first)
                )
            }
            meter_rows: list[tuple[Any, ...]] = []
            exception_rows: list[tuple[Any, ...]] = []
            for offset, new in enumerate(fresh):
                batch_id = ids[first + offset]
                meter_rows += [_pack_meter_row(batch_id, r, when) for r in new.meters]
                exception_rows += [
                    (batch_id, r.position, r.meter_key, when(r.ts), r.outcome, r.quarantine_id)
                    for r in new.exceptions
                ]
            _insert_many(
                connection,
                "ledger_batch_meters",
                ("batch_id", "meter_key", "first_ts", "last_ts", "readings", "positions", "times"),
                meter_rows,
            )
            _insert_many(
                connection,
                "ledger_batch_exceptions",
                ("batch_id", "position", "meter_key", "ts", "outcome", "quarantine_id"),
                exception_rows,
            )
        chosen = {id(n) for n in fresh}
        return [indexes[(n.device, n.sequence)] if id(n) in chosen else None for n in batches]

    def set_batch_status(self, batch_id: int, status: str) -> None:
        """Change the status of a logged batch (``gap`` → ``linked`` once its predecessor arrived)."""
        with self._store.transaction("updating a batch", write=True) as connection:
            connection.execute(
                sa.update(ledger_batches).where(ledger_batches.c.id == batch_id).values(status=status)
            )

    def batch(self, batch_id: int) -> StoredBatch:
        """Return a logged batch by id.

        Raises
        ------
        NotFoundError
            If there is none.
        """
        with self._store.transaction("reading a batch") as connection:
            row = (
                connection.execute(sa.select(ledger_batches).where(ledger_batches.c.id == batch_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFoundError(f"no logged batch {batch_id}")
        return _batch(row)

    def batches(
        self, log_id: int, *, after_leaf: int = -1, limit: int = 10_000, device: str | None = None
    ) -> list[StoredBatch]:
        """Return logged batches of a log in leaf order, from leaf ``after_leaf + 1`` on (a page)."""
        with self._store.transaction("reading batches") as connection:
            postgres = connection.dialect.name == "postgresql"
            mark = "%s" if postgres else "?"
            instant = "CAST(FLOOR(EXTRACT(EPOCH FROM {0})) AS BIGINT)" if postgres else "{0}"
            sql = (
                "SELECT id, log_id, enterprise, device, sequence, previous_hash, batch_hash, "
                f"{instant.format('created')}, {instant.format('received')}, signature, key_id, leaf_index, "
                f"readings, status, encoding FROM ledger_batches WHERE log_id = {mark} AND leaf_index > {mark}"
                + ("" if device is None else f" AND device = {mark}")
                + f" ORDER BY leaf_index LIMIT {mark}"
            )
            params = (log_id, after_leaf, *(() if device is None else (device,)), limit)
            cursor = connection.connection.cursor()  # the driver's own rows: the audit reads many pages
            try:
                cursor.execute(sql, params)
                found = cursor.fetchall()
            finally:
                cursor.close()
        return [
            StoredBatch(
                int(i), int(log), enterprise, name, int(sequence), bytes(previous), bytes(digest),
                int(created), int(received), bytes(signature), None if key is None else int(key), int(leaf),
                int(count), status, bytes(encoding),
            )
            for (
                i, log, enterprise, name, sequence, previous, digest, created, received, signature, key, leaf,
                count, status, encoding,
            ) in found
        ]  # fmt: skip

    def iter_batches(self, log_id: int, page: int = 5_000) -> Iterator[StoredBatch]:
        """Yield every batch of a log in leaf order, a page at a time."""
        after = -1
        while True:
            found = self.batches(log_id, after_leaf=after, limit=page)
            yield from found
            if len(found) < page:
                return
            after = found[-1].leaf_index

    def batch_readings(self, batch_ids: Sequence[int]) -> dict[int, list[BatchReadingRow]]:
        """Return the reading rows of batches, by batch id, in batch order (one per reading, with its outcome)."""
        m, x = ledger_batch_meters, ledger_batch_exceptions
        found: dict[int, dict[int, BatchReadingRow]] = {int(i): {} for i in batch_ids}
        with self._store.transaction("reading batch readings") as connection:
            for first in range(0, len(batch_ids), _CHUNK):
                chunk = [int(i) for i in batch_ids[first : first + _CHUNK]]
                for r in connection.execute(
                    sa.select(m.c.batch_id, m.c.meter_key, m.c.positions, m.c.times).where(
                        m.c.batch_id.in_(chunk)
                    )
                ):
                    rows = found[int(r.batch_id)]
                    for position, ts in zip(_unpack(r.positions, "I"), _unpack(r.times, "q"), strict=True):
                        rows[position] = BatchReadingRow(position, int(r.meter_key), ts, Outcome.ACCEPTED)
                for e in connection.execute(sa.select(x).where(x.c.batch_id.in_(chunk))):
                    found[int(e.batch_id)][int(e.position)] = BatchReadingRow(
                        int(e.position), int(e.meter_key), utc_seconds(e.ts), int(e.outcome), e.quarantine_id
                    )
        return {i: [rows[p] for p in sorted(rows)] for i, rows in found.items()}

    def reading_outcomes(
        self, batch_ids: Sequence[int]
    ) -> dict[int, tuple[int, dict[int, tuple[int, int | None]]]]:
        """Return, per batch, how many readings its meter rows hold and the outcomes that are not ``accepted``.

        Returns
        -------
        dict
            ``{batch id: (readings, {position: (outcome, quarantine id)})}``; a position left out of the
            inner mapping was accepted. What the audit needs, without a row per accepted reading:
            the counting happens in the database.
        """
        rows: dict[int, int] = {int(i): 0 for i in batch_ids}
        other: dict[int, dict[int, tuple[int, int | None]]] = {i: {} for i in rows}
        wanted = sorted(rows)
        with self._store.transaction("reading batch outcomes") as connection:
            mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            cursor = connection.connection.cursor()  # the driver's own rows: the audit reads many
            try:
                for first in range(0, len(wanted), _CHUNK):
                    chunk = tuple(wanted[first : first + _CHUNK])
                    among = f"batch_id IN ({', '.join([mark] * len(chunk))})"
                    cursor.execute(
                        f"SELECT batch_id, SUM(readings) FROM ledger_batch_meters WHERE {among} GROUP BY batch_id",
                        chunk,
                    )
                    for batch_id, count in cursor.fetchall():
                        rows[int(batch_id)] = int(count)
                    cursor.execute(
                        "SELECT batch_id, position, outcome, quarantine_id FROM ledger_batch_exceptions "
                        f"WHERE {among} AND outcome <> {mark}",
                        (*chunk, Outcome.ACCEPTED),
                    )
                    for batch_id, position, outcome, quarantine_id in cursor.fetchall():
                        other[int(batch_id)][int(position)] = (int(outcome), quarantine_id)
            finally:
                cursor.close()
        return {i: (rows[i], other[i]) for i in rows}

    def stored_readings(self, meter_keys: Sequence[int]) -> list[tuple[npt.NDArray[Any], ...]]:
        """Return the stored readings of each meter as columns, by time: what the audit compares.

        One transaction and one cursor for all the meters, and no frame or row objects: the rows go
        straight into arrays.

        Parameters
        ----------
        meter_keys : sequence of int
            ``meters.key`` of the meters.

        Returns
        -------
        list of tuple of numpy.ndarray
            For each meter, in the order given: ``(times, values, qualities)`` [s since epoch, canonical
            unit, Quality code] as int64, float64 and int8 arrays.
        """
        found: list[tuple[npt.NDArray[Any], ...]] = []
        with self._store.transaction("reading stored readings") as connection:
            postgres = connection.dialect.name == "postgresql"
            sql = (
                "SELECT CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), value, quality FROM readings "
                "WHERE meter_key = %s ORDER BY ts"
                if postgres
                else "SELECT ts, value, quality FROM readings WHERE meter_key = ? ORDER BY ts"
            )
            cursor = connection.connection.cursor()
            try:
                for key in meter_keys:
                    cursor.execute(sql, (int(key),))
                    rows = cursor.fetchall()
                    table = (
                        np.array(rows, dtype=_STORED_READING) if rows else np.empty(0, dtype=_STORED_READING)
                    )
                    found.append((table["ts"], table["value"], table["quality"]))
            finally:
                cursor.close()
        return found

    def batches_with_reading(self, meter_key: int, ts: int) -> list[tuple[StoredBatch, int]]:
        """Return the batches holding the reading of ``meter_key`` at ``ts`` (epoch seconds), with its position."""
        b, m = ledger_batches, ledger_batch_meters
        at = _instant(ts)
        query = (
            sa.select(b, m.c.positions, m.c.times)
            .join(m, m.c.batch_id == b.c.id)
            .where(m.c.meter_key == meter_key, m.c.first_ts <= at, m.c.last_ts >= at)
            .order_by(b.c.leaf_index)
        )
        found = []
        with self._store.transaction("finding the batch of a reading") as connection:
            for row in connection.execute(query).mappings():
                times = _unpack(row["times"], "q")
                if ts in times:
                    found.append((_batch(row), _unpack(row["positions"], "I")[times.index(ts)]))
        return found

    def notarised_times(
        self, meter_key: int, start: int | None = None, end: int | None = None
    ) -> dict[int, int]:
        """Return ``{ts: leaf index}`` of the batch readings of a meter in ``[start, end)`` (epoch seconds).

        Readings that a batch carried but ingestion rejected are left out; a
        reading carried by several batches gets the first leaf.
        """
        b, m, x = ledger_batches, ledger_batch_meters, ledger_batch_exceptions
        query = (
            sa.select(m.c.batch_id, b.c.leaf_index, m.c.times)
            .join(b, m.c.batch_id == b.c.id)
            .where(m.c.meter_key == meter_key)
        )
        rejected = sa.select(x.c.batch_id, x.c.ts).where(
            x.c.meter_key == meter_key, x.c.outcome == Outcome.REJECTED
        )
        if start is not None:
            query = query.where(m.c.last_ts >= _instant(start))
            rejected = rejected.where(x.c.ts >= _instant(start))
        if end is not None:
            query = query.where(m.c.first_ts < _instant(end))
            rejected = rejected.where(x.c.ts < _instant(end))
        low = -(2**63) if start is None else start
        high = 2**63 if end is None else end
        leaves: dict[int, int] = {}
        with self._store.transaction("reading notarised readings") as connection:
            skip = {(int(i), utc_seconds(t)) for i, t in connection.execute(rejected)}
            for batch_id, leaf, times in connection.execute(query):
                for ts in _unpack(times, "q"):
                    if low <= ts < high and (batch_id, ts) not in skip and leaves.get(ts, leaf) >= leaf:
                        leaves[ts] = int(leaf)
        return leaves

    def quarantined(self, ids: Sequence[int]) -> set[int]:
        """Return which of the quarantine ids exist (rejected readings a batch carried)."""
        q = quarantine
        found: set[int] = set()
        wanted = sorted({int(i) for i in ids})
        with self._store.transaction("reading quarantine ids") as connection:
            for first in range(0, len(wanted), _CHUNK):
                chunk = wanted[first : first + _CHUNK]
                found |= {
                    int(i) for i in connection.execute(sa.select(q.c.id).where(q.c.id.in_(chunk))).scalars()
                }
        return found

    def count_sequences(self, log_id: int, device: str, first: int, last: int) -> int:
        """Return how many of the device's sequence numbers ``first..last`` are logged."""
        b = ledger_batches
        query = sa.select(sa.func.count()).where(
            b.c.log_id == log_id, b.c.device == device, b.c.sequence >= first, b.c.sequence <= last
        )
        with self._store.transaction(f"counting batches of {device}") as connection:
            return int(connection.execute(query).scalar_one())

    def devices(self, log_id: int) -> list[str]:
        """Return the devices with batches in a log."""
        b = ledger_batches
        with self._store.transaction("listing devices") as connection:
            return [
                str(d)
                for d in connection.execute(
                    sa.select(b.c.device).where(b.c.log_id == log_id).distinct().order_by(b.c.device)
                ).scalars()
            ]

    # --- checkpoints and cosignatures ----------------------------------------------------------------

    def add_checkpoint(
        self, log_id: int, size: int, root: bytes, note: str, created: dt.datetime
    ) -> StoredCheckpoint:
        """Keep a checkpoint (idempotent on ``(log, size, root)``); return it with its cosignatures."""
        with self._store.transaction("keeping a checkpoint", write=True) as connection:
            return self._add_checkpoint(connection, log_id, size, root, note, created)

    def _add_checkpoint(
        self, connection: sa.Connection, log_id: int, size: int, root: bytes, note: str, created: dt.datetime
    ) -> StoredCheckpoint:
        c = ledger_checkpoints
        same = sa.and_(c.c.log_id == log_id, c.c.size == size, c.c.root == bytes(root))
        row = connection.execute(sa.select(c).where(same)).mappings().first()
        if row is None:
            connection.execute(
                sa.insert(c).values(log_id=log_id, size=size, root=bytes(root), note=note, created=created)
            )
            row = connection.execute(sa.select(c).where(same)).mappings().one()
        return self._checkpoint(connection, row)

    @staticmethod
    def _checkpoint(connection: sa.Connection, row: Mapping[Any, Any]) -> StoredCheckpoint:
        s = ledger_cosignatures
        cosignatures = tuple(
            StoredCosignature(
                r["witness"], int(r["key_id"]), utc_seconds(r["timestamp"]), bytes(r["signature"])
            )
            for r in connection.execute(
                sa.select(s).where(s.c.checkpoint_id == row["id"]).order_by(s.c.witness, s.c.key_id)
            ).mappings()
        )
        return StoredCheckpoint(
            int(row["id"]),
            int(row["log_id"]),
            int(row["size"]),
            bytes(row["root"]),
            row["note"],
            row["created"],
            cosignatures,
        )

    def checkpoints(
        self, log_id: int, *, size: int | None = None, min_size: int | None = None
    ) -> list[StoredCheckpoint]:
        """Return the checkpoints of a log, smallest first (optionally of one size, or at least ``min_size``)."""
        c = ledger_checkpoints
        query = sa.select(c).where(c.c.log_id == log_id).order_by(c.c.size, c.c.id)
        if size is not None:
            query = query.where(c.c.size == size)
        if min_size is not None:
            query = query.where(c.c.size >= min_size)
        with self._store.transaction("reading checkpoints") as connection:
            return [self._checkpoint(connection, r) for r in connection.execute(query).mappings().all()]

    def latest_checkpoint(self, log_id: int) -> StoredCheckpoint | None:
        """Return the largest checkpoint of a log (the last kept among equals), or None."""
        c = ledger_checkpoints
        query = sa.select(c).where(c.c.log_id == log_id).order_by(c.c.size.desc(), c.c.id.desc()).limit(1)
        with self._store.transaction("reading the latest checkpoint") as connection:
            row = connection.execute(query).mappings().first()
            return None if row is None else self._checkpoint(connection, row)

    def add_cosignatures(self, checkpoint_id: int, cosignatures: Sequence[StoredCosignature]) -> int:
        """Keep witness cosignatures of a checkpoint (a newer one of the same witness replaces the older); return how many changed."""
        with self._store.transaction("keeping cosignatures", write=True) as connection:
            return self._add_cosignatures(connection, checkpoint_id, cosignatures)

    @staticmethod
    def _add_cosignatures(
        connection: sa.Connection, checkpoint_id: int, cosignatures: Sequence[StoredCosignature]
    ) -> int:
        s = ledger_cosignatures
        changed = 0
        for cosignature in cosignatures:
            key = sa.and_(
                s.c.checkpoint_id == checkpoint_id,
                s.c.witness == cosignature.witness,
                s.c.key_id == cosignature.key_id,
            )
            old = connection.execute(sa.select(s.c.timestamp).where(key)).scalar_one_or_none()
            values = {"timestamp": _instant(cosignature.timestamp), "signature": bytes(cosignature.signature)}
            if old is None:
                connection.execute(
                    sa.insert(s).values(
                        checkpoint_id=checkpoint_id,
                        witness=cosignature.witness,
                        key_id=cosignature.key_id,
                        **values,
                    )
                )
                changed += 1
            elif utc_seconds(old) < cosignature.timestamp:
                connection.execute(sa.update(s).where(key).values(**values))
                changed += 1
        return changed

    def advance_mirror(
        self,
        log_id: int,
        expected_size: int,
        leaf_hashes: Sequence[bytes],
        batches: Sequence[NewBatch],
        checkpoint: tuple[int, bytes, str],
        cosignature: StoredCosignature | None,
        verify_root: Callable[[TileHasher], None],
    ) -> StoredCheckpoint:
        """Extend a mirror and keep the checkpoint and the witness's cosignature, atomically.

        The mirror must still have ``expected_size`` leaves (compare and set:
        two witness runs never cosign on top of each other). ``verify_root`` is
        called with a :class:`~shuixiao.ledger.TileHasher` reading this
        transaction's tiles after the append and must raise if the mirror's
        root differs from the checkpoint's; then nothing is kept.

        Raises
        ------
        StorageError
            If the mirror moved meanwhile.
        """
        size, root, note = checkpoint
        with self._store.transaction("advancing a mirror", write=True) as connection:
            current = self._lock(connection, log_id)
            if current != expected_size:
                raise StorageError(
                    f"the mirror moved from {expected_size} to {current} leaves meanwhile; run the witness again"
                )
            first = self._append(connection, log_id, leaf_hashes)
            if batches:
                rows = [
                    {
                        "log_id": log_id,
                        "enterprise": None,
                        "device": n.device,
                        "sequence": n.sequence,
                        "previous_hash": n.previous_hash,
                        "batch_hash": n.batch_hash,
                        "created": _instant(n.created),
                        "received": _instant(n.received),
                        "signature": n.signature,
                        "key_id": None,
                        "leaf_index": first + offset,
                        "readings": n.count,
                        "status": n.status,
                        "encoding": n.encoding,
                    }
                    for offset, n in enumerate(batches)
                ]
                for chunk in range(0, len(rows), _CHUNK):
                    connection.execute(sa.insert(ledger_batches), rows[chunk : chunk + _CHUNK])
            verify_root(TileHasher(lambda keys: self._read_tiles(connection, log_id, keys)))
            stored = self._add_checkpoint(connection, log_id, size, root, note, _now())
            if cosignature is not None:
                self._add_cosignatures(connection, stored.id, [cosignature])
                row = (
                    connection.execute(
                        sa.select(ledger_checkpoints).where(ledger_checkpoints.c.id == stored.id)
                    )
                    .mappings()
                    .one()
                )
                stored = self._checkpoint(connection, row)
        return stored

    # --- incidents -----------------------------------------------------------------------------------

    def log_enterprises(self, log_id: int) -> list[str]:
        """Return the enterprises with batches in the log ``log_id`` (none for a mirror), sorted."""
        b = ledger_batches
        with self._store.transaction("reading the enterprises of a log") as connection:
            found = connection.execute(
                sa.select(b.c.enterprise).where(b.c.log_id == log_id, b.c.enterprise.is_not(None)).distinct()
            ).scalars()
            return sorted(str(e) for e in found)

    def add_incident(
        self,
        kind: str,
        message: str,
        detail: Mapping[Any, Any],
        *,
        log_id: int | None = None,
        enterprise: str | None = None,
        device: str | None = None,
    ) -> Incident:
        """Record an incident; an open one of the same kind with the same detail is returned instead."""
        i = ledger_incidents
        with self._store.transaction("recording an incident", write=True) as connection:
            open_same = (
                connection.execute(
                    sa.select(i).where(
                        i.c.kind == kind,
                        i.c.resolved_at.is_(None),
                        i.c.device == device if device is not None else i.c.device.is_(None),
                        i.c.log_id == log_id if log_id is not None else i.c.log_id.is_(None),
                    )
                )
                .mappings()
                .all()
            )
            for row in open_same:
                if dict(row["detail"]) == dict(detail):
                    return _incident(row)
            result = connection.execute(
                sa.insert(i).values(
                    kind=kind,
                    log_id=log_id,
                    enterprise=enterprise,
                    device=device,
                    message=message,
                    detail=dict(detail),
                    created=_now(),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            row = connection.execute(sa.select(i).where(i.c.id == key[0])).mappings().one()
        return _incident(row)

    def incidents(
        self,
        *,
        kind: str | None = None,
        open_only: bool = False,
        enterprise: str | None = None,
        device: str | None = None,
        limit: int | None = None,
    ) -> list[Incident]:
        """Return incidents, newest first."""
        i = ledger_incidents
        query = sa.select(i).order_by(i.c.id.desc())
        if kind is not None:
            query = query.where(i.c.kind == kind)
        if open_only:
            query = query.where(i.c.resolved_at.is_(None))
        if enterprise is not None:
            query = query.where(i.c.enterprise == enterprise)
        if device is not None:
            query = query.where(i.c.device == device)
        if limit:
            query = query.limit(limit)
        with self._store.transaction("reading incidents") as connection:
            return [_incident(r) for r in connection.execute(query).mappings()]

    def resolve_incident(self, incident_id: int, at: dt.datetime | None = None) -> None:
        """Mark an incident resolved."""
        i = ledger_incidents
        with self._store.transaction("resolving an incident", write=True) as connection:
            connection.execute(
                sa.update(i)
                .where(i.c.id == incident_id, i.c.resolved_at.is_(None))
                .values(resolved_at=at or _now())
            )


def _leaf(batch_hash: bytes) -> bytes:
    return leaf_hash(batch_hash)
