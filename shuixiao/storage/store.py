"""The store: the water-system model and its time series in SQLite or PostgreSQL.

:class:`Store` is the one object the rest of shuixiao talks to.  It keeps
regions, parks and enterprises (saved and loaded whole, each save in one
transaction), readings (bulk, idempotent on ``(meter, ts)``), aggregates
(upserted), meter events and the quarantine of records that ingestion
rejected.  Times are UTC inside; callers convert at the edges (Asia/Shanghai
for people, UTC epoch seconds for bulk arrays).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from itertools import repeat
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from shuixiao.errors import (
    ConfigurationError,
    InvalidInputError,
    ModelValidationError,
    NotFoundError,
    Problem,
    SchemaVersionError,
    ShuixiaoError,
    StorageError,
)
from shuixiao.model import (
    EnergyRecord,
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Origin,
    Park,
    Product,
    ProductionRecord,
    Quality,
    Region,
    Site,
    SourceType,
    TreatmentType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
    enterprise_problems,
    park_problems,
    region_problems,
)
from shuixiao.storage import schema as t
from shuixiao.storage._turns import turn_file, writer_turn
from shuixiao.storage.schema import EPOCH_MAX, utc_seconds

__all__ = [
    "AggregateRow",
    "BulkWriter",
    "DayRows",
    "EnterpriseSummary",
    "MeterEvent",
    "QuarantineEntry",
    "QuarantineRecord",
    "ReadingWindow",
    "Store",
]

_MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
_URL_HINT: Final = "check SHUIXIAO_DATABASE_URL"
_UPGRADE_HINT: Final = "run `shuixiao db upgrade`"
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# PostgreSQL binary COPY: signature, flags, header-extension length; trailer.
_PGCOPY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_PGCOPY_TRAILER: Final = b"\xff\xff"
# timestamptz in binary COPY is microseconds since 2000-01-01T00:00:00Z.
_PG_EPOCH_OFFSET: Final = 946_684_800
_RESOLUTION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_QUALITY_MAX: Final = max(Quality)
# First key of PostgreSQL's two-key advisory locks taken by BulkWriter.lock_meters ("SX").
_LOCK_CLASS: Final = 0x5358


@dataclasses.dataclass(frozen=True)
class EnterpriseSummary:
    """One line of :meth:`Store.list_enterprises`.

    Parameters
    ----------
    id, name, name_en, park, region, industry_code, credit_code
        As in :class:`~shuixiao.model.Enterprise`.
    n_units, n_flows, n_meters : int
        Sizes of the enterprise's water system.
    """

    id: str
    name: str
    name_en: str | None
    park: str | None
    region: str
    industry_code: str
    credit_code: str
    n_units: int
    n_flows: int
    n_meters: int


@dataclasses.dataclass(frozen=True)
class MeterEvent:
    """Something that happened to a meter: a replacement, a register rollover, ...

    Parameters
    ----------
    enterprise : str
        Enterprise identifier.
    meter : str
        Meter identifier.
    ts : datetime.datetime
        When it happened (aware, UTC).
    kind : str
        What happened, e.g. ``replacement`` or ``rollover``.
    detail : dict
        JSON-compatible details, e.g. the old and new register values.
    """

    enterprise: str
    meter: str
    ts: dt.datetime
    kind: str
    detail: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class QuarantineEntry:
    """A rejected record (or message) to put in quarantine.

    Parameters
    ----------
    enterprise : str or None
        Enterprise id as received; None when the source did not say.
    meter : str or None
        Meter id as received; None when the source did not say.
    origin : Origin
        Where the record came from (file, MQTT, HTTP, ...).
    source : str
        Which file, topic or request, e.g. ``readings.csv`` or ``shuixiao/v1/xg-steel/batch``.
    payload : str
        The record as received: a JSON object for one record, or the raw text of a
        message that could not be read.
    reason : str
        Reason code, e.g. ``unknown_meter`` (see ``docs/ingestion.md``).
    message : str
        What is wrong and what to do about it, for a person.
    """

    enterprise: str | None
    meter: str | None
    origin: Origin
    source: str
    payload: str
    reason: str
    message: str


@dataclasses.dataclass(frozen=True)
class QuarantineRecord:
    """A quarantined record as stored (:meth:`Store.list_quarantine`).

    Parameters
    ----------
    id : int
        Quarantine id, increasing in the order records were quarantined.
    enterprise, meter, origin, source, payload, reason, message
        As in :class:`QuarantineEntry`; ``reason`` and ``message`` are those of
        the latest attempt (a replay that still rejects updates them).
    received : datetime.datetime
        When it was quarantined (aware, UTC).
    replayed_at : datetime.datetime or None
        When a replay accepted it (aware, UTC); None while it waits.
    """

    id: int
    enterprise: str | None
    meter: str | None
    origin: Origin
    source: str
    received: dt.datetime
    payload: str
    reason: str
    message: str
    replayed_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class ReadingWindow:
    """Stored readings of one meter in a time window, oldest first (:meth:`BulkWriter.read_window`).

    Parameters
    ----------
    ts : numpy.ndarray of int64
        Reading times. [s since epoch, UTC]
    value : numpy.ndarray of float64
        Values in the canonical unit of the meter's quantity. [canonical unit]
    quality : numpy.ndarray of int8
        :class:`~shuixiao.model.Quality` of each reading.
    """

    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]


@dataclasses.dataclass(frozen=True, slots=True)
class AggregateRow:
    """One stored aggregate row (:meth:`BulkWriter.read_aggregate_rows`).

    Parameters
    ----------
    value : float
        Sum (volumes) or mean of the bucket's values. [canonical unit]
    minimum, maximum : float
        Smallest and largest value. [canonical unit]
    count : int
        Values in the bucket.
    quality : int
        Worst :class:`~shuixiao.model.Quality` among them.
    month_before : float or None
        ``P1D`` rows: the sum or mean of the month's values before this day (0
        when there are none); None where it is not kept.  [canonical unit]
    """

    value: float
    minimum: float
    maximum: float
    count: int
    quality: int
    month_before: float | None


def _aggregate_row(row: Sequence[Any]) -> AggregateRow:
    value, low, high, count, quality, before = row
    return AggregateRow(
        float(value),
        float(low),
        float(high),
        int(count),
        int(quality),
        None if before is None else float(before),
    )


@dataclasses.dataclass(frozen=True)
class DayRows:
    """Stored ``P1D`` aggregate rows of several meters, by meter key then day (:meth:`BulkWriter.read_day_rows`).

    Parameters
    ----------
    key : numpy.ndarray of int64
        Meter key of each row.
    start : numpy.ndarray of int64
        Start of each day. [s since epoch, UTC]
    minimum, maximum : numpy.ndarray of float64
        Smallest and largest value of the day. [canonical unit]
    count : numpy.ndarray of int64
        Values in the day.
    quality : numpy.ndarray of int8
        Worst :class:`~shuixiao.model.Quality` of the day.
    month_before : numpy.ndarray of float64
        The sum or mean of the month's values before the day; NaN where it is not kept. [canonical unit]
    """

    key: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    minimum: npt.NDArray[np.float64]
    maximum: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    quality: npt.NDArray[np.int8]
    month_before: npt.NDArray[np.float64]


# --- the model <-> rows -------------------------------------------------------------------------

_Entity = TypeVar("_Entity")

# (Enterprise attribute, table, entity class); the order is the order of insertion and loading.
_COLLECTIONS: Final[tuple[tuple[str, sa.Table, type[Any]], ...]] = (
    ("sites", t.sites, Site),
    ("units", t.water_units, WaterUnit),
    ("flows", t.flows, Flow),
    ("meters", t.meters, Meter),
    ("products", t.products, Product),
    ("production", t.production_records, ProductionRecord),
    ("value_added", t.value_added_records, ValueAddedRecord),
    ("energy", t.energy_records, EnergyRecord),
)
_COLUMN_OF: Final = {"start": "start_date", "end": "end_date"}
_ENUM_OF: Final[dict[tuple[type[Any], str], Callable[[str], Enum]]] = {
    (WaterUnit, "kind"): UnitKind,
    (WaterUnit, "source_type"): SourceType,
    (WaterUnit, "treatment_type"): TreatmentType,
    (Flow, "category"): FlowCategory,
    (Meter, "kind"): MeterKind,
}


_Columns = tuple[tuple[str, str, Callable[[str], Enum] | None], ...]
_COLUMNS: Final[dict[type[Any], _Columns]] = {}
"""``(field, column, enum converter)`` of each model dataclass, filled by :func:`_columns`."""


def _columns(cls: type[Any]) -> _Columns:
    """The fields of a model dataclass with their columns and enum converters, worked out once per class."""
    columns = _COLUMNS.get(cls)
    if columns is None:
        columns = _COLUMNS[cls] = tuple(
            (f.name, _COLUMN_OF.get(f.name, f.name), _ENUM_OF.get((cls, f.name)))
            for f in dataclasses.fields(cls)
        )
    return columns


def _row(item: object, **extra: Any) -> dict[str, Any]:
    """Return the column values of a model dataclass (enums as their values)."""
    row = dict(extra)
    for name, column, _ in _columns(type(item)):
        value = getattr(item, name)
        row[column] = value.value if isinstance(value, Enum) else value
    return row


def _entity(cls: type[_Entity], row: Mapping[Any, Any]) -> _Entity:
    """Build a model dataclass from its row."""
    kwargs: dict[str, Any] = {}
    for name, column, convert in _columns(cls):
        value = row[column]
        kwargs[name] = value if convert is None or value is None else convert(value)
    return cls(**kwargs)


# --- arrays -------------------------------------------------------------------------------------


def _epoch_seconds(ts: npt.ArrayLike, name: str) -> npt.NDArray[np.int64]:
    """Return ``ts`` as a 1-D int64 array of UTC epoch seconds, checked for range."""
    array = np.asarray(ts)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.dtype.kind == "M":
        if np.isnat(array).any():
            raise InvalidInputError(f"{name} contains NaT: drop those rows first")
        array = array.astype("datetime64[s]").astype(np.int64)
    elif array.dtype.kind in "iu" or array.size == 0:
        array = array.astype(np.int64)
    else:
        raise InvalidInputError(
            f"{name} must be integer seconds since 1970-01-01T00:00:00Z (int64), not {array.dtype}"
        )
    if array.size and (array.min() < 0 or array.max() >= EPOCH_MAX):
        bad = int(array[(array < 0) | (array >= EPOCH_MAX)][0])
        hint = "; it looks like milliseconds: divide by 1000" if bad >= EPOCH_MAX * 100 else ""
        raise InvalidInputError(
            f"{name} value {bad} is outside 1970-01-01..2199-12-31 in epoch seconds (UTC){hint}"
        )
    return array


def _float_column(
    values: npt.ArrayLike, name: str, size: int, *, scalar: bool = False
) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must be numbers: {err}") from err
    if scalar and array.ndim == 0:
        array = np.broadcast_to(array, (size,))
    if array.shape != (size,):
        raise InvalidInputError(f"{name} has shape {array.shape}, expected ({size},) like ts")
    finite = np.isfinite(array)
    if not finite.all():
        i = int(np.argmin(finite))
        raise InvalidInputError(
            f"{name}[{i}] is {array[i]}: only finite numbers are stored; drop the row, "
            "or store an estimate flagged Quality.ESTIMATED"
        )
    return array


def _int_column(values: npt.ArrayLike, name: str, size: int, low: int, high: int) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.size and array.dtype.kind not in "iu":
        raise InvalidInputError(f"{name} must be integers, not {array.dtype}")
    try:
        array = np.broadcast_to(array.astype(np.int64), (size,))
    except ValueError as err:
        raise InvalidInputError(
            f"{name} has shape {array.shape}, expected ({size},) like ts or a scalar"
        ) from err
    if size and (array.min() < low or array.max() > high):
        raise InvalidInputError(
            f"{name} must lie in {low}..{high}; got {int(array.min())}..{int(array.max())}"
        )
    return array


def _origin(origin: int) -> int:
    try:
        return int(Origin(origin))
    except ValueError as err:
        names = ", ".join(f"{o.value} ({o.name})" for o in Origin)
        raise InvalidInputError(f"origin {origin!r} is not one of {names}") from err


def _first_of_each(ts: npt.NDArray[np.int64], *, keep_last: bool) -> npt.NDArray[np.intp] | None:
    """Indices keeping one row per timestamp, sorted by ts; None when ts is strictly increasing."""
    if ts.size < 2 or bool(np.all(ts[1:] > ts[:-1])):
        return None
    order = np.argsort(ts, kind="stable")
    ordered = ts[order]
    if keep_last:
        mask = np.append(ordered[1:] != ordered[:-1], True)
    else:
        mask = np.insert(ordered[1:] != ordered[:-1], 0, True)
    kept: npt.NDArray[np.intp] = order[mask]
    return kept


def _pg_binary(columns: Sequence[tuple[str, npt.ArrayLike]], size: int) -> bytes:
    """Pack fixed-width columns as the rows of a PostgreSQL binary COPY stream."""
    fields: list[tuple[str, str]] = [("_n", ">i2")]
    for name, _ in columns:
        fields += [(f"_{name}_len", ">i4"), (name, _PG_TYPE[name])]
    records = np.empty(size, dtype=np.dtype(fields))
    records["_n"] = len(columns)
    for name, values in columns:
        records[f"_{name}_len"] = np.dtype(_PG_TYPE[name]).itemsize
        records[name] = values
    return _PGCOPY_HEADER + records.tobytes() + _PGCOPY_TRAILER


# Binary COPY field types: timestamptz is int64 microseconds, double precision, integer, smallint.
_PG_TYPE: Final = {
    "meter_key": ">i4",
    "origin": ">i2",
    "ts": ">i8",
    "start": ">i8",
    "value": ">f8",
    "minimum": ">f8",
    "maximum": ">f8",
    "count": ">i4",
    "quality": ">i2",
}

_READING_ROW: Final = np.dtype(
    [("ts", np.int64), ("value", np.float64), ("quality", np.int8), ("origin", np.int8)]
)
_WINDOW_ROW: Final = np.dtype([("ts", np.int64), ("value", np.float64), ("quality", np.int8)])
_AGGREGATE_ROW: Final = np.dtype(
    [
        ("start", np.int64),
        ("value", np.float64),
        ("minimum", np.float64),
        ("maximum", np.float64),
        ("count", np.int64),
        ("quality", np.int8),
    ]
)
_AGGREGATE_SET: Final = "value = excluded.value, minimum = excluded.minimum, maximum = excluded.maximum, " + (
    "count = excluded.count, quality = excluded.quality, month_before = excluded.month_before"
)
_SQL: Final = {
    "sqlite": {
        "readings": "INSERT INTO readings (meter_key, ts, value, quality, origin) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        "aggregates": "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, count, "
        f"quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meter_key, resolution, start) DO UPDATE SET "
        f"{_AGGREGATE_SET}",
        "read_readings": "SELECT ts, value, quality, origin FROM readings "
        "WHERE meter_key = ? AND ts >= ? AND ts < ? ORDER BY ts",
        "read_aggregates": "SELECT start, value, minimum, maximum, count, quality FROM aggregates "
        "WHERE meter_key = ? AND resolution = ? AND start >= ? AND start < ? ORDER BY start",
        "window": "SELECT ts, value, quality FROM readings WHERE meter_key = ? AND ts >= ? AND ts <= ? "
        "ORDER BY ts",
        "before": "SELECT ts, value, quality FROM readings WHERE meter_key = ? AND ts < ? "
        "ORDER BY ts DESC LIMIT 1",
        "after": "SELECT ts, value, quality FROM readings WHERE meter_key = ? AND ts > ? ORDER BY ts LIMIT 1",
    },
    "postgresql": {
        "readings_temp": "CREATE TEMPORARY TABLE _shuixiao_readings_in (ts timestamptz NOT NULL, "
        "value double precision NOT NULL, quality smallint NOT NULL) ON COMMIT DROP",
        "readings": "INSERT INTO readings (meter_key, ts, value, quality, origin) "
        "SELECT %s, ts, value, quality, %s FROM _shuixiao_readings_in ON CONFLICT DO NOTHING",
        "readings_overlap": "SELECT EXISTS (SELECT 1 FROM readings "
        "WHERE meter_key = %s AND ts >= %s AND ts <= %s)",
        "readings_copy": "COPY readings (meter_key, ts, value, quality, origin) FROM STDIN (FORMAT BINARY)",
        "aggregates_temp": "CREATE TEMPORARY TABLE _shuixiao_aggregates_in (start timestamptz NOT NULL, "
        "value double precision NOT NULL, minimum double precision NOT NULL, "
        "maximum double precision NOT NULL, count integer NOT NULL, quality smallint NOT NULL) "
        "ON COMMIT DROP",
        "aggregates": "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, count, "
        "quality) SELECT %s, %s, start, value, minimum, maximum, count, quality FROM _shuixiao_aggregates_in "
        f"ON CONFLICT (meter_key, resolution, start) DO UPDATE SET {_AGGREGATE_SET}",
        "read_readings": "SELECT CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), value, quality, origin "
        "FROM readings WHERE meter_key = %s AND ts >= %s AND ts < %s ORDER BY ts",
        "read_aggregates": "SELECT CAST(EXTRACT(EPOCH FROM start) AS BIGINT), value, minimum, maximum, "
        "count, quality FROM aggregates WHERE meter_key = %s AND resolution = %s "
        "AND start >= %s AND start < %s ORDER BY start",
        "window": "SELECT CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), value, quality FROM readings "
        "WHERE meter_key = %s AND ts >= %s AND ts <= %s ORDER BY ts",
        "before": "SELECT CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), value, quality FROM readings "
        "WHERE meter_key = %s AND ts < %s ORDER BY ts DESC LIMIT 1",
        "after": "SELECT CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), value, quality FROM readings "
        "WHERE meter_key = %s AND ts > %s ORDER BY ts LIMIT 1",
        "lock": "SELECT pg_advisory_xact_lock(%s, %s)",
    },
}


# --- SQL of BulkWriter's batched ingestion methods (hold_meters … read_replacements) ---
_COPY_FROM: Final = 2000  # PostgreSQL: from this many rows insert_readings uses COPY instead of INSERT
_KEYED_ROW: Final = np.dtype(
    [("key", np.int64), ("ts", np.int64), ("value", np.float64), ("quality", np.int8)]
)
_BATCH_SQL: Final = {
    "neighbourhoods": "SELECT q.k, CAST(EXTRACT(EPOCH FROM r.ts) AS BIGINT), r.value, r.quality "
    "FROM unnest(%s::integer[], %s::bigint[], %s::bigint[]) AS q(k, lo, hi) CROSS JOIN LATERAL ("
    "(SELECT ts, value, quality FROM readings WHERE meter_key = q.k AND ts < to_timestamp(q.lo) "
    "ORDER BY ts DESC LIMIT 1) UNION ALL "
    "(SELECT ts, value, quality FROM readings WHERE meter_key = q.k AND ts >= to_timestamp(q.lo) "
    "AND ts <= to_timestamp(q.hi)) UNION ALL "
    "(SELECT ts, value, quality FROM readings WHERE meter_key = q.k AND ts > to_timestamp(q.hi) "
    "ORDER BY ts LIMIT 1)) AS r",
    "aggregate_rows": "SELECT q.i, a.value, a.minimum, a.maximum, a.count, a.quality, a.month_before "
    "FROM unnest(%s::integer[], %s::text[], %s::bigint[]) WITH ORDINALITY AS q(k, res, st, i) "
    "JOIN aggregates a ON a.meter_key = q.k AND a.resolution = q.res AND a.start = to_timestamp(q.st)",
    "aggregate_row": "SELECT value, minimum, maximum, count, quality, month_before FROM aggregates "
    "WHERE meter_key = ? AND resolution = ? AND start = ?",
    "day_rows": "SELECT q.k, CAST(EXTRACT(EPOCH FROM a.start) AS BIGINT), a.minimum, a.maximum, a.count, "
    "a.quality, coalesce(a.month_before, 'NaN') FROM unnest(%s::integer[], %s::bigint[], %s::bigint[]) "
    "AS q(k, lo, hi) JOIN aggregates a ON a.meter_key = q.k AND a.resolution = 'P1D' "
    "AND a.start >= to_timestamp(q.lo) AND a.start <= to_timestamp(q.hi) ORDER BY q.k, a.start",
    "day_rows_sqlite": "SELECT meter_key, start, minimum, maximum, count, quality, month_before "
    "FROM aggregates WHERE meter_key = ? AND resolution = 'P1D' AND start >= ? AND start <= ? ORDER BY start",
    "insert_readings": "INSERT INTO readings (meter_key, ts, value, quality, origin) "
    "SELECT k, to_timestamp(t), v, q, o FROM unnest(%s::integer[], %s::bigint[], %s::float8[], "
    "%s::smallint[], %s::smallint[]) AS u(k, t, v, q, o)",
    "aggregates_stage": "CREATE TEMPORARY TABLE _shuixiao_aggregates_stage (meter_key integer NOT NULL, "
    "resolution smallint NOT NULL, start timestamptz NOT NULL, value double precision NOT NULL, "
    "minimum double precision NOT NULL, maximum double precision NOT NULL, count integer NOT NULL, "
    "quality smallint NOT NULL, month_before double precision NOT NULL) ON COMMIT DROP",
    "upsert_staged_aggregates": "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, "
    "count, quality, month_before) SELECT meter_key, (%s::text[])[resolution + 1], start, value, minimum, "
    "maximum, count, quality, nullif(month_before, 'NaN') FROM _shuixiao_aggregates_stage "
    f"ON CONFLICT (meter_key, resolution, start) DO UPDATE SET {_AGGREGATE_SET}",
    "replacements": "SELECT meter_key, CAST(EXTRACT(EPOCH FROM ts) AS BIGINT), detail FROM meter_events "
    "WHERE kind = 'replacement' AND meter_key = ANY(%s) ORDER BY meter_key, ts",
    "replacements_sqlite": "SELECT meter_key, ts, detail FROM meter_events "
    "WHERE kind = 'replacement' AND meter_key IN ({}) ORDER BY meter_key, ts",
    "insert_reading": "INSERT INTO readings (meter_key, ts, value, quality, origin) VALUES (?, ?, ?, ?, ?)",
    "upsert_aggregates": "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, "
    "count, quality, month_before) SELECT k, r, to_timestamp(s), v, mn, mx, c, q, nullif(b, 'NaN') "
    "FROM unnest(%s::integer[], %s::text[], %s::bigint[], %s::float8[], %s::float8[], %s::float8[], "
    "%s::integer[], %s::smallint[], %s::float8[]) AS u(k, r, s, v, mn, mx, c, q, b) "
    f"ON CONFLICT (meter_key, resolution, start) DO UPDATE SET {_AGGREGATE_SET}",
    "upsert_aggregate_sqlite": "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, "
    "count, quality, month_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT (meter_key, resolution, start) DO UPDATE SET {_AGGREGATE_SET}",
}


def _instant(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds)


def _utc(seconds: npt.NDArray[np.int64]) -> Any:
    """Return epoch seconds as a tz-aware UTC pandas DatetimeIndex."""
    return pd.to_datetime(seconds, unit="s", utc=True)


def _meter_key_arg(meter_key: int) -> int:
    if isinstance(meter_key, bool) or not isinstance(meter_key, int | np.integer):
        raise InvalidInputError(f"meter_key must be an integer from Store.meter_keys(), not {meter_key!r}")
    return int(meter_key)


class BulkWriter:
    """Writes readings and aggregates inside the single transaction of :meth:`Store.bulk`.

    Obtain one from :meth:`Store.bulk`; it is valid until the ``with`` block
    ends, which commits everything written through it (or nothing, if the
    block raises).  On SQLite rows go through the driver's ``executemany``;
    on PostgreSQL they are streamed with binary ``COPY`` into a temporary
    table and moved with one ``INSERT … ON CONFLICT``.

    Ingestion also reads inside the same transaction (:meth:`read_window`),
    serialises writers per meter (:meth:`lock_meters`) and quarantines what
    it rejects (:meth:`add_quarantine`), so that checks, writes, aggregates
    and quarantine commit together.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._meters: set[int] = set()
        self._temporary: set[str] = set()
        self._open = True

    def write_readings(
        self,
        meter_key: int,
        ts: npt.ArrayLike,
        value: npt.ArrayLike,
        quality: npt.ArrayLike,
        origin: int,
    ) -> int:
        """Insert readings of one meter; rows whose ``(meter_key, ts)`` is stored already are skipped.

        Parameters
        ----------
        meter_key : int
            The meter's key, from :meth:`Store.meter_keys`.
        ts : array_like of int64
            Timestamps, whole seconds since 1970-01-01T00:00:00Z (``datetime64`` is accepted too). [s]
        value : array_like of float
            Values in the canonical unit of the meter's quantity; finite. [canonical unit]
        quality : int or array_like of int
            :class:`~shuixiao.model.Quality` of every row, or one for all.
        origin : int
            :class:`~shuixiao.model.Origin` of the rows.

        Returns
        -------
        int
            The number of rows that were new; 0 when all were stored before.
            Within one call, the first of several rows with the same ``ts`` wins.

        Raises
        ------
        InvalidInputError
            If the arrays differ in length, a value is not finite, a
            timestamp is outside 1970–2199 or a flag is out of range.
        NotFoundError
            If no meter has ``meter_key``.
        """
        self._check_open()
        key = _meter_key_arg(meter_key)
        times = _epoch_seconds(ts, "ts")
        size = times.size
        values = _float_column(value, "value", size)
        qualities = _int_column(quality, "quality", size, 0, _QUALITY_MAX)
        source = _origin(origin)
        self._check_meter(key)
        if size == 0:
            return 0
        keep = _first_of_each(times, keep_last=False)
        if keep is not None:
            times, values, qualities = times[keep], values[keep], qualities[keep]
        sql = _SQL[self._dialect]
        if self._dialect == "postgresql":
            return self._copy_readings(key, times, values, qualities, source)
        rows = zip(
            repeat(key), times.tolist(), values.tolist(), qualities.tolist(), repeat(source), strict=False
        )
        return self._executemany(sql["readings"], rows)

    def write_aggregates(
        self,
        meter_key: int,
        resolution: str,
        start: npt.ArrayLike,
        value: npt.ArrayLike,
        minimum: npt.ArrayLike,
        maximum: npt.ArrayLike,
        count: npt.ArrayLike,
        quality: npt.ArrayLike,
    ) -> int:
        """Insert or update aggregates of one meter at one resolution.

        Parameters
        ----------
        meter_key : int
            The meter's key, from :meth:`Store.meter_keys`.
        resolution : str
            Interval length as an ISO 8601 duration: ``PT15M``, ``PT1H``, ``P1D``, ``P1M``.
        start : array_like of int64
            Interval starts, whole seconds since 1970-01-01T00:00:00Z. [s]
        value : array_like of float
            Sum over the interval for volumes, mean for other quantities. [canonical unit]
        minimum, maximum : float or array_like of float
            Smallest and largest reading in the interval, or one for all. [canonical unit]
        count : int or array_like of int
            Number of readings in the interval.
        quality : int or array_like of int
            Worst :class:`~shuixiao.model.Quality` in the interval.

        Returns
        -------
        int
            The number of rows inserted or updated.  Within one call, the
            last of several rows with the same ``start`` wins.

        Raises
        ------
        InvalidInputError
            If the resolution is not an ISO 8601 duration, the arrays differ
            in length, a value is not finite or ``minimum > maximum``.
        NotFoundError
            If no meter has ``meter_key``.
        """
        self._check_open()
        key = _meter_key_arg(meter_key)
        if not isinstance(resolution, str) or not _RESOLUTION.match(resolution):
            raise InvalidInputError(
                f"resolution {resolution!r} is not an ISO 8601 duration; use e.g. PT15M, PT1H, P1D or P1M"
            )
        starts = _epoch_seconds(start, "start")
        size = starts.size
        values = _float_column(value, "value", size)
        minima = _float_column(minimum, "minimum", size, scalar=True)
        maxima = _float_column(maximum, "maximum", size, scalar=True)
        counts = _int_column(count, "count", size, 0, 2**31 - 1)
        qualities = _int_column(quality, "quality", size, 0, _QUALITY_MAX)
        if size and bool((minima > maxima).any()):
            i = int(np.argmax(minima > maxima))
            raise InvalidInputError(f"minimum[{i}] = {minima[i]} is above maximum[{i}] = {maxima[i]}")
        self._check_meter(key)
        if size == 0:
            return 0
        keep = _first_of_each(starts, keep_last=True)
        if keep is not None:
            starts, values, minima, maxima = starts[keep], values[keep], minima[keep], maxima[keep]
            counts, qualities = counts[keep], qualities[keep]
        if self._dialect == "postgresql":
            payload = _pg_binary(
                [
                    ("start", (starts - _PG_EPOCH_OFFSET) * 1_000_000),
                    ("value", values),
                    ("minimum", minima),
                    ("maximum", maxima),
                    ("count", counts),
                    ("quality", qualities),
                ],
                starts.size,
            )
            return self._copy("aggregates", payload, (key, resolution))
        rows = zip(
            repeat(key),
            repeat(resolution),
            starts.tolist(),
            values.tolist(),
            minima.tolist(),
            maxima.tolist(),
            counts.tolist(),
            qualities.tolist(),
            strict=False,
        )
        return self._executemany(_SQL["sqlite"]["aggregates"], rows)

    def lock_meters(self, meter_keys: Iterable[int]) -> None:
        """Hold the meters until the transaction ends, so concurrent ingesters of a meter queue.

        On PostgreSQL this takes a transaction-scoped advisory lock per meter,
        in key order (so two writers cannot deadlock); on SQLite the writing
        transaction already holds the database's write lock and nothing more
        is needed.  Call it once, before reading what the checks need.

        Parameters
        ----------
        meter_keys : iterable of int
            Keys from :meth:`Store.meter_keys`; those of existing meters are
            also remembered as checked for the writes that follow.
        """
        self._check_open()
        keys = sorted({_meter_key_arg(k) for k in meter_keys})
        if not keys:
            return
        if self._dialect == "postgresql":
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                for key in keys:
                    cursor.execute(_SQL["postgresql"]["lock"], (_LOCK_CLASS, key))
        unknown = set(keys) - self._meters
        for first in range(0, len(keys), 10_000):  # one query instead of one per meter on first write
            chunk = [k for k in keys[first : first + 10_000] if k in unknown]
            if chunk:
                found = self._connection.execute(sa.select(t.meters.c.key).where(t.meters.c.key.in_(chunk)))
                self._meters.update(int(k) for k in found.scalars())

    def read_window(
        self, meter_key: int, low: int, high: int, *, before: bool = False, after: bool = False
    ) -> ReadingWindow:
        """Return the stored readings of a meter with ``low <= ts <= high``, oldest first.

        Parameters
        ----------
        meter_key : int
            The meter's key, from :meth:`Store.meter_keys`.
        low, high : int
            Inclusive bounds. [s since epoch, UTC]
        before, after : bool
            Also return the last reading before ``low`` and the first after
            ``high`` (when there are such readings).

        Returns
        -------
        ReadingWindow
        """
        self._check_open()
        key = _meter_key_arg(meter_key)
        bound = self._bound
        rows = self._fetch("window", (key, bound(int(low)), bound(int(high))))
        if before:
            rows = self._fetch("before", (key, bound(int(low)))) + rows
        if after:
            rows += self._fetch("after", (key, bound(int(high))))
        array = np.array(rows, dtype=_WINDOW_ROW) if rows else np.empty(0, dtype=_WINDOW_ROW)
        return ReadingWindow(
            np.ascontiguousarray(array["ts"]),
            np.ascontiguousarray(array["value"]),
            np.ascontiguousarray(array["quality"]),
        )

    def add_quarantine(self, entries: Sequence[QuarantineEntry]) -> list[int]:
        """Quarantine rejected records in this transaction; return their ids, in order.

        Raises
        ------
        InvalidInputError
            If an entry has no reason code, an unknown origin or a payload that is not text.
        """
        self._check_open()
        if not entries:
            return []
        received = dt.datetime.now(dt.UTC)
        rows = [_quarantine_row(entry, received) for entry in entries]
        statement = sa.insert(t.quarantine).returning(t.quarantine.c.id, sort_by_parameter_order=True)
        return [int(row[0]) for row in self._connection.execute(statement, rows)]

    def mark_replayed(self, ids: Iterable[int], at: dt.datetime | None = None) -> int:
        """Mark quarantined records as accepted by a replay; return how many were waiting.

        Parameters
        ----------
        ids : iterable of int
            Quarantine ids.
        at : datetime.datetime, optional
            When (aware); now when omitted.
        """
        self._check_open()
        return _mark_replayed(self._connection, ids, at)

    def update_quarantine(self, quarantine_id: int, reason: str, message: str) -> None:
        """Replace the reason and message of a quarantined record (a replay that still rejects it)."""
        self._check_open()
        self._connection.execute(
            sa.update(t.quarantine)
            .where(t.quarantine.c.id == int(quarantine_id))
            .values(reason=reason, message=message)
        )

    def _bound(self, seconds: int) -> Any:
        return _instant(seconds) if self._dialect == "postgresql" else seconds

    def _fetch(self, name: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor: Any = self._connection.connection.cursor()
        try:
            cursor.execute(_SQL[self._dialect][name], params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _check_open(self) -> None:
        if not self._open:
            raise StorageError("this BulkWriter's `with store.bulk()` block has ended; open a new one")

    def _check_meter(self, key: int) -> None:
        if key in self._meters:
            return
        found = self._connection.execute(sa.select(t.meters.c.key).where(t.meters.c.key == key)).first()
        if found is None:
            raise NotFoundError(f"no meter has key {key}; look keys up with Store.meter_keys(enterprise_id)")
        self._meters.add(key)

    def _executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
        cursor: Any = self._connection.connection.cursor()
        try:
            cursor.executemany(sql, rows)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _copy_readings(
        self,
        key: int,
        times: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        qualities: npt.NDArray[np.int64],
        source: int,
    ) -> int:
        microseconds = (times - _PG_EPOCH_OFFSET) * 1_000_000
        raw: Any = self._connection.connection.driver_connection
        with raw.cursor() as cursor:
            # Fast path: nothing stored yet in the batch's time range (the usual case for new
            # data), so COPY straight into the table.  A concurrent writer may still store some
            # of the rows first; the unique violation then sends us down the slow path.
            cursor.execute(
                _SQL["postgresql"]["readings_overlap"],
                (key, _instant(int(times.min())), _instant(int(times.max()))),
            )
            if not cursor.fetchone()[0]:
                payload = _pg_binary(
                    [
                        ("meter_key", key),
                        ("ts", microseconds),
                        ("value", values),
                        ("quality", qualities),
                        ("origin", source),
                    ],
                    times.size,
                )
                cursor.execute("SAVEPOINT shuixiao_copy")
                try:
                    with cursor.copy(_SQL["postgresql"]["readings_copy"]) as copy:
                        copy.write(payload)
                except self._connection.dialect.loaded_dbapi.Error as err:
                    if getattr(err, "sqlstate", None) != "23505":  # unique_violation
                        raise
                    cursor.execute("ROLLBACK TO SAVEPOINT shuixiao_copy")
                else:
                    cursor.execute("RELEASE SAVEPOINT shuixiao_copy")
                    return int(times.size)
        payload = _pg_binary([("ts", microseconds), ("value", values), ("quality", qualities)], times.size)
        return self._copy("readings", payload, (key, source))

    def _copy(self, table: str, payload: bytes, params: tuple[Any, ...]) -> int:
        sql = _SQL["postgresql"]
        raw: Any = self._connection.connection.driver_connection
        with raw.cursor() as cursor:
            if table in self._temporary:
                cursor.execute(f"TRUNCATE _shuixiao_{table}_in")
            else:
                cursor.execute(sql[f"{table}_temp"])
                self._temporary.add(table)
            with cursor.copy(f"COPY _shuixiao_{table}_in FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(payload)
            cursor.execute(sql[table], params)
            return int(cursor.rowcount)

    # --- batched ingestion: every meter of a commit in one statement -------------------------------
    # Added for the ingestion pipeline's throughput: the methods below serve all the meters of one
    # commit with one statement each (one round trip on PostgreSQL) where the methods above take
    # one or more per meter.  They do not change the methods above.

    def hold_meters(self, meter_keys: Iterable[int]) -> None:
        """Like :meth:`lock_meters`, taking every advisory lock in one round trip on PostgreSQL.

        Parameters
        ----------
        meter_keys : iterable of int
            Keys from :meth:`Store.meter_keys`; locked in key order (so two
            writers cannot deadlock) and remembered as checked.
        """
        self._check_open()
        keys = sorted({_meter_key_arg(k) for k in meter_keys})
        if not keys:
            return
        unknown = [k for k in keys if k not in self._meters]
        if self._dialect == "postgresql":
            raw: Any = self._connection.connection.driver_connection
            # Integers only, so they are written into the statements: the locks (in key order) and
            # the look-up of the keys go as one simple query, executed in order, in one round trip.
            statements = [f"SELECT pg_advisory_xact_lock({_LOCK_CLASS:d}, {key:d})" for key in keys]
            if unknown:
                statements.append(f"SELECT key FROM meters WHERE key IN ({', '.join(map(str, unknown))})")
            with raw.cursor() as cursor:
                cursor.execute(";".join(statements))
                while cursor.nextset():
                    pass  # the look-up is the last result
                if unknown:
                    self._meters.update(int(row[0]) for row in cursor.fetchall())
            return
        cursor = self._connection.connection.cursor()
        try:
            for first in range(0, len(unknown), 900):
                chunk = unknown[first : first + 900]
                places = ", ".join("?" * len(chunk))
                found = cursor.execute(f"SELECT key FROM meters WHERE key IN ({places})", chunk).fetchall()
                self._meters.update(int(row[0]) for row in found)
        finally:
            cursor.close()

    def read_neighbourhoods(
        self, meter_keys: Sequence[int], low: Sequence[int], high: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], ReadingWindow]:
        """Return :meth:`read_window` with ``before`` and ``after`` for several meters, in one statement.

        Parameters
        ----------
        meter_keys : sequence of int
            Distinct meter keys.
        low, high : sequence of int
            Inclusive bounds of each meter's window. [s since epoch, UTC]

        Returns
        -------
        keys : numpy.ndarray of int64
            The meter key of each row.
        readings : ReadingWindow
            For each meter its stored readings with ``low <= ts <= high``, the
            last one before ``low`` and the first one after ``high``; ordered by
            meter key, then time.
        """
        self._check_open()
        keys = [_meter_key_arg(k) for k in meter_keys]
        lows, highs = [int(x) for x in low], [int(x) for x in high]
        if not len(keys) == len(lows) == len(highs):
            raise InvalidInputError("meter_keys, low and high must have the same length")
        rows: list[tuple[Any, ...]] = []
        cursor: Any
        if self._dialect == "postgresql" and keys:
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_BATCH_SQL["neighbourhoods"], (keys, lows, highs))
                rows = list(cursor.fetchall())
        elif keys:
            sql = _SQL["sqlite"]
            cursor = self._connection.connection.cursor()
            try:
                for key, a, b in zip(keys, lows, highs, strict=True):
                    for name, params in (("before", (key, a)), ("window", (key, a, b)), ("after", (key, b))):
                        rows += [(key, *row) for row in cursor.execute(sql[name], params).fetchall()]
            finally:
                cursor.close()
        array = np.array(rows, dtype=_KEYED_ROW) if rows else np.empty(0, dtype=_KEYED_ROW)
        array = array[np.lexsort((array["ts"], array["key"]))]
        return np.ascontiguousarray(array["key"]), ReadingWindow(
            np.ascontiguousarray(array["ts"]),
            np.ascontiguousarray(array["value"]),
            np.ascontiguousarray(array["quality"]),
        )

    def read_aggregate_rows(
        self, meter_keys: Sequence[int], resolutions: Sequence[str], starts: Sequence[int]
    ) -> list[AggregateRow | None]:
        """Return stored aggregate rows by key, in one statement.

        Parameters
        ----------
        meter_keys, resolutions, starts : sequence
            The ``(meter_key, resolution, start)`` of each row wanted (start in s since epoch, UTC).

        Returns
        -------
        list
            Per key, its :class:`AggregateRow`, or None where no row is stored.
        """
        self._check_open()
        keys = [_meter_key_arg(k) for k in meter_keys]
        names, begins = [str(r) for r in resolutions], [int(s) for s in starts]
        if not len(keys) == len(names) == len(begins):
            raise InvalidInputError("meter_keys, resolutions and starts must have the same length")
        found: list[AggregateRow | None] = [None] * len(keys)
        if not keys:
            return found
        cursor: Any
        if self._dialect == "postgresql":
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_BATCH_SQL["aggregate_rows"], (keys, names, begins))
                for i, *row in cursor.fetchall():
                    found[int(i) - 1] = _aggregate_row(row)
            return found
        cursor = self._connection.connection.cursor()
        try:
            for i, params in enumerate(zip(keys, names, begins, strict=True)):
                row = cursor.execute(_BATCH_SQL["aggregate_row"], params).fetchone()
                if row is not None:
                    found[i] = _aggregate_row(row)
        finally:
            cursor.close()
        return found

    def read_day_rows(
        self, meter_keys: Sequence[int], firsts: Sequence[int], lasts: Sequence[int]
    ) -> DayRows:
        """Return the stored ``P1D`` rows of several meters starting in ``[first, last]``.

        One statement on PostgreSQL, one per meter on SQLite (where a statement costs little).

        Parameters
        ----------
        meter_keys : sequence of int
            Meter keys, each once.
        firsts, lasts : sequence of int
            Per meter, the earliest and latest day start wanted. [s since epoch, UTC]

        Returns
        -------
        DayRows
            The rows, by meter key, then day.

        Raises
        ------
        InvalidInputError
            If the sequences differ in length or a key is not a meter key.
        """
        self._check_open()
        keys = [_meter_key_arg(k) for k in meter_keys]
        lows, highs = [int(f) for f in firsts], [int(h) for h in lasts]
        if not len(keys) == len(lows) == len(highs):
            raise InvalidInputError("meter_keys, firsts and lasts must have the same length")
        rows: list[tuple[Any, ...]] = []
        if self._dialect == "postgresql" and keys:
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_BATCH_SQL["day_rows"], (keys, lows, highs))
                rows = cursor.fetchall()
        elif keys:
            cursor = self._connection.connection.cursor()
            try:
                for params in sorted(zip(keys, lows, highs, strict=True)):
                    rows += cursor.execute(_BATCH_SQL["day_rows_sqlite"], params).fetchall()
            finally:
                cursor.close()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 7
        return DayRows(
            np.array(columns[0], dtype=np.int64),
            np.array(columns[1], dtype=np.int64),
            np.array(columns[2], dtype=np.float64),
            np.array(columns[3], dtype=np.float64),
            np.array(columns[4], dtype=np.int64),
            np.array(columns[5], dtype=np.int8),
            np.array([np.nan if b is None else b for b in columns[6]], dtype=np.float64),
        )

    def insert_readings(
        self,
        meter_keys: npt.ArrayLike,
        ts: npt.ArrayLike,
        value: npt.ArrayLike,
        quality: npt.ArrayLike,
        origin: npt.ArrayLike,
    ) -> int:
        """Insert new readings of several meters in one statement; return how many.

        Unlike :meth:`write_readings`, a row whose ``(meter_key, ts)`` is stored
        already is an error (the transaction fails), not skipped: call it for
        readings checked against the store under :meth:`hold_meters`.

        Parameters
        ----------
        meter_keys : array_like of int
            Meter key of each row (held or checked meters).
        ts : array_like of int64
            Timestamps. [s since epoch, UTC]
        value : array_like of float
            Values in the canonical unit; finite. [canonical unit]
        quality, origin : array_like of int
            :class:`~shuixiao.model.Quality` and :class:`~shuixiao.model.Origin` of each row.

        Raises
        ------
        InvalidInputError
            If the columns differ in length or hold values that cannot be stored.
        NotFoundError
            If a meter key is unknown.
        """
        self._check_open()
        times = _epoch_seconds(ts, "ts")
        size = times.size
        keys = _int_column(meter_keys, "meter_keys", size, 1, 2**31 - 1)
        values = _float_column(value, "value", size)
        qualities = _int_column(quality, "quality", size, 0, _QUALITY_MAX)
        origins = _int_column(origin, "origin", size, min(Origin), max(Origin))
        for key in set(keys.tolist()) - self._meters:
            self._check_meter(key)
        if size == 0:
            return 0
        if self._dialect == "postgresql":
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                if size >= _COPY_FROM:
                    payload = _pg_binary(
                        [
                            ("meter_key", keys),
                            ("ts", (times - _PG_EPOCH_OFFSET) * 1_000_000),
                            ("value", values),
                            ("quality", qualities),
                            ("origin", origins),
                        ],
                        size,
                    )
                    with cursor.copy(_SQL["postgresql"]["readings_copy"]) as copy:
                        copy.write(payload)
                else:
                    columns = (
                        keys.tolist(),
                        times.tolist(),
                        values.tolist(),
                        qualities.tolist(),
                        origins.tolist(),
                    )
                    cursor.execute(_BATCH_SQL["insert_readings"], columns)
            return size
        rows = zip(
            keys.tolist(), times.tolist(), values.tolist(), qualities.tolist(), origins.tolist(), strict=True
        )
        self._executemany(_BATCH_SQL["insert_reading"], rows)
        return size

    def upsert_aggregates(
        self,
        meter_keys: npt.ArrayLike,
        resolutions: Sequence[str],
        start: npt.ArrayLike,
        value: npt.ArrayLike,
        minimum: npt.ArrayLike,
        maximum: npt.ArrayLike,
        count: npt.ArrayLike,
        quality: npt.ArrayLike,
        month_before: npt.ArrayLike | None = None,
    ) -> int:
        """Insert or update aggregate rows of several meters and resolutions in one statement.

        Parameters
        ----------
        meter_keys : array_like of int
            Meter key of each row.
        resolutions : sequence of str
            ISO 8601 resolution of each row.
        start, value, minimum, maximum, count, quality : array_like
            As for :meth:`write_aggregates`, one per row; each ``(meter_key,
            resolution, start)`` at most once.
        month_before : array_like of float, optional
            ``P1D`` rows: the sum or mean of the month's values before the day
            (:attr:`AggregateRow.month_before`); NaN, or the whole argument
            omitted, where it is not kept. [canonical unit]

        Returns
        -------
        int
            Rows written.

        Raises
        ------
        InvalidInputError
            If the columns differ in length or hold values that cannot be stored.
        NotFoundError
            If a meter key is unknown.
        """
        self._check_open()
        starts = _epoch_seconds(start, "start")
        size = starts.size
        keys = _int_column(meter_keys, "meter_keys", size, 1, 2**31 - 1)
        names = [str(r) for r in resolutions]
        if len(names) != size or not all(_RESOLUTION.match(r) for r in set(names)):
            raise InvalidInputError("resolutions must be one ISO 8601 duration (e.g. PT15M, P1M) per row")
        values = _float_column(value, "value", size)
        minima = _float_column(minimum, "minimum", size)
        maxima = _float_column(maximum, "maximum", size)
        counts = _int_column(count, "count", size, 0, 2**31 - 1)
        qualities = _int_column(quality, "quality", size, 0, _QUALITY_MAX)
        befores = (
            np.full(size, np.nan) if month_before is None else np.asarray(month_before, dtype=np.float64)
        )
        if befores.shape != (size,) or bool(np.isinf(befores).any()):
            raise InvalidInputError("month_before needs one finite value or NaN per row")
        if size and bool((minima > maxima).any()):
            i = int(np.argmax(minima > maxima))
            raise InvalidInputError(f"minimum[{i}] = {minima[i]} is above maximum[{i}] = {maxima[i]}")
        for key in set(keys.tolist()) - self._meters:
            self._check_meter(key)
        if size == 0:
            return 0
        if self._dialect == "postgresql" and size >= _COPY_FROM:
            self._stage_aggregates(keys, names, starts, values, minima, maxima, counts, qualities, befores)
            return size
        columns = (
            keys.tolist(),
            names,
            starts.tolist(),
            values.tolist(),
            minima.tolist(),
            maxima.tolist(),
            counts.tolist(),
            qualities.tolist(),
            befores.tolist(),  # NaN: NULL (SQLite stores a NaN as NULL; PostgreSQL's statement says so)
        )
        if self._dialect == "postgresql":
            raw: Any = self._connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_BATCH_SQL["upsert_aggregates"], columns)
            return size
        self._executemany(_BATCH_SQL["upsert_aggregate_sqlite"], zip(*columns, strict=True))
        return size

    def _stage_aggregates(
        self,
        keys: npt.NDArray[np.int64],
        names: list[str],
        starts: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        minima: npt.NDArray[np.float64],
        maxima: npt.NDArray[np.float64],
        counts: npt.NDArray[np.int64],
        qualities: npt.NDArray[np.int64],
        befores: npt.NDArray[np.float64],
    ) -> None:
        """PostgreSQL, many rows: binary COPY into a temporary table, then one INSERT … ON CONFLICT."""
        resolutions = sorted(set(names))
        code = {name: i for i, name in enumerate(resolutions)}
        fields = [("_n", ">i2")]
        columns: list[tuple[str, str, npt.ArrayLike]] = [
            ("meter_key", ">i4", keys),
            ("resolution", ">i2", [code[name] for name in names]),
            ("start", ">i8", (starts - _PG_EPOCH_OFFSET) * 1_000_000),
            ("value", ">f8", values),
            ("minimum", ">f8", minima),
            ("maximum", ">f8", maxima),
            ("count", ">i4", counts),
            ("quality", ">i2", qualities),
            ("month_before", ">f8", befores),
        ]
        for name, kind, _ in columns:
            fields += [(f"_{name}_len", ">i4"), (name, kind)]
        records = np.empty(keys.size, dtype=np.dtype(fields))
        records["_n"] = len(columns)
        for name, kind, column in columns:
            records[f"_{name}_len"] = np.dtype(kind).itemsize
            records[name] = column
        raw: Any = self._connection.connection.driver_connection
        with raw.cursor() as cursor:
            if "aggregates_stage" in self._temporary:
                cursor.execute("TRUNCATE _shuixiao_aggregates_stage")
            else:
                cursor.execute(_BATCH_SQL["aggregates_stage"])
                self._temporary.add("aggregates_stage")
            with cursor.copy("COPY _shuixiao_aggregates_stage FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(_PGCOPY_HEADER + records.tobytes() + _PGCOPY_TRAILER)
            cursor.execute(_BATCH_SQL["upsert_staged_aggregates"], (resolutions,))

    def read_replacements(self, meter_keys: Iterable[int]) -> list[tuple[int, int, dict[str, Any]]]:
        """Return the ``replacement`` events of some meters, in one statement.

        Returns
        -------
        list of tuple
            ``(meter_key, ts, detail)`` ordered by meter key and time (ts in s since epoch, UTC).
        """
        self._check_open()
        keys = sorted({_meter_key_arg(k) for k in meter_keys})
        result: list[tuple[int, int, dict[str, Any]]] = []
        postgresql = self._dialect == "postgresql"
        cursor: Any = self._connection.connection.cursor()
        try:
            for first in range(0, len(keys), 900):
                chunk = keys[first : first + 900]
                if postgresql:
                    cursor.execute(_BATCH_SQL["replacements"], (chunk,))
                else:
                    places = ", ".join("?" * len(chunk))
                    cursor.execute(_BATCH_SQL["replacements_sqlite"].format(places), chunk)
                for key, ts, detail in cursor.fetchall():
                    document = detail if isinstance(detail, dict) else json.loads(detail)
                    result.append((int(key), int(ts), dict(document)))
        finally:
            cursor.close()
        return result


# --- the store ----------------------------------------------------------------------------------


def _reason(err: BaseException) -> str:
    """The driver's message, on one line."""
    orig = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def _mask(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _parse_url(url: str) -> URL:
    example = "use sqlite:///path/to/shuixiao.db or postgresql+psycopg://user@host:5432/dbname"
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"no database URL given; {example} ({_URL_HINT})")
    try:
        parsed = make_url(url.strip())
    except sa.exc.ArgumentError as err:
        raise ConfigurationError(f"{_mask(url)!r} is not a database URL; {example} ({_URL_HINT})") from err
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise ConfigurationError(
                f"PostgreSQL driver {driver!r} is not supported; write postgresql+psycopg://… ({_URL_HINT})"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigurationError(
                f"SQLite driver {driver!r} is not supported; write sqlite:///… ({_URL_HINT})"
            )
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            parsed = parsed.set(database=str(Path(database).expanduser()))
        return parsed
    raise ConfigurationError(f"{backend!r} databases are not supported; {example} ({_URL_HINT})")


_SQLITE_BUSY: Final = 5.0  # how long a writer waits for the one before it [s]
_SQLITE_PRAGMAS: Final = ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below issue BEGIN itself, so that every
    # statement (DDL too) is inside the transaction SQLAlchemy thinks it is in.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # Writers take the write lock up front, so two writers queue instead of deadlocking.
    write = connection.get_execution_options().get("shuixiao_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _create_engine(url: URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            directory = Path(database).parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise ConfigurationError(
                    f"cannot create the data directory {directory}: {err.strerror}; "
                    f"choose a writable location ({_URL_HINT})"
                ) from err
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {"application_name": "shuixiao"}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 10
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _unreachable(url: URL, err: BaseException) -> StorageError:
    reason = _reason(err)
    if url.get_backend_name() == "sqlite":
        return StorageError(
            f"cannot open the SQLite database {url.database or ':memory:'}: {reason}; check that the file "
            f"is a database and its directory is writable ({_URL_HINT})"
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    lowered = reason.lower()
    if "does not exist" in lowered and "database" in lowered:
        hint = f"the database does not exist: create it (createdb {url.database})"
    elif "password" in lowered or "authentication" in lowered or "role" in lowered:
        hint = "the server refused the user or password"
    else:
        hint = "is it running and accepting connections there?"
    return StorageError(f"cannot reach PostgreSQL at {where}: {hint} {_URL_HINT} (driver: {reason})")


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config())


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    """A dialect INSERT that supports ``on_conflict_do_update``."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _upsert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
    )
    connection.execute(statement, rows)


def _quarantine_row(entry: QuarantineEntry, received: dt.datetime) -> dict[str, Any]:
    if not isinstance(entry, QuarantineEntry):
        raise InvalidInputError(f"expected a QuarantineEntry, got {type(entry).__name__}")
    if not isinstance(entry.reason, str) or not entry.reason.strip():
        raise InvalidInputError("a quarantined record needs a reason code, e.g. 'unknown_meter'")
    if not isinstance(entry.payload, str):
        raise InvalidInputError(f"the quarantine payload must be text, not {type(entry.payload).__name__}")
    return {
        "enterprise": _storable(entry.enterprise),
        "meter": _storable(entry.meter),
        "origin": _origin(entry.origin),
        "source": _storable(str(entry.source)),
        "received": received,
        "payload": _storable(entry.payload),
        "reason": _storable(entry.reason),
        "message": _storable(str(entry.message)),
    }


def _storable(text: str | None) -> str | None:
    r"""Text any database keeps: NUL (refused by PostgreSQL) and lone surrogates (not UTF-8) escaped.

    Examples
    --------
    >>> _storable("FT-1\x00\ud800")
    'FT-1\\x00\\ud800'
    """
    if text is None or (text.isprintable() and text.isascii()):
        return text
    text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _mark_replayed(connection: sa.Connection, ids: Iterable[int], at: dt.datetime | None) -> int:
    when = dt.datetime.now(dt.UTC) if at is None else at
    utc_seconds(when)  # refuse naive datetimes before touching the database
    keys = sorted({int(i) for i in ids})
    q = t.quarantine
    done = 0
    for first in range(0, len(keys), 10_000):  # keep IN lists within driver limits
        chunk = keys[first : first + 10_000]
        result = connection.execute(
            sa.update(q).where(q.c.id.in_(chunk), q.c.replayed_at.is_(None)).values(replayed_at=when)
        )
        done += int(result.rowcount)
    return done


def _window(start: dt.datetime | None, end: dt.datetime | None) -> tuple[int, int]:
    low = 0 if start is None else utc_seconds(start)
    high = EPOCH_MAX if end is None else utc_seconds(end)
    if high < low:
        raise InvalidInputError(f"end {end} is before start {start}; the window is [start, end)")
    return low, high


def _close(word: str, candidates: Iterable[str]) -> str:
    names = sorted(candidates)
    close = difflib.get_close_matches(word, names, n=3, cutoff=0.5)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not names:
        return "there are none yet"
    more = ", …" if len(names) > 10 else ""
    return f"there are {len(names)}: {', '.join(names[:10])}{more}"


_ENTERPRISE_COLUMNS: Final = (
    "id",
    "name",
    "credit_code",
    "industry_code",
    "region",
    "park",
    "name_en",
    "employees",
)


class Store:
    """The database of shuixiao: SQLite (embedded default) or PostgreSQL (production).

    Open one with :meth:`Store.open` and close it (or use it as a context
    manager).  Every method runs in its own transaction; :meth:`bulk` groups
    many reading and aggregate writes into one.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine made by :meth:`Store.open`; do not build one yourself.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with Store.open(f"sqlite:///{tmp}/data/shuixiao.db") as store:
    ...         store.upgrade()
    ...         store.check_schema()
    ...         print(store.schema_version(), store.list_enterprises())
    0010 []
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._turns = None if self._postgres else turn_file(engine.url.database)
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._closed = False

    @classmethod
    def open(cls, url: str) -> Self:
        """Open the database at ``url`` and check that it can be reached.

        Parameters
        ----------
        url : str
            ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
            ``postgresql+psycopg://user:password@host:5432/dbname``
            (``postgresql://`` means the same).  The directory of an SQLite
            file is created when missing.

        Returns
        -------
        Store

        Raises
        ------
        ConfigurationError
            If the URL is malformed, names an unsupported database, or the
            SQLite directory cannot be created.
        StorageError
            If the database cannot be reached or opened; the message says what to check.
        """
        parsed = _parse_url(url)
        engine = _create_engine(parsed)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except sa.exc.SQLAlchemyError as err:
            engine.dispose()
            raise _unreachable(parsed, err) from err
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL, with any password masked."""
        return self._engine.url.render_as_string(hide_password=True)

    def url_to_reopen(self) -> str:
        """Return a URL with which another process can open this same database.

        Unlike :attr:`url` it keeps the password; an SQLite path is made absolute, so the
        URL means the same database whatever the other process's working directory.  Do not
        log or print it.

        Returns
        -------
        str
            A URL for :meth:`Store.open`.

        Raises
        ------
        ConfigurationError
            If the database is an in-memory SQLite database, which no other process can see.
        """
        url = self._engine.url
        if url.get_backend_name() != "sqlite":
            return url.render_as_string(hide_password=False)
        database = url.database or ""
        # sqlite:///file:path?mode=ro&uri=true: SQLAlchemy keeps mode and uri in url.query
        uri = database.startswith("file:")
        path = database.removeprefix("file:")
        if path in ("", ":memory:") or url.query.get("mode") == "memory":
            raise ConfigurationError(
                f"the SQLite database {self.url} is in memory, so no other process can open it; "
                f"store it in a file (sqlite:///path/to/shuixiao.db) to share it ({_URL_HINT})"
            )
        path = str(Path(path).absolute())
        return url.set(database=f"file:{path}" if uri else path).render_as_string(hide_password=False)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Close every connection; the store cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- connections and errors ----------------------------------------------------------------

    @contextmanager
    def transaction(self, action: str, *, write: bool = False) -> Iterator[sa.Connection]:
        """Open a connection in one transaction, committed when the block ends without an error.

        The storage modules of other capabilities (accounts, ledger, alarms) use it for their own
        tables so that every database error reaches callers as a :class:`StorageError`.

        Parameters
        ----------
        action : str
            What is being done, for error messages ("saving region 'hn'").
        write : bool, optional
            True when the transaction writes; SQLite then takes the write lock at once
            (``BEGIN IMMEDIATE``) instead of failing later on a busy database.

        Yields
        ------
        sqlalchemy.Connection

        Raises
        ------
        StorageError
            If the store is closed or the database fails; the message names ``action``.
        SchemaVersionError
            If the tables are missing (run ``shuixiao db upgrade``).
        """
        if self._closed:
            raise StorageError(f"the store at {self.url} is closed; open it again with Store.open()")
        try:
            with (
                writer_turn(self._turns if write else None, _SQLITE_BUSY),
                self._engine.connect() as connection,
            ):
                if write:
                    connection.execution_options(shuixiao_write=True)
                with connection.begin():
                    yield connection
        except ShuixiaoError:
            raise
        except (sa.exc.SQLAlchemyError, self._dbapi_error) as err:
            raise self._error(action, err) from err

    def _error(self, action: str, err: BaseException) -> ShuixiaoError:
        orig = getattr(err, "orig", None)
        if isinstance(orig, ShuixiaoError):
            return orig
        reason = _reason(err)
        if "no such table" in reason or getattr(orig or err, "sqlstate", None) == "42P01":
            return SchemaVersionError(
                f"database at {self.url} has no shuixiao tables ({reason}): {_UPGRADE_HINT}"
            )
        return StorageError(f"{action} failed on {self.url}: {reason}")

    # --- schema --------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``), in one transaction.

        Raises
        ------
        StorageError
            If a migration fails; the database is left as it was.
        """
        if self._closed:
            raise StorageError(f"the store at {self.url} is closed; open it again with Store.open()")
        sqlite = not self._postgres
        try:
            with self._engine.connect() as connection:
                raw: Any = connection.connection.driver_connection
                if sqlite:  # SQLite batch migrations copy tables; cascades must not fire meanwhile.
                    raw.execute("PRAGMA foreign_keys=OFF")
                try:
                    connection.execution_options(shuixiao_write=True)
                    with connection.begin():
                        command.upgrade(_alembic_config(connection), "head")
                        if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                            raise StorageError(
                                f"upgrading {self.url} would break foreign keys; nothing was changed"
                            )
                finally:
                    if sqlite:
                        raw.execute("PRAGMA foreign_keys=ON")
        except ShuixiaoError:
            raise
        except (sa.exc.SQLAlchemyError, self._dbapi_error) as err:
            raise self._error("upgrading the schema", err) from err

    def schema_version(self) -> str | None:
        """Return the schema revision of the database, or None when it has no shuixiao schema."""
        with self.transaction("reading the schema version") as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        return revision

    def check_schema(self) -> None:
        """Check that the database is at the schema revision this code expects.

        Raises
        ------
        SchemaVersionError
            If the database is empty, behind (run ``shuixiao db upgrade``), or
            ahead of this code (upgrade shuixiao).
        """
        scripts = _scripts()
        head = scripts.get_current_head()
        current = self.schema_version()
        if current == head:
            return
        known = {script.revision for script in scripts.walk_revisions()}
        if current is not None and current not in known:
            raise SchemaVersionError(
                f"database at {self.url} is at revision {current}, which this version of shuixiao does not "
                f"know (it expects {head}): the database was upgraded by a newer shuixiao; upgrade shuixiao"
            )
        shown = "none (no shuixiao schema)" if current is None else current
        raise SchemaVersionError(
            f"database at {self.url} is at revision {shown}, code expects {head}: {_UPGRADE_HINT}"
        )

    # --- regions and parks ---------------------------------------------------------------------

    def save_region(self, region: Region) -> None:
        """Insert or update a region (by id).

        Raises
        ------
        ModelValidationError
            If the parent region does not exist or the code is not six digits.
        """
        with self.transaction(f"saving region {region.id!r}", write=True) as connection:
            self._write_regions(connection, [region], source=f"region {region.id!r}")

    def save_park(self, park: Park) -> None:
        """Insert or update a park (by id).

        Raises
        ------
        ModelValidationError
            If the park's region does not exist.
        """
        with self.transaction(f"saving park {park.id!r}", write=True) as connection:
            self._write_parks(connection, [park], source=f"park {park.id!r}")

    def list_regions(self) -> list[Region]:
        """Return every region, by id."""
        with self.transaction("listing regions") as connection:
            rows = connection.execute(sa.select(t.regions).order_by(t.regions.c.id)).mappings().all()
        return [_entity(Region, row) for row in rows]

    def list_parks(self) -> list[Park]:
        """Return every park, by id."""
        with self.transaction("listing parks") as connection:
            rows = connection.execute(sa.select(t.parks).order_by(t.parks.c.id)).mappings().all()
        return [_entity(Park, row) for row in rows]

    @staticmethod
    def _write_regions(connection: sa.Connection, regions: Sequence[Region], *, source: str) -> None:
        known = set(connection.execute(sa.select(t.regions.c.id)).scalars()) | {r.id for r in regions}
        problems: list[Problem] = []
        for i, r in enumerate(regions):
            where = f"regions[{i}]" if len(regions) > 1 or source == "model" else ""
            dot = f"{where}." if where else ""
            problems += region_problems(r, where)
            if r.parent is not None and r.parent not in known:
                problems.append(
                    Problem(f"{dot}parent", f"region {r.parent!r} does not exist; create it first")
                )
        if problems:
            raise ModelValidationError(problems, source=source)
        _upsert(connection, t.regions, [_row(r) for r in regions], ["id"])

    @staticmethod
    def _write_parks(connection: sa.Connection, parks: Sequence[Park], *, source: str) -> None:
        regions = set(connection.execute(sa.select(t.regions.c.id)).scalars())
        problems: list[Problem] = []
        for i, p in enumerate(parks):
            dot = f"parks[{i}]." if len(parks) > 1 or source == "model" else ""
            problems += park_problems(p, dot.rstrip("."))
            if p.region not in regions:
                problems.append(
                    Problem(f"{dot}region", f"region {p.region!r} does not exist; create it first")
                )
        if problems:
            raise ModelValidationError(problems, source=source)
        _upsert(connection, t.parks, [_row(p) for p in parks], ["id"])

    # --- enterprises ---------------------------------------------------------------------------

    def save_enterprise(
        self, enterprise: Enterprise, *, replace: bool = False, drop_readings: bool = False
    ) -> None:
        """Validate and save an enterprise and its whole water system, in one transaction.

        Parameters
        ----------
        enterprise : Enterprise
            The model; its region and park must be in the store.
        replace : bool
            Overwrite an enterprise with the same id.  Meters that keep their
            id keep their key, so their readings, aggregates and events stay.
        drop_readings : bool
            With ``replace``, allow meters that are no longer in the model to
            be deleted together with their readings and aggregates.  Without
            it, replacing refuses to drop a meter that has any.

        Raises
        ------
        ModelValidationError
            If :func:`~shuixiao.model.enterprise_problems` finds anything; every problem is listed.
        InvalidInputError
            If the id exists and ``replace`` is false, or replacing would drop
            meters with readings and ``drop_readings`` is false.
        """
        with self.transaction(f"saving enterprise {enterprise.id!r}", write=True) as connection:
            self._write_enterprises(
                connection,
                [enterprise],
                replace=replace,
                drop_readings=drop_readings,
                source=f"enterprise {enterprise.id!r}",
            )

    def save_model(
        self,
        regions: Sequence[Region],
        parks: Sequence[Park],
        enterprises: Sequence[Enterprise],
        *,
        replace: bool = False,
        drop_readings: bool = False,
    ) -> None:
        """Save regions, parks and enterprises (a model file) in one transaction: all or nothing.

        Regions and parks are upserted; enterprises follow
        :meth:`save_enterprise`.  Problem paths are prefixed with
        ``regions[i]``, ``parks[i]`` or ``enterprises[i]``.

        Raises
        ------
        ModelValidationError, InvalidInputError
            As :meth:`save_region`, :meth:`save_park` and :meth:`save_enterprise`.
        """
        with self.transaction("saving the model", write=True) as connection:
            self._write_regions(connection, list(regions), source="model")
            self._write_parks(connection, list(parks), source="model")
            self._write_enterprises(
                connection,
                list(enterprises),
                replace=replace,
                drop_readings=drop_readings,
                source="model",
            )

    def _write_enterprises(
        self,
        connection: sa.Connection,
        enterprises: Sequence[Enterprise],
        *,
        replace: bool,
        drop_readings: bool,
        source: str,
    ) -> None:
        regions = set(connection.execute(sa.select(t.regions.c.id)).scalars())
        parks = set(connection.execute(sa.select(t.parks.c.id)).scalars())
        problems: list[Problem] = []
        first: dict[str, int] = {}
        for i, e in enumerate(enterprises):
            prefix = f"enterprises[{i}]" if source == "model" else ""
            if e.id in first:
                problems.append(
                    Problem(_join(prefix, "id"), f"duplicate id {e.id!r}, also enterprises[{first[e.id]}]")
                )
            first.setdefault(e.id, i)
            if not e.id.strip():
                problems.append(Problem(_join(prefix, "id"), "is empty"))
            problems += [
                dataclasses.replace(p, path=_join(prefix, p.path))
                for p in enterprise_problems(e, regions=regions, parks=parks)
            ]
        if problems:
            raise ModelValidationError(problems, source=source)
        existing: dict[str, int] = dict(
            connection.execute(
                sa.select(t.enterprises.c.id, t.enterprises.c.key).where(t.enterprises.c.id.in_(list(first)))
            ).all()
        )
        if existing and not replace:
            names = ", ".join(repr(i) for i in sorted(existing))
            raise InvalidInputError(
                f"enterprise {names} exists; use --replace (replace=True) to overwrite it, "
                "or choose another id"
            )
        for e in enterprises:
            self._write_enterprise(connection, e, existing.get(e.id), drop_readings=drop_readings)

    def _write_enterprise(
        self, connection: sa.Connection, e: Enterprise, key: int | None, *, drop_readings: bool
    ) -> None:
        head = {name: getattr(e, name) for name in _ENTERPRISE_COLUMNS}
        old_meters: dict[str, int] = {}
        if key is None:
            inserted = connection.execute(sa.insert(t.enterprises).values(head)).inserted_primary_key
            assert inserted is not None
            key = int(inserted[0])
        else:
            connection.execute(sa.update(t.enterprises).where(t.enterprises.c.key == key).values(head))
            old_meters = dict(
                connection.execute(
                    sa.select(t.meters.c.id, t.meters.c.key).where(t.meters.c.enterprise_key == key)
                ).all()
            )
            kept = {m.id for m in e.meters}
            gone = {mid: mkey for mid, mkey in old_meters.items() if mid not in kept}
            if gone:
                self._drop_meters(connection, e.id, gone, drop_readings=drop_readings)
            for _, table, _ in _COLLECTIONS:
                if table is not t.meters:
                    connection.execute(sa.delete(table).where(table.c.enterprise_key == key))
        for attr, table, _ in _COLLECTIONS:
            items = getattr(e, attr)
            if table is t.meters:
                updates = [
                    _row(m, enterprise_key=key, position=i, _key=old_meters[m.id])
                    for i, m in enumerate(items)
                    if m.id in old_meters
                ]
                items_new = [(i, m) for i, m in enumerate(items) if m.id not in old_meters]
                if updates:
                    connection.execute(
                        sa.update(t.meters).where(t.meters.c.key == sa.bindparam("_key")), updates
                    )
                rows = [_row(m, enterprise_key=key, position=i) for i, m in items_new]
            else:
                rows = [_row(item, enterprise_key=key, position=i) for i, item in enumerate(items)]
            if rows:
                connection.execute(sa.insert(table), rows)

    @staticmethod
    def _drop_meters(
        connection: sa.Connection, enterprise_id: str, gone: dict[str, int], *, drop_readings: bool
    ) -> None:
        keys = list(gone.values())
        held: dict[int, int] = {}
        for table in (t.readings, t.aggregates):
            counted = connection.execute(
                sa.select(table.c.meter_key, sa.func.count())
                .where(table.c.meter_key.in_(keys))
                .group_by(table.c.meter_key)
            )
            for mkey, n in counted:
                held[mkey] = held.get(mkey, 0) + int(n)
        if held and not drop_readings:
            listed = ", ".join(
                f"{mid!r} ({held[mkey]} rows)" for mid, mkey in sorted(gone.items()) if mkey in held
            )
            raise InvalidInputError(
                f"replacing enterprise {enterprise_id!r} would drop meter {listed} with its stored readings "
                "and aggregates; keep the meter in the model (same id), or pass drop_readings=True "
                "(--drop-readings) to delete them"
            )
        for table in (t.readings, t.aggregates, t.meter_events):
            connection.execute(sa.delete(table).where(table.c.meter_key.in_(keys)))
        connection.execute(sa.delete(t.meters).where(t.meters.c.key.in_(keys)))

    def load_enterprise(self, enterprise_id: str) -> Enterprise:
        """Return the enterprise ``enterprise_id`` exactly as it was saved.

        Raises
        ------
        NotFoundError
            If there is no such enterprise; the message lists close matches.
        """
        with self.transaction(f"loading enterprise {enterprise_id!r}") as connection:
            head = (
                connection.execute(sa.select(t.enterprises).where(t.enterprises.c.id == enterprise_id))
                .mappings()
                .first()
            )
            if head is None:
                raise self._no_enterprise(connection, enterprise_id)
            parts: dict[str, Any] = {}
            for attr, table, cls in _COLLECTIONS:
                rows = connection.execute(
                    sa.select(table).where(table.c.enterprise_key == head["key"]).order_by(table.c.position)
                ).mappings()
                parts[attr] = tuple(_entity(cls, row) for row in rows)
        fields: dict[str, Any] = {name: head[name] for name in _ENTERPRISE_COLUMNS}
        return Enterprise(**fields, **parts)

    def list_enterprises(self) -> list[EnterpriseSummary]:
        """Return a summary of every enterprise, by id."""
        e = t.enterprises

        def size(table: sa.Table) -> Any:
            return (
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.enterprise_key == e.c.key)
                .scalar_subquery()
            )

        query = sa.select(
            e.c.id,
            e.c.name,
            e.c.name_en,
            e.c.park,
            e.c.region,
            e.c.industry_code,
            e.c.credit_code,
            size(t.water_units).label("n_units"),
            size(t.flows).label("n_flows"),
            size(t.meters).label("n_meters"),
        ).order_by(e.c.id)
        with self.transaction("listing enterprises") as connection:
            rows = connection.execute(query).mappings().all()
        return [EnterpriseSummary(**row) for row in rows]

    def delete_enterprise(self, enterprise_id: str) -> None:
        """Delete an enterprise with its water system, readings, aggregates and meter events.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        """
        with self.transaction(f"deleting enterprise {enterprise_id!r}", write=True) as connection:
            key = self._enterprise_key(connection, enterprise_id)
            meters = sa.select(t.meters.c.key).where(t.meters.c.enterprise_key == key)
            for table in (t.readings, t.aggregates, t.meter_events):
                connection.execute(sa.delete(table).where(table.c.meter_key.in_(meters)))
            connection.execute(sa.delete(t.enterprises).where(t.enterprises.c.key == key))

    def _enterprise_key(self, connection: sa.Connection, enterprise_id: str) -> int:
        key = connection.execute(
            sa.select(t.enterprises.c.key).where(t.enterprises.c.id == enterprise_id)
        ).scalar_one_or_none()
        if key is None:
            raise self._no_enterprise(connection, enterprise_id)
        return int(key)

    @staticmethod
    def _no_enterprise(connection: sa.Connection, enterprise_id: str) -> NotFoundError:
        ids = connection.execute(sa.select(t.enterprises.c.id)).scalars().all()
        return NotFoundError(f"no enterprise {enterprise_id!r}; {_close(enterprise_id, ids)}")

    def _meter_key(self, connection: sa.Connection, enterprise_id: str, meter_id: str) -> int:
        key = self._enterprise_key(connection, enterprise_id)
        meters = dict(
            connection.execute(
                sa.select(t.meters.c.id, t.meters.c.key).where(t.meters.c.enterprise_key == key)
            ).all()
        )
        if meter_id not in meters:
            raise NotFoundError(
                f"enterprise {enterprise_id!r} has no meter {meter_id!r}; {_close(meter_id, meters)}"
            )
        return int(meters[meter_id])

    # --- readings and aggregates ---------------------------------------------------------------

    def meter_keys(self, enterprise_id: str) -> dict[str, int]:
        """Return the key of every meter of an enterprise, by meter id, in model order.

        The keys are what :meth:`write_readings` takes; they survive
        :meth:`save_enterprise` with ``replace=True`` for meters that keep their id.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        """
        with self.transaction(f"reading meter keys of {enterprise_id!r}") as connection:
            key = self._enterprise_key(connection, enterprise_id)
            rows = connection.execute(
                sa.select(t.meters.c.id, t.meters.c.key)
                .where(t.meters.c.enterprise_key == key)
                .order_by(t.meters.c.position)
            )
            return {mid: int(mkey) for mid, mkey in rows}

    @contextmanager
    def bulk(self) -> Iterator[BulkWriter]:
        """Group many :meth:`write_readings` and :meth:`write_aggregates` calls in one transaction.

        Yields
        ------
        BulkWriter
            Valid until the block ends; the block commits on success and
            writes nothing if it raises.
        """
        with self.transaction("writing readings", write=True) as connection:
            writer = BulkWriter(connection)
            try:
                yield writer
            finally:
                writer._open = False

    def write_readings(
        self,
        meter_key: int,
        ts: npt.ArrayLike,
        value: npt.ArrayLike,
        quality: npt.ArrayLike,
        origin: int,
    ) -> int:
        """Insert readings of one meter in one transaction (see :meth:`BulkWriter.write_readings`).

        Returns
        -------
        int
            The number of new rows; rows already stored for ``(meter_key, ts)`` are skipped.
        """
        with self.bulk() as writer:
            return writer.write_readings(meter_key, ts, value, quality, origin)

    def write_aggregates(
        self,
        meter_key: int,
        resolution: str,
        start: npt.ArrayLike,
        value: npt.ArrayLike,
        minimum: npt.ArrayLike,
        maximum: npt.ArrayLike,
        count: npt.ArrayLike,
        quality: npt.ArrayLike,
    ) -> int:
        """Upsert aggregates of one meter in one transaction (see :meth:`BulkWriter.write_aggregates`).

        Returns
        -------
        int
            The number of rows inserted or updated.
        """
        with self.bulk() as writer:
            return writer.write_aggregates(
                meter_key, resolution, start, value, minimum, maximum, count, quality
            )

    def _fetch(self, connection: sa.Connection, name: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(_SQL[connection.dialect.name][name], params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _bounds(self, low: int, high: int) -> tuple[Any, Any]:
        return (_instant(low), _instant(high)) if self._postgres else (low, high)

    def read_readings(
        self,
        enterprise_id: str,
        meter_id: str,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Return the readings of a meter in ``[start, end)``, oldest first.

        Parameters
        ----------
        enterprise_id, meter_id : str
            The meter.
        start, end : datetime.datetime, optional
            Aware datetimes (any zone); open-ended when None.

        Returns
        -------
        pandas.DataFrame
            Columns ``ts`` (tz-aware UTC), ``value`` [canonical unit],
            ``quality`` and ``origin`` (int8 codes of
            :class:`~shuixiao.model.Quality` and :class:`~shuixiao.model.Origin`).

        Raises
        ------
        InvalidInputError
            If ``start`` or ``end`` is naive, or ``end`` precedes ``start``.
        NotFoundError
            If the enterprise or the meter does not exist.
        """
        low, high = _window(start, end)
        with self.transaction(f"reading readings of {enterprise_id}/{meter_id}") as connection:
            key = self._meter_key(connection, enterprise_id, meter_id)
            rows = self._fetch(connection, "read_readings", (key, *self._bounds(low, high)))
        array = np.array(rows, dtype=_READING_ROW) if rows else np.empty(0, dtype=_READING_ROW)
        return pd.DataFrame(
            {
                "ts": _utc(array["ts"]),
                "value": array["value"],
                "quality": array["quality"],
                "origin": array["origin"],
            }
        )

    def read_aggregates(
        self,
        enterprise_id: str,
        meter_id: str,
        resolution: str,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Return the aggregates of a meter at ``resolution`` whose start lies in ``[start, end)``.

        Returns
        -------
        pandas.DataFrame
            Columns ``start`` (tz-aware UTC), ``value``, ``minimum``,
            ``maximum`` [canonical unit], ``count`` and ``quality``.

        Raises
        ------
        InvalidInputError
            If ``start`` or ``end`` is naive, or ``end`` precedes ``start``.
        NotFoundError
            If the enterprise or the meter does not exist.
        """
        low, high = _window(start, end)
        with self.transaction(f"reading aggregates of {enterprise_id}/{meter_id}") as connection:
            key = self._meter_key(connection, enterprise_id, meter_id)
            rows = self._fetch(connection, "read_aggregates", (key, resolution, *self._bounds(low, high)))
        array = np.array(rows, dtype=_AGGREGATE_ROW) if rows else np.empty(0, dtype=_AGGREGATE_ROW)
        return pd.DataFrame(
            {
                "start": _utc(array["start"]),
                "value": array["value"],
                "minimum": array["minimum"],
                "maximum": array["maximum"],
                "count": array["count"],
                "quality": array["quality"],
            }
        )

    def count_readings(self, enterprise_id: str | None = None) -> int:
        """Return the number of stored readings, of one enterprise or of all.

        Raises
        ------
        NotFoundError
            If ``enterprise_id`` is given and does not exist.
        """
        query = sa.select(sa.func.count()).select_from(t.readings)
        with self.transaction("counting readings") as connection:
            if enterprise_id is not None:
                key = self._enterprise_key(connection, enterprise_id)
                meters = sa.select(t.meters.c.key).where(t.meters.c.enterprise_key == key)
                query = query.where(t.readings.c.meter_key.in_(meters))
            return int(connection.execute(query).scalar_one())

    def reading_span(self, enterprise_id: str) -> tuple[dt.datetime, dt.datetime] | None:
        """Return the first and the last reading time of an enterprise (both UTC), or None if it has none.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        """
        m, r = t.meters, t.readings
        first = sa.select(sa.func.min(r.c.ts)).where(r.c.meter_key == m.c.key).scalar_subquery()
        last = sa.select(sa.func.max(r.c.ts)).where(r.c.meter_key == m.c.key).scalar_subquery()
        with self.transaction(f"reading the span of {enterprise_id!r}") as connection:
            key = self._enterprise_key(connection, enterprise_id)
            per_meter = sa.select(first.label("first"), last.label("last")).where(m.c.enterprise_key == key)
            inner = per_meter.subquery()
            low, high = connection.execute(
                sa.select(sa.func.min(inner.c.first), sa.func.max(inner.c.last))
            ).one()
        if low is None or high is None:
            return None
        return low, high

    # --- meter events --------------------------------------------------------------------------

    def add_meter_event(
        self,
        enterprise_id: str,
        meter_id: str,
        ts: dt.datetime,
        kind: str,
        detail: Mapping[str, Any],
    ) -> None:
        """Record an event of a meter; recording the same ``(meter, ts, kind)`` again replaces its detail.

        Parameters
        ----------
        enterprise_id, meter_id : str
            The meter.
        ts : datetime.datetime
            When it happened; aware (any zone), stored in UTC to the second.
        kind : str
            What happened, e.g. ``replacement`` or ``rollover``.
        detail : mapping
            JSON-compatible details (numbers, strings, lists, mappings).

        Raises
        ------
        InvalidInputError
            If ``ts`` is naive, ``kind`` is empty or ``detail`` is not JSON-compatible.
        NotFoundError
            If the enterprise or the meter does not exist.
        """
        seconds = utc_seconds(ts)
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidInputError("an event needs a kind, e.g. 'replacement' or 'rollover'")
        try:
            document = json.loads(json.dumps(dict(detail), allow_nan=False))
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"event detail must be JSON-compatible: {err}") from err
        with self.transaction(f"recording a {kind} of {enterprise_id}/{meter_id}", write=True) as connection:
            key = self._meter_key(connection, enterprise_id, meter_id)
            _upsert(
                connection,
                t.meter_events,
                [{"meter_key": key, "ts": _instant(seconds), "kind": kind, "detail": document}],
                ["meter_key", "ts", "kind"],
            )

    def list_meter_events(self, enterprise_id: str, meter_id: str | None = None) -> list[MeterEvent]:
        """Return the events of an enterprise's meters (or of one meter), oldest first.

        Raises
        ------
        NotFoundError
            If the enterprise, or the meter when given, does not exist.
        """
        m, ev = t.meters, t.meter_events
        query = sa.select(m.c.id, ev.c.ts, ev.c.kind, ev.c.detail).join(m, m.c.key == ev.c.meter_key)
        with self.transaction(f"listing meter events of {enterprise_id!r}") as connection:
            if meter_id is None:
                query = query.where(m.c.enterprise_key == self._enterprise_key(connection, enterprise_id))
            else:
                query = query.where(m.c.key == self._meter_key(connection, enterprise_id, meter_id))
            rows = connection.execute(query.order_by(ev.c.ts, m.c.position, ev.c.kind)).all()
        return [MeterEvent(enterprise_id, mid, ts, kind, detail) for mid, ts, kind, detail in rows]

    # --- quarantine ----------------------------------------------------------------------------

    def add_quarantine(self, entries: Sequence[QuarantineEntry]) -> list[int]:
        """Quarantine rejected records in one transaction; return their ids, in order.

        Ingestion quarantines inside its own transaction (:meth:`BulkWriter.add_quarantine`);
        this is the same for callers that only reject.

        Raises
        ------
        InvalidInputError
            If an entry has no reason code, an unknown origin or a payload that is not text.
        """
        with self.bulk() as writer:
            return writer.add_quarantine(entries)

    def list_quarantine(
        self,
        enterprise_id: str | None = None,
        *,
        reason: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        replayed: bool | None = False,
        ids: Sequence[int] | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[QuarantineRecord]:
        """Return quarantined records, oldest first (by id).

        Parameters
        ----------
        enterprise_id : str, optional
            Only records of this enterprise (as received; it need not exist).
        reason : str, optional
            Only records with this reason code.
        start, end : datetime.datetime, optional
            Only records quarantined in ``[start, end)``; aware datetimes.
        replayed : bool or None
            False (default): only records still waiting; True: only replayed
            ones; None: both.
        ids : sequence of int, optional
            Only these quarantine ids.
        after_id : int, optional
            Only ids above this one (to page through a large quarantine).
        limit : int, optional
            At most this many records.

        Raises
        ------
        InvalidInputError
            If ``start`` or ``end`` is naive, or ``end`` precedes ``start``.
        """
        q = t.quarantine
        query = sa.select(q).order_by(q.c.id)
        query = _quarantine_filter(query, enterprise_id, reason, start, end, replayed)
        if ids is not None:
            query = query.where(q.c.id.in_(sorted({int(i) for i in ids})))
        if after_id is not None:
            query = query.where(q.c.id > int(after_id))
        if limit is not None:
            query = query.limit(max(int(limit), 0))
        with self.transaction("listing the quarantine") as connection:
            rows = connection.execute(query).mappings().all()
        return [
            QuarantineRecord(
                id=int(row["id"]),
                enterprise=row["enterprise"],
                meter=row["meter"],
                origin=Origin(row["origin"]),
                source=row["source"],
                received=row["received"],
                payload=row["payload"],
                reason=row["reason"],
                message=row["message"],
                replayed_at=row["replayed_at"],
            )
            for row in rows
        ]

    def count_quarantine(
        self,
        enterprise_id: str | None = None,
        *,
        reason: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        replayed: bool | None = False,
    ) -> dict[str, int]:
        """Return the number of quarantined records per reason code (filters as :meth:`list_quarantine`)."""
        q = t.quarantine
        query = sa.select(q.c.reason, sa.func.count()).group_by(q.c.reason).order_by(q.c.reason)
        query = _quarantine_filter(query, enterprise_id, reason, start, end, replayed)
        with self.transaction("counting the quarantine") as connection:
            return {str(code): int(n) for code, n in connection.execute(query).all()}

    def mark_replayed(self, ids: Iterable[int], at: dt.datetime | None = None) -> int:
        """Mark quarantined records as accepted by a replay; return how many were still waiting.

        Parameters
        ----------
        ids : iterable of int
            Quarantine ids; ids already replayed or unknown are left alone.
        at : datetime.datetime, optional
            When the replay happened (aware); now when omitted.

        Raises
        ------
        InvalidInputError
            If ``at`` is naive.
        """
        with self.transaction("marking quarantined records replayed", write=True) as connection:
            return _mark_replayed(connection, ids, at)


_Select = TypeVar("_Select", bound=sa.Select[Any])


def _quarantine_filter(
    query: _Select,
    enterprise_id: str | None,
    reason: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    replayed: bool | None,
) -> _Select:
    q = t.quarantine
    if enterprise_id is not None:
        query = query.where(q.c.enterprise == enterprise_id)
    if reason is not None:
        query = query.where(q.c.reason == reason)
    if start is not None or end is not None:
        low, high = _window(start, end)
        query = query.where(q.c.received >= _instant(low), q.c.received < _instant(high))
    if replayed is True:
        query = query.where(q.c.replayed_at.is_not(None))
    elif replayed is False:
        query = query.where(q.c.replayed_at.is_(None))
    return query


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}.{path}" if path else prefix
