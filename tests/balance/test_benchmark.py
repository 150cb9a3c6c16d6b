"""Quota grades, targets, peers and tier eligibility."""

from __future__ import annotations

import math

import pytest

from shuixiao.balance import (
    Grade,
    Measurement,
    Status,
    benchmark_product,
    indicators,
    metering_compliance,
    percentile_rank,
    quota_grade,
    quota_variant,
    tier_eligibility,
    water_balance,
)
from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, UnitKind, WaterUnit
from shuixiao.reference import sectors_of

pytestmark = pytest.mark.unit


def test_quota_grade_levels() -> None:
    levels = {"leading": 1.8, "advanced": 2.1, "general": 3.6}
    assert quota_grade(1.8, levels) is Grade.LEADING
    assert quota_grade(2.0, levels) is Grade.ADVANCED
    assert quota_grade(3.6, levels) is Grade.GENERAL
    assert quota_grade(3.61, levels) is Grade.ABOVE_GENERAL
    assert quota_grade(math.nan, levels) is Grade.UNKNOWN
    assert quota_grade(1.0, {}) is Grade.UNKNOWN
    assert quota_grade(1.0, {"general": 3.6}) is Grade.GENERAL  # absent levels are skipped


def test_steel_against_gbt18916_and_targets() -> None:
    # GB/T 18916.2-2022, no coking, no cold rolling: general 3.6, advanced 2.1 m³/t [S];
    # Action Plan: 2020 national 2.5 m³/t, −10 % by 2025 → 2.25
    b = benchmark_product("crude_steel", 2.36, variant="no_coking_no_cold_rolling")
    assert b.grade is Grade.GENERAL
    assert b.baseline_2020 == 2.5 and b.expected_2025 == pytest.approx(2.25)
    assert b.ratio_to_baseline == pytest.approx(0.944)
    assert b.meets_2025 is False
    hunan = benchmark_product("crude_steel", 2.36, variant="no_coking_no_cold_rolling", region="430000")
    assert (
        hunan.baseline_2020 == 3.5 and hunan.expected_2025 == pytest.approx(3.15) and hunan.meets_2025 is True
    )


def test_variant_needed_and_missing_data() -> None:
    b = benchmark_product("crude_steel", 2.36)
    assert b.grade is Grade.UNKNOWN and "variant" in (b.note or "")
    beer = benchmark_product("beer", 3.8)
    assert beer.grade is Grade.UNKNOWN and "no quota" in (beer.note or "")
    assert beer.expected_2025 == pytest.approx(4.5 * 0.85) and beer.meets_2025 is True
    hunan_ethylene = benchmark_product("ethylene", 8.0, region="430000")
    assert math.isnan(hunan_ethylene.baseline_2020) and hunan_ethylene.expected_2025 == 7.5
    assert hunan_ethylene.meets_2025 is False
    nothing = benchmark_product("unobtainium", 1.0)
    assert nothing.grade is Grade.UNKNOWN and math.isnan(nothing.expected_2025) and nothing.meets_2025 is None


def _works(*names: tuple[str, str | None]) -> Enterprise:
    units = tuple(
        WaterUnit(f"u{i}", zh, UnitKind.WORKSHOP, level=2, name_en=en) for i, (zh, en) in enumerate(names)
    )
    return Enterprise("w", "钢铁厂", "x", "3120", "r", units=units)


@pytest.mark.parametrize(
    ("names", "variant"),
    [
        ((("炼铁厂", None), ("炼钢厂", None), ("轧钢厂", "Rolling mill")), "no_coking_no_cold_rolling"),
        ((("焦化厂", None), ("热轧厂", "Hot strip mill")), "coking_no_cold_rolling"),
        ((("炼钢厂", None), ("二号机组", "Cold rolling mill")), "no_coking_cold_rolling"),
        ((("干熄焦", "Coke dry quenching"), ("冷轧厂", None)), "coking_cold_rolling"),
    ],
)
def test_the_steel_quota_variant_is_read_from_the_unit_names(
    names: tuple[tuple[str, str | None], ...], variant: str
) -> None:
    # GB/T 18916.2 crude steel: with or without coking, with or without cold rolling (standards.md §4.2)
    choice = quota_variant(_works(*names), "crude_steel")
    assert choice.variant == variant and choice.source == "model"
    assert len(choice.variants) == 4 and "override" in choice.reason


def test_a_given_variant_overrides_the_model_and_a_wrong_one_lists_the_variants() -> None:
    works = _works(("焦化厂", None))
    given = quota_variant(works, "crude_steel", "no_coking_no_cold_rolling")
    assert given.variant == "no_coking_no_cold_rolling" and given.source == "given"
    with pytest.raises(InvalidInputError, match="its variants: coking_cold_rolling, coking_no_cold_rolling"):
        quota_variant(works, "crude_steel", "coking")
    with pytest.raises(InvalidInputError, match="single configuration"):
        quota_variant(works, "beer", "lager")
    with pytest.raises(InvalidInputError, match="no quota variant 'coking'"):
        benchmark_product("crude_steel", 2.0, variant="coking")


def test_a_variant_the_model_cannot_show_is_asked_for() -> None:
    # coal power: cooling type and unit capacity (水节约〔2019〕373号) — no rule reads them from a model
    plant = quota_variant(_works(("汽机房", None)), "coal_power")
    assert plant.variant is None and plant.source == "undetermined"
    assert "coal_power=<variant>" in plant.reason and "recirculating.600mw" in plant.reason
    assert quota_variant(_works(("酿造车间", None)), "beer").source == "none"


def test_superseded_quotas_are_not_used() -> None:
    # the 2012 paper quotas are kept for history only
    assert benchmark_product("containerboard", 16.6).grade is Grade.UNKNOWN


def test_percentile_rank() -> None:
    assert percentile_rank(2.0, [1.5, 2.0, 2.5, 3.0]) == 62.5
    assert percentile_rank(1.0, [1.5, 2.0]) == 100.0
    assert percentile_rank(99.0, [90.0, 97.0, math.nan], lower_is_better=False) == 100.0
    assert math.isnan(percentile_rank(1.0, []))
    assert math.isnan(percentile_rank(math.nan, [1.0]))


def test_leader_tier_with_reasons() -> None:
    facts = {
        "independent_legal_entity": True,
        "lawful_abstraction_permits": True,
        "no_over_plan_use_3_years": False,
    }
    a = tier_eligibility(
        "leader", sectors=["steel"], values={"annual_intake": 2.0e5}, facts=facts, grade=Grade.GENERAL
    )
    status = {c.id: c for c in a.criteria}
    assert status["leader.annual_intake"].status is Status.MET
    assert (
        "200000" in status["leader.annual_intake"].reason or "2e+05" in status["leader.annual_intake"].reason
    )
    assert status["leader.no_over_plan_use"].status is Status.NOT_MET
    assert status["leader.quota"].status is Status.NOT_MET  # general, needs leading
    assert status["leader.no_accidents"].status is Status.UNKNOWN
    assert "not stated" in status["leader.no_accidents"].reason
    assert a.eligible is False
    assert "[C]" in status["leader.annual_intake"].reference


def test_water_saving_steel_from_indicators(
    worked_example: Enterprise, worked_values: dict[str, float]
) -> None:
    ms = [Measurement(f, v, accuracy_class=1.0) for f, v in worked_values.items()]
    ind = indicators(water_balance(worked_example, ms))
    a = tier_eligibility("water_saving", sectors=sectors_of("3120"), indicators=ind)
    status = {c.id: c.status for c in a.criteria}
    assert status["water_saving.steel.reuse"] is Status.NOT_MET  # 89.47 % < 97 %
    assert status["water_saving.steel.leakage"] is Status.MET  # 5 % ≤ 8 %
    assert status["water_saving.steel.direct_cooling"] is Status.UNKNOWN  # no direct cooling system
    assert a.eligible is False
    # the benchmark tier needs the water-saving tier first
    bench = tier_eligibility("benchmark", sectors=["steel"], indicators=ind)
    assert {c.id: c.status for c in bench.criteria}["benchmark.water_saving"] is Status.NOT_MET


def test_any_group_needs_one() -> None:
    facts = dict.fromkeys(
        (
            "domestic_water_not_flat_rate",
            "domestic_and_production_metered_separately",
            "boiler_condensate_recovered",
            "no_once_through_cooling_discharge",
            "water_balance_test_report",
            "wastewater_discharge_compliant",
            "no_banned_equipment",
            "lawful_abstraction_permits",
            "water_resource_fee_paid",
            "no_over_plan_use_3_years",
            "three_simultaneous_four_in_place",
        ),
        True,
    )
    a = tier_eligibility(
        "benchmark", sectors=["food"], values={"reuse_rate": 70.0}, facts=facts, grade=Grade.ADVANCED
    )
    perf = [c for c in a.criteria if c.group == "any:performance"]
    assert {c.id for c in perf if c.status is Status.MET} == {"benchmark.reuse.food", "benchmark.quota"}
    # water_saving is unknown (no metering rates given), so the benchmark tier is unknown, not refused
    assert a.eligible is None


def test_metering_compliance(worked_example: Enterprise, worked_values: dict[str, float]) -> None:
    ms = [Measurement(f, v, accuracy_class=1.0) for f, v in worked_values.items()]
    ind = indicators(water_balance(worked_example, ms))
    checks = {c.id: c for c in metering_compliance(ind)}
    # the example model carries no meters: nothing is equipped
    assert checks["equipping_rate.level1"].status is Status.NOT_MET
    assert checks["equipping_rate.level1"].reason == "0.0 % < 100 %"
    assert len(checks) == 6


def test_unknown_tier() -> None:
    with pytest.raises(InvalidInputError):
        tier_eligibility("platinum")
