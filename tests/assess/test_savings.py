"""Savings from stored data: monthly intake, production and air temperature through the pipeline.

The plant's true monthly intake is ``V = 2000 + 0.5·P + 300·T`` [m³] with production P [t] and
mean air temperature T [°C] (±1 % of fixed noise); from July on it uses 10 % less.  The assessment
must choose the temperature model, recover the savings within its interval and value them at the tariff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from shuixiao.assess import assess_savings, parse_month_range
from shuixiao.errors import InvalidInputError
from shuixiao.ingest import Pipeline, RawReading, Source
from shuixiao.model import Meter, MeterKind, Origin, ProductionRecord
from shuixiao.reference import parameter
from shuixiao.storage import Store
from tests.assess.conftest import HOUR, hourly, local, small_plant

pytestmark = pytest.mark.integration

PRODUCTION = [900, 1200, 1000, 1400, 1100, 1300, 950, 1250, 1050, 1350, 1150, 1000]  # t
TEMPERATURE = [5.0, 7.5, 12.0, 17.5, 22.0, 27.0, 29.5, 29.0, 24.5, 19.0, 13.0, 7.0]  # °C
NOISE = [0.006, -0.008, 0.004, -0.002, 0.009, -0.006, 0.003, -0.004, 0.007, -0.009, 0.001, 0.005]


def monthly_intake(i: int) -> float:
    v = (2000.0 + 0.5 * PRODUCTION[i] + 300.0 * TEMPERATURE[i]) * (1 + NOISE[i])
    return v * (0.9 if i >= 6 else 1.0)


@pytest.fixture
def saving_plant(store: Store) -> Store:
    regions, park, plant = small_plant()
    months = [(dt.date(2025, m, 1), dt.date(2025 + (m == 12), m % 12 + 1, 1)) for m in range(1, 13)]
    plant = dataclasses.replace(
        plant,
        meters=(
            *plant.meters,
            Meter(
                "TT-1",
                MeterKind.QUALITY,
                "temperature",
                "°C",
                3,
                water_unit="ws",
                installed=dt.date(2024, 6, 1),
            ),
        ),
        production=tuple(
            ProductionRecord("steel", a, b, float(PRODUCTION[i])) for i, (a, b) in enumerate(months)
        ),
    )
    store.save_model(regions, (park,), (plant,))
    records = []
    register = 1000.0
    for i in range(12):
        start, end = (local(2025, i + 1, 1), local(2025 + (i == 11), (i + 1) % 12 + 1, 1))
        times = hourly(start, end)[:-1]
        step = monthly_intake(i) / len(times)
        for t in times:
            records.append(RawReading("FT-1", t, register))
            records.append(RawReading("TT-1", t, TEMPERATURE[i]))
            register += step
    records.append(RawReading("FT-1", int(local(2026, 1, 1).timestamp()), register))
    result = Pipeline(store, interval=HOUR, timezone="Asia/Shanghai").ingest(
        "plant", records, Source(Origin.FILE, "t")
    )
    assert {r.status.value for r in result.results} == {"accepted"}
    return store


def test_savings_with_temperature_from_the_store(saving_plant: Store) -> None:
    s = assess_savings(
        saving_plant,
        "plant",
        parse_month_range("2025-01..2025-06"),
        parse_month_range("2025-07..2025-12"),
        temperature_meter="TT-1",
    )
    assert [p.intake for p in s.baseline] == pytest.approx([monthly_intake(i) for i in range(6)], rel=1e-6)
    assert [p.regressors["temperature"] for p in s.baseline] == pytest.approx(TEMPERATURE[:6])
    assert s.temperature_meter == "TT-1"
    assert s.selection.model.regressors == ("production", "temperature")
    true_savings = sum(monthly_intake(i) / 0.9 * 0.1 for i in range(6, 12))
    r = s.result
    assert r.confidence == parameter("savings_confidence", table="assess").value == 0.9
    assert r.low <= true_savings <= r.high
    assert r.savings == pytest.approx(true_savings, rel=0.1)
    assert r.significant
    tariff = parameter("water_tariff", table="water_tariffs", scope="default").value
    assert s.tariff_value == tariff and s.money == pytest.approx(r.savings * tariff)
    data = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert data["model"]["regressors"] == ["production", "temperature"]
    assert [q["name"] for q in data["quality"]] == ["cv_rmse", "nmbe", "r_squared", "fsu_68"]


def test_tariff_override_and_a_production_only_model(saving_plant: Store) -> None:
    s = assess_savings(
        saving_plant,
        "plant",
        parse_month_range("2025-01..2025-06"),
        parse_month_range("2025-07..2025-12"),
        tariff=5.5,
    )
    assert s.tariff_value == 5.5 and any(n.code == "tariff" for n in s.notes)
    assert s.temperature_meter is None and s.selection.model.regressors == ("production",)
    assert any(n.code == "temperature" for n in s.notes)
    with pytest.raises(InvalidInputError, match="not air temperature"):
        assess_savings(
            saving_plant,
            "plant",
            parse_month_range("2025-01..2025-06"),
            parse_month_range("2025-07..2025-12"),
            temperature_meter="FT-1",
        )


def test_overlapping_periods_are_refused(saving_plant: Store) -> None:
    with pytest.raises(InvalidInputError, match="overlap"):
        assess_savings(
            saving_plant,
            "plant",
            parse_month_range("2025-01..2025-06"),
            parse_month_range("2025-05..2025-08"),
        )
    with pytest.raises(InvalidInputError, match="granularity"):
        assess_savings(
            saving_plant,
            "plant",
            parse_month_range("2025-01..2025-06"),
            parse_month_range("2025-07..2025-08"),
            granularity="week",  # type: ignore[arg-type]
        )
