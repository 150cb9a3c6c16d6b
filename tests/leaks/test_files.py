"""The sensor, readings, truth and events files: round trips and clear errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuixiao.errors import InvalidInputError, ModelValidationError
from shuixiao.leaks import (
    Candidate,
    Leak,
    LeakEvent,
    Location,
    Sensor,
    read_events,
    read_readings,
    read_sensors,
    read_truth,
    write_events,
    write_readings,
    write_sensors,
    write_truth,
)

from .conftest import T0

pytestmark = pytest.mark.unit

SENSORS = {
    "P-J2": Sensor("pressure", node="J2"),
    "Q-P1": Sensor("flow", link="P1"),
    "Q-R": Sensor("flow", node="R"),
    "D-J4": Sensor("demand", node="J4"),
}


def test_sensors_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sensors.yaml"
    write_sensors(SENSORS, path)
    assert read_sensors(path) == SENSORS
    assert "unit: m³/h" in path.read_text(encoding="utf-8")


def test_sensor_file_problems_are_all_listed(tmp_path: Path) -> None:
    path = tmp_path / "sensors.yaml"
    path.write_text(
        "A: {type: pressure, node: J1}\n"
        "B: {type: level, node: J1}\n"
        "C: {type: demand, link: P1}\n"
        "D: {type: pressure, node: J1, unit: bar}\n"
        "E: [1, 2]\n",
        encoding="utf-8",
    )
    with pytest.raises(ModelValidationError) as info:
        read_sensors(path)
    text = info.value.diagnostics()
    assert "4 problems" in text and "B.type" in text and "D.unit" in text and "C" in text
    with pytest.raises(InvalidInputError, match="no such file"):
        read_sensors(tmp_path / "missing.yaml")
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        read_sensors(path)


def test_readings_round_trip_keeps_offsets_and_gaps(tmp_path: Path) -> None:
    index = pd.date_range(pd.Timestamp(T0), periods=4, freq="5min")
    wide = pd.DataFrame({"P-J2": [40.1, 40.2, np.nan, 40.0], "Q-P1": [12.5, 12.25, 12.0, 13.0]}, index=index)
    path = tmp_path / "readings.csv"
    write_readings(wide, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "timestamp,sensor,value"
    assert lines[1] == "2025-01-01T00:00:00+08:00,P-J2,40.1"
    assert lines[5] == "2025-01-01T00:10:00+08:00,P-J2,"
    back = read_readings(path, SENSORS)
    pd.testing.assert_frame_equal(back, wide, check_freq=False, check_names=False)
    assert str(back.index.tz) == "UTC+08:00"


def test_readings_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    cases = {
        "time,sensor,value\n2025-01-01T00:00+08:00,P-J2,1\n": "line 1: the header",
        "timestamp,sensor,value\nyesterday,P-J2,1\n": "line 2: 'yesterday' is not an ISO 8601",
        "timestamp,sensor,value\n2025-01-01T00:00+08:00,P-J2,1\n2025-01-01T00:05+08:00,P-J2,high\n": "line 3: 'high'",
        "timestamp,sensor,value\n2025-01-01T00:00+08:00,P-J2,1\n2025-01-01T00:05,P-J2,1\n": "line 3: give every",
        "timestamp,sensor,value\n": "no readings",
        "timestamp,sensor,value\n2025-01-01T00:00+08:00,,1\n": "line 2: the sensor id is empty",
        'timestamp,sensor,value\n2025-01-01T00:00+08:00,"P-J2,1\n': "not a readable CSV",
    }
    for text, message in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidInputError, match=message):
            read_readings(path, SENSORS)
    path.write_text("timestamp,sensor,value\n2025-01-01T00:00+08:00,X-1,1\n2025-01-01T00:00+08:00,X-2,1\n")
    with pytest.raises(InvalidInputError, match="sensors not in the sensor file: X-1, X-2"):
        read_readings(path, SENSORS)
    with pytest.raises(InvalidInputError, match="no such file"):
        read_readings(tmp_path / "missing.csv")


def test_truth_round_trip(tmp_path: Path) -> None:
    leaks = [
        Leak(Location("pipe", "P2"), T0, None, 5.5, id="L1"),
        Leak(
            Location("node", "J4"),
            T0,
            T0 + dt.timedelta(days=2),
            3.0,
            "incipient",
            T0 + dt.timedelta(days=1),
            "L2",
        ),
    ]
    period = (T0, T0 + dt.timedelta(days=3))
    for name in ("truth.yaml", "truth.json"):
        path = tmp_path / name
        write_truth(leaks, path, period=period, network="line")
        assert read_truth(path) == (leaks, period)
    path = tmp_path / "bad.yaml"
    path.write_text(
        "leaks:\n- {pipe: P2, node: J1, start: 2025-01-01T00:00:00+08:00, peak_flow_m3h: 1}\n"
        "- {pipe: P2, start: 2025-01-01T00:00:00, peak_flow_m3h: 1}\n"
        "- {pipe: P2, start: 2025-01-01T00:00:00+08:00}\n",
        encoding="utf-8",
    )
    with pytest.raises(ModelValidationError) as info:
        read_truth(path)
    assert "3 problems" in str(info.value)


def test_events_round_trip_and_bare_lists(tmp_path: Path) -> None:
    events = [
        LeakEvent(
            T0, T0 + dt.timedelta(minutes=10), None, 4.2, (Candidate(Location("pipe", "P2"), 0.97),), 120.0
        ),
        LeakEvent(T0, T0, T0 + dt.timedelta(hours=3), 1.0, (Candidate(Location("node", "J3"), 0.5),)),
    ]
    path = tmp_path / "events.json"
    write_events(events, path, network="line")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "shuixiao-leak-events/1" and data["network"] == "line"
    assert data["events"][0]["candidates"][0] == {"pipe": "P2", "score": 0.97}
    back = read_events(path)
    assert back[0] == events[0]
    assert back[1].uncertainty != back[1].uncertainty  # NaN written as null and read back as NaN
    path.write_text(json.dumps([{"start": "2025-01-01T00:00:00+08:00", "candidates": [{"pipe": "P1"}]}]))
    (bare,) = read_events(path)
    assert bare.detected == bare.start and bare.best == Location("pipe", "P1")
    path.write_text(json.dumps({"events": [{"candidates": [{"pipe": "P1", "node": "J1"}]}]}))
    with pytest.raises(ModelValidationError):
        read_events(path)
    path.write_text("{}")
    with pytest.raises(InvalidInputError, match="expected a list of events"):
        read_events(path)
