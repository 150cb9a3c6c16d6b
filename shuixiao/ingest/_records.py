"""What goes into the ingestion pipeline and what comes out: records, sources, results, reason codes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from itertools import repeat
from operator import attrgetter
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shuixiao.errors import InvalidInputError
from shuixiao.model import Origin

__all__ = [
    "Batch",
    "BatchResult",
    "ColumnBatch",
    "Columns",
    "RawReading",
    "Reason",
    "RecordResult",
    "ReplayResult",
    "Source",
    "Status",
]


class Status(StrEnum):
    """What happened to one record."""

    ACCEPTED = "accepted"  #: checked and committed
    DUPLICATE = "duplicate"  #: the same value was already stored for this meter and time; nothing written
    REJECTED = "rejected"  #: failed a check; quarantined with a reason


class Reason(StrEnum):
    """Why a record was rejected (stable codes, stored in the quarantine).

    See ``docs/ingestion.md`` for what each means and what to do about it.
    """

    UNKNOWN_ENTERPRISE = "unknown_enterprise"  #: no enterprise with that id
    UNKNOWN_METER = "unknown_meter"  #: the enterprise has no meter with that id (or none was named)
    WRONG_UNIT = "wrong_unit"  #: the unit is not a unit of the meter's quantity
    NOT_A_NUMBER = "not_a_number"  #: the value is missing or not a number
    NOT_FINITE = "not_finite"  #: the value is NaN or infinite
    BAD_TIMESTAMP = "bad_timestamp"  #: the timestamp is missing, unreadable or outside 1970–2199
    NAIVE_TIMESTAMP = "naive_timestamp"  #: the timestamp has no time zone and the source declared none
    FUTURE_TIMESTAMP = "future_timestamp"  #: the timestamp lies too far in the future
    BEFORE_INSTALLED = "before_installed"  #: the timestamp is before the meter's installation date
    BAD_QUALITY = "bad_quality"  #: the quality flag is not one of good, estimated, suspect, bad
    IMPLAUSIBLE_VALUE = "implausible_value"  #: physically impossible for the quantity
    TOTALIZER_BACKWARDS = (
        "totalizer_backwards"  #: a register fell with no rollover or replacement to explain it
    )
    CONFLICT = "conflict"  #: a different value is already stored (or sent) for this meter and time
    MALFORMED_PAYLOAD = "malformed_payload"  #: a message that cannot be read as readings at all
    UNSIGNED = "unsigned"  #: the meter takes device-signed batches only, and the record came without one


class RawReading(NamedTuple):
    """One reading as a source delivered it, before any check.

    Every field is taken as it came (text from a CSV file, numbers from JSON,
    datetimes from a spreadsheet); the pipeline parses and checks them.  A
    named tuple: an HTTP body or a gateway batch makes ten thousand of them at
    a time, and a tuple is made in a tenth of the time a frozen dataclass takes.

    Parameters
    ----------
    meter : object
        Meter id within the enterprise.
    ts : object
        When the value was measured: ISO 8601 text (with an offset, or
        local time of the source's declared zone), epoch seconds (number or
        digits), or a ``datetime``.
    value : object
        The value in ``unit``; for totalizers the register. [unit]
    unit : object, optional
        Unit of ``value``; the source's default unit, else the meter's own unit, when omitted.
    quality : object, optional
        ``good``/``estimated``/``suspect``/``bad`` or 0–3; good when omitted.
    row : int, optional
        Where the record was found (row of a file), kept in the quarantine.
    """

    meter: Any
    ts: Any
    value: Any
    unit: Any = None
    quality: Any = None
    row: int | None = None


@dataclass(frozen=True)
class Source:
    """Where a batch of records came from, and how to read what it leaves unsaid.

    Parameters
    ----------
    origin : Origin
        File, MQTT, HTTP, ...; stored with every reading.
    detail : str
        Which file, topic or request (kept in the quarantine).
    timezone : str, optional
        IANA zone of timestamps that carry no offset.  None rejects such
        timestamps (``naive_timestamp``); files default to ``Asia/Shanghai``.
    unit : str, optional
        Unit of values that carry none; the meter's own unit when None.

    Raises
    ------
    InvalidInputError
        If ``timezone`` is not an IANA zone name.
    """

    origin: Origin
    detail: str
    timezone: str | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        """Check the time zone."""
        if self.timezone is not None:
            zone(self.timezone)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``, or raise InvalidInputError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise InvalidInputError(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai"
        ) from err


@dataclass(frozen=True)
class Batch:
    """Records of one enterprise from one source, for :meth:`Pipeline.ingest_many`.

    Parameters
    ----------
    enterprise : str
        Enterprise id the records claim to belong to.
    records : sequence of RawReading
    source : Source
    """

    enterprise: str
    records: Sequence[RawReading]
    source: Source


_OBJECT_FIELDS: Final = ("ts", "value", "unit", "quality")  # of a reading object, beside its meter


@dataclass(frozen=True)
class Columns:
    """Records held column by column: entry ``i`` of each sequence is a field of record ``i``.

    The fields are those of :class:`RawReading`, unchecked alike. A source that has its
    readings as columns (a verified signed batch) hands them to the pipeline so, and no
    record is made for a batch checked column by column; the records are made where one is
    needed (a batch checked record by record, the quarantine payload of a rejected record).

    Parameters
    ----------
    meters, ts, values, units, qualities : sequence
        The fields of the records, raw (see :class:`RawReading`); a record without a unit
        or quality flag has None there.
    rows : sequence of int or None
        Where each record was found, kept in the quarantine (None: not known).

    Raises
    ------
    InvalidInputError
        If the sequences are not all of one length.

    Examples
    --------
    >>> columns = Columns(["FT-1", "FT-2"], [1735689600, 1735689600], [1.5, 2.0], [None] * 2, [0, 0], [1, 2])
    >>> len(columns), columns.record(1)
    (2, RawReading(meter='FT-2', ts=1735689600, value=2.0, unit=None, quality=0, row=2))
    >>> Columns.of(columns.records()) == Columns(*(tuple(c) for c in (["FT-1", "FT-2"], [1735689600] * 2,
    ...     [1.5, 2.0], [None] * 2, [0, 0], [1, 2])))
    True
    """

    meters: Sequence[Any]
    ts: Sequence[Any]
    values: Sequence[Any]
    units: Sequence[Any]
    qualities: Sequence[Any]
    rows: Sequence[int | None]

    def __post_init__(self) -> None:
        lengths = {len(c) for c in (self.meters, self.ts, self.values, self.units, self.qualities, self.rows)}
        if len(lengths) != 1:
            raise InvalidInputError(
                f"the columns of a batch have one entry per record each, not {sorted(lengths)} entries"
            )

    def __len__(self) -> int:
        return len(self.meters)

    @classmethod
    def of(cls, records: Sequence[RawReading]) -> Columns:
        """Return the columns of ``records``."""
        if not records:
            return cls((), (), (), (), (), ())
        meters, ts, values, units, qualities, rows = zip(*records, strict=True)
        return cls(meters, ts, values, units, qualities, rows)

    @classmethod
    def of_objects(cls, items: Sequence[dict[str, Any]], meter: str | None = None) -> Columns:
        """Return the columns of readings given as JSON objects, rows numbered from 1.

        Each object's ``meter``, ``ts``, ``value``, ``unit`` and ``quality`` (None where absent;
        other members are left out). With ``meter``, every record is of that meter (a per-meter
        MQTT topic). The caller has checked that every item is an object.

        Examples
        --------
        >>> Columns.of_objects([{"meter": "FT-1", "ts": 1, "value": 2.5}]).record(0)
        RawReading(meter='FT-1', ts=1, value=2.5, unit=None, quality=None, row=1)
        """
        count = len(items)
        ts, values, units, qualities = (list(map(dict.get, items, repeat(name))) for name in _OBJECT_FIELDS)
        meters = list(map(dict.get, items, repeat("meter"))) if meter is None else [meter] * count
        return cls(meters, ts, values, units, qualities, range(1, count + 1))

    @classmethod
    def join(cls, parts: Sequence[Columns]) -> Columns:
        """Return the columns of several batches one after the other."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            *(
                [item for part in parts for item in getattr(part, name)]
                for name in ("meters", "ts", "values", "units", "qualities", "rows")
            )
        )

    def record(self, i: int) -> RawReading:
        """Return record ``i``."""
        return RawReading(
            self.meters[i], self.ts[i], self.values[i], self.units[i], self.qualities[i], self.rows[i]
        )

    def records(self) -> list[RawReading]:
        """Return the records, in order."""
        return list(map(RawReading, self.meters, self.ts, self.values, self.units, self.qualities, self.rows))


@dataclass(frozen=True)
class ColumnBatch:
    """Records of one enterprise from one source as columns, for :meth:`Pipeline.ingest_columns`.

    Parameters
    ----------
    enterprise : str
        Enterprise id the records claim to belong to.
    columns : Columns
    source : Source
    """

    enterprise: str
    columns: Columns
    source: Source


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome of one record.

    Parameters
    ----------
    status : Status
    reason : Reason or None
        Why it was rejected; None unless rejected.
    message : str
        What is wrong and what to do, for a person; empty when accepted.
    quarantine_id : int or None
        Where the rejected record waits in the quarantine.
    """

    status: Status
    reason: Reason | None = None
    message: str = ""
    quarantine_id: int | None = None


def results_json(results: Sequence[RecordResult]) -> str:
    """Return ``results`` as a compact JSON array of ``{"status", "reason", "message", "quarantine_id"}``.

    The answers of the ingestion routes carry one such object per record. Most results of a batch
    are one shared object (:data:`ACCEPTED`, :data:`DUPLICATE`), so each distinct object is encoded
    once: ten thousand results cost ten thousand list items, not ten thousand encodings.

    Examples
    --------
    >>> results_json([ACCEPTED, ACCEPTED])
    '[{"status":"accepted","reason":null,"message":"","quarantine_id":null},{"status":"accepted","reason":null,"message":"","quarantine_id":null}]'
    """
    written: dict[int, str] = {}
    items = []
    for r in results:
        text = written.get(id(r))  # the results are alive: ids are not reused while this runs
        if text is None:
            text = written[id(r)] = json.dumps(
                {
                    "status": r.status.value,
                    "reason": None if r.reason is None else r.reason.value,
                    "message": r.message,
                    "quarantine_id": r.quarantine_id,
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
        items.append(text)
    return f"[{','.join(items)}]"


ACCEPTED = RecordResult(Status.ACCEPTED)
DUPLICATE = RecordResult(Status.DUPLICATE, message="already stored with the same value")


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch: one :class:`RecordResult` per record, in input order.

    Returned only after the accepted records, their aggregates and the
    quarantined rejects were committed together.
    """

    results: tuple[RecordResult, ...]

    @cached_property
    def _statuses(self) -> Counter[Status]:
        """How many records have each status (counted once: the answers ask for all three)."""
        return Counter(map(attrgetter("status"), self.results))

    @property
    def accepted(self) -> int:
        """Number of records committed."""
        return self._statuses[Status.ACCEPTED]

    @property
    def duplicate(self) -> int:
        """Number of records that were stored already."""
        return self._statuses[Status.DUPLICATE]

    @property
    def rejected(self) -> int:
        """Number of records quarantined."""
        return self._statuses[Status.REJECTED]

    def reasons(self) -> Counter[Reason]:
        """Return how many records were rejected for each reason."""
        return Counter(r.reason for r in self.results if r.reason is not None)


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of :meth:`Pipeline.replay`.

    Parameters
    ----------
    examined : int
        Quarantined records looked at.
    accepted : int
        Now accepted and committed; marked replayed.
    duplicate : int
        Already stored meanwhile; marked replayed.
    rejected : int
        Still rejected; they stay in quarantine with the current reason.
    not_replayable : int
        Messages that could not be read as records at all (``malformed_payload``); left as they are.
    reasons : collections.Counter
        Reason codes of the records still rejected.
    """

    examined: int
    accepted: int
    duplicate: int
    rejected: int
    not_replayable: int
    reasons: Counter[Reason]
