"""Unit, sub-unit and enterprise balances; inference and determinability (GB/T 12452)."""

from __future__ import annotations

import math

import pytest

from shuixiao.balance import Measurement, Provenance, water_balance
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise

pytestmark = pytest.mark.unit

P = Provenance


def measured(values: dict[str, float], ids: list[str], accuracy: float = 1.0) -> list[Measurement]:
    return [Measurement(f, values[f], accuracy_class=accuracy, meter=f"M-{f}") for f in ids]


def test_worked_example_closes_exactly(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    # standards.md §1.4: Vi = 1000 = Vco 300 + Vd 650 + Vl 50, closure 0.000 %
    every = measured(worked_values, list(worked_values))
    b = water_balance(worked_example, every)
    assert b.level1.intake.value == 1000.0
    assert b.level1.consumption.value == 300.0
    assert b.level1.discharge.value == 650.0
    assert b.level1.leakage.value == 50.0
    assert b.level1.closure == 0.0
    assert b.level1.closure_provenance is P.MEASURED
    assert b.level1.within_tolerance is True
    assert all(u.closure == pytest.approx(0.0, abs=1e-12) for u in b.units.values())
    assert b.degrees_of_freedom == 0 and b.undetermined == ()


def test_unmetered_flows_are_inferred(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    ids = ["intake", "makeup", "supply", "blowdown", "discharge"]
    b = water_balance(worked_example, measured(worked_values, ids))
    # ws: process = 1000 − 800; hx: return = supply; tower: evap = 800 + 8000 − 8000 − 500;
    # proc: leak = 200 + 500 − 650
    for fid, expected in (("process", 200.0), ("return", 8000.0), ("evap", 300.0), ("leak", 50.0)):
        assert b.flows[fid].value == pytest.approx(expected)
        assert b.flows[fid].provenance is P.INFERRED
    assert set(b.flows["leak"].sources) == {"intake", "makeup", "blowdown", "discharge"}
    assert b.flows["intake"].provenance is P.MEASURED
    assert b.flows["intake"].meters == ("M-intake",)
    # every unit's equation was used to infer one flow: nothing is left to check
    assert b.redundancy == 0
    assert b.units["proc"].closure_provenance is P.INFERRED


def test_sum_determined_when_parts_are_not(
    worked_example: Enterprise, worked_values: dict[str, float]
) -> None:
    # without the discharge meter, the process unit's discharge and leak are known only together
    ids = ["intake", "makeup", "supply", "blowdown"]
    b = water_balance(worked_example, measured(worked_values, ids))
    assert math.isnan(b.flows["leak"].value) and b.flows["leak"].provenance is P.MISSING
    assert set(b.undetermined) == {"leak", "discharge"}
    assert b.degrees_of_freedom == 1
    both = b.total(["leak", "discharge"])
    assert both.value == pytest.approx(700.0) and both.provenance is P.INFERRED
    assert b.level1.leakage.provenance is P.MISSING and math.isnan(b.level1.leakage.value)
    assert b.units["proc"].outputs.value == pytest.approx(700.0)


def test_uncertainty_and_sensitivity_of_an_inferred_flow(
    worked_example: Enterprise, worked_values: dict[str, float]
) -> None:
    ids = ["intake", "makeup", "supply", "blowdown", "discharge"]
    ms = [Measurement(f, worked_values[f], uncertainty=10.0) for f in ids]
    b = water_balance(worked_example, ms)
    # leak = intake − makeup + blowdown − discharge: four independent σ = 10 → σ = 20
    assert b.flows["leak"].uncertainty == pytest.approx(20.0)
    assert b.sensitivity(["leak"]) == pytest.approx(
        {"intake": 1.0, "makeup": -1.0, "blowdown": 1.0, "discharge": -1.0}
    )


def test_redundant_unit_shows_its_closure(two_workshops: Enterprise) -> None:
    values = {
        "src-wtp": 1000.0,
        "wtp-A": 600.0,
        "wtp-B": 350.0,
        "wtp-out": 30.0,
        "a1-out": 500.0,
        "B-b1": 360.0,
        "b1-out": 300.0,
    }
    b = water_balance(two_workshops, measured(values, list(values)))
    # B is measured on both sides: (350 − 360) / 350
    assert b.units["B"].closure == pytest.approx(-10.0 / 350.0)
    assert b.units["B"].closure_provenance is P.MEASURED
    assert b.units["B"].within_tolerance is True
    assert b.flows["wtp-leak"].value == pytest.approx(20.0)
    assert b.flows["A-a1"].value == pytest.approx(600.0)
    assert b.flows["a1-use"].value == pytest.approx(100.0)
    assert b.flows["b1-use"].value == pytest.approx(60.0)
    assert b.redundancy == 1
    # sub-unit A (A with its process a1) seen from outside
    g = b.groups["A"]
    assert g.inputs.value == pytest.approx(600.0) and g.consumption.value == pytest.approx(100.0)
    assert g.closure == pytest.approx(0.0, abs=1e-12)


def test_level1_against_level2(two_workshops: Enterprise) -> None:
    values = {
        "src-wtp": 1000.0,
        "wtp-A": 600.0,
        "wtp-B": 350.0,
        "wtp-out": 30.0,
        "a1-out": 500.0,
        "B-b1": 350.0,
        "b1-out": 300.0,
    }
    b = water_balance(two_workshops, measured(values, list(values)))
    check = b.level_check
    assert check.supply_groups == ("wtp",)
    assert check.groups["A"].value == 600.0 and check.groups["B"].value == 350.0
    assert check.level2.value == 950.0
    assert check.difference == pytest.approx(0.05)  # (1000 − 950) / 1000
    assert check.tolerance == pytest.approx(0.10)  # balance.yaml closure_tolerance (enterprise)
    assert check.within_tolerance is True
    strict = water_balance(two_workshops, measured(values, list(values)), enterprise_tolerance=0.04)
    assert strict.level_check.within_tolerance is False
    none = water_balance(two_workshops, measured(values, list(values)), supply_groups=[])
    assert none.level_check.level2.value == pytest.approx(1000.0)  # wtp counted: 1000 − 950 + 950


def test_storage_change_enters_the_balance(two_workshops: Enterprise) -> None:
    values = {"src-wtp": 1000.0, "wtp-A": 600.0, "wtp-B": 350.0, "wtp-out": 30.0}
    b = water_balance(two_workshops, measured(values, list(values)), storage={"wtp": 5.0})
    assert b.flows["wtp-leak"].value == pytest.approx(15.0)
    assert b.units["wtp"].storage_change == 5.0
    assert b.level1.storage_change == 5.0


def test_two_measurements_on_one_flow_are_weighted(worked_example: Enterprise) -> None:
    ms = [Measurement("intake", 1000.0, uncertainty=10.0), Measurement("intake", 1030.0, uncertainty=20.0)]
    b = water_balance(worked_example, ms)
    # inverse-variance mean: (1000/100 + 1030/400) / (1/100 + 1/400) = 1006
    assert b.flows["intake"].value == pytest.approx(1006.0)
    assert b.flows["intake"].uncertainty == pytest.approx((1 / (1 / 100 + 1 / 400)) ** 0.5)


def test_estimates_are_labelled(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    ms = measured(worked_values, ["intake", "makeup", "blowdown", "discharge"])
    ms.append(Measurement("supply", 8000.0, provenance=P.ESTIMATED))
    b = water_balance(worked_example, ms)
    assert b.flows["supply"].provenance is P.ESTIMATED
    assert b.flows["supply"].uncertainty == pytest.approx(800.0)  # 10 % default
    assert b.total(["supply", "intake"]).provenance is P.ESTIMATED


def test_nan_measurement_is_ignored(worked_example: Enterprise) -> None:
    b = water_balance(worked_example, [Measurement("intake", math.nan)])
    assert b.flows["intake"].provenance is P.MISSING


def test_errors_name_what_is_wrong(worked_example: Enterprise) -> None:
    with pytest.raises(NotFoundError, match="no flow 'nope'"):
        water_balance(worked_example, [Measurement("nope", 1.0)])
    with pytest.raises(NotFoundError, match="storage"):
        water_balance(worked_example, [], storage={"nowhere": 1.0})
    with pytest.raises(NotFoundError, match="supply"):
        water_balance(worked_example, [], supply_groups=["nowhere"])
    with pytest.raises(InvalidInputError, match="≥ 0"):
        water_balance(worked_example, [], unit_tolerance=-1.0)
    with pytest.raises(InvalidInputError, match="not ≥ 0"):
        Measurement("intake", -5.0)
    with pytest.raises(NotFoundError, match="no flow"):
        water_balance(worked_example, []).total(["nope"])


def test_provenance_given_as_text() -> None:
    assert Measurement("f", 1.0, provenance="estimated").provenance is P.ESTIMATED  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="measured or estimated"):
        Measurement("f", 1.0, provenance=P.INFERRED)
