"""Fixtures of the ingestion tests: a saved steel works, stored series as plain arrays, a broker.

Test modules cannot import this file (pytest runs with ``--import-mode=importlib``),
so helpers are handed out as fixtures that return functions.

The MQTT tests need a broker (default 127.0.0.1:1883, or ``SHUIXIAO_TEST_MQTT`` as
``host:port``).  When none answers they are skipped with the reason shown,
except under ``CI=true``, where they fail, as the PostgreSQL tests do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from shuixiao.model import Enterprise, Meter, MeterKind, Park, Region
from shuixiao.series import aggregate, totalizer_intervals
from shuixiao.storage import Store

ENTERPRISE = "xg-steel"


def steel_works(make_enterprise: Callable[..., Enterprise]) -> Enterprise:
    """The steel works of tests/conftest.py with a pH analyser added (AT-301)."""
    base = make_enterprise()
    ph = Meter("AT-301", MeterKind.QUALITY, "ph", "pH", 3, water_unit="wwtp", name="外排 pH")
    return make_enterprise(meters=(*base.meters, ph))


@pytest.fixture
def saved(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    """A store holding the steel works ``xg-steel`` (with a pH analyser)."""
    store.save_model(regions, parks, [steel_works(make_enterprise)])
    return store


@pytest.fixture
def aggregates_of() -> Callable[..., dict[str, Any]]:
    """``aggregates_of(store, meter, resolution)``: stored aggregates as arrays, ``start`` in epoch seconds."""
    return stored_aggregates


@pytest.fixture
def readings_of() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """``readings_of(store, meter)``: stored readings as (epoch seconds, canonical values)."""
    return stored_readings


@pytest.fixture
def reference() -> Callable[..., dict[str, Any]]:
    """``reference(ts, value, resolution, totalizer=..., register_max=...)``: aggregates of a whole series."""
    return reference_aggregates


def stored_aggregates(
    store: Store, meter: str, resolution: str, enterprise: str = ENTERPRISE
) -> dict[str, Any]:
    """Stored aggregates of a meter as numpy arrays; ``start`` in epoch seconds."""
    frame = store.read_aggregates(enterprise, meter, resolution)
    return {
        "start": frame["start"].dt.as_unit("s").astype("int64").to_numpy(),
        **{c: frame[c].to_numpy() for c in ("value", "minimum", "maximum", "count", "quality")},
    }


def stored_readings(store: Store, meter: str, enterprise: str = ENTERPRISE) -> tuple[np.ndarray, np.ndarray]:
    """Stored readings of a meter: (epoch seconds, canonical values)."""
    frame = store.read_readings(enterprise, meter)
    return frame["ts"].dt.as_unit("s").astype("int64").to_numpy(), frame["value"].to_numpy()


def reference_aggregates(
    ts: Any, value: Any, resolution: str, *, totalizer: bool, register_max: float | None = None
) -> dict[str, Any]:
    """Aggregates of a whole series computed in one go, as the demo generator does."""
    if totalizer:
        intervals = totalizer_intervals(ts, value, register_max=register_max)
        result = aggregate(intervals.start, intervals.volume, resolution, "sum")
    else:
        result = aggregate(ts, value, resolution, "mean")
    return {"start": result.start, "value": result.value, "count": result.count}
