"""The agent's durable outbox: readings wait on local disk until the platform has them.

An SQLite database (``agent.db``, write-ahead log, ``synchronous=FULL``) in
the agent's buffer directory holds:

``outbox``
    readings taken and not yet acknowledged, oldest first; unique on
    ``(meter, ts)`` so a reading taken twice is kept once;
``batches``
    signed batches (when the agent signs): their readings stay in ``outbox``
    with the batch's sequence until the batch is acknowledged;
``rejected``
    readings the platform (or the agent itself) refused, with the reason:
    they are never sent again, and wait for a person (``shuixiao agent
    rejected``);
``state``
    the agent's small state: source cursors, the last poll slot, the signing
    chain head, counters and device status.

Guarantees: a reading is appended (with the state that produced it, in the
same transaction) before anything is sent, and removed only when the platform
acknowledged it, so a crash at any point (``kill -9``, power loss) loses
nothing that was appended and at most re-sends what was in flight, which the
platform's idempotency on ``(meter, ts)`` absorbs.

Bound: at most ``capacity`` readings wait.  When the outbox is full, new
readings are **refused** (counted in ``refused`` and reported), not the
oldest dropped: the oldest are the ones the platform has not seen, and part
of them may be sealed in signed batches.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from shuixiao.errors import ConfigurationError, StorageError
from shuixiao.field._records import FieldReading, Rejected

__all__ = [
    "BUFFER_FILE",
    "DEFAULT_CAPACITY",
    "AppendResult",
    "Buffer",
    "BufferStatus",
    "Pending",
    "SealedBatch",
]

BUFFER_FILE: Final = "agent.db"
_BUSY: Final = 30.0  # how long an opener waits for another process holding the buffer [s]
"""Name of the buffer database in the buffer directory."""
DEFAULT_CAPACITY: Final = 2_000_000
"""Default bound of the outbox: about 18 months of 38 meters at 15 minutes (≈ 200 MB). [readings]"""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meter TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    quality TEXT NOT NULL,
    enqueued REAL NOT NULL,
    batch INTEGER,
    UNIQUE (meter, ts)
);
CREATE INDEX IF NOT EXISTS outbox_batch ON outbox (batch, id);
CREATE TABLE IF NOT EXISTS batches (
    sequence INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    document TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meter TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value REAL,
    unit TEXT NOT NULL,
    quality TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    rejected_at REAL NOT NULL,
    quarantine_id INTEGER
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Pending:
    """A reading waiting in the outbox.

    Parameters
    ----------
    id : int
        Its place in the outbox (acknowledge or reject it by this id).
    reading : FieldReading
    """

    id: int
    reading: FieldReading


@dataclass(frozen=True)
class SealedBatch:
    """A signed batch waiting to be sent.

    Parameters
    ----------
    sequence : int
        The batch's sequence number in the device's chain.
    document : dict
        The batch in its JSON transport form, sent as is (every attempt sends the same bytes).
    readings : int
        Number of readings in it.
    """

    sequence: int
    document: dict[str, Any]
    readings: int


@dataclass(frozen=True)
class AppendResult:
    """What :meth:`Buffer.append` did with a round of readings.

    Parameters
    ----------
    added : int
        Readings now waiting in the outbox.
    duplicate : int
        Readings already waiting with the same ``(meter, ts)`` (kept once).
    refused : int
        Readings refused because the outbox was full.
    rejected : int
        Readings put straight into the rejected list (value NaN or infinite).
    depth : int
        Readings waiting after the append.
    """

    added: int
    duplicate: int
    refused: int
    rejected: int
    depth: int


@dataclass(frozen=True)
class BufferStatus:
    """The state of a buffer, for ``shuixiao agent status``.

    Parameters
    ----------
    directory : pathlib.Path
    depth : int
        Readings waiting to be acknowledged.
    capacity : int
        Most readings that may wait.
    oldest_ts : int or None
        Time of the oldest waiting reading. [s since epoch]
    oldest_enqueued : float or None
        When the oldest waiting reading was appended. [s since epoch]
    batches : int
        Signed batches waiting.
    rejected : int
        Readings in the rejected list.
    refused : int
        Readings refused since the buffer was created, because it was full.
    acknowledged : int
        Readings acknowledged by the platform since the buffer was created.
    last_ack : float or None
        When the platform last acknowledged something. [s since epoch]
    state : dict
        The rest of the agent's state (cursors, device status), by key.
    """

    directory: Path
    depth: int
    capacity: int
    oldest_ts: int | None
    oldest_enqueued: float | None
    batches: int
    rejected: int
    refused: int
    acknowledged: int
    last_ack: float | None
    state: dict[str, str] = field(default_factory=dict)


class Buffer:
    """The durable outbox of one agent (see the module documentation).

    One instance may be shared by the agent's threads; every method is one
    transaction.  Other processes (``shuixiao agent status``) may read the
    same file while the agent runs.

    Parameters
    ----------
    directory : str or pathlib.Path
        The buffer directory; created if missing.
    capacity : int
        Most readings that may wait in the outbox.
    clock : callable
        Returns the current time [s since epoch]; for tests.

    Raises
    ------
    ConfigurationError
        If the directory or the database cannot be opened.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1:
            raise ConfigurationError(f"buffer capacity must be at least 1, not {capacity}")
        self.directory = Path(directory)
        self.capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.directory / BUFFER_FILE, isolation_level=None, check_same_thread=False, timeout=_BUSY
            )
            _use_wal(self._db)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise ConfigurationError(
                f"cannot open the agent buffer in {self.directory}: {err}; check the directory and its permissions"
            ) from err

    @classmethod
    def exists(cls, directory: str | Path) -> bool:
        """Return whether ``directory`` holds a buffer."""
        return (Path(directory) / BUFFER_FILE).is_file()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                raise StorageError(f"agent buffer {self.directory / BUFFER_FILE}: {err}") from err

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as err:
                raise StorageError(f"agent buffer {self.directory / BUFFER_FILE}: {err}") from err

    # --- taking readings in -------------------------------------------------------------------

    def append(
        self, readings: Sequence[FieldReading], state: Mapping[str, str] | None = None
    ) -> AppendResult:
        """Append a round of readings, and the state that produced them, in one transaction.

        Readings whose value is NaN or infinite go to the rejected list
        (reason ``not_finite``); when the outbox is full, the readings beyond
        its capacity are refused and counted.

        Parameters
        ----------
        readings : sequence of FieldReading
        state : mapping of str to str, optional
            State entries to write in the same transaction (e.g. a source's cursor).

        Returns
        -------
        AppendResult
        """
        now = self._clock()
        finite = [r for r in readings if math.isfinite(r.value)]
        bad = [r for r in readings if not math.isfinite(r.value)]
        with self._write() as db:
            depth = _count(db, "SELECT COUNT(*) FROM outbox")
            room = max(self.capacity - depth, 0)
            added = duplicate = 0
            for reading in finite:
                if added >= room:
                    break
                cursor = db.execute(
                    "INSERT OR IGNORE INTO outbox (meter, ts, value, unit, quality, enqueued) VALUES (?, ?, ?, ?, ?, ?)",
                    (reading.meter, reading.ts, reading.value, reading.unit, reading.quality, now),
                )
                added += cursor.rowcount
                duplicate += 1 - cursor.rowcount
            refused = len(finite) - added - duplicate
            for reading in bad:
                _insert_rejected(
                    db,
                    reading,
                    "not_finite",
                    f"the value is {reading.value}; the device sent no number (check the meter and the map's data type)",
                    now,
                    None,
                )
            if refused:
                _add(db, "refused", refused)
            for key, value in (state or {}).items():
                _set(db, key, value)
        return AppendResult(added, duplicate, refused, len(bad), depth + added)

    # --- sending ----------------------------------------------------------------------------------

    def pending(self, limit: int) -> list[Pending]:
        """Return up to ``limit`` waiting readings not sealed in a batch, oldest first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id, meter, ts, value, unit, quality FROM outbox WHERE batch IS NULL ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(row[0], FieldReading(*row[1:])) for row in rows]

    def acknowledge(self, ids: Sequence[int]) -> None:
        """Remove readings the platform acknowledged (accepted, or already stored)."""
        if not ids:
            return
        with self._write() as db:
            removed = _delete(db, "DELETE FROM outbox WHERE id = ?", ids)
            _add(db, "acknowledged", removed)
            _set(db, "last_ack", repr(self._clock()))

    def reject(self, rejections: Sequence[tuple[int, str, str, int | None]]) -> None:
        """Move readings the platform rejected to the rejected list.

        Parameters
        ----------
        rejections : sequence of (id, reason, message, quarantine_id)
            Outbox id, the platform's reason code and message, and its quarantine id (or None).
        """
        if not rejections:
            return
        now = self._clock()
        with self._write() as db:
            for outbox_id, reason, message, quarantine_id in rejections:
                row = db.execute(
                    "SELECT meter, ts, value, unit, quality FROM outbox WHERE id = ?", (outbox_id,)
                ).fetchone()
                if row is None:
                    continue
                _insert_rejected(db, FieldReading(*row), reason, message, now, quarantine_id)
                db.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
            _set(db, "last_ack", repr(now))

    # --- signed batches ---------------------------------------------------------------------------

    def seal(
        self,
        limit: int,
        make: Callable[[int, bytes, list[FieldReading]], tuple[bytes, dict[str, Any]]],
    ) -> SealedBatch | None:
        """Seal up to ``limit`` waiting readings into the next batch of the signing chain.

        The chain head (sequence and hash of the last batch) is kept in the
        buffer's state and advanced in the same transaction as the batch is
        stored, so a crash never signs two different batches with one
        sequence number.

        Parameters
        ----------
        limit : int
            Most readings in the batch.
        make : callable
            ``make(sequence, previous_hash, readings) -> (batch_hash, document)``: build and sign the batch.

        Returns
        -------
        SealedBatch or None
            The new batch, or None when nothing is waiting.
        """
        with self._write() as db:
            rows = db.execute(
                "SELECT id, meter, ts, value, unit, quality FROM outbox WHERE batch IS NULL ORDER BY id LIMIT ?",
                (limit,),
            )
            chosen = [(row[0], FieldReading(*row[1:])) for row in rows]
            if not chosen:
                return None
            head = _get(db, "chain.sequence")
            sequence = 0 if head is None else int(head) + 1
            previous = bytes.fromhex(_get(db, "chain.hash") or "00" * 32)
            digest, document = make(sequence, previous, [reading for _, reading in chosen])
            db.execute(
                "INSERT INTO batches (sequence, hash, document, created) VALUES (?, ?, ?, ?)",
                (sequence, digest, json.dumps(document, ensure_ascii=False), self._clock()),
            )
            db.executemany("UPDATE outbox SET batch = ? WHERE id = ?", [(sequence, i) for i, _ in chosen])
            _set(db, "chain.sequence", str(sequence))
            _set(db, "chain.hash", digest.hex())
        return SealedBatch(sequence, document, len(chosen))

    def batches(self, limit: int) -> list[SealedBatch]:
        """Return up to ``limit`` signed batches waiting, lowest sequence first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT b.sequence, b.document, (SELECT COUNT(*) FROM outbox o WHERE o.batch = b.sequence) "
                "FROM batches b ORDER BY b.sequence LIMIT ?",
                (limit,),
            ).fetchall()
        return [SealedBatch(row[0], json.loads(row[1]), row[2]) for row in rows]

    def acknowledge_batch(
        self, sequence: int, rejected: Sequence[tuple[int, str, str, int | None]] = ()
    ) -> int:
        """Remove an acknowledged batch and its readings; return the number of readings.

        Parameters
        ----------
        sequence : int
        rejected : sequence of (int, str, str, int or None)
            Readings of the batch the platform's pipeline rejected: position in the batch,
            reason, message and quarantine id.  They go to the rejected list.
        """
        now = self._clock()
        with self._write() as db:
            rows = db.execute(
                "SELECT meter, ts, value, unit, quality FROM outbox WHERE batch = ? ORDER BY id", (sequence,)
            ).fetchall()
            for position, reason, message, quarantine_id in rejected:
                if 0 <= position < len(rows):
                    _insert_rejected(db, FieldReading(*rows[position]), reason, message, now, quarantine_id)
            db.execute("DELETE FROM outbox WHERE batch = ?", (sequence,))
            db.execute("DELETE FROM batches WHERE sequence = ?", (sequence,))
            _add(db, "acknowledged", len(rows) - len(rejected))
            _set(db, "last_ack", repr(now))
        return len(rows)

    def reject_batch(self, sequence: int, reason: str, message: str) -> int:
        """Move the readings of a batch the platform refused to the rejected list; return their number."""
        now = self._clock()
        with self._write() as db:
            rows = db.execute(
                "SELECT meter, ts, value, unit, quality FROM outbox WHERE batch = ?", (sequence,)
            ).fetchall()
            for row in rows:
                _insert_rejected(db, FieldReading(*row), reason, message, now, None)
            db.execute("DELETE FROM outbox WHERE batch = ?", (sequence,))
            db.execute("DELETE FROM batches WHERE sequence = ?", (sequence,))
            _set(db, "last_ack", repr(now))
        return len(rows)

    # --- state and reports --------------------------------------------------------------------------

    def state(self) -> dict[str, str]:
        """Return every state entry."""
        with self._read() as db:
            return dict(db.execute("SELECT key, value FROM state").fetchall())

    def set_state(self, entries: Mapping[str, str]) -> None:
        """Write state entries (one transaction)."""
        with self._write() as db:
            for key, value in entries.items():
                _set(db, key, value)

    def status(self) -> BufferStatus:
        """Return the buffer's depth, oldest reading, counters and state."""
        with self._read() as db:
            depth, oldest_ts, oldest_enqueued = db.execute(
                "SELECT COUNT(*), MIN(ts), MIN(enqueued) FROM outbox"
            ).fetchone()
            batches = _count(db, "SELECT COUNT(*) FROM batches")
            rejected = _count(db, "SELECT COUNT(*) FROM rejected")
            state = dict(db.execute("SELECT key, value FROM state").fetchall())
        last_ack = state.pop("last_ack", None)
        return BufferStatus(
            directory=self.directory,
            depth=depth,
            capacity=self.capacity,
            oldest_ts=oldest_ts,
            oldest_enqueued=oldest_enqueued,
            batches=batches,
            rejected=rejected,
            refused=int(state.pop("refused", "0")),
            acknowledged=int(state.pop("acknowledged", "0")),
            last_ack=float(last_ack) if last_ack is not None else None,
            state=state,
        )

    def rejected(self, limit: int | None = None) -> list[Rejected]:
        """Return the rejected list, oldest first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id, meter, ts, value, unit, quality, reason, message, rejected_at, quarantine_id "
                "FROM rejected ORDER BY id LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [
            Rejected(
                FieldReading(row[1], row[2], math.nan if row[3] is None else row[3], row[4], row[5]),
                row[6],
                row[7],
                row[8],
                row[9],
                row[0],
            )
            for row in rows
        ]

    def clear_rejected(self, ids: Sequence[int] | None = None) -> int:
        """Delete entries of the rejected list (all when ``ids`` is None); return how many."""
        with self._write() as db:
            if ids is None:
                return db.execute("DELETE FROM rejected").rowcount
            return _delete(db, "DELETE FROM rejected WHERE id = ?", ids)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the buffer in write-ahead-log mode (kept in the file), waiting for another opener doing it.

    Switching needs the database to itself, and SQLite refuses the switch at once, without its busy
    handler, while another process has the file open in a transaction (the agent starting, say, while
    ``shuixiao agent status`` opens the buffer); so the mode is read again and the switch retried until
    the busy timeout has passed.
    """
    deadline = time.monotonic() + _BUSY
    while db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _count(db: sqlite3.Connection, query: str) -> int:
    return int(db.execute(query).fetchone()[0])


def _delete(db: sqlite3.Connection, query: str, ids: Sequence[int]) -> int:
    return sum(db.execute(query, (i,)).rowcount for i in ids)


def _get(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        (key, value, value),
    )


def _add(db: sqlite3.Connection, key: str, amount: int) -> None:
    _set(db, key, str(int(_get(db, key) or "0") + amount))


def _insert_rejected(
    db: sqlite3.Connection,
    reading: FieldReading,
    reason: str,
    message: str,
    now: float,
    quarantine_id: int | None,
) -> None:
    value = reading.value if math.isfinite(reading.value) else None
    db.execute(
        "INSERT INTO rejected (meter, ts, value, unit, quality, reason, message, rejected_at, quarantine_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            reading.meter,
            reading.ts,
            value,
            reading.unit,
            reading.quality,
            reason,
            message,
            now,
            quarantine_id,
        ),
    )
