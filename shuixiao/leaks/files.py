"""The leak engine's file formats: sensors, readings, ground truth and events.

=================  =======  ==============================================================
file               format   content
=================  =======  ==============================================================
``SENSORS.yaml``   YAML     sensor id → ``{type: pressure|flow|demand, node: ID}`` or
                            ``{type: flow, link: ID}``; optional ``unit`` (``m`` for
                            pressure, ``m³/h`` for flow and demand: the only units accepted)
readings           CSV      ``timestamp,sensor,value``, one reading a row; ISO 8601
                            timestamps, all with a UTC offset or all without; pressure in
                            m head, flow and demand in m³/h; an empty value is missing
truth              YAML or  ``period: {start, end}`` and ``leaks:`` a list of
                   JSON     ``{id, pipe|node, start, end|null, peak_flow_m3h, shape,
                            peak_time}``
events             JSON     ``{"format": "shuixiao-leak-events/1", "events": [{start,
                            detected, end|null, flow_m3h, uncertainty_m, candidates:
                            [{pipe|node: ID, score}]}]}``, best candidate first; a bare list
                            of events is read too
=================  =======  ==============================================================

Readers raise :class:`~shuixiao.errors.InvalidInputError` (or
:class:`~shuixiao.errors.ModelValidationError` with every problem) naming the file and,
for CSV, the line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from shuixiao.errors import InvalidInputError, ModelValidationError, Problem
from shuixiao.leaks._records import SENSOR_TYPES, Candidate, Leak, LeakEvent, Sensor
from shuixiao.leaks.network import Location

__all__ = [
    "EVENTS_FORMAT",
    "interval_readings",
    "read_events",
    "read_readings",
    "read_sensors",
    "read_truth",
    "to_long",
    "write_events",
    "write_readings",
    "write_sensors",
    "write_truth",
]

EVENTS_FORMAT = "shuixiao-leak-events/1"
"""Value of the ``format`` key of an events file."""

_UNITS = {"pressure": ("m", "mH2O", "mH₂O"), "flow": ("m³/h", "m3/h"), "demand": ("m³/h", "m3/h")}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InvalidInputError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInputError(f"{path}: cannot read it ({err})") from err


def _load(path: Path) -> Any:
    text = _read_text(path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise InvalidInputError(
            f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'} ({err})"
        ) from err


# --- sensors -------------------------------------------------------------------------------------


def read_sensors(path: str | Path) -> dict[str, Sensor]:
    """Read a sensor file.

    Parameters
    ----------
    path : str or pathlib.Path
        YAML (or JSON) mapping of sensor id to ``{type, node | link[, unit]}``, at the top
        level or under a ``sensors:`` key.

    Returns
    -------
    dict of str to Sensor

    Raises
    ------
    ModelValidationError
        Listing every malformed entry.
    """
    file = Path(path)
    data = _load(file)
    if isinstance(data, dict) and set(data) == {"sensors"}:
        data = data["sensors"]
    if not isinstance(data, dict) or not data:
        raise InvalidInputError(f"{file}: expected a mapping of sensor id to {{type, node | link}}")
    sensors: dict[str, Sensor] = {}
    problems: list[Problem] = []
    for sid, spec in data.items():
        where = str(sid)
        if not isinstance(spec, dict):
            problems.append(
                Problem(where, "give {type: pressure|flow|demand, node: ID} or {type: flow, link: ID}")
            )
            continue
        extra = set(spec) - {"type", "node", "link", "unit"}
        if extra:
            problems.append(Problem(where, f"unknown keys {', '.join(sorted(map(str, extra)))}"))
            continue
        kind = spec.get("type")
        if kind not in SENSOR_TYPES:
            problems.append(Problem(f"{where}.type", f"{kind!r} is not pressure, flow or demand"))
            continue
        unit = spec.get("unit")
        if unit is not None and str(unit) not in _UNITS[kind]:
            problems.append(
                Problem(f"{where}.unit", f"{kind} readings must be in {_UNITS[kind][0]}, not {unit}")
            )
            continue
        node, link = spec.get("node"), spec.get("link")
        try:
            sensors[str(sid)] = Sensor(
                kind, node=None if node is None else str(node), link=None if link is None else str(link)
            )
        except InvalidInputError as err:
            problems.append(Problem(where, str(err)))
    if problems:
        raise ModelValidationError(problems, source=str(file))
    return sensors


def write_sensors(sensors: Mapping[str, Sensor], path: str | Path) -> None:
    """Write a sensor file (YAML), with each sensor's unit."""
    data = {}
    for sid, s in sensors.items():
        entry: dict[str, str] = {"type": s.type}
        if s.node is not None:
            entry["node"] = s.node
        if s.link is not None:
            entry["link"] = s.link
        entry["unit"] = s.unit
        data[sid] = entry
    Path(path).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- readings ------------------------------------------------------------------------------------


def _timestamps(values: pd.Series, file: Path) -> pd.DatetimeIndex:
    """Parse ISO 8601 timestamps; all with an offset (converted to the first one's) or none."""
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        line = int(bad[0]) + 2
        raise InvalidInputError(f"{file}, line {line}: {values.iloc[bad[0]]!r} is not an ISO 8601 timestamp")
    first = pd.Timestamp(values.iloc[0])
    aware = values.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if aware.any() and not aware.all():
        line = (
            int(np.flatnonzero(~aware.to_numpy())[0]) + 2
            if aware.iloc[0]
            else int(np.flatnonzero(aware.to_numpy())[0]) + 2
        )
        raise InvalidInputError(f"{file}, line {line}: give every timestamp with a UTC offset, or none")
    if first.tzinfo is None:
        return pd.DatetimeIndex(parsed.dt.tz_localize(None))
    return pd.DatetimeIndex(parsed.dt.tz_convert(first.tzinfo))


def read_readings(path: str | Path, sensors: Mapping[str, Sensor] | None = None) -> pd.DataFrame:
    """Read a long readings CSV into one column per sensor.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with the header ``timestamp,sensor,value``.
    sensors : mapping of str to Sensor, optional
        When given, every sensor id in the file must be one of them.

    Returns
    -------
    pandas.DataFrame
        Indexed by timestamp (timezone-aware when the file gives offsets), one column per
        sensor id, NaN where a reading is missing; pressure [m], flow and demand [m³/h].

    Raises
    ------
    InvalidInputError
        For a missing file, a wrong header, a timestamp or value that does not parse (with
        its line), or unknown sensor ids (all listed).
    """
    file = Path(path)
    if not file.exists():
        raise InvalidInputError(f"{file}: no such file")
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InvalidInputError(
            f"{file}: not a readable CSV file ({str(err).strip().splitlines()[0]})"
        ) from err
    header = [c.strip() for c in raw.columns]
    if header != ["timestamp", "sensor", "value"]:
        raise InvalidInputError(
            f"{file}, line 1: the header must be timestamp,sensor,value, not {','.join(header)}"
        )
    if raw.empty:
        raise InvalidInputError(f"{file}: no readings")
    raw.columns = header
    stamps = _timestamps(raw["timestamp"].str.strip(), file)
    text = raw["value"].str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = np.flatnonzero(
        (values.isna() & (text != "")).to_numpy() | ~np.isfinite(values.fillna(0.0).to_numpy())
    )
    if bad.size:
        raise InvalidInputError(f"{file}, line {int(bad[0]) + 2}: {text.iloc[bad[0]]!r} is not a number")
    ids = raw["sensor"].str.strip()
    if (ids == "").any():
        raise InvalidInputError(
            f"{file}, line {int(np.flatnonzero((ids == '').to_numpy())[0]) + 2}: the sensor id is empty"
        )
    if sensors is not None:
        unknown = sorted(set(ids) - set(sensors))
        if unknown:
            shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            raise InvalidInputError(f"{file}: sensors not in the sensor file: {shown}")
    frame = pd.DataFrame(
        {"timestamp": stamps, "sensor": ids.to_numpy(), "value": values.to_numpy(dtype=np.float64)}
    )
    wide = frame.pivot_table(
        index="timestamp", columns="sensor", values="value", aggfunc="last", dropna=False
    )
    wide.columns.name = None
    order = [s for s in dict.fromkeys(ids) if s in wide.columns]
    return wide[order].sort_index()


def to_long(readings: pd.DataFrame) -> pd.DataFrame:
    """Wide readings (one column per sensor) to the long ``timestamp, sensor, value`` form."""
    index = pd.DatetimeIndex(readings.index)
    stamps = [t.isoformat() for t in index]
    n, m = readings.shape
    return pd.DataFrame(
        {
            "timestamp": np.repeat(stamps, m),
            "sensor": np.tile(np.asarray(readings.columns, dtype=object), n),
            "value": readings.to_numpy(dtype=np.float64).ravel(),
        }
    )


def write_readings(readings: pd.DataFrame, path: str | Path) -> None:
    """Write wide readings as the long CSV ``timestamp,sensor,value`` (missing values left empty)."""
    to_long(readings).to_csv(Path(path), index=False, float_format="%.6g", lineterminator="\n")


def interval_readings(
    aggregates: Mapping[str, pd.DataFrame],
    interval: dt.timedelta,
    timezone: dt.tzinfo,
    *,
    means: Iterable[str] = (),
) -> pd.DataFrame:
    """Readings of sensors from the interval aggregates of their meters.

    Parameters
    ----------
    aggregates : mapping of str to pandas.DataFrame
        Sensor id → the meter's interval aggregates, as ``Store.read_aggregates`` returns
        them: columns ``start`` (timezone-aware), ``value`` and ``count`` (readings behind
        it; 0 marks a gap).  ``value`` is the volume of the interval [m³] for a totalizer,
        the mean in the sensor's unit (m head, m³/h) for the sensors in ``means``.
    interval : datetime.timedelta
        Length of the intervals (the base interval of the aggregates, e.g. 15 min).
    timezone : datetime.tzinfo
        The plant's time zone: the readings' wall-clock hour selects the detector's hourly
        signatures and daily harmonics.
    means : iterable of str
        Sensors whose aggregates are means (pressure, level and flow-rate meters), taken as
        they are.

    Returns
    -------
    pandas.DataFrame
        One column per sensor, indexed by interval start in ``timezone``: the mean flow of
        the interval [m³/h] for totalizers, the mean for the others; a gap (count 0) or a
        missing interval is NaN, never zero.

    Raises
    ------
    InvalidInputError
        If the interval is not positive or a frame lacks a column.
    """
    hours = interval.total_seconds() / 3600.0
    if not hours > 0:
        raise InvalidInputError(f"the interval must be positive, not {interval}")
    averaged = set(means)
    columns = {}
    for sid, frame in aggregates.items():
        missing = {"start", "value", "count"} - set(frame.columns)
        if missing:
            raise InvalidInputError(f"the aggregates of sensor {sid} lack {', '.join(sorted(missing))}")
        index = pd.DatetimeIndex(frame["start"]).tz_convert(timezone)
        value = frame["value"].to_numpy(dtype=np.float64) / (1.0 if sid in averaged else hours)
        value[frame["count"].to_numpy() <= 0] = np.nan
        columns[sid] = pd.Series(value, index=index)
    readings = pd.DataFrame(columns).sort_index()
    readings.index.name = "timestamp"
    return readings


# --- ground truth ---------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: Any, where: str, problems: list[Problem], required: bool = True) -> dt.datetime | None:
    if value is None:
        if required:
            problems.append(Problem(where, "missing"))
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value))
        except ValueError:
            problems.append(Problem(where, f"{value!r} is not an ISO 8601 timestamp"))
            return None
    if stamp.tzinfo is None:
        problems.append(Problem(where, "give the time with its UTC offset"))
        return None
    return stamp


def _location(item: Mapping[str, Any], where: str, problems: list[Problem]) -> Location | None:
    has_pipe, has_node = "pipe" in item, "node" in item
    if has_pipe == has_node:
        problems.append(Problem(where, "give exactly one of pipe and node"))
        return None
    return Location("pipe", str(item["pipe"])) if has_pipe else Location("node", str(item["node"]))


def read_truth(path: str | Path) -> tuple[list[Leak], tuple[dt.datetime, dt.datetime] | None]:
    """Read a ground-truth file.

    Returns
    -------
    leaks : list of Leak
    period : tuple of datetime.datetime or None
        The evaluation period, when the file gives one.
    """
    file = Path(path)
    data = _load(file)
    if isinstance(data, list):
        data = {"leaks": data}
    if not isinstance(data, dict) or not isinstance(data.get("leaks"), list):
        raise InvalidInputError(f"{file}: expected a mapping with a list under 'leaks'")
    problems: list[Problem] = []
    leaks: list[Leak] = []
    for i, item in enumerate(data["leaks"]):
        where = f"leaks[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, "each leak is a mapping"))
            continue
        location = _location(item, where, problems)
        start = _time(item.get("start"), f"{where}.start", problems)
        end = _time(item.get("end"), f"{where}.end", problems, required=False)
        peak_time = _time(item.get("peak_time"), f"{where}.peak_time", problems, required=False)
        flow = item.get("peak_flow_m3h")
        if not isinstance(flow, int | float) or isinstance(flow, bool) or not math.isfinite(flow):
            problems.append(Problem(f"{where}.peak_flow_m3h", "give the peak leak flow in m³/h"))
            continue
        if location is None or start is None:
            continue
        try:
            leaks.append(
                Leak(
                    location,
                    start,
                    end,
                    float(flow),
                    item.get("shape", "abrupt"),
                    peak_time,
                    str(item.get("id", f"L{i + 1}")),
                )
            )
        except InvalidInputError as err:
            problems.append(Problem(where, str(err)))
    period = None
    if "period" in data:
        spec = data["period"]
        if not isinstance(spec, dict):
            problems.append(Problem("period", "give {start, end}"))
        else:
            begin = _time(spec.get("start"), "period.start", problems)
            stop = _time(spec.get("end"), "period.end", problems)
            if begin is not None and stop is not None:
                period = (begin, stop)
    if problems:
        raise ModelValidationError(problems, source=str(file))
    return leaks, period


def write_truth(
    leaks: Sequence[Leak],
    path: str | Path,
    *,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    network: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write a ground-truth file (YAML, or JSON for a ``.json`` name)."""
    data: dict[str, Any] = {}
    if network is not None:
        data["network"] = network
    if period is not None:
        data["period"] = {"start": _iso(period[0]), "end": _iso(period[1])}
    data.update(extra or {})
    data["leaks"] = [
        {
            "id": leak.id,
            **leak.location.to_dict(),
            "start": _iso(leak.start),
            "end": _iso(leak.end),
            "peak_flow_m3h": leak.peak_flow,
            "shape": leak.shape,
            "peak_time": _iso(leak.peak_time),
        }
        for leak in leaks
    ]
    file = Path(path)
    if file.suffix.lower() == ".json":
        file.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- events --------------------------------------------------------------------------------------


def _event_dict(event: LeakEvent) -> dict[str, Any]:
    """One event in the events-file form."""
    return {
        "start": _iso(event.start),
        "detected": _iso(event.detected),
        "end": _iso(event.end),
        "flow_m3h": event.flow,
        "uncertainty_m": event.uncertainty if math.isfinite(event.uncertainty) else None,
        "candidates": [{**c.location.to_dict(), "score": c.score} for c in event.candidates],
    }


def write_events(events: Iterable[LeakEvent], path: str | Path, **metadata: Any) -> None:
    """Write an events file (JSON); ``metadata`` goes next to the events."""
    data = {"format": EVENTS_FORMAT, **metadata, "events": [_event_dict(e) for e in events]}
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_events(path: str | Path) -> list[LeakEvent]:
    """Read an events file (the object form or a bare list of events).

    Raises
    ------
    ModelValidationError
        Listing every malformed event.
    """
    file = Path(path)
    data = _load(file)
    items = data.get("events") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidInputError(f"{file}: expected a list of events, or an object with 'events'")
    problems: list[Problem] = []
    events: list[LeakEvent] = []
    for i, item in enumerate(items):
        where = f"events[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, "each event is an object"))
            continue
        start = _time(item.get("start"), f"{where}.start", problems)
        detected = _time(item.get("detected", item.get("start")), f"{where}.detected", problems)
        end = _time(item.get("end"), f"{where}.end", problems, required=False)
        flow = item.get("flow_m3h", float("nan"))
        if flow is None:
            flow = float("nan")
        if not isinstance(flow, int | float) or isinstance(flow, bool):
            problems.append(Problem(f"{where}.flow_m3h", "give the leak flow in m³/h"))
            continue
        candidates = []
        raw = item.get("candidates", [])
        if not isinstance(raw, list):
            problems.append(Problem(f"{where}.candidates", "give a list of {pipe|node: ID, score}"))
            continue
        for j, c in enumerate(raw):
            if not isinstance(c, dict):
                problems.append(Problem(f"{where}.candidates[{j}]", "give {pipe|node: ID, score}"))
                continue
            location = _location(c, f"{where}.candidates[{j}]", problems)
            score = c.get("score", float("nan"))
            if location is not None:
                candidates.append(
                    Candidate(location, float(score) if isinstance(score, int | float) else float("nan"))
                )
        uncertainty = item.get("uncertainty_m")
        if start is None or detected is None:
            continue
        events.append(
            LeakEvent(
                start,
                detected,
                end,
                float(flow),
                tuple(candidates),
                float(uncertainty) if isinstance(uncertainty, int | float) else float("nan"),
            )
        )
    if problems:
        raise ModelValidationError(problems, source=str(file))
    return events
