"""Period volumes of the metered flows, from the stored aggregates, with their coverage.

Ingestion keeps interval aggregates of every meter (``docs/ingestion.md``): for a
totalizer the volume that flowed between readings (rollovers and replacements
undone), for a rate meter the mean rate; daily (``P1D``) and monthly (``P1M``)
buckets cut on the local calendar.  :func:`period_volumes` turns them into one
volume per meter and period [m³]:

* a whole local month whose ``P1M`` aggregate holds every expected reading is
  taken as it is (the monthly aggregates of all meters are read in one statement);
  other months (gaps, or cut by the period) fall back to the ``P1D`` aggregates;
* a **totalizer**'s register carries the volume across a gap inside the period,
  so interior gaps lose nothing; only the edges can be uncovered (no reading yet
  at the start, none since some time before the end), found from the readings
  of the first and last day with data;
* a **rate** meter's volume is its mean rate times the time its readings cover;
  every missing reading leaves its interval uncovered.

The uncovered part is filled with the mean rate of the covered part, so a volume
is never silently low: with ``coverage_complete`` (99 %) or more of the period
covered it counts as ``measured``; down to ``coverage_minimum`` (50 %) as
``estimated`` with the filled part's uncertainty added; below that as
``missing`` and left to the balances (``assess.yaml``).

The meter's reading interval is the largest divisor of a day (a whole number of
minutes) that fits the best-filled bucket: a meter that never delivered one
complete day or month gets its coverage measured against its best bucket.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shuixiao.assess._period import as_zone, check_period, month_starts
from shuixiao.balance import Measurement, Provenance, standard_uncertainty
from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, Meter, MeterKind, Quality
from shuixiao.reference import parameter
from shuixiao.storage import BulkWriter, Store

__all__ = ["MeterVolume", "PeriodVolumes", "flow_meters", "period_volumes", "volume_series"]

_NICE_INTERVALS = tuple(s for s in range(60, 86401, 60) if 86400 % s == 0)
"""Reading intervals a meter can have: whole minutes that divide a day. [s]"""


@dataclass(frozen=True)
class MeterVolume:
    """The volume one flow meter measured over a period.

    Parameters
    ----------
    meter, flow : str
        The meter and the flow it measures.
    kind : MeterKind
        ``totalizer`` or ``rate``.
    value : float
        Volume over the whole period, the uncovered part filled with the covered part's mean
        rate; NaN when missing. [m³]
    observed : float
        Volume the readings themselves give (register differences, or mean rate × covered
        time). [m³]
    uncertainty : float
        Standard uncertainty of ``value``: the meter's accuracy class (GUM rectangular) on the
        observed part and ``gap_fill_relative_uncertainty`` on the filled part; NaN when missing. [m³]
    provenance : Provenance
        ``measured``, ``estimated`` (gaps filled, or readings flagged estimated) or ``missing``.
    coverage : float
        Readings received over readings expected. [unitless]
    volume_coverage : float
        Share of the period whose volume the readings give (see the module notes). [unitless]
    quality : Quality
        Worst quality flag of the aggregates used.
    resolution : str
        Aggregates used: ``P1M``, ``P1D`` or ``P1M+P1D``.
    interval : int or None
        Reading interval found. [s]
    note : str or None
        Gaps, flags, why the volume is missing.
    """

    meter: str
    flow: str
    kind: MeterKind
    value: float
    observed: float
    uncertainty: float
    provenance: Provenance
    coverage: float
    volume_coverage: float
    quality: Quality
    resolution: str
    interval: int | None
    note: str | None = None

    def measurement(self, accuracy_class: float | None) -> Measurement | None:
        """Return the balance input of this volume, or None when it is missing.

        Parameters
        ----------
        accuracy_class : float, optional
            The meter's MPE [%]; used as is when nothing was filled in.
        """
        if self.provenance is Provenance.MISSING or not math.isfinite(self.value):
            return None
        if self.provenance is Provenance.MEASURED and self.value == self.observed:
            return Measurement(self.flow, self.value, accuracy_class=accuracy_class, meter=self.meter)
        prov = Provenance.ESTIMATED if self.provenance is Provenance.ESTIMATED else Provenance.MEASURED
        return Measurement(
            self.flow, self.value, uncertainty=self.uncertainty, provenance=prov, meter=self.meter
        )

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict (NaN as None)."""
        return {
            "meter": self.meter,
            "flow": self.flow,
            "kind": self.kind.value,
            "value_m3": _num(self.value),
            "observed_m3": _num(self.observed),
            "uncertainty_m3": _num(self.uncertainty),
            "provenance": self.provenance.value,
            "coverage": _num(self.coverage),
            "volume_coverage": _num(self.volume_coverage),
            "quality": self.quality.name.lower(),
            "resolution": self.resolution,
            "interval_s": self.interval,
            "note": self.note,
        }


@dataclass(frozen=True)
class PeriodVolumes:
    """The volumes of every flow meter of an enterprise over one period.

    Parameters
    ----------
    enterprise : str
    start, end : datetime.datetime
        The period ``[start, end)``, aware UTC.
    zone : str
        Time zone of the calendar that cut the aggregates.
    meters : dict of str to MeterVolume
        By meter id, in model order.
    """

    enterprise: str
    start: dt.datetime
    end: dt.datetime
    zone: str
    meters: dict[str, MeterVolume]
    _classes: dict[str, float | None] = field(default_factory=dict, repr=False, compare=False)

    def measurements(self) -> list[Measurement]:
        """Return the balance inputs: every meter volume that is not missing."""
        result = []
        for v in self.meters.values():
            m = v.measurement(self._classes.get(v.meter))
            if m is not None:
                result.append(m)
        return result

    @property
    def coverage(self) -> float:
        """Mean volume coverage of the flow meters (1 when there are none). [unitless]"""
        values = [v.volume_coverage for v in self.meters.values()]
        return float(np.mean(values)) if values else 1.0

    def by_provenance(self) -> dict[Provenance, tuple[str, ...]]:
        """Return the meter ids grouped by the provenance of their volumes."""
        result: dict[Provenance, list[str]] = {}
        for v in self.meters.values():
            result.setdefault(v.provenance, []).append(v.meter)
        return {k: tuple(ids) for k, ids in result.items()}


def flow_meters(enterprise: Enterprise) -> list[Meter]:
    """Return the meters of ``enterprise`` that measure a flow volume (totalizers and rate meters)."""
    return [
        m for m in enterprise.meters if m.flow is not None and m.kind in (MeterKind.TOTALIZER, MeterKind.RATE)
    ]


@dataclass
class _Piece:
    """What the aggregates say about one meter in one sub-period (one local month or part of it)."""

    start: dt.datetime
    end: dt.datetime
    observed: float = 0.0
    count: int = 0
    expected: float = 0.0
    lead: float = 0.0  # uncovered seconds at the start (totalizers)
    tail: float = 0.0  # uncovered seconds at the end (totalizers)
    interior: float = 0.0  # uncovered seconds inside (BAD buckets)
    quality: int = 0
    resolution: str = "P1M"

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _interval(buckets: Iterable[tuple[float, int]]) -> int | None:
    """The largest whole-minute divisor of a day not longer than any bucket's seconds per reading."""
    ratios = [seconds / count for seconds, count in buckets if count > 0]
    if not ratios:
        return None
    bound = min(ratios) * (1 + 1e-9)
    fitting = [s for s in _NICE_INTERVALS if s <= bound]
    return fitting[-1] if fitting else _NICE_INTERVALS[0]


def _whole_months(cuts: Sequence[dt.datetime], zone: ZoneInfo) -> list[bool]:
    """Whether each piece ``[cuts[i], cuts[i+1])`` is one whole local month."""
    return [
        a.astimezone(zone).day == 1 and a.astimezone(zone).time() == dt.time(0) and _is_next_month(a, b, zone)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


_Month = tuple[float, int, int]
"""A stored monthly aggregate: volume or mean rate, readings counted, quality."""


def _monthly(
    store: Store, enterprise_id: str, meters: Sequence[Meter], cuts: Sequence[dt.datetime], zone: ZoneInfo
) -> dict[str, dict[dt.datetime, _Month]]:
    """The stored ``P1M`` aggregates of every whole month of the pieces, for all meters in one read."""
    starts = [a for a, w in zip(cuts[:-1], _whole_months(cuts, zone), strict=True) if w]
    result: dict[str, dict[dt.datetime, _Month]] = {m.id: {} for m in meters}
    if not starts or not meters:
        return result
    keys = store.meter_keys(enterprise_id)
    wanted = [(m.id, a) for m in meters for a in starts]
    with store.transaction(f"reading the monthly aggregates of {enterprise_id}") as connection:
        rows = BulkWriter(connection).read_aggregate_rows(
            [keys[m] for m, _ in wanted], ["P1M"] * len(wanted), [int(a.timestamp()) for _, a in wanted]
        )
    for (meter_id, a), row in zip(wanted, rows, strict=True):
        if row is not None:
            result[meter_id][a] = (row.value, row.count, row.quality)
    return result


def _meter_pieces(
    store: Store,
    enterprise_id: str,
    meter: Meter,
    cuts: Sequence[dt.datetime],
    zone: ZoneInfo,
    months: Mapping[dt.datetime, _Month],
) -> tuple[list[_Piece], int | None]:
    """Summarise each piece ``[cuts[i], cuts[i+1])`` of one meter from its monthly and daily aggregates."""
    pieces = [_Piece(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    whole = _whole_months(cuts, zone)
    buckets = [
        ((p.end - p.start).total_seconds(), months[p.start][1])
        for p, w in zip(pieces, whole, strict=True)
        if w and p.start in months
    ]
    interval = _interval(buckets)
    need_days = []
    for i, (piece, w) in enumerate(zip(pieces, whole, strict=True)):
        row = months.get(piece.start) if w else None
        if row is not None and interval is not None:
            value, count, quality = row
            expected = piece.seconds / interval
            if count >= expected - 1e-6 and quality < Quality.BAD:
                _fill(piece, meter, value, count, interval, quality)
                piece.expected = expected
                continue
        need_days.append(i)
    if not need_days:
        return pieces, interval
    lo, hi = pieces[need_days[0]].start, pieces[need_days[-1]].end
    days = store.read_aggregates(enterprise_id, meter.id, "P1D", lo, hi)
    day_starts = [ts.to_pydatetime() for ts in days["start"]]
    day_seconds = [_day_seconds(ts, zone) for ts in day_starts]
    interval = _interval([*buckets, *zip(day_seconds, (int(c) for c in days["count"]), strict=True)])
    if interval is None:
        for i in need_days:
            pieces[i].resolution = "P1D"
        return pieces, None
    day_index = np.array([ts.timestamp() for ts in day_starts], dtype=np.float64)
    day_quality, day_count = days["quality"].to_numpy(), days["count"].to_numpy()
    day_value = days["value"].to_numpy(dtype=np.float64)
    for i in need_days:
        piece = pieces[i]
        piece.resolution = "P1D"
        piece.expected = piece.seconds / interval
        inside = np.flatnonzero((day_index >= piece.start.timestamp()) & (day_index < piece.end.timestamp()))
        data_days: list[int] = []
        for j in inside:
            quality = int(day_quality[j])
            count = int(day_count[j])
            if quality >= Quality.BAD:
                piece.interior += day_seconds[j]
                piece.quality = max(piece.quality, quality)
                continue
            _fill(piece, meter, float(day_value[j]), count, interval, quality)
            if count > 0:
                data_days.append(int(j))
        if meter.kind is MeterKind.TOTALIZER:
            _edges(
                store,
                enterprise_id,
                meter,
                piece,
                [day_starts[j] for j in data_days],
                day_seconds,
                data_days,
                days,
                interval,
            )
    return pieces, interval


def _fill(piece: _Piece, meter: Meter, value: float, count: int, interval: int, quality: int) -> None:
    """Add one bucket's volume and count to a piece."""
    if meter.kind is MeterKind.TOTALIZER:
        piece.observed += value
    else:  # mean rate [m³/h] over `count` readings of `interval` seconds each
        piece.observed += value * count * interval / 3600.0
    piece.count += count
    piece.quality = max(piece.quality, quality)


def _edges(
    store: Store,
    enterprise_id: str,
    meter: Meter,
    piece: _Piece,
    data_starts: list[dt.datetime],
    day_seconds: list[float],
    data_days: list[int],
    days: pd.DataFrame,
    interval: int,
) -> None:
    """Uncovered time at the edges of a totalizer's piece, from the readings of its edge days."""
    if not data_starts:
        piece.lead, piece.tail = piece.seconds, 0.0
        return
    first, last = data_starts[0], data_starts[-1]
    first_full = int(days["count"].iloc[data_days[0]]) * interval >= day_seconds[data_days[0]] - 1e-6
    if first <= piece.start and first_full:
        piece.lead = 0.0
    else:
        r = store.read_readings(
            enterprise_id, meter.id, first, first + dt.timedelta(seconds=day_seconds[data_days[0]])
        )
        ts = r["ts"].iloc[0].to_pydatetime() if len(r) else first
        piece.lead = max((ts - piece.start).total_seconds(), 0.0)
    last_full = int(days["count"].iloc[data_days[-1]]) * interval >= day_seconds[data_days[-1]] - 1e-6
    last_end = last + dt.timedelta(seconds=day_seconds[data_days[-1]])
    if last_end >= piece.end and last_full:
        piece.tail = 0.0
        return
    r = store.read_readings(enterprise_id, meter.id, last, piece.end + dt.timedelta(days=1))
    if len(r) == 0:
        piece.tail = (piece.end - last).total_seconds()
        return
    stamps = [ts.to_pydatetime() for ts in r["ts"]]
    if stamps[-1] >= piece.end:
        piece.tail = 0.0  # the interval over the end is closed and filed in this piece
    else:
        piece.tail = (piece.end - stamps[-1]).total_seconds()


def _is_next_month(a: dt.datetime, b: dt.datetime, zone: ZoneInfo) -> bool:
    la, lb = a.astimezone(zone), b.astimezone(zone)
    following = (la.year + (la.month == 12), la.month % 12 + 1)
    return (lb.year, lb.month) == following and lb.day == 1 and lb.time() == dt.time(0)


def _day_seconds(start: dt.datetime, zone: ZoneInfo) -> float:
    local = start.astimezone(zone)
    nxt = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return (nxt.astimezone(dt.UTC) - start).total_seconds()


def _volume(
    meter: Meter, pieces: Sequence[_Piece], interval: int | None, *, edges_of_whole: bool
) -> MeterVolume:
    """Combine the pieces of one meter into one period volume."""
    flow = meter.flow or ""
    seconds = sum(p.seconds for p in pieces)
    observed = sum(p.observed for p in pieces)
    count = sum(p.count for p in pieces)
    expected = sum(p.expected for p in pieces)
    quality = Quality(max((p.quality for p in pieces), default=0))
    resolutions = sorted({p.resolution for p in pieces}, reverse=True)
    resolution = "+".join(resolutions)
    coverage = count / expected if expected > 0 else 0.0
    if interval is None or count == 0:
        return MeterVolume(
            meter.id,
            flow,
            meter.kind,
            math.nan,
            0.0,
            math.nan,
            Provenance.MISSING,
            0.0,
            0.0,
            quality,
            resolution,
            interval,
            "no readings in the period",
        )
    if meter.kind is MeterKind.TOTALIZER:
        if edges_of_whole:
            uncovered = pieces[0].lead + pieces[-1].tail + sum(p.interior for p in pieces)
        else:
            uncovered = sum(p.lead + p.tail + p.interior for p in pieces)
        volume_coverage = max(0.0, 1.0 - uncovered / seconds)
    else:
        volume_coverage = min(coverage, 1.0)
    complete = parameter("coverage_complete", table="assess").value
    minimum = parameter("coverage_minimum", table="assess").value
    r_fill = parameter("gap_fill_relative_uncertainty", table="assess").value
    notes = []
    if coverage < 1.0 - 1e-9:
        notes.append(f"{count} of {expected:.0f} readings ({coverage:.1%})")
    if quality >= Quality.SUSPECT:
        notes.append(f"readings flagged {quality.name.lower()} in the period")
    if volume_coverage < minimum:
        return MeterVolume(
            meter.id,
            flow,
            meter.kind,
            math.nan,
            observed,
            math.nan,
            Provenance.MISSING,
            coverage,
            volume_coverage,
            quality,
            resolution,
            interval,
            "; ".join([*notes, f"volume covers {volume_coverage:.1%} of the period, below {minimum:.0%}"]),
        )
    value = observed / volume_coverage if volume_coverage < 1.0 else observed
    filled = value - observed
    if volume_coverage >= complete and quality != Quality.ESTIMATED:
        provenance = Provenance.MEASURED
    else:
        provenance = Provenance.ESTIMATED
    if filled > 0:
        notes.append(f"{filled:.1f} m³ filled in for {1 - volume_coverage:.1%} of the period without data")
    u_obs = standard_uncertainty(Measurement(flow, observed, accuracy_class=meter.accuracy_class))
    uncertainty = math.hypot(u_obs, r_fill * filled)
    return MeterVolume(
        meter.id,
        flow,
        meter.kind,
        value,
        observed,
        uncertainty,
        provenance,
        coverage,
        volume_coverage,
        quality,
        resolution,
        interval,
        "; ".join(notes) or None,
    )


def period_volumes(
    store: Store,
    enterprise: Enterprise,
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone: str | ZoneInfo = "Asia/Shanghai",
) -> PeriodVolumes:
    """Return the period volume of every flow meter of ``enterprise`` from the stored aggregates.

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
        The model (its meters, their flows and accuracy classes).
    start, end : datetime.datetime
        The period ``[start, end)``: aware, at local midnight of ``zone``.
    zone : str or zoneinfo.ZoneInfo
        The calendar the aggregates were cut in (the settings' ``timezone``).

    Returns
    -------
    PeriodVolumes

    Raises
    ------
    InvalidInputError
        For naive or empty periods, or bounds not at local midnight.
    """
    tz = as_zone(zone)
    _check_midnight(start, end, tz)
    cuts = month_starts(start.astimezone(dt.UTC), end.astimezone(dt.UTC), tz)
    meters: dict[str, MeterVolume] = {}
    flow = flow_meters(enterprise)
    monthly = _monthly(store, enterprise.id, flow, cuts, tz)
    for meter in flow:
        pieces, interval = _meter_pieces(store, enterprise.id, meter, cuts, tz, monthly[meter.id])
        meters[meter.id] = _volume(meter, pieces, interval, edges_of_whole=True)
    classes = {m.id: m.accuracy_class for m in enterprise.meters}
    return PeriodVolumes(enterprise.id, cuts[0], cuts[-1], tz.key, meters, _classes=classes)


def volume_series(
    store: Store,
    enterprise: Enterprise,
    cuts: Sequence[dt.datetime],
    *,
    zone: str | ZoneInfo = "Asia/Shanghai",
) -> list[PeriodVolumes]:
    """Return the volumes of every flow meter in each bucket ``[cuts[i], cuts[i+1])``.

    Reads each meter's aggregates once for the whole span.  Each bucket is judged on its
    own (a totalizer gap across a bucket boundary uncovers the later bucket's start).

    Parameters
    ----------
    cuts : sequence of datetime.datetime
        Bucket boundaries, increasing, at local midnight (months or days).
    """
    tz = as_zone(zone)
    if len(cuts) < 2:
        raise InvalidInputError("give at least one bucket (two boundaries)")
    _check_midnight(cuts[0], cuts[-1], tz)
    bounds = [c.astimezone(dt.UTC) for c in cuts]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        _check_midnight(a, b, tz)
    # pieces within local months, so monthly aggregates serve whole months
    fine: list[dt.datetime] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        fine.extend(month_starts(a, b, tz)[:-1])
    fine.append(bounds[-1])
    flow = flow_meters(enterprise)
    monthly = _monthly(store, enterprise.id, flow, fine, tz)
    per_meter = {m.id: _meter_pieces(store, enterprise.id, m, fine, tz, monthly[m.id]) for m in flow}
    classes = {m.id: m.accuracy_class for m in enterprise.meters}
    result = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        meters = {}
        for meter in flow_meters(enterprise):
            pieces, interval = per_meter[meter.id]
            mine = [p for p in pieces if p.start >= a and p.end <= b]
            meters[meter.id] = _volume(meter, mine, interval, edges_of_whole=True)
        result.append(PeriodVolumes(enterprise.id, a, b, tz.key, meters, _classes=classes))
    return result


def _check_midnight(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> None:
    check_period(start, end)
    for bound in (start, end):
        if bound.astimezone(zone).time() != dt.time(0):
            raise InvalidInputError(
                f"{bound.isoformat()} is not local midnight in {zone.key}: periods are whole local days"
            )


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None
