"""The ingestion pipeline: check raw readings, commit what passes, quarantine what does not.

Every entry point (file import, MQTT, later HTTP and Modbus) hands its records
to :class:`Pipeline`.  For one batch it

1. checks each record on its own: the enterprise and the meter exist; the
   unit is a unit of the meter's quantity (values are converted to the
   canonical unit here, with :func:`shuixiao.units.to_canonical`); the value is
   a finite number; the timestamp is readable, carries or is given a time
   zone, is not more than ``future_tolerance`` ahead of now and not before the
   meter's installation date; the quality flag is known; the value is
   physically possible (``shuixiao/data/plausibility.yaml``);
2. opens one transaction, holds the batch's meters (concurrent ingesters of a
   meter queue), and checks each record against what is stored: the same
   value at the same time is a duplicate (nothing written), a different one a
   conflict (rejected: a stored reading is never overwritten); a totalizer
   register may only fall where a replacement event or a rollover at
   ``register_max`` explains it;
3. writes the accepted readings, brings the aggregates they change up to date
   (base interval, ``PT1H``, ``P1D``, ``P1M`` on the local calendar) and
   quarantines every rejected record with its reason, all in that transaction;
4. returns one result per record, after the commit.

Readings may arrive in any order: an earlier reading arriving late is checked
against its stored neighbours on both sides and slots in.  Readings later than
everything stored for their meter extend the stored aggregate rows
(:mod:`shuixiao.ingest._increments`); the buckets of late ones are recomputed
from the readings (:mod:`shuixiao.ingest._aggregates`).  Several batches
(``ingest_many``) are one commit: their candidates are checked together, all
meters at once (:mod:`shuixiao.ingest._commit`), with one statement per step.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError, NotFoundError, UnitError
from shuixiao.ingest._aggregates import MeterSpec, recompute
from shuixiao.ingest._commit import Candidates, MeterInfo, Readings, check, contributions
from shuixiao.ingest._increments import Calendar, extend
from shuixiao.ingest._limits import PhysicalLimits, load_limits
from shuixiao.ingest._parse import (
    Rejected,
    parse_quality,
    parse_timestamp,
    parse_value,
    payload_of,
    reading_of,
)
from shuixiao.ingest._records import (
    ACCEPTED,
    DUPLICATE,
    Batch,
    BatchResult,
    ColumnBatch,
    Columns,
    RawReading,
    Reason,
    RecordResult,
    ReplayResult,
    Source,
    Status,
    zone,
)
from shuixiao.model import Meter, Origin, Quality
from shuixiao.series import Reset, resolutions
from shuixiao.storage import BulkWriter, LedgerStore, QuarantineEntry, Store
from shuixiao.storage.schema import EPOCH_MAX
from shuixiao.units import lookup_unit, units_for

__all__ = ["Pipeline"]

_REFRESH_AFTER: Final = 1.0  # reload a cached model on an unknown meter at most this often [s]
_QUALITY_MAX: Final = int(max(Quality))
_CANDIDATE_TYPES: Final = (np.int64, np.int64, np.float64, np.int8, np.int8, np.int64, np.int64)
_VECTOR_FROM: Final = 64  # batches of at least this many records are checked column by column


@dataclass
class _Series:
    """Candidate readings of one meter in one batch (parallel lists), with what checking them needs."""

    info: MeterInfo
    conversion: tuple[float, float] | Rejected  # from the source's default unit to canonical
    installed: int  # first accepted instant [s since epoch]
    low: float  # physical limits [canonical unit]
    high: float
    units: dict[Any, tuple[float, float] | Rejected] = field(default_factory=dict)
    index: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    quality: list[int] = field(default_factory=list)
    arrays: tuple[npt.NDArray[Any], ...] | None = None  # index, ts, value, quality, checked as columns

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        """Record index, time, value and quality of the candidates as arrays."""
        if self.arrays is not None:
            return self.arrays
        return (
            np.asarray(self.index, dtype=np.int64),
            np.asarray(self.ts, dtype=np.int64),
            np.asarray(self.value, dtype=np.float64),
            np.asarray(self.quality, dtype=np.int8),
        )


@dataclass
class _Work:
    """One batch on its way through the pipeline, given as records or as columns (each made from the other when needed)."""

    enterprise: str
    given: Sequence[RawReading] | Columns
    source: Source
    quarantine_ids: Sequence[int] | None = None  # replay: where each record waits now
    signed: bool = False  # the records came in device-signed batches, checked by the notary
    results: list[RecordResult | None] = field(default_factory=list)
    series: dict[str, _Series] = field(default_factory=dict)
    _records: Sequence[RawReading] | None = None
    _columns: Columns | None = None

    def __len__(self) -> int:
        return len(self.given)

    @property
    def records(self) -> Sequence[RawReading]:
        """The batch as records."""
        if self._records is None:
            self._records = self.given.records() if isinstance(self.given, Columns) else self.given
        return self._records

    @property
    def columns(self) -> Columns:
        """The batch as columns."""
        if self._columns is None:
            self._columns = self.given if isinstance(self.given, Columns) else Columns.of(self.given)
        return self._columns

    def record(self, i: int) -> RawReading:
        """Record ``i`` (made alone when the batch came as columns)."""
        return self.given.record(i) if isinstance(self.given, Columns) else self.given[i]


class Pipeline:
    """Checks, commits and quarantines readings; keeps their aggregates current.

    A pipeline caches enterprise models.  It is thread-safe, and threads
    should share one (a web service: one for all its request threads), so
    that the cache stays warm: the records of several
    batches are checked on their own (step 1) at the same time, and their
    transactions (steps 2–4) run one after the other, which is what a SQLite
    database allows anyway.

    Parameters
    ----------
    store : Store
        A migrated store.
    interval : int
        Base aggregate interval; divides a day. Aggregates are kept at this
        interval, ``PT1H``, ``P1D`` and ``P1M``. [s]
    timezone : str
        IANA zone of the local calendar (aggregate buckets, installation dates).
    future_tolerance : float
        How far ahead of the clock a timestamp may lie (device clocks drift). [s]
    limits : PhysicalLimits, optional
        Physical limits; those of ``shuixiao/data/plausibility.yaml`` when omitted.
    clock : callable, optional
        Returns the current time (seconds since the epoch); for tests.
    aggregates : bool
        Maintain aggregates on ingestion (True), or leave them to a later job.
    model_ttl : float
        How long a loaded enterprise model is trusted before it is read again. [s]

    Raises
    ------
    InvalidInputError
        If ``interval`` does not divide a day, ``timezone`` is unknown or the tolerance is negative.

    Examples
    --------
    >>> import tempfile
    >>> from shuixiao.model import Origin
    >>> with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/db.sqlite") as store:
    ...     store.upgrade()
    ...     result = Pipeline(store).ingest("no-such-plant", [RawReading("FT-1", 1735689600, 1.0)],
    ...                                     Source(Origin.FILE, "a.csv"))
    ...     print(result.results[0].reason, store.count_quarantine())
    unknown_enterprise {'unknown_enterprise': 1}
    """

    def __init__(
        self,
        store: Store,
        *,
        interval: int = 900,
        timezone: str = "Asia/Shanghai",
        future_tolerance: float = 300.0,
        limits: PhysicalLimits | None = None,
        clock: Callable[[], float] = time.time,
        aggregates: bool = True,
        model_ttl: float = 60.0,
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1 or 86_400 % interval:
            raise InvalidInputError(
                f"interval must be whole seconds dividing a day (e.g. 900), not {interval!r}"
            )
        if future_tolerance < 0:
            raise InvalidInputError(f"future_tolerance must be zero or more seconds, not {future_tolerance}")
        self._zone = zone(timezone)
        self._store = store
        self._tz = timezone
        self._resolutions = resolutions(interval) if aggregates else []
        self._tolerance = float(future_tolerance)
        self._limits = limits if limits is not None else load_limits()
        self._clock = clock
        self._ttl = float(model_ttl)
        self._models: dict[str, tuple[float, dict[str, MeterInfo] | None]] = {}
        self._calendar = Calendar(timezone)
        self._lock = threading.RLock()  # held by each transaction and whoever touches the cache

    @property
    def resolutions(self) -> list[str]:
        """The aggregate resolutions maintained on ingestion (empty when disabled)."""
        return list(self._resolutions)

    def refresh(self) -> None:
        """Forget the cached enterprise models, so the next batch reads them again."""
        with self._lock:
            self._models.clear()

    def rebuild(
        self,
        enterprise: str,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        *,
        meters: Sequence[str] | None = None,
    ) -> int:
        """Recompute an enterprise's aggregates from its stored readings; return the rows written.

        Ingestion extends the stored aggregates (see ``docs/ingestion.md``), so
        they must be those of the stored readings.  Rebuild them after readings
        were stored without them (``aggregates=False``, or written around the
        pipeline), or after a replacement event was recorded for readings
        already stored.  Each meter is rebuilt in its own transaction, holding it.

        Parameters
        ----------
        enterprise : str
        start, end : datetime.datetime, optional
            Aware; every bucket overlapping ``[start, end]`` is recomputed whole.
            The whole span of the enterprise's readings when omitted.
        meters : sequence of str, optional
            Only these meters (ids); every meter of the enterprise when omitted.

        Raises
        ------
        InvalidInputError
            If this pipeline keeps no aggregates, or a bound is naive.
        NotFoundError
            If there is no such enterprise, or it has no meter of ``meters``.
        """
        if not self._resolutions:
            raise InvalidInputError("this pipeline keeps no aggregates (aggregates=False); use one that does")
        if any(b is not None and b.utcoffset() is None for b in (start, end)):
            raise InvalidInputError("start and end must be aware datetimes (with a time zone)")
        with self._lock:
            return self._rebuild(enterprise, start, end, meters)

    def _rebuild(
        self,
        enterprise: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
        meters: Sequence[str] | None,
    ) -> int:
        self.refresh()
        model = self._model(enterprise)
        if model is None:
            raise NotFoundError(f"there is no enterprise {enterprise!r}; see shuixiao model list")
        chosen = list(model.values())
        if meters is not None:
            missing = [m for m in meters if m not in model]
            if missing:
                close = difflib.get_close_matches(missing[0], list(model), n=3, cutoff=0.6)
                hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
                raise NotFoundError(f"enterprise {enterprise!r} has no meter {missing[0]!r}{hint}")
            chosen = [model[m] for m in dict.fromkeys(meters)]
        span = self._store.reading_span(enterprise)
        if span is None:
            return 0
        low = int((start or span[0]).timestamp())
        high = int((end or span[1]).timestamp())
        if low > high:
            return 0
        written = 0
        for info in chosen:
            with self._store.bulk() as writer:
                writer.hold_meters([info.key])
                resets = self._replacements(writer, [info] if info.totalizer else [])
                written += recompute(writer, [(_spec(info, resets), low, high)], self._resolutions, self._tz)
        return written

    # --- entry points ---------------------------------------------------------------------------

    def ingest(
        self, enterprise: str, records: Sequence[RawReading], source: Source, *, signed: bool = False
    ) -> BatchResult:
        """Check and commit a batch of one enterprise's readings; quarantine the rejects.

        Parameters
        ----------
        enterprise : str
            The enterprise the records claim to belong to.
        records : sequence of RawReading
        source : Source
            Origin, detail (file, topic), declared time zone and default unit.
        signed : bool
            True only for readings of device-signed batches whose signature and log
            position were verified (the notary, :mod:`shuixiao.notary.ingest`). Readings
            of meters that take signed batches only are refused (``unsigned``) otherwise.

        Returns
        -------
        BatchResult
            One result per record, in order; returned after the commit.

        Raises
        ------
        StorageError
            If the database fails; nothing of the batch is committed.
        """
        return self.ingest_many([Batch(enterprise, records, source)], signed=signed)[0]

    def ingest_many(
        self, batches: Sequence[Batch], *, rejects: Sequence[QuarantineEntry] = (), signed: bool = False
    ) -> list[BatchResult]:
        """Like :meth:`ingest` for several batches, committed in one transaction.

        Parameters
        ----------
        batches : sequence of Batch
        rejects : sequence of QuarantineEntry
            Whole messages the caller already rejected (e.g. unreadable MQTT
            payloads); quarantined in the same transaction.
        signed : bool
            As for :meth:`ingest`, for every batch.

        Returns
        -------
        list of BatchResult
            One per batch, in order.
        """
        work = [_Work(b.enterprise, b.records, b.source, signed=signed) for b in batches]
        self._run(work, rejects)
        return [BatchResult(_complete(w.results)) for w in work]

    def ingest_columns(
        self, batches: Sequence[ColumnBatch], *, rejects: Sequence[QuarantineEntry] = (), signed: bool = False
    ) -> list[BatchResult]:
        """Like :meth:`ingest_many` for batches given as columns: the same checks, commit and results.

        A batch checked column by column (the usual one; see ``docs/ingestion.md``) is never
        made into records; an unusual one is checked record by record, and a rejected record's
        quarantine payload is the one its :class:`RawReading` would have.

        Parameters
        ----------
        batches : sequence of ColumnBatch
        rejects : sequence of QuarantineEntry
            As for :meth:`ingest_many`.
        signed : bool
            As for :meth:`ingest`, for every batch.

        Returns
        -------
        list of BatchResult
            One per batch, in order.

        Examples
        --------
        >>> import tempfile
        >>> from shuixiao.model import Origin
        >>> columns = Columns(["FT-1"], [1735689600], [1.0], [None], [None], [1])
        >>> with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/db.sqlite") as store:
        ...     store.upgrade()
        ...     (result,) = Pipeline(store).ingest_columns([ColumnBatch("no-such-plant", columns,
        ...                                                             Source(Origin.MQTT, "gw"))])
        ...     print(result.results[0].reason)
        unknown_enterprise
        """
        work = [_Work(b.enterprise, b.columns, b.source, signed=signed) for b in batches]
        self._run(work, rejects)
        return [BatchResult(_complete(w.results)) for w in work]

    def replay(
        self,
        enterprise: str | None = None,
        *,
        ids: Sequence[int] | None = None,
        reason: str | None = None,
        page: int = 2000,
    ) -> ReplayResult:
        """Run quarantined records through the pipeline again, after their cause was fixed.

        Records now accepted, or found stored meanwhile, are marked replayed
        (they stay in the quarantine table as history); records still rejected
        stay, with the reason and message of this attempt.

        Parameters
        ----------
        enterprise : str, optional
            Only this enterprise's records.
        ids : sequence of int, optional
            Only these quarantine ids.
        reason : str, optional
            Only records with this reason code.
        page : int
            Records per transaction.

        Returns
        -------
        ReplayResult
        """
        self.refresh()
        examined = accepted = duplicate = rejected = not_replayable = 0
        reasons: Counter[Reason] = Counter()
        after: int | None = None
        while True:
            rows = self._store.list_quarantine(
                enterprise, reason=reason, ids=ids, after_id=after, limit=max(int(page), 1)
            )
            if not rows:
                break
            after = rows[-1].id
            examined += len(rows)
            groups: dict[tuple[str, Origin, str, str | None, str | None], list[tuple[int, RawReading]]] = {}
            for row in rows:
                decoded = reading_of(row.payload) if row.enterprise is not None else None
                if decoded is None or row.enterprise is None:
                    not_replayable += 1
                    continue
                record, timezone, unit = decoded
                key = (row.enterprise, row.origin, row.source, timezone, unit)
                groups.setdefault(key, []).append((row.id, record))
            work: list[_Work] = []
            for (ent, origin, detail, timezone, unit), items in groups.items():
                try:
                    source = Source(origin, detail, timezone, unit)
                except InvalidInputError:
                    not_replayable += len(items)
                    continue
                work.append(_Work(ent, [r for _, r in items], source, [i for i, _ in items]))
            self._run(work, ())
            for w in work:
                for result in _complete(w.results):
                    if result.status is Status.ACCEPTED:
                        accepted += 1
                    elif result.status is Status.DUPLICATE:
                        duplicate += 1
                    else:
                        rejected += 1
                        if result.reason is not None:
                            reasons[result.reason] += 1
        return ReplayResult(examined, accepted, duplicate, rejected, not_replayable, reasons)

    # --- the model --------------------------------------------------------------------------------

    def _model(self, enterprise: str, *, refresh: bool = False) -> dict[str, MeterInfo] | None:
        """Meters of an enterprise by id (cached), or None if there is no such enterprise."""
        now = time.monotonic()
        cached = self._models.get(enterprise)
        if cached is not None:
            age = now - cached[0]
            if age < self._ttl and not (refresh and age >= _REFRESH_AFTER):
                return cached[1]
        try:
            model = self._store.load_enterprise(enterprise)
            keys = self._store.meter_keys(enterprise)
        except NotFoundError:
            self._models[enterprise] = (now, None)
            return None
        signed_only = {  # as `shuixiao ledger verify` reads the settings: bound to a device, unsigned refused
            p.meter
            for p in LedgerStore(self._store).meter_policies(enterprise)
            if p.device and not p.unsigned_allowed
        }
        meters = {m.id: self._info(m, keys[m.id], m.id in signed_only) for m in model.meters}
        self._models[enterprise] = (now, meters)
        return meters

    def _info(self, meter: Meter, key: int, signed_only: bool) -> MeterInfo:
        installed = None
        if meter.installed is not None:
            midnight = dt.datetime.combine(meter.installed, dt.time(), tzinfo=self._zone)
            installed = int(midnight.timestamp())
        register_max = None
        if meter.register_max is not None:
            unit = lookup_unit(meter.unit, meter.quantity)
            register_max = meter.register_max * unit.factor + unit.offset
        return MeterInfo(meter, key, installed, register_max, signed_only)

    # --- step 1: each record on its own ---------------------------------------------------------

    def _prepare(self, work: _Work, now: float) -> None:
        source = work.source
        results: list[RecordResult | None] = [None] * len(work)
        work.results = results
        meters = self._model(work.enterprise)
        if meters is None:
            message = (
                f"there is no enterprise {work.enterprise!r}; import its model (shuixiao model import) "
                "and replay the quarantine, or correct the enterprise id at the source"
            )
            rejected = RecordResult(Status.REJECTED, Reason.UNKNOWN_ENTERPRISE, message)
            work.results = [rejected] * len(work)
            return
        tz = zone(source.timezone) if source.timezone is not None else None
        latest = now + self._tolerance
        if len(work) >= _VECTOR_FROM and self._prepare_columns(work, meters, tz, latest, now):
            return
        records = work.records
        timestamps: dict[str, int | Rejected] = {}
        flags: dict[str, int | Rejected] = {}
        unknown: dict[str, Rejected] = {}
        refreshed = False
        series = work.series
        # The loop below runs once per record: the usual case (text or numbers, no unit, no flag)
        # takes the short paths; everything unusual goes through the parse_* functions.
        for i, record in enumerate(records):
            try:
                meter_id = record.meter
                if type(meter_id) is not str:
                    if meter_id is None or isinstance(meter_id, bool | float):
                        raise Rejected(Reason.UNKNOWN_METER, "the record names no meter; give the meter id")
                    meter_id = str(meter_id)
                current = series.get(meter_id)
                if current is None:
                    meter_id = meter_id.strip()
                    current = series.get(meter_id)
                if current is None:
                    info = meters.get(meter_id)
                    if info is None and not refreshed:
                        refreshed = True
                        meters = self._model(work.enterprise, refresh=True) or meters
                        info = meters.get(meter_id)
                    if info is None:
                        if meter_id not in unknown:
                            unknown[meter_id] = self._unknown_meter(work.enterprise, meter_id, meters)
                        raise unknown[meter_id]
                    if info.signed_only and not work.signed:
                        if meter_id not in unknown:
                            unknown[meter_id] = self._unsigned(work.enterprise, info.meter)
                        raise unknown[meter_id]
                    current = series[meter_id] = self._series(info, source)
                raw_ts = record.ts
                if type(raw_ts) is str:
                    parsed = timestamps.get(raw_ts)
                    if parsed is None:
                        try:
                            parsed = parse_timestamp(raw_ts, tz)
                        except Rejected as rejection:
                            parsed = rejection
                        timestamps[raw_ts] = parsed
                    if isinstance(parsed, Rejected):
                        raise parsed
                    ts = parsed
                elif type(raw_ts) is int and 0 <= raw_ts < EPOCH_MAX:  # epoch seconds, as JSON sends them
                    ts = raw_ts
                else:
                    ts = parse_timestamp(raw_ts, tz)
                raw_value = record.value
                if type(raw_value) is float:
                    value = raw_value
                    if value - value != 0.0:  # NaN or ±inf
                        value = parse_value(raw_value)
                elif type(raw_value) is str:
                    try:
                        value = float(raw_value)
                    except ValueError:
                        value = parse_value(raw_value)
                    if value - value != 0.0:  # NaN or ±inf
                        value = parse_value(raw_value)
                else:
                    value = parse_value(raw_value)
                raw_unit = record.unit
                if raw_unit is None or raw_unit == "":
                    conversion = current.conversion
                else:
                    known = current.units.get(raw_unit)
                    if known is None:
                        known = current.units[raw_unit] = self._conversion(
                            raw_unit, source, current.info.meter
                        )
                    conversion = known
                if isinstance(conversion, Rejected):
                    raise conversion
                value = value * conversion[0] + conversion[1]
                raw_quality = record.quality
                if raw_quality is None:
                    quality = 0
                elif type(raw_quality) is int and 0 <= raw_quality <= _QUALITY_MAX:
                    quality = raw_quality
                elif type(raw_quality) is str:  # a file's column: few distinct texts
                    flag = flags.get(raw_quality)
                    if flag is None:
                        try:
                            flag = parse_quality(raw_quality)
                        except Rejected as rejection:
                            flag = rejection
                        flags[raw_quality] = flag
                    if isinstance(flag, Rejected):
                        raise flag
                    quality = flag
                else:
                    quality = parse_quality(raw_quality)
                if ts < current.installed:
                    raise self._before_installed(ts, current.info.meter)
                if ts > latest:
                    raise self._in_future(ts, now)
                if value < current.low or value > current.high:
                    meter = current.info.meter
                    problem = self._limits.problem(meter.quantity, value)
                    raise Rejected(Reason.IMPLAUSIBLE_VALUE, f"meter {meter.id!r}: {problem}")
            except Rejected as rejection:
                results[i] = RecordResult(Status.REJECTED, rejection.reason, rejection.message)
                continue
            current.index.append(i)
            current.ts.append(ts)
            current.value.append(value)
            current.quality.append(quality)

    def _prepare_columns(
        self, work: _Work, meters: dict[str, MeterInfo], tz: ZoneInfo | None, latest: float, now: float
    ) -> bool:
        """Step 1 over the whole batch at once, column by column; False (nothing done) if unusual.

        The usual batch (known meter ids as sent, timestamps all epoch seconds or all text, numeric
        finite values, no units or one unit given with every record, known quality flags) is checked with array operations, giving the
        results the record-by-record loop of :meth:`_prepare` gives; any other batch is left to it.
        """
        columns = work.columns
        raw_ts, raw_values = columns.ts, columns.values
        try:
            ids = dict.fromkeys(columns.meters)  # distinct, in order of first appearance
            qualities = dict.fromkeys(columns.qualities)
            units = set(columns.units)
        except TypeError:  # an unhashable field (a list or object from JSON): the loop says what is wrong
            return False
        unit = None  # one unit given with every record (a gateway's JSON), or None: each meter's default
        if not units <= {None, ""}:
            if len(units) != 1 or type(unit := units.pop()) is not str:
                return False
        if {type(m) for m in ids} != {str} or not all(m in meters for m in ids):
            return False
        if not work.signed and any(meters[m].signed_only for m in ids):
            return False
        if not {type(q) for q in qualities} <= {type(None), int, str}:
            return False
        try:
            for flag in qualities:
                qualities[flag] = parse_quality(flag)
        except Rejected:
            return False
        ts_types = set(map(type, raw_ts))
        try:
            if ts_types == {int}:
                ts = np.array(raw_ts, dtype=np.int64)
                if ts.min() < 0 or ts.max() >= EPOCH_MAX:
                    return False
            elif ts_types == {str}:
                stamps = dict.fromkeys(raw_ts)
                for text in stamps:
                    stamps[text] = parse_timestamp(text, tz)
                ts = np.array([stamps[t] for t in raw_ts], dtype=np.int64)
            else:
                return False
            if not set(map(type, raw_values)) <= {float, int}:
                return False
            value = np.array(raw_values, dtype=np.float64)
        except (Rejected, OverflowError):
            return False
        if not np.isfinite(value).all():
            return False
        series = work.series
        chosen: list[_Series] = []
        code: dict[str, int] = {}
        conversions = []
        for meter_id in ids:
            current = series.get(meter_id)
            if current is None:
                current = series[meter_id] = self._series(meters[meter_id], work.source)
            factor = (
                current.conversion
                if unit is None
                else self._conversion(unit, work.source, current.info.meter)
            )
            if isinstance(factor, Rejected):
                return False
            code[meter_id] = len(chosen)
            chosen.append(current)
            conversions.append(factor)
        meter = np.array(list(map(code.__getitem__, columns.meters)), dtype=np.int64)
        conversion = np.array(conversions, dtype=np.float64)  # factor, offset
        installed = np.array([c.installed for c in chosen], dtype=np.int64)[meter]
        low = np.array([c.low for c in chosen], dtype=np.float64)[meter]
        high = np.array([c.high for c in chosen], dtype=np.float64)[meter]
        value = value * conversion[meter, 0] + conversion[meter, 1]
        quality = np.array(list(map(qualities.__getitem__, columns.qualities)), dtype=np.int8)
        early = ts < installed
        future = ~early & (ts > latest)
        implausible = ~early & ~future & ((value < low) | (value > high))
        results = work.results
        for i in np.flatnonzero(early | future | implausible).tolist():
            info = chosen[int(meter[i])].info
            if early[i]:
                rejection = self._before_installed(int(ts[i]), info.meter)
            elif future[i]:
                rejection = self._in_future(int(ts[i]), now)
            else:
                problem = self._limits.problem(info.meter.quantity, float(value[i]))
                rejection = Rejected(Reason.IMPLAUSIBLE_VALUE, f"meter {info.meter.id!r}: {problem}")
            results[i] = RecordResult(Status.REJECTED, rejection.reason, rejection.message)
        good = np.flatnonzero(~(early | future | implausible))
        good = good[np.argsort(meter[good], kind="stable")]
        bounds = np.searchsorted(meter[good], np.arange(len(chosen) + 1))
        for j, current in enumerate(chosen):
            part = good[bounds[j] : bounds[j + 1]]
            current.arrays = (part, ts[part], value[part], quality[part])
        return True

    def _prepare_together(
        self, work: Sequence[_Work], now: float
    ) -> tuple[npt.NDArray[np.int64], list[_Series]] | None:
        """Step 1 for several batches of one enterprise, zone, unit and signing (:func:`_alike`) at once.

        An MQTT worker commits many small messages together (a gateway's readings of one
        time slot each, or one meter's reading); checked as one batch, column by column, they
        cost what one large batch costs, however small each is.  Each batch gets its results;
        returned are where each batch starts among the records of all of them, and the
        candidates of all of them by meter; None when they are to be checked one by one.
        """
        first = work[0]
        size = sum(map(len, work))
        meters = self._model(first.enterprise) if size > 1 else None
        if meters is None:
            return None
        tz = zone(first.source.timezone) if first.source.timezone is not None else None
        joint = _Work(
            first.enterprise, Columns.join([w.columns for w in work]), first.source, signed=first.signed
        )
        joint.results = [None] * size
        if not self._prepare_columns(joint, meters, tz, now + self._tolerance, now):
            return None
        offsets = np.cumsum([0, *map(len, work)], dtype=np.int64)
        for n, w in enumerate(work):
            w.results = joint.results[offsets[n] : offsets[n + 1]]
        return offsets, list(joint.series.values())

    def _series(self, info: MeterInfo, source: Source) -> _Series:
        meter = info.meter
        low = self._limits.minimum.get(meter.quantity)
        high = self._limits.maximum.get(meter.quantity)
        return _Series(
            info,
            conversion=self._conversion(None, source, meter),
            installed=info.installed if info.installed is not None else -(2**62),
            low=low.value if low is not None else -math.inf,
            high=high.value if high is not None else math.inf,
        )

    def _in_future(self, ts: int, now: float) -> Rejected:
        return Rejected(
            Reason.FUTURE_TIMESTAMP,
            f"{self._when(ts)} is {ts - now:,.0f} s in the future (more than {self._tolerance:,.0f} s "
            "ahead); check the device clock and the time zone",
        )

    def _before_installed(self, ts: int, meter: Meter) -> Rejected:
        return Rejected(
            Reason.BEFORE_INSTALLED,
            f"{self._when(ts)} is before meter {meter.id!r} was installed ({meter.installed}); "
            "check the timestamp and its time zone, or correct the meter's installation date",
        )

    @staticmethod
    def _unsigned(enterprise: str, meter: Meter) -> Rejected:
        return Rejected(
            Reason.UNSIGNED,
            f"meter {meter.id!r} of enterprise {enterprise!r} is notarised and takes device-signed batches "
            "only; send its readings as signed batches (POST /api/v1/ingest/batches, or the gateway agent "
            "with a device key), or allow unsigned ingestion for it (shuixiao ledger meters --allow-unsigned) "
            "and replay the quarantine",
        )

    @staticmethod
    def _unknown_meter(enterprise: str, meter_id: str, meters: dict[str, MeterInfo]) -> Rejected:
        close = difflib.get_close_matches(meter_id, list(meters), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        return Rejected(
            Reason.UNKNOWN_METER,
            f"enterprise {enterprise!r} has no meter {meter_id!r}{hint}; add the meter to the model "
            "(shuixiao model import --replace) and replay the quarantine, or correct the meter id at the source",
        )

    @staticmethod
    def _conversion(raw_unit: object, source: Source, meter: Meter) -> tuple[float, float] | Rejected:
        """Factor and offset from the record's unit (or the default) to canonical, or the rejection."""
        symbol = raw_unit if raw_unit is not None else source.unit if source.unit is not None else meter.unit
        try:
            unit = lookup_unit(str(symbol), meter.quantity)
        except UnitError:
            said = "the source's default unit" if raw_unit is None else "unit"
            return Rejected(
                Reason.WRONG_UNIT,
                f"{said} {symbol!r} is not a unit of {meter.quantity} (meter {meter.id!r} measures "
                f"{meter.quantity} in {meter.unit}); use one of {', '.join(units_for(meter.quantity))}",
            )
        return unit.factor, unit.offset

    def _when(self, ts: int) -> str:
        return dt.datetime.fromtimestamp(ts, self._zone).isoformat()

    # --- steps 2–4: against the store, in one transaction ---------------------------------------

    def _run(self, work: Sequence[_Work], rejects: Sequence[QuarantineEntry]) -> None:
        now = self._clock()
        chunks: list[tuple[_Series, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []  # with batch, record
        for numbers in _alike(work):
            joint = self._prepare_together([work[n] for n in numbers], now) if len(numbers) > 1 else None
            if joint is None:
                for number in numbers:
                    item = work[number]
                    self._prepare(item, now)
                    for series in item.series.values():
                        index = series.columns()[0]
                        chunks.append((series, np.full(index.size, number, dtype=np.int64), index))
                continue
            offsets, joint_series = joint
            owners = np.asarray(numbers, dtype=np.int64)
            for series in joint_series:
                index = series.columns()[0]
                owner = np.searchsorted(offsets, index, side="right") - 1
                chunks.append((series, owners[owner], index - offsets[owner]))
        origins = np.array([int(item.source.origin) for item in work], dtype=np.int8)
        meters: list[MeterInfo] = []  # the meters of every batch's candidates, as their chunks come
        position: dict[int, int] = {}  # meter key -> index in meters
        parts: list[list[npt.NDArray[Any]]] = [[] for _ in range(7)]  # the columns of Candidates
        for series, batch, record in chunks:
            _, ts, value, quality = series.columns()
            if not ts.size:
                continue  # every record of the meter was rejected on its own
            i = position.get(series.info.key)
            if i is None:
                i = position[series.info.key] = len(meters)
                meters.append(series.info)
            columns: tuple[npt.NDArray[Any], ...] = (
                np.full(ts.size, i),
                ts,
                value,
                quality,
                origins[batch],
                batch,
                record,
            )
            for part, column in zip(parts, columns, strict=True):
                part.append(column)
        candidates = Candidates(
            meters,
            *(
                np.concatenate(part).astype(kind, copy=False) if part else np.zeros(0, dtype=kind)
                for part, kind in zip(parts, _CANDIDATE_TYPES, strict=True)
            ),
        )
        results = [item.results for item in work]
        with self._lock, self._store.bulk() as writer:
            if candidates.meters:
                self._commit(writer, candidates, position, results)
            self._quarantine(writer, work)
            writer.add_quarantine(list(rejects))

    def _commit(
        self,
        writer: BulkWriter,
        candidates: Candidates,
        position: dict[int, int],
        results: list[list[RecordResult | None]],
    ) -> None:
        """Check the candidates against the store, write the accepted ones and update their aggregates."""
        meters = candidates.meters
        writer.hold_meters(position)
        meter = np.asarray(candidates.meter, dtype=np.int64)
        ts = np.asarray(candidates.ts, dtype=np.int64)
        low = np.full(len(meters), np.iinfo(np.int64).max, dtype=np.int64)
        high = np.full(len(meters), -1, dtype=np.int64)
        np.minimum.at(low, meter, ts)
        np.maximum.at(high, meter, ts)
        keys, window = writer.read_neighbourhoods([m.key for m in meters], low.tolist(), high.tolist())
        index = np.array([position[k] for k in keys.tolist()], dtype=np.int64)
        order = np.lexsort((window.ts, index))
        stored = Readings(index[order], window.ts[order], window.value[order], window.quality[order])
        resets = self._replacements(writer, [m for m in meters if m.totalizer])
        accepted = check(candidates, stored, resets, results, self._when)
        new = accepted.new
        if new.ts.size == 0:
            return
        meter_keys = np.array([m.key for m in meters], dtype=np.int64)
        writer.insert_readings(meter_keys[new.meter], new.ts, new.value, new.quality, accepted.origin)
        if not self._resolutions:
            return
        plan = contributions(writer, accepted, resets)
        jobs = [(_spec(meters[i], resets), begin, end) for i, begin, end in plan.recompute]
        recompute(writer, jobs, self._resolutions, self._tz, from_days=True)
        extend(writer, [("sum", plan.sums), ("mean", plan.means)], self._resolutions, self._calendar)

    def _replacements(self, writer: BulkWriter, meters: Sequence[MeterInfo]) -> dict[int, tuple[Reset, ...]]:
        """Replacement events of the meters as register resets in canonical units, by meter key."""
        if not meters:
            return {}
        info = {m.key: m for m in meters}
        resets: dict[int, list[Reset]] = {}
        for key, ts, detail in writer.read_replacements(info):
            old, new = detail.get("old_register"), detail.get("new_register")
            if not (_is_number(old) and _is_number(new)):
                continue  # a replacement without both registers cannot give volumes; it explains nothing
            meter = info[key].meter
            unit = lookup_unit(meter.unit, meter.quantity)
            resets.setdefault(key, []).append(
                Reset(ts, float(old) * unit.factor + unit.offset, float(new) * unit.factor + unit.offset)
            )
        return {key: tuple(items) for key, items in resets.items()}

    def _quarantine(self, writer: BulkWriter, work: Sequence[_Work]) -> None:
        """Quarantine new rejects; on replay, mark accepted records and update the reasons of the rest."""
        entries: list[QuarantineEntry] = []
        places: list[tuple[list[RecordResult | None], int]] = []
        replayed: list[int] = []
        for item in work:
            results = item.results
            if item.quarantine_ids is not None:
                chosen: Sequence[int] = range(len(results))
            else:  # most results are the shared ACCEPTED and DUPLICATE objects: look at the others only
                chosen = [i for i, r in enumerate(results) if r is not ACCEPTED and r is not DUPLICATE]
            for i in chosen:
                result = results[i]
                assert result is not None, "every record has a result"
                if item.quarantine_ids is not None:
                    qid = item.quarantine_ids[i]
                    if result.status is Status.REJECTED:
                        assert result.reason is not None
                        writer.update_quarantine(qid, result.reason, result.message)
                        results[i] = RecordResult(result.status, result.reason, result.message, qid)
                    else:
                        replayed.append(qid)
                elif result.status is Status.REJECTED:
                    assert result.reason is not None
                    record = item.record(i)
                    meter = record.meter
                    entries.append(
                        QuarantineEntry(
                            enterprise=item.enterprise,
                            meter=None if meter is None else str(meter),
                            origin=item.source.origin,
                            source=item.source.detail,
                            payload=payload_of(record, item.source),
                            reason=result.reason.value,
                            message=result.message,
                        )
                    )
                    places.append((results, i))
        if replayed:
            writer.mark_replayed(replayed)
        for (results, i), qid in zip(places, writer.add_quarantine(entries), strict=True):
            result = results[i]
            assert result is not None
            results[i] = RecordResult(result.status, result.reason, result.message, qid)


def _alike(work: Sequence[_Work]) -> list[list[int]]:
    """The batches by enterprise, zone, unit and signing (what :meth:`Pipeline._prepare_together` joins), in order.

    A worker's commit mixes the messages of several gateways; those of one enterprise are
    checked together, column by column, as one large batch.

    Examples
    --------
    >>> from shuixiao.model import Origin
    >>> items = [_Work(e, [], Source(Origin.MQTT, "gw")) for e in ("a", "b", "a")]
    >>> _alike(items)
    [[0, 2], [1]]
    """
    groups: dict[tuple[object, ...], list[int]] = {}
    for number, item in enumerate(work):
        if item.quarantine_ids is not None:
            groups[("replay", number)] = [number]
            continue
        kind = (item.enterprise, item.source.timezone, item.source.unit, item.signed)
        groups.setdefault(kind, []).append(number)
    return list(groups.values())


def _spec(info: MeterInfo, resets: dict[int, tuple[Reset, ...]]) -> MeterSpec:
    """What recomputing a meter's aggregates needs to know of it, with its replacements by meter key."""
    return MeterSpec.of(info.key, info.meter.kind, info.register_max, resets.get(info.key, ()))


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _complete(results: list[RecordResult | None]) -> tuple[RecordResult, ...]:
    """The results of a batch, every record having one."""
    done = tuple(r for r in results if r is not None)
    assert len(done) == len(results), "every record has a result"
    return done
