"""Aggregates maintained on ingestion equal the demo generator's: replayed data gives the same stored intervals.

The demo generator computes each meter's aggregates over the whole period at
once (``EnterpriseData.aggregates``).  Ingesting its readings through the
pipeline, in shuffled order and small batches, or through a CSV file in small
chunks, must leave exactly (bit for bit) the same aggregates in the store:
totalizer volumes across a register rollover and a meter replacement, means
with analyser calibrations flagged bad left out, on the Asia/Shanghai calendar.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuixiao.demo import DemoConfig, EnterpriseData, build_park, simulate
from shuixiao.ingest import FileOptions, Pipeline, RawReading, Source, import_file
from shuixiao.ingest._aggregates import bucket_bounds
from shuixiao.model import Origin
from shuixiao.series import bucket_starts
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=1, days=3, seed=11, start=dt.date(2025, 1, 30))
"""Three days across a month end, with the steel works' rollover and replacement inside."""


@pytest.fixture(scope="module")
def demo() -> tuple[Any, EnterpriseData]:
    park = build_park(CONFIG)
    return park, next(simulate(park, CONFIG))


def _save(store: Store, park: Any, data: EnterpriseData) -> None:
    store.save_model(park.regions, (park.park,), (data.enterprise,))
    for event in data.events:  # recorded by the plant as they happen
        when = dt.datetime.fromtimestamp(event.ts, dt.UTC)
        store.add_meter_event(data.enterprise.id, event.meter_id, when, event.kind, event.detail)


def _records(data: EnterpriseData) -> Iterator[tuple[int, str, float, int]]:
    for series in data.series:
        for ts, value, quality in zip(
            series.ts.tolist(), series.value.tolist(), series.quality.tolist(), strict=True
        ):
            yield ts, series.meter_id, value, quality


def _assert_same(store: Store, data: EnterpriseData, aggregates_of: Callable[..., Any]) -> None:
    assert {e.kind for e in data.events} == {"rollover", "replacement"}
    for expected in data.aggregates:
        got = aggregates_of(store, expected.meter_id, expected.resolution, enterprise=data.enterprise.id)
        where = f"{expected.meter_id} {expected.resolution}"
        np.testing.assert_array_equal(got["start"], expected.start, err_msg=where)
        for column in ("value", "minimum", "maximum", "count", "quality"):
            np.testing.assert_array_equal(got[column], getattr(expected, column), err_msg=f"{where} {column}")


def test_pipeline_ingestion_reproduces_the_demo_aggregates(
    store: Store, demo: tuple[Any, EnterpriseData], aggregates_of: Callable[..., Any]
) -> None:
    park, data = demo
    _save(store, park, data)
    rows = list(_records(data))
    order = np.random.default_rng(3).permutation(len(rows))  # arrival in any order
    records = [RawReading(m, ts, v, None, q) for ts, m, v, q in (rows[i] for i in order)]
    pipeline = Pipeline(store, interval=CONFIG.interval)
    source = Source(Origin.MQTT, "replay")
    for first in range(0, len(records), 1500):
        result = pipeline.ingest(data.enterprise.id, records[first : first + 1500], source)
        assert result.rejected == 0, result.reasons()
    assert store.count_readings(data.enterprise.id) == len(records)
    _assert_same(store, data, aggregates_of)


def test_file_import_reproduces_the_demo_aggregates(
    store: Store, demo: tuple[Any, EnterpriseData], aggregates_of: Callable[..., Any], tmp_path: Path
) -> None:
    park, data = demo
    _save(store, park, data)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["时间戳", "表号", "读数", "quality"])
        for ts, meter, value, quality in sorted(_records(data)):
            local = dt.datetime.fromtimestamp(ts, shanghai).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([local, meter, repr(value), quality])
    options = FileOptions(
        timestamp_column="时间戳", meter_column="表号", value_column="读数", chunk_size=2000
    )
    report = import_file(store, path, data.enterprise.id, options)
    assert (report.rejected, report.accepted) == (0, report.records)
    _assert_same(store, data, aggregates_of)
    again = import_file(
        store, path, data.enterprise.id, options
    )  # a file imported twice stores nothing twice
    assert (again.accepted, again.duplicate) == (0, report.records)
    _assert_same(store, data, aggregates_of)


@pytest.mark.unit
@settings(max_examples=300, deadline=None)
@given(
    ts=st.integers(min_value=0, max_value=4_102_444_800),
    resolution=st.sampled_from(["PT5M", "PT15M", "PT1H", "P1D", "P1M"]),
    tz=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]),
)
def test_bucket_bounds_agree_with_bucket_starts(ts: int, resolution: str, tz: str) -> None:
    start, end = bucket_bounds(ts, resolution, ZoneInfo(tz))
    assert start <= ts < end
    assert start == int(bucket_starts([ts], resolution, tz)[0])
    assert end == int(bucket_starts([end], resolution, tz)[0])  # the next bucket starts where this one ends
