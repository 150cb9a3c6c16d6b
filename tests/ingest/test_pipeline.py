"""The ingestion pipeline: every check, duplicates, order, totalizers, mixed batches, quarantine and replay.

Runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from shuixiao.errors import StorageError
from shuixiao.ingest import Batch, ColumnBatch, Columns, Pipeline, RawReading, Reason, Source, Status
from shuixiao.model import Enterprise, Meter, MeterKind, Origin, Quality
from shuixiao.storage import BulkWriter, LedgerStore, QuarantineEntry, Store
from shuixiao.storage import schema as t

pytestmark = pytest.mark.integration

T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
NOW = T0 + 30 * 86_400
E = "xg-steel"
FILE = Source(Origin.FILE, "readings.csv", "Asia/Shanghai")
STRICT = Source(Origin.MQTT, "shuixiao/v1/xg-steel/batch")  # declares no zone


@pytest.fixture
def pipe(saved: Store) -> Pipeline:
    """A pipeline whose clock stands at NOW (2024-07-01T00:00:00+08:00)."""
    return Pipeline(saved, clock=lambda: float(NOW))


# --- each check, one row ---------------------------------------------------------------------------

REJECTIONS = [
    ("unknown meter", RawReading("FT-999", T0, 1.0), FILE, Reason.UNKNOWN_METER, "has no meter 'FT-999'"),
    ("close meter id", RawReading("FT101", T0, 1.0), FILE, Reason.UNKNOWN_METER, "did you mean 'FT-101'"),
    ("no meter", RawReading(None, T0, 1.0), FILE, Reason.UNKNOWN_METER, "names no meter"),
    (
        "wrong unit",
        RawReading("FT-103", T0, 1.0, "kPa"),
        FILE,
        Reason.WRONG_UNIT,
        "'kPa' is not a unit of flow_rate",
    ),
    ("unknown unit", RawReading("FT-101", T0, 1.0, "furlong"), FILE, Reason.WRONG_UNIT, "use one of m³"),
    (
        "wrong default unit",
        RawReading("FT-103", T0, 1.0),
        dataclasses.replace(FILE, unit="m³"),
        Reason.WRONG_UNIT,
        "the source's default unit 'm³'",
    ),
    ("text value", RawReading("FT-103", T0, "12,5"), FILE, Reason.NOT_A_NUMBER, "is not a number"),
    ("missing value", RawReading("FT-103", T0, None), FILE, Reason.NOT_A_NUMBER, "missing"),
    ("NaN", RawReading("FT-103", T0, float("nan")), FILE, Reason.NOT_FINITE, "is not finite"),
    ("infinity", RawReading("FT-103", T0, "inf"), FILE, Reason.NOT_FINITE, "is not finite"),
    ("unreadable time", RawReading("FT-103", "soon", 1.0), FILE, Reason.BAD_TIMESTAMP, "not a date and time"),
    ("milliseconds", RawReading("FT-103", T0 * 1000, 1.0), FILE, Reason.BAD_TIMESTAMP, "milliseconds"),
    (
        "naive time",
        RawReading("FT-103", "2024-06-01 08:00", 1.0),
        STRICT,
        Reason.NAIVE_TIMESTAMP,
        "no time zone",
    ),
    ("future", RawReading("FT-103", NOW + 301, 1.0), FILE, Reason.FUTURE_TIMESTAMP, "301 s in the future"),
    (
        "before installation",
        RawReading("FT-101", "2021-02-28 23:59:59", 1.0),
        FILE,
        Reason.BEFORE_INSTALLED,
        "was installed (2021-03-01)",
    ),
    (
        "quality flag",
        RawReading("FT-103", T0, 1.0, None, "great"),
        FILE,
        Reason.BAD_QUALITY,
        "'great' is not one of",
    ),
    ("pH above 14", RawReading("AT-301", T0, 15.2), FILE, Reason.IMPLAUSIBLE_VALUE, "pH 15.2 is above 14 pH"),
    (
        "negative register",
        RawReading("FT-301", T0, -3.0),
        FILE,
        Reason.IMPLAUSIBLE_VALUE,
        "volume -3 is below 0 m³",
    ),
    (
        "conductivity scale",
        RawReading("AT-201", T0, 2000.0, "S/m"),
        FILE,
        Reason.IMPLAUSIBLE_VALUE,
        "conductivity 2e+07 is above 1e+06 µS/cm",
    ),
]


@pytest.mark.parametrize(
    ("record", "source", "reason", "fragment"),
    [pytest.param(*row[1:], id=row[0]) for row in REJECTIONS],
)
def test_each_check_rejects_with_an_actionable_reason_and_quarantines(
    pipe: Pipeline, saved: Store, record: RawReading, source: Source, reason: Reason, fragment: str
) -> None:
    result = pipe.ingest(E, [record], source)
    (outcome,) = result.results
    assert (outcome.status, outcome.reason) == (Status.REJECTED, reason)
    assert fragment in outcome.message
    (row,) = saved.list_quarantine(E)
    assert (row.id, row.reason, row.message, row.origin, row.source) == (
        outcome.quarantine_id,
        reason.value,
        outcome.message,
        source.origin,
        source.detail,
    )
    payload = json.loads(row.payload)
    assert payload["meter"] == record.meter and payload.get("timezone") == source.timezone
    assert saved.count_readings(E) == 0


def test_unknown_enterprise_rejects_every_record(saved: Store, pipe: Pipeline) -> None:
    result = pipe.ingest(
        "xg-stel", [RawReading("FT-101", T0, 1.0), RawReading("FT-101", T0 + 900, 2.0)], FILE
    )
    assert [r.reason for r in result.results] == [Reason.UNKNOWN_ENTERPRISE] * 2
    assert "there is no enterprise 'xg-stel'" in result.results[0].message
    assert saved.count_quarantine("xg-stel") == {"unknown_enterprise": 2}


ACCEPTED = [
    ("meter's own unit L/s to m³/h", RawReading("FT-201", T0, 2.0), FILE, "FT-201", T0, 7.2),
    ("explicit unit", RawReading("FT-201", T0, "7.2", "m3/h"), FILE, "FT-201", T0, 7.2),
    (
        "default unit of the source",
        RawReading("FT-201", T0, 120.0),
        dataclasses.replace(FILE, unit="L/min"),
        "FT-201",
        T0,
        7.2,
    ),
    ("tonnes of water", RawReading("FT-102", T0, 5.0), FILE, "FT-102", T0, 5.0),
    ("MPa to kPa", RawReading("PT-201", T0, 0.45), FILE, "PT-201", T0, 450.0),
    (
        "local time of the file",
        RawReading("FT-103", "2024-06-01 08:00", 1.0),
        FILE,
        "FT-103",
        T0 + 8 * 3600,
        1.0,
    ),
    ("offset given", RawReading("FT-103", "2024-06-01T00:00:00Z", 1.0), STRICT, "FT-103", T0 + 8 * 3600, 1.0),
    (
        "installation midnight",
        RawReading("FT-101", "2021-03-01 00:00", 1.0),
        FILE,
        "FT-101",
        1_614_528_000,
        1.0,
    ),
    ("clock drift within tolerance", RawReading("FT-103", NOW + 299, 1.0), FILE, "FT-103", NOW + 299, 1.0),
    ("pH 14 itself", RawReading("AT-301", T0, 14), FILE, "AT-301", T0, 14.0),
    ("reverse flow", RawReading("FT-103", T0, -4.0), FILE, "FT-103", T0, -4.0),
]


@pytest.mark.parametrize(
    ("record", "source", "meter", "ts", "value"),
    [pytest.param(*row[1:], id=row[0]) for row in ACCEPTED],
)
def test_accepted_records_are_stored_in_canonical_units(
    pipe: Pipeline,
    saved: Store,
    readings_of: Callable[..., Any],
    record: RawReading,
    source: Source,
    meter: str,
    ts: int,
    value: float,
) -> None:
    result = pipe.ingest(E, [record], source)
    assert result.results[0].status is Status.ACCEPTED, result.results[0].message
    stored_ts, stored_value = readings_of(saved, meter)
    assert stored_ts.tolist() == [ts]
    assert stored_value[0] == pytest.approx(value, rel=1e-12)
    frame = saved.read_readings(E, meter)
    assert (int(frame["origin"][0]), int(frame["quality"][0])) == (source.origin, Quality.GOOD)


def test_quality_flags_are_stored(pipe: Pipeline, saved: Store) -> None:
    records = [
        RawReading("FT-103", T0 + 900 * i, 1.0, None, flag) for i, flag in enumerate(["suspect", 1, "bad"])
    ]
    assert pipe.ingest(E, records, FILE).accepted == 3
    assert saved.read_readings(E, "FT-103")["quality"].tolist() == [2, 1, 3]


# --- duplicates, conflicts, order ------------------------------------------------------------------


def test_replayed_batches_are_duplicates(pipe: Pipeline, saved: Store) -> None:
    records = [RawReading("FT-103", T0 + 900 * i, float(i)) for i in range(4)]
    first = pipe.ingest(E, records, FILE)
    again = pipe.ingest(E, records, FILE)
    assert (first.accepted, again.accepted, again.duplicate, again.rejected) == (4, 0, 4, 0)
    assert saved.count_readings(E) == 4
    assert saved.count_quarantine() == {}


def test_a_different_value_at_a_stored_time_is_a_conflict(pipe: Pipeline, saved: Store) -> None:
    pipe.ingest(E, [RawReading("FT-103", T0, 10.0)], FILE)
    result = pipe.ingest(E, [RawReading("FT-103", T0, 11.0), RawReading("FT-103", T0, 10.0)], FILE)
    conflict, duplicate = result.results
    assert conflict.reason is Reason.CONFLICT and duplicate.status is Status.DUPLICATE
    assert "11 m³/h was sent, but 10 m³/h was stored" in conflict.message
    assert saved.read_readings(E, "FT-103")["value"].tolist() == [10.0]  # never overwritten


def test_repeats_inside_one_batch(pipe: Pipeline) -> None:
    records = [RawReading("FT-103", T0, 1.0), RawReading("FT-103", T0, 1.0), RawReading("FT-103", T0, 2.0)]
    statuses = [(r.status, r.reason) for r in pipe.ingest(E, records, FILE).results]
    assert statuses == [(Status.ACCEPTED, None), (Status.DUPLICATE, None), (Status.REJECTED, Reason.CONFLICT)]


def test_late_readings_slot_in_and_aggregates_follow(
    pipe: Pipeline,
    saved: Store,
    aggregates_of: Callable[..., Any],
    reference: Callable[..., Any],
) -> None:
    times = T0 + 900 * np.arange(12)
    register = 1000.0 + np.cumsum(np.arange(12, dtype=float))
    order = [0, 11, 5, 3, 4, 1, 2, 6, 10, 9, 8, 7]
    for i in order:  # one reading per batch, arriving out of order
        result = pipe.ingest(E, [RawReading("FT-301", int(times[i]), float(register[i]))], FILE)
        assert result.accepted == 1, result.results[0].message
    for resolution in ("PT15M", "PT1H", "P1D", "P1M"):
        got = aggregates_of(saved, "FT-301", resolution)
        want = reference(times, register, resolution, totalizer=True)
        assert got["start"].tolist() == want["start"].tolist()
        assert got["value"].tolist() == want["value"].tolist()
        assert got["count"].tolist() == want["count"].tolist()


def test_mixed_batch_commits_the_accepted_part(pipe: Pipeline, saved: Store) -> None:
    records = [
        RawReading("FT-103", T0, 1.0),
        RawReading("FT-999", T0, 1.0),
        RawReading("FT-103", T0 + 900, "x"),
        RawReading("FT-103", T0 + 1800, 3.0),
    ]
    result = pipe.ingest(E, records, FILE)
    assert [r.status for r in result.results] == [
        Status.ACCEPTED,
        Status.REJECTED,
        Status.REJECTED,
        Status.ACCEPTED,
    ]
    assert (result.accepted, result.duplicate, result.rejected) == (2, 0, 2)
    assert result.reasons() == {Reason.UNKNOWN_METER: 1, Reason.NOT_A_NUMBER: 1}
    assert saved.count_readings(E) == 2
    ids = [r.quarantine_id for r in result.results if r.quarantine_id is not None]
    assert [q.id for q in saved.list_quarantine(E)] == ids
    assert [json.loads(q.payload)["value"] for q in saved.list_quarantine(E)] == [1.0, "x"]


def test_nothing_is_committed_when_the_transaction_fails(
    pipe: Pipeline, saved: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> list[int]:
        raise StorageError("disk full")

    monkeypatch.setattr(BulkWriter, "add_quarantine", broken)
    with pytest.raises(StorageError, match="disk full"):
        pipe.ingest(E, [RawReading("FT-103", T0, 1.0), RawReading("FT-999", T0, 1.0)], FILE)
    monkeypatch.undo()
    assert saved.count_readings(E) == 0
    assert saved.read_aggregates(E, "FT-103", "PT1H").empty
    assert saved.count_quarantine() == {}


def test_bad_readings_are_kept_but_left_out_of_aggregates(
    pipe: Pipeline, saved: Store, aggregates_of: Callable[..., Any]
) -> None:
    records = [
        RawReading("AT-201", T0, 1500.0),
        RawReading("AT-201", T0 + 300, 1413.0, None, "bad"),  # a calibration standard
        RawReading("AT-201", T0 + 600, 1510.0, None, "suspect"),
        RawReading("FT-301", T0, 100.0),
        RawReading("FT-301", T0 + 300, 5.0, None, "bad"),  # a garbled register, never compared
        RawReading("FT-301", T0 + 600, 104.0),
    ]
    assert pipe.ingest(E, records, FILE).accepted == 6
    quality = aggregates_of(saved, "AT-201", "PT15M")
    assert (quality["value"].tolist(), quality["count"].tolist(), quality["quality"].tolist()) == (
        [1505.0],
        [2],
        [2],
    )
    volume = aggregates_of(saved, "FT-301", "PT15M")
    assert (volume["value"].tolist(), volume["count"].tolist()) == ([4.0], [1])


# --- totalizers -------------------------------------------------------------------------------------


def test_a_register_that_falls_is_rejected(pipe: Pipeline) -> None:
    result = pipe.ingest(E, [RawReading("FT-301", T0, 100.0), RawReading("FT-301", T0 + 900, 90.0)], FILE)
    assert [r.reason for r in result.results] == [None, Reason.TOTALIZER_BACKWARDS]
    message = result.results[1].message
    assert "falls from 100 m³ at 2024-06-01T00:00:00+08:00 to 90 m³ at 2024-06-01T00:15:00+08:00" in message
    assert "set the meter's register_max" in message and "record a 'replacement' meter event" in message


def test_a_late_reading_above_its_stored_successor_is_rejected(pipe: Pipeline) -> None:
    pipe.ingest(E, [RawReading("FT-301", T0, 100.0), RawReading("FT-301", T0 + 1800, 120.0)], FILE)
    result = pipe.ingest(E, [RawReading("FT-301", T0 + 900, 130.0)], FILE)
    assert result.results[0].reason is Reason.TOTALIZER_BACKWARDS
    assert "falls from 130 m³" in result.results[0].message


def test_a_rollover_at_register_max_is_accepted(
    pipe: Pipeline, saved: Store, aggregates_of: Callable[..., Any]
) -> None:
    records = [RawReading("FT-101", T0, 99_999_990.0), RawReading("FT-101", T0 + 900, 5.0)]
    assert pipe.ingest(E, records, FILE).accepted == 2
    assert aggregates_of(saved, "FT-101", "PT15M")["value"].tolist() == [14.0]  # 9 to the top, 5 after
    small = pipe.ingest(E, [RawReading("FT-101", T0 + 1800, 4.0)], FILE)
    assert small.results[0].reason is Reason.TOTALIZER_BACKWARDS
    assert "falls too little for a rollover at register_max 1e+08" in small.results[0].message


def test_a_recorded_replacement_explains_a_fall(
    pipe: Pipeline, saved: Store, aggregates_of: Callable[..., Any]
) -> None:
    saved.add_meter_event(
        E,
        "FT-301",
        dt.datetime.fromtimestamp(T0 + 450, dt.UTC),
        "replacement",
        {"old_register": 102.0, "new_register": 0.5},
    )
    records = [RawReading("FT-301", T0, 100.0), RawReading("FT-301", T0 + 900, 1.5)]
    assert pipe.ingest(E, records, FILE).accepted == 2
    assert aggregates_of(saved, "FT-301", "PT15M")["value"].tolist() == [
        3.0
    ]  # 2 on the old device, 1 on the new


# --- quarantine and replay --------------------------------------------------------------------------


def test_replay_after_the_meter_was_added(pipe: Pipeline, saved: Store) -> None:
    records = [RawReading("FT-401", T0 + 900 * i, 10.0 + i) for i in range(3)]
    assert pipe.ingest(E, records, FILE).rejected == 3
    model = saved.load_enterprise(E)
    new = Meter("FT-401", MeterKind.TOTALIZER, "volume", "m³", 2, flow="f-reuse")
    saved.save_enterprise(dataclasses.replace(model, meters=(*model.meters, new)), replace=True)
    replay = pipe.replay(E)
    assert (replay.examined, replay.accepted, replay.duplicate, replay.rejected) == (3, 3, 0, 0)
    assert saved.count_readings(E) == 3
    assert saved.count_quarantine(E) == {}
    history = saved.list_quarantine(E, replayed=True)
    assert len(history) == 3 and all(q.replayed_at is not None for q in history)
    assert saved.read_aggregates(E, "FT-401", "PT15M")["value"].tolist() == [1.0, 1.0]
    assert pipe.replay(E).examined == 0  # nothing left


def test_replay_after_a_replacement_was_recorded(pipe: Pipeline, saved: Store) -> None:
    pipe.ingest(E, [RawReading("FT-301", T0, 100.0)], FILE)
    late = [RawReading("FT-301", T0 + 900 * i, 0.5 + i) for i in range(1, 4)]
    assert pipe.ingest(E, late, FILE).reasons() == {Reason.TOTALIZER_BACKWARDS: 3}
    saved.add_meter_event(
        E,
        "FT-301",
        dt.datetime.fromtimestamp(T0 + 450, dt.UTC),
        "replacement",
        {"old_register": 101.0, "new_register": 0.0},
    )
    assert pipe.replay(E, reason="totalizer_backwards").accepted == 3
    # 1 m³ on the old device (100 → 101), 3.5 m³ on the new one (0 → 3.5)
    assert saved.read_aggregates(E, "FT-301", "PT1H")["value"].tolist() == [4.5]


def test_replay_keeps_what_is_still_wrong_with_the_current_reason(pipe: Pipeline, saved: Store) -> None:
    (first,) = pipe.ingest(E, [RawReading("FT-103", NOW + 3600, 1.0)], FILE).results
    (second,) = pipe.ingest(E, [RawReading("FT-103", NOW + 7200, 1.0)], FILE).results
    later = Pipeline(saved, clock=lambda: float(NOW + 3700))
    result = later.replay(ids=[first.quarantine_id, second.quarantine_id])  # type: ignore[list-item]
    assert (result.accepted, result.rejected, result.reasons) == (1, 1, {Reason.FUTURE_TIMESTAMP: 1})
    (waiting,) = saved.list_quarantine(E)
    assert waiting.id == second.quarantine_id and "3,500 s in the future" in waiting.message


def test_replay_of_an_unknown_enterprise_once_it_exists(
    saved: Store, pipe: Pipeline, make_enterprise: Callable[..., Enterprise]
) -> None:
    pipe.ingest("xg-new", [RawReading("FT-103", T0, 1.0)], FILE)
    saved.save_enterprise(make_enterprise("xg-new"))
    assert pipe.replay("xg-new").accepted == 1


def test_messages_that_are_no_records_are_not_replayable(saved: Store, pipe: Pipeline) -> None:
    saved.add_quarantine(
        [
            QuarantineEntry(
                E, None, Origin.MQTT, "shuixiao/v1/xg-steel/batch", "not json", "malformed_payload", "x"
            )
        ]
    )
    result = pipe.replay()
    assert (result.examined, result.not_replayable, result.accepted) == (1, 1, 0)
    assert saved.count_quarantine() == {"malformed_payload": 1}


def test_concurrent_ingesters_of_one_meter(
    saved: Store, aggregates_of: Callable[..., Any], reference: Callable[..., Any]
) -> None:
    times = T0 + 900 * np.arange(200)
    register = 500.0 + np.cumsum(np.linspace(1.0, 3.0, 200))
    records = [RawReading("FT-301", int(t), float(v)) for t, v in zip(times, register, strict=True)]
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def worker(part: list[RawReading]) -> None:
        try:
            pipe = Pipeline(saved, clock=lambda: float(NOW))
            for i in range(0, len(part), 10):
                outcomes.append(pipe.ingest(E, part[i : i + 10], FILE))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [
        threading.Thread(target=worker, args=(records[k::2] + records[: 100 if k else 0],)) for k in (0, 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(o.rejected for o in outcomes) == 0
    assert sum(o.accepted for o in outcomes) == 200
    got = aggregates_of(saved, "FT-301", "PT1H")
    want = reference(times, register, "PT1H", totalizer=True)
    assert got["value"].tolist() == want["value"].tolist()


def test_one_pipeline_shared_by_threads(
    saved: Store, aggregates_of: Callable[..., Any], reference: Callable[..., Any]
) -> None:
    """Request threads share one pipeline (its caches): every reading is stored once, aggregates stay exact."""
    times = T0 + 900 * np.arange(480)
    register = 500.0 + np.cumsum(np.linspace(1.0, 3.0, 480))
    records = [RawReading("FT-301", int(t), float(v)) for t, v in zip(times, register, strict=True)]
    pipe = Pipeline(saved, clock=lambda: float(NOW))
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def worker(part: list[RawReading], size: int) -> None:
        try:
            for i in range(0, len(part), size):
                outcomes.append(pipe.ingest(E, part[i : i + size], FILE))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    # Each thread sends every fourth reading, so most batches arrive late against the others' readings;
    # batches of 80 are checked column by column, those of 10 record by record.
    threads = [threading.Thread(target=worker, args=(records[k::4], 80 if k % 2 else 10)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(o.rejected for o in outcomes) == 0
    assert sum(o.accepted for o in outcomes) == 480
    for resolution in ("PT15M", "PT1H", "P1D"):
        got = aggregates_of(saved, "FT-301", resolution)
        want = reference(times, register, resolution, totalizer=True)
        assert got["start"].tolist() == want["start"].tolist()
        np.testing.assert_allclose(got["value"], want["value"], rtol=1e-12)
        assert got["count"].tolist() == want["count"].tolist()


def test_a_pipeline_needs_a_sensible_configuration(saved: Store) -> None:
    with pytest.raises(ValueError, match="dividing a day"):
        Pipeline(saved, interval=700)
    with pytest.raises(ValueError, match="future_tolerance"):
        Pipeline(saved, future_tolerance=-1)
    with pytest.raises(ValueError, match="unknown time zone"):
        Pipeline(saved, timezone="Nowhere/Town")
    assert Pipeline(saved, interval=3600).resolutions == ["PT1H", "P1D", "P1M"]
    assert Pipeline(saved, aggregates=False).resolutions == []


def test_a_model_change_is_seen_after_refresh(saved: Store, pipe: Pipeline) -> None:
    assert pipe.ingest(E, [RawReading("FT-101", "2021-03-02 00:00", 1.0)], FILE).accepted == 1
    model = saved.load_enterprise(E)
    later = dataclasses.replace(model.meter("FT-101"), installed=dt.date(2022, 1, 1))
    saved.save_enterprise(
        dataclasses.replace(model, meters=tuple(later if m.id == "FT-101" else m for m in model.meters)),
        replace=True,
    )
    pipe.refresh()
    result = pipe.ingest(E, [RawReading("FT-101", "2021-03-03 00:00", 2.0)], FILE)
    assert result.results[0].reason is Reason.BEFORE_INSTALLED


def test_a_late_register_after_a_bad_one_updates_the_interval_before_it(
    pipe: Pipeline, saved: Store, aggregates_of: Callable[..., Any]
) -> None:
    first = [RawReading("FT-301", T0, 100.0), RawReading("FT-301", T0 + 900, 5.0, None, "bad")]
    assert pipe.ingest(E, first, FILE).accepted == 2
    assert pipe.ingest(E, [RawReading("FT-301", T0 + 1800, 104.0)], FILE).accepted == 1
    volumes = aggregates_of(saved, "FT-301", "PT15M")
    assert (volumes["start"].tolist(), volumes["value"].tolist()) == ([T0], [4.0])  # 100 → 104, filed at T0


def test_replay_finds_a_record_stored_meanwhile(pipe: Pipeline, saved: Store) -> None:
    (waiting,) = pipe.ingest(E, [RawReading("FT-103", NOW + 3600, 1.0)], FILE).results
    later = Pipeline(saved, clock=lambda: float(NOW + 7200))
    assert later.ingest(E, [RawReading("FT-103", NOW + 3600, 1.0)], STRICT).accepted == 1
    result = later.replay(E)
    assert (result.duplicate, result.accepted, result.rejected) == (1, 0, 0)
    assert [q.id for q in saved.list_quarantine(E, replayed=True)] == [waiting.quarantine_id]


# --- large batches are checked column by column, with the results of the record-by-record loop ---


def _large_batch(*, unusual: bool) -> list[RawReading]:
    """80 records of four meters, every check that can fail on its own failing somewhere."""
    records = [
        RawReading("FT-103", T0 + 900 * i, 10.0 + i, None, "suspect" if i % 7 else None) for i in range(40)
    ]
    records += [RawReading("AT-301", T0 + 900 * i, 7.0 + i / 100, None, i % 4) for i in range(30)]
    records += [
        RawReading("FT-301", T0, 100.0),
        RawReading("FT-301", T0 + 900, 101),  # an integer value from JSON
        RawReading("FT-301", T0 + 1800, -3.0),  # below the physical limit
        RawReading("FT-101", 1_614_527_999, 1.0),  # 2021-02-28T23:59:59+08:00: before installation
        RawReading("FT-103", NOW + 301, 1.0),  # in the future
        RawReading("AT-301", T0 + 86_400, 15.2),  # pH above 14
        RawReading("FT-103", T0, 10.0),  # a repeat: duplicate
        RawReading("FT-103", T0 + 900, 99.0),  # a conflict
        RawReading("FT-301", T0 + 2700, 99.0),  # the register falls
        RawReading("FT-301", T0 + 3600, 104.0),
    ]
    if unusual:  # each of these sends the whole batch through the record-by-record loop
        records += [
            RawReading("FT-103", T0 + 90_000, 3.6, "m3/s"),
            RawReading("AT-301", T0 + 90_000, float("nan")),
        ]
    return records


@pytest.mark.parametrize(
    ("unusual", "split"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["columns", "loop", "messages as columns", "messages one by one"],
)
def test_a_large_batch_gets_the_results_of_one_record_at_a_time(
    saved: Store,
    tmp_path: Any,
    regions: Any,
    parks: Any,
    unusual: bool,
    split: bool,
) -> None:
    """One batch, or (split) batches of 8 records committed together as an MQTT worker commits messages."""
    records = _large_batch(unusual=unusual)
    for stamps in ("epoch", "text"):
        if stamps == "text":  # the same instants as local time text, as a CSV file gives them
            zone = dt.timezone(dt.timedelta(hours=8))
            records = [
                r._replace(ts=dt.datetime.fromtimestamp(r.ts, zone).strftime("%Y-%m-%d %H:%M:%S"))
                for r in records
            ]
        with (
            Store.open(f"sqlite:///{tmp_path}/{stamps}-one.db") as alone,
            Store.open(f"sqlite:///{tmp_path}/{stamps}-all.db") as together,
        ):
            for target in (alone, together):
                target.upgrade()
                target.save_model(regions, parks, [saved.load_enterprise(E)])
            one = Pipeline(alone, clock=lambda: float(NOW))
            expected = [one.ingest(E, [r], FILE).results[0] for r in records]
            pipeline = Pipeline(together, clock=lambda: float(NOW))
            if split:
                parts = [Batch(E, records[i : i + 8], FILE) for i in range(0, len(records), 8)]
                got = tuple(r for result in pipeline.ingest_many(parts) for r in result.results)
            else:
                got = pipeline.ingest(E, records, FILE).results
            assert [(r.status, r.reason) for r in got] == [(r.status, r.reason) for r in expected]
            for r, e in zip(got, expected, strict=True):  # the same words, but "earlier in the batch"
                assert r.message.replace("sent earlier in the batch", "stored") == e.message
            for meter in ("FT-103", "AT-301", "FT-301"):
                a, b = alone.read_readings(E, meter), together.read_readings(E, meter)
                assert a.equals(b), meter
                for resolution in ("PT15M", "PT1H", "P1D", "P1M"):
                    assert alone.read_aggregates(E, meter, resolution).equals(
                        together.read_aggregates(E, meter, resolution)
                    ), (meter, resolution)
    assert Counter(r.reason for r in got if r.reason) == Counter(
        {Reason.IMPLAUSIBLE_VALUE: 2, Reason.BEFORE_INSTALLED: 1, Reason.FUTURE_TIMESTAMP: 1,
         Reason.CONFLICT: 1, Reason.TOTALIZER_BACKWARDS: 1, **({Reason.NOT_FINITE: 1} if unusual else {})}
    )  # fmt: skip


@pytest.mark.parametrize("unit", ["L/s", "m3/h", "kPa"])
def test_a_large_batch_with_one_unit_on_every_record_gets_the_results_of_one_record_at_a_time(
    saved: Store, tmp_path: Any, regions: Any, parks: Any, unit: str
) -> None:
    """A gateway's JSON gives each reading its unit; one unit for all is checked as columns ("kPa": wrongly)."""
    records = [RawReading("FT-103", T0 + 900 * i, 2.0 + i / 10, unit, "good") for i in range(66)]
    records += [
        RawReading("FT-103", T0 + 900, 2.1, unit),  # a repeat: duplicate
        RawReading("FT-103", T0 + 1800, 9.0, unit),  # a conflict
        RawReading("FT-103", NOW + 301, 1.0, unit),  # in the future
    ]
    with (
        Store.open(f"sqlite:///{tmp_path}/one.db") as alone,
        Store.open(f"sqlite:///{tmp_path}/all.db") as together,
    ):
        for target in (alone, together):
            target.upgrade()
            target.save_model(regions, parks, [saved.load_enterprise(E)])
        one = Pipeline(alone, clock=lambda: float(NOW))
        expected = [one.ingest(E, [r], STRICT).results[0] for r in records]
        got = Pipeline(together, clock=lambda: float(NOW)).ingest(E, records, STRICT).results
        assert [(r.status, r.reason) for r in got] == [(r.status, r.reason) for r in expected]
        for r, e in zip(got, expected, strict=True):
            assert r.message.replace("sent earlier in the batch", "stored") == e.message
        assert together.read_readings(E, "FT-103").equals(alone.read_readings(E, "FT-103"))
        assert [q.payload for q in together.list_quarantine(E)] == [
            q.payload for q in alone.list_quarantine(E)
        ]
    reasons = Counter(r.reason for r in got if r.reason)
    if unit == "kPa":
        assert reasons == {Reason.WRONG_UNIT: len(records)}
        assert "unit 'kPa' is not a unit of flow_rate" in got[0].message
    else:
        assert reasons == {Reason.CONFLICT: 1, Reason.FUTURE_TIMESTAMP: 1}


@pytest.mark.parametrize(
    ("unusual", "split"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["columns", "loop", "messages as columns", "messages one by one"],
)
def test_batches_given_as_columns_get_what_the_same_records_get(
    saved: Store, tmp_path: Any, regions: Any, parks: Any, unusual: bool, split: bool
) -> None:
    """Results, quarantine (ids and payloads), readings and aggregates of ingest_columns and ingest_many agree."""
    records = [r._replace(row=n) for n, r in enumerate(_large_batch(unusual=unusual), start=1)]
    size = 8 if split else len(records)
    parts = [records[i : i + size] for i in range(0, len(records), size)]
    with (
        Store.open(f"sqlite:///{tmp_path}/records.db") as as_records,
        Store.open(f"sqlite:///{tmp_path}/columns.db") as as_columns,
    ):
        for target in (as_records, as_columns):
            target.upgrade()
            target.save_model(regions, parks, [saved.load_enterprise(E)])
        expected = Pipeline(as_records, clock=lambda: float(NOW)).ingest_many(
            [Batch(E, part, FILE) for part in parts]
        )
        got = Pipeline(as_columns, clock=lambda: float(NOW)).ingest_columns(
            [ColumnBatch(E, Columns.of(part), FILE) for part in parts]
        )
        assert got == expected
        assert any(r.status is Status.REJECTED for result in got for r in result.results)
        assert [(q.id, q.reason, q.message, q.payload) for q in as_columns.list_quarantine(E)] == [
            (q.id, q.reason, q.message, q.payload) for q in as_records.list_quarantine(E)
        ]
        for meter in ("FT-103", "AT-301", "FT-301"):
            assert as_columns.read_readings(E, meter).equals(as_records.read_readings(E, meter)), meter
            for resolution in ("PT15M", "P1D"):
                assert as_columns.read_aggregates(E, meter, resolution).equals(
                    as_records.read_aggregates(E, meter, resolution)
                ), (meter, resolution)


def test_columns_of_a_notarised_meter_need_the_signed_flag(pipe: Pipeline, saved: Store) -> None:
    LedgerStore(saved).set_meters(E, ["FT-103"], device="gw-7")
    count = 70
    columns = Columns(["FT-103"] * count, [T0 + 900 * i for i in range(count)], [5.0] * count,
                      [None] * count, [None] * count, range(1, count + 1))  # fmt: skip
    (refused,) = pipe.ingest_columns([ColumnBatch(E, columns, FILE)])
    assert {(r.status, r.reason) for r in refused.results} == {(Status.REJECTED, Reason.UNSIGNED)}
    assert json.loads(saved.list_quarantine(E)[-1].payload)["row"] == count
    (signed,) = pipe.ingest_columns([ColumnBatch(E, columns, FILE)], signed=True)
    assert signed.accepted == count


# --- meters that take device-signed batches only ----------------------------------------------------


def test_unsigned_readings_of_a_notarised_meter_are_refused(pipe: Pipeline, saved: Store) -> None:
    LedgerStore(saved).set_meters(E, ["FT-103"], device="gw-7")  # unsigned ingestion not allowed
    records = [RawReading("FT-103", T0 + 900 * i, 5.0) for i in range(70)]
    records += [RawReading("PT-201", T0 + 900 * i, 0.4) for i in range(70)]  # not notarised
    result = pipe.ingest(E, records, FILE)
    refused = result.results[:70]
    assert {(r.status, r.reason) for r in refused} == {(Status.REJECTED, Reason.UNSIGNED)}
    assert "takes device-signed batches only" in refused[0].message
    assert "--allow-unsigned" in refused[0].message
    assert result.accepted == 70
    assert saved.count_readings(E) == 70 and saved.count_quarantine(E) == {"unsigned": 70}
    signed = pipe.ingest(E, [RawReading("FT-103", T0, 5.0)], FILE, signed=True)  # the notary's path
    assert signed.results[0].status is Status.ACCEPTED
    LedgerStore(saved).set_meters(E, ["FT-103"], unsigned_allowed=True)
    pipe.refresh()
    replayed = pipe.replay(E, reason="unsigned")
    assert (replayed.accepted, replayed.duplicate, replayed.rejected) == (69, 1, 0)


def test_a_commit_mixing_enterprises_and_units_gets_what_each_batch_gets_alone(
    saved: Store, tmp_path: Any, regions: Any, parks: Any, make_enterprise: Any
) -> None:
    """A worker's commit of several gateways' messages: each enterprise's are checked together, in arrival order.

    The batches of one enterprise, zone and unit are joined and checked as columns; a batch
    of another unit is checked in its own group, yet a repeat still loses to what arrived first.
    """
    other = "hx-steel"
    enterprises = [saved.load_enterprise(E), make_enterprise(other)]
    litres = Source(Origin.MQTT, "shuixiao/v1/xg-steel/batch", "Asia/Shanghai", "L/s")
    hours = Source(Origin.MQTT, "shuixiao/v1/xg-steel/batch", "Asia/Shanghai", "m3/h")

    def columns(start: int, value: float) -> Columns:
        times = [T0 + 900 * i for i in range(start, start + 80)]
        return Columns(["FT-103"] * 80, times, [value + i for i in range(80)], [None] * 80, [None] * 80,
                       range(1, 81))  # fmt: skip

    batches = [
        ColumnBatch(E, columns(0, 36.0), hours),
        ColumnBatch(other, columns(0, 50.0), hours),
        ColumnBatch(E, columns(120, 10.0), litres),  # arrives before the batch below, which repeats 40 times
        ColumnBatch(E, columns(80, 116.0), hours),
    ]
    with (
        Store.open(f"sqlite:///{tmp_path}/alone.db") as alone,
        Store.open(f"sqlite:///{tmp_path}/together.db") as together,
    ):
        for target in (alone, together):
            target.upgrade()
            target.save_model(regions, parks, enterprises)
        one = Pipeline(alone, clock=lambda: float(NOW))
        expected = [one.ingest_columns([batch])[0] for batch in batches]
        got = Pipeline(together, clock=lambda: float(NOW)).ingest_columns(batches)
        assert [[(r.status, r.reason) for r in g.results] for g in got] == [
            [(r.status, r.reason) for r in e.results] for e in expected
        ]
        assert Counter(r.reason for r in got[3].results if r.reason) == {Reason.CONFLICT: 40}
        assert (got[2].accepted, got[3].accepted) == (80, 40)
        for enterprise in (E, other):
            assert together.read_readings(enterprise, "FT-103").equals(
                alone.read_readings(enterprise, "FT-103")
            )
            for resolution in ("PT15M", "P1D"):
                assert together.read_aggregates(enterprise, "FT-103", resolution).equals(
                    alone.read_aggregates(enterprise, "FT-103", resolution)
                ), (enterprise, resolution)


def _late(pipeline: Pipeline, *steps: int) -> None:
    """Ingest FT-103 readings at T0 + 900 * step (value: the step) into the steel works, one commit."""
    pipeline.ingest(E, [RawReading("FT-103", T0 + 900 * s, float(s)) for s in steps], FILE)


def _assert_means_of_every_reading(
    store: Store, aggregates_of: Any, reference: Any, readings_of: Any
) -> None:
    ts, value = readings_of(store, "FT-103")
    for resolution in ("PT15M", "PT1H", "P1D", "P1M"):
        got, want = (
            aggregates_of(store, "FT-103", resolution),
            reference(ts, value, resolution, totalizer=False),
        )
        for column in ("start", "value", "count"):
            np.testing.assert_array_equal(got[column], want[column], err_msg=f"{resolution} {column}")


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record where each window read of the store starts. [s since epoch]"""
    starts: list[int] = []
    real = BulkWriter.read_window

    def read_window(self: BulkWriter, key: int, low: int, high: int, **kwargs: Any) -> Any:
        starts.append(low)
        return real(self, key, low, high, **kwargs)

    monkeypatch.setattr(BulkWriter, "read_window", read_window)
    return starts


def test_a_late_reading_recomputes_its_month_from_its_own_day(
    saved: Store, aggregates_of: Any, reference: Any, readings_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers taking turns on a meter, days into a month: the month is continued from the day's row."""
    one, two = Pipeline(saved, clock=lambda: float(NOW)), Pipeline(saved, clock=lambda: float(NOW))
    _late(one, *range(0, 400, 2))  # four days and more, in order
    starts = _reads(monkeypatch)
    for step in range(401, 441, 4):  # the other adds among this one's latest readings, in turns
        _late(two, step + 2, step + 4)
        _late(one, step, step + 2 + 1)
    day = T0 + 4 * 86_400  # step 401 is on 2024-06-05 (local)
    assert starts and min(starts) == day  # never the month's first days again
    _assert_means_of_every_reading(saved, aggregates_of, reference, readings_of)


def test_a_month_whose_days_keep_no_month_before_is_read_from_its_first_day_once(
    saved: Store, aggregates_of: Any, reference: Any, readings_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Day rows written without ``month_before`` (the demo generator, rows from before migration 0010)."""
    one = Pipeline(saved, clock=lambda: float(NOW))
    _late(one, *range(0, 400, 2))
    with saved.transaction("forgetting month_before", write=True) as connection:
        connection.execute(sa.update(t.aggregates).values(month_before=None))
    starts = _reads(monkeypatch)
    _late(one, 301)  # on the fourth day
    assert starts == [T0]  # the whole month, which gives its days their month_before
    _late(one, 303)
    assert starts == [T0, T0 + 3 * 86_400]
    _assert_means_of_every_reading(saved, aggregates_of, reference, readings_of)
