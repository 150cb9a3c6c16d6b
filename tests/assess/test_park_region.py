"""Park and region assessments of the demo park, and the status rules of target progress."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from shuixiao.assess import (
    assess_park,
    assess_region,
    local_period,
    progress_status,
    region_chain,
    target_progress,
)
from shuixiao.assess.region import TargetProgress
from shuixiao.balance import reuse_rate
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.reference import load_table
from shuixiao.storage import Store
from tests.assess.conftest import DEMO

pytestmark = pytest.mark.integration

VARIANTS = {"crude_steel": "no_coking_no_cold_rolling"}


def period() -> tuple[dt.datetime, dt.datetime]:
    start, _ = local_period(2025, 1)
    return start, start + dt.timedelta(days=DEMO.days)


@pytest.fixture(scope="module")
def park(demo: tuple[Store, dict[str, Any], Path]) -> Any:
    store = demo[0]
    return assess_park(store, store.list_parks()[0].id, *period(), variants=VARIANTS)


def test_park_totals_are_the_sums_of_its_enterprises(
    park: Any, demo: tuple[Store, dict[str, Any], Path]
) -> None:
    truth = demo[1]["enterprises"]
    assert {a.enterprise.id for a in park.enterprises} == set(truth)
    intake = sum(a.indicators["intake"].value for a in park.enterprises)
    reused = sum(a.indicators["reused"].value for a in park.enterprises)
    assert park.totals["intake"].value == pytest.approx(intake)
    assert park.totals["reuse_rate"].value == pytest.approx(reuse_rate(reused, intake))
    added = sum(t["value_added"] for t in truth.values())
    assert park.totals["value_added"].value == pytest.approx(added, rel=1e-6)
    true_intake = sum(t["totals"]["intake"] for t in truth.values())
    assert park.totals["intake_per_value_added"].value == pytest.approx(true_intake / (added / 1e4), rel=0.01)
    assert json.loads(json.dumps(park.to_dict(), allow_nan=False))["park"]["id"] == park.park.id


def test_ranking_puts_paper_first_and_dyeing_last_against_the_2020_average(park: Any) -> None:
    ranks = park.ranking["ratio_to_baseline"]
    assert [r.rank for r in ranks] == [1, 2, 3, 4, 5, 6]
    assert (
        ranks[0].enterprise == "bihu-paper" and ranks[-1].enterprise == "jinlan-dyeing"
    )  # docs/demo-park.md
    assert ranks[0].percentile > ranks[-1].percentile
    reuse = park.ranking["reuse_rate"]
    assert [r.value for r in reuse] == sorted((r.value for r in reuse), reverse=True)
    leak = park.ranking["leakage_rate"]
    assert all(r.rank is None for r in leak if math.isnan(r.value))


def test_exchanges_list_the_park_reclaimed_water_and_rain(park: Any) -> None:
    ins = {(x.enterprise, x.unit) for x in park.exchanges if x.direction == "in"}
    assert ("bihu-paper", "src_reclaimed") in ins and ("yinhu-aluminium", "src_rain") in ins
    assert all(x.value > 0 for x in park.exchanges)


def test_unknown_park_and_region(demo: tuple[Store, dict[str, Any], Path]) -> None:
    store = demo[0]
    with pytest.raises(NotFoundError, match="no park"):
        assess_park(store, "nowhere", *period())
    with pytest.raises(NotFoundError, match="no region"):
        assess_region(store, "nowhere", 2025)


@pytest.fixture(scope="module")
def region(demo: tuple[Store, dict[str, Any], Path]) -> Any:
    store = demo[0]
    return assess_region(store, "hunan", 2025, period=period(), variants=VARIANTS)


def test_region_includes_the_cities_inside_and_both_plans(region: Any) -> None:
    assert len(region.enterprises) == 6
    scopes = {t.scope for t in region.targets}
    assert scopes == {"national", "430000"}
    assert json.loads(json.dumps(region.to_dict(), allow_nan=False))["year"] == 2025


def _target(region: Any, scope: str, quantity: str) -> TargetProgress:
    return next(
        t for t in region.targets if t.scope == scope and t.quantity == quantity and t.subject is None
    )


def test_intensity_against_the_national_2020_base(region: Any) -> None:
    t = _target(region, "national", "intake_per_value_added")
    base = load_table("region_baselines").get("national.intake_per_value_added_2020").value
    assert t.baseline == base and t.baseline_source == "reference"
    assert t.target == pytest.approx(base * 0.84)  # −16 % (seed 001)
    assert t.actual == pytest.approx(region.totals["intake_per_value_added"].value)
    assert t.status == "met" and "compared with that level" in t.reason  # the demo park uses ≈ 25 m³/万元
    assert t.trajectory()[0] == (2020, base) and t.trajectory()[-1] == (2025, pytest.approx(t.target))


def test_hunan_intensity_is_unknown_without_a_2020_base(region: Any) -> None:
    # seed 003 prints Hunan's 2022 intensity (33.85 m³/万元) but no 2020 value: nothing to measure −12 % from
    t = _target(region, "430000", "intake_per_value_added")
    assert t.status == "unknown" and "no 2020 base for 430000 in the reference data" in t.reason
    assert "--baseline 430000=" in t.reason and "--baseline 430000=" in t.reason_zh
    assert math.isnan(t.target)


def test_a_supplied_hunan_base_is_used_and_a_bad_one_refused(
    demo: tuple[Store, dict[str, Any], Path], region: Any
) -> None:
    # a base the user supplies (here: twice the demo's own intensity, so −12 % is met) sets the line
    actual = region.totals["intake_per_value_added"].value
    given = target_progress(
        region.enterprises,
        2025,
        region_chain(demo[0].list_regions(), "hunan"),
        baselines={"430000": 2 * actual},
    )
    t = next(x for x in given if x.scope == "430000" and x.quantity == "intake_per_value_added")
    assert t.baseline == 2 * actual and t.baseline_source == "given" and t.baseline_year == 2020
    assert t.target == pytest.approx(2 * actual * 0.88) and t.status == "met"  # −12 % (seed 003)
    assert "as supplied" in t.reason
    national = next(x for x in given if x.scope == "national" and x.quantity == "intake_per_value_added")
    assert national.baseline_source == "reference"  # a base for Hunan does not touch the national one
    with pytest.raises(InvalidInputError, match="positive number"):
        target_progress(region.enterprises, 2025, (), baselines={"430000": -1.0})


def test_reuse_rate_and_counts(region: Any) -> None:
    t = _target(region, "national", "reuse_rate")
    assert t.target == 94 and t.baseline_year == 2021 and t.baseline == 92.9
    assert t.status == ("met" if t.actual >= 94 else "behind")
    nc = _target(region, "430000", "non_conventional_use")
    assert nc.status == "unknown" and "contribute" in nc.reason  # far below a provincial total
    share = _target(region, "national", "water_saving_enterprise_share")
    eligible = sum(1 for tiers in region.tiers.values() if tiers["water_saving"] is True)
    assert share.actual == pytest.approx(100 * eligible / 6)


def test_per_product_rows_for_every_enterprise_and_table(region: Any) -> None:
    rows = [t for t in region.targets if t.quantity == "intake_per_product"]
    assert len(rows) == 12  # 6 enterprises × (national, Hunan)
    steel = next(t for t in rows if t.subject == "ronghu-steel/crude_steel" and t.scope == "national")
    assert steel.target == pytest.approx(2.25)
    paper_hunan = next(t for t in rows if t.subject == "bihu-paper/containerboard" and t.scope == "430000")
    assert paper_hunan.status == "unknown"  # Hunan's table has no containerboard row


def test_targets_of_one_park_use_the_same_rules(park: Any, region: Any) -> None:
    chain = park.enterprises[0].regions
    rows = target_progress(park.enterprises, 2025, chain)
    assert [(t.id, t.status) for t in rows] == [(t.id, t.status) for t in region.targets]


@pytest.mark.parametrize(
    ("actual", "year", "status"),
    [
        (26.0, 2023, "met"),
        (28.5, 2023, "on_track"),
        (30.0, 2023, "behind"),
        (28.5, 2025, "behind"),
        (math.nan, 2023, "unknown"),
    ],
)
def test_progress_status(actual: float, year: int, status: str) -> None:
    base, target = 32.9, 32.9 * 0.84
    expected = base + (target - base) * (year - 2020) / 5
    assert progress_status(actual, target, expected, year, 2025, lower_is_better=True)[0] == status


def test_progress_status_higher_is_better() -> None:
    assert progress_status(93.5, 94.0, 93.4, 2023, 2025, lower_is_better=False)[0] == "on_track"
    assert progress_status(93.0, 94.0, 93.4, 2023, 2025, lower_is_better=False)[0] == "behind"
    assert progress_status(95.0, math.nan, math.nan, 2023, 2025, lower_is_better=False)[0] == "unknown"
