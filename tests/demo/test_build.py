"""Tests of shuixiao.demo.build: the demo park written to a store (SQLite and PostgreSQL) and to files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from shuixiao.demo import DemoConfig, build_park, simulate
from shuixiao.demo.build import build_demo, demo_exists
from shuixiao.errors import InvalidInputError
from shuixiao.io import read_model_file
from shuixiao.leaks import read_sensors
from shuixiao.storage import Store
from shuixiao.units import to_canonical

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG = DemoConfig(enterprises=6, days=3, seed=11, start=dt.date(2025, 7, 1))


def test_build_writes_everything(store: Store, tmp_path: Path) -> None:
    report = build_demo(store, CONFIG, tmp_path)
    generated = list(simulate(build_park(CONFIG), CONFIG))

    assert report.enterprises == 6 == len(store.list_enterprises())
    assert report.readings == sum(len(s.ts) for d in generated for s in d.series) == store.count_readings()
    assert report.meters == sum(len(d.enterprise.meters) for d in generated)
    assert demo_exists(store, CONFIG) == 6

    for data in generated:
        e = data.enterprise
        assert store.load_enterprise(e.id) == e
        # The model file beside the database reads back as the stored enterprise.
        assert read_model_file(tmp_path / "models" / f"{e.id}.yaml").enterprises == (e,)
        assert (tmp_path / "networks" / f"{e.id}.inp").read_text().startswith("[TITLE]")
        sensors = read_sensors(tmp_path / "networks" / f"{e.id}.sensors.yaml")
        assert {s.type for s in sensors.values()} == {"pressure", "flow", "demand"}
        assert {m.id for m in e.meters if m.level == 2} & set(sensors)  # the workshop meters
        own = read_sensors(tmp_path / "networks" / f"{e.id}.meters.yaml")
        assert set(own) <= {m.id for m in e.meters} and {s.type for s in own.values()} <= {"flow", "demand"}
        assert {m.id for m in e.meters if m.level == 2} & set(own)
        assert len(store.list_meter_events(e.id)) == len(data.events)

    # Readings are stored in canonical units: a meter reporting in another unit is converted.
    converted = [
        (d.enterprise, s)
        for d in generated
        for s in d.series
        if d.enterprise.meter(s.meter_id).unit not in ("m³", "m3", "m³/h", "m3/h", "pH", "°C", "µS/cm", "NTU")
    ]
    assert converted, "the demo has meters reporting in non-canonical units (L/s, MPa)"
    enterprise, series = converted[0]
    meter = enterprise.meter(series.meter_id)
    stored = store.read_readings(enterprise.id, meter.id)
    np.testing.assert_allclose(
        stored["value"].to_numpy(), to_canonical(series.value, meter.unit, meter.quantity)
    )
    assert stored["ts"].iloc[0].to_pydatetime() == dt.datetime.fromtimestamp(int(series.ts[0]), dt.UTC)

    # Daily aggregates are stored as generated.
    daily = next(a for d in generated for a in d.aggregates if a.resolution == "P1D")
    owner = next(d.enterprise for d in generated if daily.meter_id in {m.id for m in d.enterprise.meters})
    stored_daily = store.read_aggregates(owner.id, daily.meter_id, "P1D")
    np.testing.assert_allclose(stored_daily["value"].to_numpy(), daily.value)

    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["config"]["seed"] == 11
    assert set(truth["enterprises"]) == {d.enterprise.id for d in generated}


def test_build_twice_needs_replace(store: Store, tmp_path: Path) -> None:
    small = DemoConfig(enterprises=1, days=1, seed=3)
    build_demo(store, small, tmp_path)
    with pytest.raises(InvalidInputError, match="--replace"):
        build_demo(store, small, tmp_path)
    report = build_demo(store, small, tmp_path, replace=True)
    assert store.count_readings() == report.readings
