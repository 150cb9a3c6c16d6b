"""Aggregates kept up on ingestion equal the aggregates computed from scratch, whatever arrives when.

The pipeline extends stored aggregate rows with readings that follow the stored
ones and recomputes the buckets of readings that arrive out of order.  The
property: after any sequence of batches — in order, out of order, repeated,
conflicting, with registers that roll over, fall without a reason, or cross a
meter replacement, with readings flagged bad and gaps, split into commits of any
size, written by two pipelines taking turns — the stored aggregates at every
resolution are, bit for bit, those computed in one go from the readings that
ended up stored, and every day's ``month_before`` is the month's statistic of
the values before that day.  The readings come every quarter hour (across a
local day and a month end) or every few hours (several days of a month, then
the next).  Runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import Batch, Pipeline, RawReading, Source
from shuixiao.model import Enterprise, Meter, MeterKind, Origin, Park, Quality, Region
from shuixiao.series import Reset, accumulate, aggregate, bucket_starts, totalizer_intervals
from shuixiao.storage import Store
from shuixiao.storage import schema as t

pytestmark = pytest.mark.integration

E = "xg-steel"
T0 = 1_719_759_600  # 2024-06-30T23:00:00+08:00: the slots cross a local day and a month end [s]
SLOTS = 10  # 15-minute slots
NOW = T0 + 86_400
ROLLOVER = 1000.0  # register_max of TQ-1 [m³]
REPLACED_AT = T0 + 4 * 900 + 450  # TQ-2 is replaced between slots 4 and 5 [s]
DAYS_START = T0 - 2 * 86_400  # 2024-06-28T23:00:00+08:00
DAYS_STEP = 26_100  # 7 h 15 min: ten slots run over three days of June and into July [s]
RESOLUTIONS = ("PT15M", "PT1H", "P1D", "P1M")
SOURCE = Source(Origin.MQTT, "shuixiao/v1/xg-steel/batch")

METERS = (
    Meter("TQ-1", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-river", register_max=ROLLOVER),
    Meter("TQ-2", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-discharge"),
    Meter("FQ-1", MeterKind.RATE, "flow_rate", "m3/h", 1, flow="f-reclaimed"),
    Meter("LQ-1", MeterKind.LEVEL, "level", "m", 3, water_unit="wwtp"),
)


@pytest.fixture
def plant(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    """The steel works with two totalizers (one rolling over at 1000 m³, one replaced), a flow and a level."""
    store.save_model(regions, parks, [make_enterprise(meters=METERS)])
    return store


def _clear(store: Store) -> None:
    """Forget every reading, aggregate, quarantined record and meter event (between examples)."""
    with store.transaction("clearing the test tables", write=True) as connection:
        for table in (t.readings, t.aggregates, t.quarantine, t.meter_events):
            connection.execute(sa.delete(table))


# --- the readings a plant might send ------------------------------------------------------------

_QUALITY = st.sampled_from([0, 0, 0, 0, 1, 2, 3])  # mostly good; bad ones are stored, never aggregated


def _replaced_at(start: int, step: int) -> int:
    """TQ-2 is replaced between slots 4 and 5. [s since epoch]"""
    return start + 4 * step + step // 2


@st.composite
def _truth(draw: st.DrawFn, start: int, step: int) -> list[tuple[str, int, float, int]]:
    """True readings (meter, ts, value, quality) of every meter, with gaps, before any transport damage."""
    replaced_at = _replaced_at(start, step)
    increments = st.floats(0.0, 400.0, allow_nan=False).map(lambda x: round(x, 3))
    readings = []
    register = draw(st.floats(0.0, ROLLOVER - 1, allow_nan=False))
    old = draw(st.floats(0.0, 5000.0, allow_nan=False))
    new = draw(st.floats(0.0, 20.0, allow_nan=False))
    for slot in range(SLOTS):
        ts = start + slot * step
        register = round((register + draw(increments)) % ROLLOVER, 3)
        old += draw(increments)
        if ts > replaced_at:
            new += draw(increments)
        present = draw(st.lists(st.booleans(), min_size=4, max_size=4))  # gaps: readings not sent
        values = [
            ("TQ-1", register),
            ("TQ-2", new if ts > replaced_at else old),
            ("FQ-1", draw(st.floats(-50.0, 150.0, allow_nan=False, allow_infinity=False))),
            ("LQ-1", draw(st.floats(0.0, 8.0, allow_nan=False))),
        ]
        readings += [(m, ts, v, draw(_QUALITY)) for (m, v), keep in zip(values, present, strict=True) if keep]
    return readings


@st.composite
def _arrivals(
    draw: st.DrawFn, start: int = T0, step: int = 900
) -> tuple[list[list[RawReading]], list[int], list[bool], dict[str, float]]:
    """Readings as they arrive: damaged, reordered, cut into batches, grouped into commits, two writers."""
    truth = draw(_truth(start, step))
    sent = list(truth)
    for m, ts, v, q in draw(st.lists(st.sampled_from(truth), max_size=6)) if truth else []:
        damage = draw(st.sampled_from(["repeat", "conflict", "fall"]))
        if damage == "repeat":
            sent.append((m, ts, v, q))  # a redelivery
        elif damage == "conflict":
            sent.append((m, ts, v + draw(st.sampled_from([1.0, 0.5, 250.0])), q))
        else:  # a register (or value) a little off, at a time between the slots
            sent.append((m, ts + draw(st.integers(1, step - 1)), v - draw(st.floats(0.1, 300.0)), q))
    order = draw(st.sampled_from(["in order", "shuffled", "nearly in order", "reversed"]))
    sent.sort(key=lambda r: (r[1], r[0]))
    if order == "shuffled":
        sent = draw(st.permutations(sent))
    elif order == "reversed":
        sent.reverse()
    elif order == "nearly in order" and len(sent) > 1:
        for i in draw(st.lists(st.integers(0, len(sent) - 2), max_size=4)):
            sent[i], sent[i + 1] = sent[i + 1], sent[i]
    records = [RawReading(m, ts, v, None, q) for m, ts, v, q in sent]
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(records) - 1, 1)), max_size=8))))
    batches = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True) if a < b]
    groups = [draw(st.integers(1, 3)) for _ in batches]  # batches per commit (ingest_many)
    writers = [draw(st.booleans()) for _ in batches]  # which of two pipelines commits
    registers = {"old": draw(st.floats(0.0, 5000.0)), "new": draw(st.floats(0.0, 20.0))}
    return batches, groups, writers, registers


# --- the reference: every aggregate of the stored readings, computed in one go -----------------


def _values(store: Store, meter: Meter, resets: list[Reset]) -> tuple[Any, Any, Any, Literal["sum", "mean"]]:
    """The values the aggregates of ``meter`` are made of: times, values (NaN: left out), flags, statistic."""
    frame = store.read_readings(E, meter.id)
    ts = frame["ts"].dt.as_unit("s").astype("int64").to_numpy()
    value = frame["value"].to_numpy(dtype=np.float64)
    quality = frame["quality"].to_numpy(dtype=np.int8)
    if meter.kind is MeterKind.TOTALIZER:
        good = quality < Quality.BAD
        ts, value, quality = ts[good], value[good], quality[good]
        intervals = totalizer_intervals(ts, value, register_max=meter.register_max, resets=resets)
        flags = np.maximum(quality[:-1], quality[1:]) if ts.size > 1 else quality[:0]
        return intervals.start, intervals.volume, flags, "sum"
    return ts, np.where(quality >= Quality.BAD, np.nan, value), quality, "mean"


def _reference(store: Store, meter: Meter, resets: list[Reset], resolution: str) -> dict[str, Any]:
    ts, values, flags, how = _values(store, meter, resets)
    return dataclasses.asdict(aggregate(ts, values, resolution, how, quality=flags))


def _month_before_reference(store: Store, meter: Meter, resets: list[Reset], days: Any) -> list[float]:
    """Per day start, the sum or mean of the values of its month before it (0 when there are none)."""
    ts, values, _, how = _values(store, meter, resets)
    kept = ~np.isnan(values)
    ts, values = ts[kept], values[kept]
    months = bucket_starts(np.asarray(days, dtype=np.int64), "P1M", "Asia/Shanghai")
    result = []
    for day, month in zip(np.asarray(days).tolist(), months.tolist(), strict=True):
        before = values[(ts >= month) & (ts < day)]
        result.append(float(accumulate(before, [0], how)[0]) if before.size else 0.0)
    return result


def _month_before(store: Store, meter: str) -> tuple[list[int], list[float | None]]:
    """The stored day starts of ``meter`` and each day's ``month_before``."""
    a = t.aggregates
    with store.transaction("reading month_before") as connection:
        rows = connection.execute(
            sa.select(a.c.start, a.c.month_before)
            .where(a.c.meter_key == store.meter_keys(E)[meter], a.c.resolution == "P1D")
            .order_by(a.c.start)
        ).all()
    return [int(r.start.timestamp()) for r in rows], [r.month_before for r in rows]


def _stored(store: Store, meter: str, resolution: str) -> dict[str, Any]:
    frame = store.read_aggregates(E, meter, resolution)
    return {
        "start": frame["start"].dt.as_unit("s").astype("int64").to_numpy(),
        **{c: frame[c].to_numpy() for c in ("value", "minimum", "maximum", "count", "quality")},
    }


_PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(arrivals=_arrivals())
def test_kept_aggregates_equal_aggregates_from_scratch(
    plant: Store, arrivals: tuple[list[list[RawReading]], list[int], list[bool], dict[str, float]]
) -> None:
    _check_arrivals(plant, arrivals, REPLACED_AT)


@_PROPERTY
@given(arrivals=_arrivals(DAYS_START, DAYS_STEP))
def test_kept_aggregates_equal_aggregates_from_scratch_over_days_of_a_month(
    plant: Store, arrivals: tuple[list[list[RawReading]], list[int], list[bool], dict[str, float]]
) -> None:
    """Late readings on later days of a month continue the month from their day's row."""
    _check_arrivals(plant, arrivals, _replaced_at(DAYS_START, DAYS_STEP))


def _check_arrivals(
    plant: Store,
    arrivals: tuple[list[list[RawReading]], list[int], list[bool], dict[str, float]],
    replaced_at: int,
) -> None:
    batches, groups, writers, registers = arrivals
    _clear(plant)
    replacement = {"old_register": registers["old"], "new_register": registers["new"]}
    when = dt.datetime.fromtimestamp(replaced_at, dt.UTC)
    plant.add_meter_event(E, "TQ-2", when, "replacement", replacement)
    pipelines = [Pipeline(plant, clock=lambda: float(NOW)) for _ in range(2)]
    outcomes = 0
    first = 0
    for size, writer in zip(groups, writers, strict=True):
        chunk = batches[first : first + size]
        first += size
        if chunk:
            results = pipelines[writer].ingest_many([Batch(E, records, SOURCE) for records in chunk])
            outcomes += sum(len(r.results) for r in results)
    assert outcomes == sum(len(b) for b in batches)  # every record has a result
    resets = [Reset(replaced_at, registers["old"], registers["new"])]
    for meter in METERS:
        its = resets if meter.id == "TQ-2" else []
        for resolution in RESOLUTIONS:
            expected = _reference(plant, meter, its, resolution)
            got = _stored(plant, meter.id, resolution)
            where = f"{meter.id} {resolution}"
            np.testing.assert_array_equal(got["start"], expected["start"], err_msg=where)
            for column in ("value", "minimum", "maximum", "count", "quality"):
                np.testing.assert_array_equal(got[column], expected[column], err_msg=f"{where} {column}")
        days, before = _month_before(plant, meter.id)
        assert before == _month_before_reference(plant, meter, its, days), f"{meter.id} month_before"


# --- cases the property found, and the paths it takes ------------------------------------------


def _ingest(pipeline: Pipeline, *readings: tuple[str, int, float, int]) -> None:
    records = [RawReading(m, T0 + ts, v, None, q) for m, ts, v, q in readings]
    result = pipeline.ingest(E, records, SOURCE)
    assert result.accepted == len(records), result.reasons()


def test_a_register_flagged_bad_does_not_close_an_interval(plant: Store) -> None:
    pipeline = Pipeline(plant, clock=lambda: float(NOW))
    _ingest(pipeline, ("TQ-1", 1800, 10.0, 3), ("TQ-1", 3600, 30.0, 0))  # a bad register, then a good one
    _ingest(pipeline, ("TQ-1", 0, 4.0, 0))  # arrives late: its interval runs to the next good register
    got = _stored(plant, "TQ-1", "PT15M")
    assert (got["start"].tolist(), got["value"].tolist()) == ([T0], [26.0])


def test_a_stream_behind_bad_registers_continues_from_the_last_good_one(plant: Store) -> None:
    pipeline = Pipeline(plant, clock=lambda: float(NOW))
    _ingest(pipeline, ("TQ-1", 0, 4.0, 0), ("TQ-1", 900, 7.0, 0))
    for slot in (2, 3):  # bad registers, each in its own commit
        _ingest(pipeline, ("TQ-1", slot * 900, 1.0, 3))
    _ingest(pipeline, ("TQ-1", 4 * 900, 19.0, 1))  # the next good one: 12 m³ since 23:15
    got = _stored(plant, "TQ-1", "PT15M")
    assert got["start"].tolist() == [T0, T0 + 900]
    assert (got["value"].tolist(), got["quality"].tolist()) == ([3.0, 12.0], [0, 1])
    month = _stored(plant, "TQ-1", "P1M")  # both intervals start in June (local)
    assert (month["value"].tolist(), month["count"].tolist(), month["quality"].tolist()) == ([15.0], [2], [1])


def test_a_stream_of_single_readings_extends_each_bucket(plant: Store) -> None:
    pipeline = Pipeline(plant, clock=lambda: float(NOW))
    values = [0.1, 0.2, 0.3, 0.4, 0.7, 0.9]
    for slot, value in enumerate(values):
        _ingest(pipeline, ("FQ-1", 3600 + slot * 900, value, 0))  # from 00:00 local, one per commit
    hour = _stored(plant, "FQ-1", "PT1H")
    expected = aggregate([3600 + s * 900 for s in range(6)], values, "PT1H", "mean")
    np.testing.assert_array_equal(hour["value"], expected.value)  # running means, bit for bit
    assert hour["count"].tolist() == [4, 2]
    assert (hour["minimum"].tolist(), hour["maximum"].tolist()) == ([0.1, 0.7], [0.4, 0.9])


def test_rebuild_after_ingesting_without_aggregates(plant: Store) -> None:
    plain = Pipeline(plant, clock=lambda: float(NOW), aggregates=False)
    readings = [
        (m, slot * 900, 10.0 * slot + i, 0) for slot in range(SLOTS) for i, m in enumerate(["TQ-2", "FQ-1"])
    ]
    _ingest(plain, *readings[:12])
    assert _stored(plant, "FQ-1", "P1M")["count"].size == 0  # left to a later job
    kept = Pipeline(plant, clock=lambda: float(NOW))
    assert kept.rebuild(E) > 0
    _ingest(kept, *readings[12:])  # then extended as usual
    for meter in (METERS[1], METERS[2]):
        for resolution in RESOLUTIONS:
            expected = _reference(plant, meter, [], resolution)
            got = _stored(plant, meter.id, resolution)
            for column in ("start", "value", "minimum", "maximum", "count", "quality"):
                np.testing.assert_array_equal(
                    got[column], expected[column], err_msg=f"{meter.id} {resolution}"
                )
    with pytest.raises(InvalidInputError, match="keeps no aggregates"):
        plain.rebuild(E)
    with pytest.raises(InvalidInputError, match="aware"):
        kept.rebuild(E, start=dt.datetime(2024, 7, 1))
    assert kept.rebuild(E, start=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == 0


def test_late_readings_after_another_writer_see_what_it_wrote(plant: Store) -> None:
    mine, theirs = (Pipeline(plant, clock=lambda: float(NOW)) for _ in range(2))
    _ingest(mine, *(("FQ-1", s * 900, float(s), 0) for s in (0, 2, 4)))
    _ingest(mine, ("FQ-1", 900, 1.5, 0))  # late: recomputed, the month's readings kept in memory
    _ingest(theirs, ("FQ-1", 6 * 900, 6.0, 0), ("FQ-1", 7 * 900, 7.0, 0))  # after them: caught up
    _ingest(mine, ("FQ-1", 3 * 900, 3.5, 2))
    _ingest(theirs, ("FQ-1", 5 * 900, 5.5, 0), ("FQ-1", 8 * 900, 8.0, 0))  # before and after: read again
    _ingest(mine, ("FQ-1", 5 * 900 + 450, 5.75, 0))
    _ingest(theirs, ("FQ-1", 9 * 900, 9.0, 0))  # only after again
    _ingest(mine, ("FQ-1", 9 * 900 - 450, 8.25, 3))
    for resolution in RESOLUTIONS:
        expected = _reference(plant, METERS[2], [], resolution)
        got = _stored(plant, "FQ-1", resolution)
        for column in ("start", "value", "minimum", "maximum", "count", "quality"):
            np.testing.assert_array_equal(got[column], expected[column], err_msg=f"{resolution} {column}")
