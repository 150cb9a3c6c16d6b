"""BulkWriter's batched ingestion methods: every meter of a commit in one statement, same answers.

``hold_meters``, ``read_neighbourhoods``, ``read_aggregate_rows``, ``read_day_rows``,
``insert_readings``, ``upsert_aggregates`` and ``read_replacements`` serve all the meters of a commit at
once; they must agree with the per-meter methods and with what is stored, on
SQLite and on PostgreSQL (both the small-statement and the COPY paths).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from shuixiao.errors import InvalidInputError, NotFoundError, StorageError
from shuixiao.model import Enterprise, Origin, Park, Region
from shuixiao.storage import AggregateRow, Store

pytestmark = pytest.mark.integration

T0 = 1_704_038_400  # 2024-01-01T00:00:00+08:00 [s since epoch]
E = "xg-steel"


@pytest.fixture
def saved(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    """A store holding the steel works."""
    store.save_model(regions, parks, [make_enterprise()])
    return store


def test_neighbourhoods_are_the_windows_of_each_meter(saved: Store) -> None:
    keys = saved.meter_keys(E)
    a, b, c = keys["FT-101"], keys["FT-103"], keys["PT-201"]
    ts = T0 + 900 * np.arange(8)
    saved.write_readings(a, ts, np.arange(8.0), [0, 0, 3, 0, 0, 0, 0, 0], Origin.FILE)
    saved.write_readings(b, ts[::2], np.arange(4.0), 0, Origin.FILE)
    bounds = [(a, int(ts[2]) + 1, int(ts[4])), (b, int(ts[3]), int(ts[3])), (c, int(ts[0]), int(ts[7]))]
    with saved.bulk() as writer:
        writer.hold_meters([a, b, c, a])
        owner, window = writer.read_neighbourhoods(*zip(*bounds, strict=True))
        expected = [writer.read_window(k, lo, hi, before=True, after=True) for k, lo, hi in bounds]
    assert owner.tolist() == [a] * 4 + [b] * 2
    assert window.ts.tolist() == [t for w in expected for t in w.ts.tolist()]
    assert window.value.tolist() == [v for w in expected for v in w.value.tolist()]
    assert window.quality.tolist() == [q for w in expected for q in w.quality.tolist()]
    assert (owner.dtype, window.ts.dtype, window.value.dtype, window.quality.dtype) == (
        np.int64,
        np.int64,
        np.float64,
        np.int8,
    )


@pytest.mark.parametrize("size", [3, 2500])  # one INSERT, or COPY on PostgreSQL
def test_readings_of_several_meters_in_one_insert(saved: Store, size: int) -> None:
    keys = saved.meter_keys(E)
    meters = np.array([keys["FT-101"], keys["FT-103"]] * size)[:size]
    ts = T0 + 900 * np.arange(size)
    with saved.bulk() as writer:
        writer.hold_meters(set(meters.tolist()))
        assert writer.insert_readings(meters, ts, ts * 0.5, np.zeros(size, int), np.full(size, 2)) == size
    frame = saved.read_readings(E, "FT-101")
    assert frame["value"].tolist() == (ts[::2] * 0.5).tolist()
    assert set(frame["origin"].tolist()) == {2}
    assert saved.count_readings(E) == size


def test_a_reading_stored_already_fails_the_commit(saved: Store) -> None:
    key = saved.meter_keys(E)["FT-103"]
    saved.write_readings(key, [T0], [1.0], 0, Origin.FILE)
    with pytest.raises(StorageError), saved.bulk() as writer:
        writer.insert_readings([key, key], [T0 + 900, T0], [2.0, 3.0], [0, 0], [2, 2])
    assert saved.read_readings(E, "FT-103")["value"].tolist() == [1.0]  # nothing of the commit stays


def test_bad_rows_are_refused_before_anything_is_written(saved: Store) -> None:
    key = saved.meter_keys(E)["FT-103"]
    with saved.bulk() as writer:
        with pytest.raises(InvalidInputError, match="finite"):
            writer.insert_readings([key], [T0], [float("nan")], [0], [2])
        with pytest.raises(InvalidInputError, match="origin"):
            writer.insert_readings([key], [T0], [1.0], [0], [99])
        with pytest.raises(NotFoundError, match="no meter has key"):
            writer.insert_readings([999_999], [T0], [1.0], [0], [2])
        with pytest.raises(InvalidInputError, match="resolutions"):
            writer.upsert_aggregates([key], ["15min"], [T0], [1.0], [1.0], [1.0], [1], [0])
        with pytest.raises(InvalidInputError, match="above maximum"):
            writer.upsert_aggregates([key], ["PT15M"], [T0], [1.0], [2.0], [1.0], [1], [0])
    assert saved.count_readings(E) == 0


@pytest.mark.parametrize("size", [5, 3000])  # one INSERT … SELECT, or COPY through a staging table
def test_aggregates_of_several_meters_and_resolutions_in_one_upsert(saved: Store, size: int) -> None:
    keys = saved.meter_keys(E)
    a, b = keys["FT-101"], keys["FT-103"]
    starts = T0 + 900 * np.arange(size)
    meters = np.where(np.arange(size) % 2, a, b)
    names = ["PT15M" if i % 3 else "PT1H" for i in range(size)]
    value = np.arange(size, dtype=float)
    before = np.where(np.arange(size) % 4 == 0, np.nan, value / 2)  # NaN: not kept
    with saved.bulk() as writer:
        writer.hold_meters([a, b])
        written = writer.upsert_aggregates(meters, names, starts, value, value - 1, value + 1, 4, 1, before)
        assert written == size
        again = writer.upsert_aggregates([a], [names[1]], [starts[1]], [-5.0], [-6.0], [0.0], [2], [3])
        assert again == 1
        found = writer.read_aggregate_rows(
            [a, a, b, b], [names[1], "P1D", names[0], names[2]], [starts[1], T0, starts[0], starts[2]]
        )
    assert found == [
        AggregateRow(-5.0, -6.0, 0.0, 2, 3, None),  # written again without month_before: not kept
        None,
        AggregateRow(0.0, -1.0, 1.0, 4, 1, None),
        AggregateRow(2.0, 1.0, 3.0, 4, 1, 1.0),
    ]
    hourly = saved.read_aggregates(E, "FT-103", "PT1H")
    chosen = (meters == b) & (np.array(names) == "PT1H")
    assert hourly["start"].dt.as_unit("s").astype("int64").tolist() == starts[chosen].tolist()
    assert hourly["value"].tolist() == value[chosen].tolist()


def test_day_rows_of_several_meters(saved: Store) -> None:
    keys = saved.meter_keys(E)
    a, b, c = keys["FT-101"], keys["FT-103"], keys["PT-201"]
    days = T0 + 86_400 * np.arange(4)
    with saved.bulk() as writer:
        writer.hold_meters([a, b, c])
        writer.upsert_aggregates(
            [a] * 4 + [b] * 2 + [a],
            ["P1D"] * 6 + ["P1M"],
            [*days, *days[:2], T0],
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0],
            [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 0.5],
            [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 4.5],
            [4, 3, 2, 1, 6, 5, 10],
            [0, 1, 2, 0, 0, 0, 2],
            [0.0, 1.0, 3.0, np.nan, 0.0, 5.0, np.nan],
        )
        rows = writer.read_day_rows([b, a, c], [T0, int(days[1]), T0], [T0, int(days[3]) - 1, int(days[3])])
    rows_of = {
        a: [(int(days[1]), 1.5, 2.5, 3, 1, 1.0), (int(days[2]), 2.5, 3.5, 2, 2, 3.0)],
        b: [(T0, 4.5, 5.5, 6, 0, 0.0)],
    }
    assert rows.key.tolist() == [k for k in sorted(rows_of) for _ in rows_of[k]]  # by meter key, then day
    got = zip(
        rows.start, rows.minimum, rows.maximum, rows.count, rows.quality, rows.month_before, strict=True
    )
    assert [tuple(x.item() for x in row) for row in got] == [r for k in sorted(rows_of) for r in rows_of[k]]
    with saved.bulk() as writer:
        empty = writer.read_day_rows([c], [T0], [int(days[3])])
        with pytest.raises(InvalidInputError, match="same length"):
            writer.read_day_rows([a, b], [T0], [T0])
        with pytest.raises(InvalidInputError, match="month_before"):
            writer.upsert_aggregates([a], ["P1D"], [T0], [1.0], [1.0], [1.0], [1], [0], [np.inf])
    assert empty.key.size == 0 and empty.month_before.dtype == np.float64


def test_replacements_of_the_meters_asked_for(saved: Store) -> None:
    keys = saved.meter_keys(E)
    when = dt.datetime.fromtimestamp(T0, dt.UTC)
    saved.add_meter_event(E, "FT-301", when + dt.timedelta(hours=2), "replacement", {"old_register": 9.5})
    saved.add_meter_event(E, "FT-301", when, "replacement", {"old_register": 1.0, "new_register": 0.0})
    saved.add_meter_event(E, "FT-301", when, "calibration", {"by": "lab"})
    saved.add_meter_event(E, "FT-102", when, "replacement", {"old_register": 2.0, "new_register": 0.0})
    with saved.bulk() as writer:
        found = writer.read_replacements([keys["FT-301"], keys["FT-101"]])
    assert found == [
        (keys["FT-301"], T0, {"old_register": 1.0, "new_register": 0.0}),
        (keys["FT-301"], T0 + 7200, {"old_register": 9.5}),
    ]


def test_hold_meters_serialises_writers_of_a_meter(saved: Store) -> None:
    keys = saved.meter_keys(E)
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with saved.bulk() as writer:
            writer.hold_meters([keys["FT-103"], keys["FT-101"]])
            order.append("first held")
            holding.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    with saved.bulk() as writer:
        writer.hold_meters([keys["FT-101"]])
        order.append("second held")
    thread.join()
    assert order == ["first held", "first done", "second held"]
