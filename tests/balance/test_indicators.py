"""Indicators (CJ 42-1999, GB/T 12452, GB/T 7119, GB 50050, GB/T 24789) with hand-computed values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from shuixiao.balance import (
    Measurement,
    Provenance,
    condensate_recovery_rate,
    cycles_of_concentration,
    cycles_of_concentration_from_conductivity,
    discharge_rate,
    indicators,
    leakage_rate,
    non_conventional_substitution_rate,
    per_unit,
    period_production,
    period_value_added,
    recirculation_rate,
    reuse_rate,
    wastewater_reuse_rate,
    water_balance,
)
from shuixiao.errors import InvalidInputError
from shuixiao.model import (
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Product,
    ProductionRecord,
    SourceType,
    TreatmentType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
)

pytestmark = pytest.mark.unit
P = Provenance


def test_worked_example_of_the_reference(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    # standards.md §1.4: Vi 1000, Vcy 8000, Vs 500, Vco 300, Vd 650, Vl 50
    # → Vr 8500, Vt 9500, R 89.47 %, Kd 65.0 %, Kl 5.0 %, closure 0.000 %
    ms = [Measurement(f, v, accuracy_class=1.0) for f, v in worked_values.items()]
    b = water_balance(worked_example, ms)
    ind = indicators(b, production={"p": 500.0}, value_added=2.0e6)
    assert ind["intake"].value == 1000.0
    assert ind["recirculated"].value == 8000.0  # the supply leg only, not the return leg
    assert ind["cascaded"].value == 500.0
    assert ind["reused"].value == 8500.0
    assert ind["total_use"].value == 9500.0
    assert ind["reuse_rate"].value == pytest.approx(89.47, abs=0.005)
    assert ind["discharge_rate"].value == pytest.approx(65.0)
    assert ind["leakage_rate"].value == pytest.approx(5.0)
    assert b.level1.closure == pytest.approx(0.0, abs=1e-15)
    assert ind["consumption"].value == 300.0
    assert ind.intake_per_product["p"].value == pytest.approx(2.0)
    assert ind.intake_per_value_added.value == pytest.approx(5.0)  # 1000 m³ / 200 万元
    # the indirect cooling system: Vcr 8000, make-up 800 → 90.91 %
    assert ind["indirect_cooling_recirculation_rate"].value == pytest.approx(8000 / 8800 * 100)
    assert math.isnan(ind["direct_cooling_recirculation_rate"].value)
    # tower: make-up 800 over blowdown 500 (drift not separated)
    assert ind.cycles_of_concentration["tower"].value == pytest.approx(1.6)
    assert ind["reuse_rate"].provenance is P.MEASURED
    assert ind["reuse_rate"].inputs[P.MEASURED] == ("supply", "blowdown", "intake")


def test_leakage_over_total_use(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    ms = [Measurement(f, v, accuracy_class=1.0) for f, v in worked_values.items()]
    ind = indicators(water_balance(worked_example, ms), leakage_denominator="total_use")
    assert ind["leakage_rate"].value == pytest.approx(50.0 / 9500.0 * 100.0)
    assert "total use" in (ind["leakage_rate"].note or "")
    with pytest.raises(InvalidInputError):
        indicators(water_balance(worked_example, ms), leakage_denominator="nope")  # type: ignore[arg-type]


def test_provenance_of_inputs_is_reported(
    worked_example: Enterprise, worked_values: dict[str, float]
) -> None:
    ms = [
        Measurement(f, worked_values[f], accuracy_class=1.0)
        for f in ("intake", "makeup", "blowdown", "discharge")
    ]
    ms.append(Measurement("supply", 8000.0, provenance=P.ESTIMATED))
    ind = indicators(water_balance(worked_example, ms))
    leak = ind["leakage_rate"]
    assert leak.provenance is P.INFERRED and leak.value == pytest.approx(5.0)
    assert leak.inputs == {P.INFERRED: ("leak",), P.MEASURED: ("intake",)}
    assert ind["reuse_rate"].provenance is P.ESTIMATED
    # without the discharge meter, leakage is missing and says why
    ms2 = [m for m in ms if m.flow != "discharge"]
    ind2 = indicators(water_balance(worked_example, ms2))
    assert math.isnan(ind2["leakage_rate"].value)
    assert ind2["leakage_rate"].provenance is P.MISSING
    assert "leak" in (ind2["leakage_rate"].note or "")


def _mixed_plant(plant: Callable[..., Enterprise]) -> Enterprise:
    """Groundwater and reclaimed water, a boiler with condensate, a direct cooling loop, RO reuse.

    Volumes (hand-balanced): well 700, reclaimed 300 → intake 1000 (Vu 300); boiler gets 100,
    makes 400 steam, 360 condensate back, loses 40 of steam and 60 blowdown to the WWTP;
    caster loop circulates 5000 through the caster (direct cooling), make-up 500 (fresh 400 +
    RO permeate 100), evaporates 350, caster vapour 20, blowdown 130 to WWTP; WWTP gets 190,
    sends 150 to RO: 100 permeate reused, 50 concentrate out; WWTP discharges 40; process takes
    400 (of the well water: 700 − 100 − 200 + reclaimed 300 − 300 ... see flows).
    """
    units = (
        WaterUnit("well", "深井", UnitKind.SOURCE, source_type=SourceType.GROUNDWATER),
        WaterUnit("rec", "再生水", UnitKind.SOURCE, source_type=SourceType.RECLAIMED),
        WaterUnit("dist", "供水", UnitKind.WORKSHOP, level=2),
        WaterUnit("boiler", "锅炉", UnitKind.BOILER, level=3, parent="dist"),
        WaterUnit("user", "用汽", UnitKind.PROCESS, level=3, parent="dist"),
        WaterUnit("caster", "连铸", UnitKind.WORKSHOP, level=2),
        WaterUnit("ct", "浊环塔", UnitKind.COOLING_TOWER, level=3, parent="caster"),
        WaterUnit("dc", "直接冷却", UnitKind.DIRECT_COOLING, level=3, parent="caster"),
        WaterUnit("ww", "污水站", UnitKind.WORKSHOP, level=2),
        WaterUnit(
            "wwtp",
            "污水处理",
            UnitKind.TREATMENT,
            level=3,
            parent="ww",
            treatment_type=TreatmentType.WASTEWATER_PLANT,
        ),
        WaterUnit(
            "ro",
            "反渗透",
            UnitKind.TREATMENT,
            level=3,
            parent="ww",
            treatment_type=TreatmentType.REVERSE_OSMOSIS,
        ),
        WaterUnit("out", "排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("well-dist", "well", "dist", FlowCategory.FRESH),
        Flow("rec-ct", "rec", "ct", FlowCategory.NON_CONVENTIONAL),
        Flow("dist-boiler", "dist", "boiler", FlowCategory.FRESH),
        Flow("dist-ct", "dist", "ct", FlowCategory.FRESH),
        Flow("boiler-user", "boiler", "user", FlowCategory.STEAM),
        Flow("user-boiler", "user", "boiler", FlowCategory.CONDENSATE),
        Flow("user-loss", "user", None, FlowCategory.CONSUMPTION),
        Flow("boiler-ww", "boiler", "wwtp", FlowCategory.WASTEWATER),
        Flow("ct-dc", "ct", "dc", FlowCategory.RECIRCULATED),
        Flow("dc-ct", "dc", "ct", FlowCategory.RECIRCULATED),
        Flow("dc-vapour", "dc", None, FlowCategory.CONSUMPTION),
        Flow("ct-evap", "ct", None, FlowCategory.CONSUMPTION),
        Flow("ct-ww", "ct", "wwtp", FlowCategory.WASTEWATER),
        Flow("wwtp-ro", "wwtp", "ro", FlowCategory.WASTEWATER),
        Flow("ro-ct", "ro", "ct", FlowCategory.RECLAIMED),
        Flow("ro-out", "ro", "out", FlowCategory.DISCHARGE),
        Flow("wwtp-out", "wwtp", "out", FlowCategory.DISCHARGE),
    )
    meters = (
        Meter("FT-1", MeterKind.TOTALIZER, "volume", "m³", 1, flow="well-dist", accuracy_class=1.0),
        Meter("FT-2", MeterKind.TOTALIZER, "volume", "m³", 1, flow="rec-ct", accuracy_class=1.0),
        Meter("FT-3", MeterKind.TOTALIZER, "volume", "m³", 1, flow="ro-out", accuracy_class=1.0),
        Meter("FT-4", MeterKind.TOTALIZER, "volume", "m³", 1, flow="wwtp-out", accuracy_class=2.0),
        Meter("FT-5", MeterKind.TOTALIZER, "volume", "m³", 3, flow="dist-boiler", accuracy_class=1.0),
        Meter("FI-6", MeterKind.RATE, "flow_rate", "m³/h", 3, flow="ct-dc", accuracy_class=1.0),
    )
    return plant(
        units,
        flows,
        meters=meters,
        products=(Product("p", "产品", "t"),),
        production=(
            ProductionRecord("p", dt.date(2025, 1, 1), dt.date(2025, 2, 1), 310.0),
            ProductionRecord("p", dt.date(2025, 2, 1), dt.date(2025, 3, 1), 280.0),
        ),
        value_added=(ValueAddedRecord(dt.date(2025, 1, 1), dt.date(2025, 2, 1), 3.1e6),),
    )


MIXED = {
    "well-dist": 700.0,
    "rec-ct": 300.0,
    "dist-boiler": 100.0,
    "dist-ct": 600.0,
    "boiler-user": 400.0,
    "user-boiler": 360.0,
    "user-loss": 40.0,
    "boiler-ww": 60.0,
    "ct-dc": 5000.0,
    "dc-ct": 4980.0,
    "dc-vapour": 20.0,
    "ct-evap": 880.0,
    "ct-ww": 100.0,
    "wwtp-ro": 150.0,
    "ro-ct": 100.0,
    "ro-out": 50.0,
    "wwtp-out": 10.0,
}


def test_mixed_plant_hand_computed(plant: Callable[..., Enterprise]) -> None:
    e = _mixed_plant(plant)
    b = water_balance(e, [Measurement(f, v, uncertainty=1.0) for f, v in MIXED.items()])
    closures = [u.closure for u in b.units.values()]
    assert all(abs(c) < 1e-12 for c in closures if math.isfinite(c))
    assert math.isnan(b.units["caster"].closure)  # a grouping unit without flows of its own
    assert b.groups["caster"].closure == pytest.approx(0.0, abs=1e-12)
    ind = indicators(b, production={"p": 500.0})
    # Vi 1000 (Vu 300), Vr = Vcy 5000 + reclaimed 100 + condensate 360 = 5460, Vt 6460
    assert ind["intake"].value == 1000.0 and ind["non_conventional"].value == 300.0
    assert ind["reused"].value == 5460.0
    assert ind["reuse_rate"].value == pytest.approx(5460 / 6460 * 100)
    # direct cooling: Vcr 5000, make-up 300 + 600 + 100 = 1000 → 83.33 %
    assert ind["direct_cooling_recirculation_rate"].value == pytest.approx(5000 / 6000 * 100)
    assert math.isnan(ind["indirect_cooling_recirculation_rate"].value)
    assert ind["condensate_recovery_rate"].value == pytest.approx(90.0)  # 360 / 400
    assert ind["wastewater_reuse_rate"].value == pytest.approx(100 / 160 * 100)  # Vw / (Vd + Vw)
    assert ind["discharge_rate"].value == pytest.approx(6.0)
    assert ind["non_conventional_substitution_rate"].value == pytest.approx(30.0)
    assert ind["reclaimed_water_share"].value == pytest.approx(400 / 6460 * 100)
    assert ind.cycles_of_concentration["ct"].value == pytest.approx(1000 / 100)
    drift = indicators(b, drift={"ct": ["dc-vapour"]}).cycles_of_concentration["ct"]
    assert drift.value == pytest.approx(1000 / 120) and drift.note is None
    # non-conventional water left out of intake: per-product intake 700 / 500
    without = indicators(b, production={"p": 500.0}, non_conventional_in_intake=False)
    assert without["intake"].value == 700.0
    assert without.intake_per_product["p"].value == pytest.approx(1.4)
    assert ind.intake_per_product["p"].value == pytest.approx(2.0)


def test_metering_rates_per_level(plant: Callable[..., Enterprise]) -> None:
    e = _mixed_plant(plant)
    b = water_balance(e, [Measurement(f, v, uncertainty=1.0) for f, v in MIXED.items()])
    ind = indicators(b)
    # level 1: well-dist, rec-ct, ro-out, wwtp-out — all four metered
    assert ind.equipping_rate[1].value == 100.0
    assert ind.metering_rate[1].value == 100.0
    # level 2 points: flows into a sub-unit from outside it: well-dist, rec-ct, dist-ct,
    # boiler-ww, ct-ww, ro-ct → metered: well-dist, rec-ct (2 of 6)
    assert ind.equipping_rate[2].value == pytest.approx(100 * 2 / 6)
    # volume: (700 + 300) / (700 + 300 + 600 + 60 + 100 + 100)
    assert ind.metering_rate[2].value == pytest.approx(100 * 1000 / 1860)
    # level 3 points: every water flow into a level-3 unit from another unit
    assert set(ind.equipping_rate[3].inputs[P.MEASURED]) == {"rec-ct", "dist-boiler", "ct-dc"}


def test_period_records_prorated(plant: Callable[..., Enterprise]) -> None:
    e = _mixed_plant(plant)
    # half of January (15 of 31 days) and nothing of February
    assert period_production(e, dt.date(2025, 1, 1), dt.date(2025, 1, 16)) == pytest.approx(
        {"p": 310 * 15 / 31}
    )
    assert period_production(e, dt.date(2025, 1, 1), dt.date(2025, 3, 1)) == pytest.approx({"p": 590.0})
    assert period_value_added(e, dt.date(2025, 1, 1), dt.date(2025, 2, 1)) == pytest.approx(3.1e6)
    assert period_value_added(e, dt.date(2025, 3, 1), dt.date(2025, 4, 1)) is None
    with pytest.raises(InvalidInputError):
        period_production(e, dt.date(2025, 2, 1), dt.date(2025, 1, 1))


@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (reuse_rate, (8500.0, 1000.0), 8500 / 9500 * 100),
        (recirculation_rate, (8000.0, 800.0), 8000 / 8800 * 100),
        (condensate_recovery_rate, (90.0, 100.0), 90.0),
        (wastewater_reuse_rate, (100.0, 60.0), 62.5),
        (discharge_rate, (650.0, 1000.0), 65.0),
        (leakage_rate, (50.0, 1000.0), 5.0),
        (non_conventional_substitution_rate, (300.0, 700.0), 30.0),
        (per_unit, (1000.0, 400.0), 2.5),
        (cycles_of_concentration_from_conductivity, (2000.0, 400.0), 5.0),
    ],
)
def test_formulas_scalar_array_series_nan(func, args, expected) -> None:  # type: ignore[no-untyped-def]
    assert func(*args) == pytest.approx(expected)
    arr = func(*(np.array([a, a, 0.0]) for a in args))
    assert arr[:2] == pytest.approx([expected, expected])
    assert math.isnan(func(*(np.array([0.0]) for _ in args))[0])  # zero denominator → NaN
    assert math.isnan(func(*(float("nan") for _ in args)))
    series = func(*(pd.Series([a]) for a in args))
    assert float(np.asarray(series)[0]) == pytest.approx(expected)


def test_cycles_test_vector() -> None:
    # standards.md §7.5: Q_m 14.00, Q_b 1.80, Q_w 1.00 m³/h → N = 5.000
    assert cycles_of_concentration(14.0, 1.8, 1.0) == pytest.approx(5.0)
