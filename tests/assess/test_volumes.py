"""Period volumes from the stored aggregates: monthly buckets, daily fall-back, gaps and coverage.

Readings go through the real ingestion pipeline (hourly interval), so the aggregates are the ones
production code writes; every true volume is a constant rate × hours.  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from shuixiao.assess import local_period, parse_month_range, period_volumes, volume_series
from shuixiao.balance import Provenance
from shuixiao.errors import InvalidInputError
from shuixiao.storage import Store
from tests.assess.conftest import DISCHARGE_RATE, INTAKE_RATE, hourly, local

JAN_H = 31 * 24
FEB_H = 28 * 24


def test_whole_months_come_from_monthly_aggregates(plant_store: Callable[..., Store]) -> None:
    times = hourly(local(2025, 1, 1), local(2025, 3, 1))
    store = plant_store(intake=times, rate=times[:-1], discharge=times)
    e = store.load_enterprise("plant")
    v = period_volumes(store, e, *parse_month_range("2025-01..2025-02"))
    ft1, fi2, ft3 = v.meters["FT-1"], v.meters["FI-2"], v.meters["FT-3"]
    assert ft1.resolution == "P1M" and ft1.interval == 3600
    assert ft1.value == pytest.approx(INTAKE_RATE * (JAN_H + FEB_H))
    assert fi2.value == pytest.approx(DISCHARGE_RATE * (JAN_H + FEB_H))
    assert ft3.value == pytest.approx(fi2.value)
    for m in (ft1, fi2, ft3):
        assert m.provenance is Provenance.MEASURED
        assert m.coverage == pytest.approx(1.0) and m.volume_coverage == pytest.approx(1.0)
        assert m.observed == m.value
    # complete: the balance input carries the accuracy class, not a made-up uncertainty
    [intake] = [x for x in v.measurements() if x.meter == "FT-1"]
    assert intake.accuracy_class == 1.0 and intake.uncertainty is None


def test_interior_gap_of_a_totalizer_loses_no_volume(plant_store: Callable[..., Store]) -> None:
    gap = (local(2025, 1, 10, 8), local(2025, 1, 11, 2))  # 18 h without readings
    times = hourly(local(2025, 1, 1), local(2025, 2, 1), skip=[gap])
    store = plant_store(intake=times)
    v = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1))
    ft1 = v.meters["FT-1"]
    assert ft1.resolution == "P1D"  # the month is incomplete: daily aggregates
    assert ft1.coverage == pytest.approx((JAN_H - 18) / JAN_H)
    assert ft1.volume_coverage == pytest.approx(1.0)  # the register spans the gap
    assert ft1.value == pytest.approx(INTAKE_RATE * JAN_H)
    assert ft1.provenance is Provenance.MEASURED


def test_data_ending_early_is_filled_and_marked_estimated_not_silently_low(
    plant_store: Callable[..., Store],
) -> None:
    times = hourly(local(2025, 1, 1), local(2025, 1, 27, 12))  # nothing after the 27th, noon
    store = plant_store(intake=times)
    v = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1))
    ft1 = v.meters["FT-1"]
    covered = JAN_H - (4 * 24 + 12)
    assert ft1.observed == pytest.approx(INTAKE_RATE * covered)
    assert ft1.volume_coverage == pytest.approx(covered / JAN_H)
    assert ft1.value == pytest.approx(INTAKE_RATE * JAN_H)  # filled at the covered mean rate
    assert ft1.provenance is Provenance.ESTIMATED
    filled = ft1.value - ft1.observed
    assert ft1.uncertainty > 0.25 * filled * 0.99  # gap_fill_relative_uncertainty on the filled part
    [m] = [x for x in v.measurements() if x.meter == "FT-1"]
    assert m.provenance is Provenance.ESTIMATED and m.uncertainty == pytest.approx(ft1.uncertainty)


def test_late_start_of_a_totalizer_is_found_from_its_readings(plant_store: Callable[..., Store]) -> None:
    times = hourly(local(2025, 1, 2, 6), local(2025, 2, 1))
    store = plant_store(intake=times)
    ft1 = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1)).meters["FT-1"]
    assert ft1.volume_coverage == pytest.approx((JAN_H - 30) / JAN_H)
    assert ft1.value == pytest.approx(INTAKE_RATE * JAN_H)


def test_rate_meter_gaps_reduce_coverage(plant_store: Callable[..., Store]) -> None:
    gap = (local(2025, 1, 5), local(2025, 1, 8))  # 3 days: 90.3 % covered
    times = hourly(local(2025, 1, 1), local(2025, 2, 1), skip=[gap])[:-1]
    store = plant_store(rate=times)
    fi2 = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1)).meters["FI-2"]
    assert fi2.coverage == pytest.approx((JAN_H - 72) / JAN_H)
    assert fi2.volume_coverage == pytest.approx(fi2.coverage)
    assert fi2.observed == pytest.approx(DISCHARGE_RATE * (JAN_H - 72))
    assert fi2.value == pytest.approx(DISCHARGE_RATE * JAN_H)
    assert fi2.provenance is Provenance.ESTIMATED
    assert "readings" in (fi2.note or "")


def test_mostly_empty_meter_is_missing_and_left_to_the_balance(plant_store: Callable[..., Store]) -> None:
    full = hourly(local(2025, 1, 1), local(2025, 2, 1))
    store = plant_store(intake=full, discharge=full, rate=hourly(local(2025, 1, 1), local(2025, 1, 10)))
    v = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1))
    fi2 = v.meters["FI-2"]
    assert fi2.provenance is Provenance.MISSING and math.isnan(fi2.value)
    assert "below" in (fi2.note or "")
    assert {m.meter for m in v.measurements()} == {"FT-1", "FT-3"}
    assert v.by_provenance()[Provenance.MISSING] == ("FI-2",)


def test_meter_without_readings_is_missing(plant_store: Callable[..., Store]) -> None:
    store = plant_store(intake=hourly(local(2025, 1, 1), local(2025, 2, 1)))
    v = period_volumes(store, store.load_enterprise("plant"), *local_period(2025, 1))
    assert v.meters["FT-3"].provenance is Provenance.MISSING
    assert v.meters["FT-3"].note == "no readings in the period"


def test_partial_months_use_daily_aggregates(plant_store: Callable[..., Store]) -> None:
    times = hourly(local(2025, 1, 1), local(2025, 3, 1))
    store = plant_store(intake=times)
    v = period_volumes(store, store.load_enterprise("plant"), *parse_month_range("2025-01-10..2025-02-14"))
    ft1 = v.meters["FT-1"]
    assert ft1.resolution == "P1D"
    assert ft1.value == pytest.approx(INTAKE_RATE * 36 * 24)
    assert ft1.provenance is Provenance.MEASURED


def test_series_of_months(plant_store: Callable[..., Store]) -> None:
    gap = (local(2025, 2, 10), local(2025, 2, 11))
    times = hourly(local(2025, 1, 1), local(2025, 3, 1), skip=[gap])
    store = plant_store(intake=times, discharge=times)
    start, _ = local_period(2025, 1)
    _, end = local_period(2025, 2)
    jan, feb = volume_series(store, store.load_enterprise("plant"), [start, local_period(2025, 2)[0], end])
    assert jan.meters["FT-1"].value == pytest.approx(INTAKE_RATE * JAN_H)
    assert feb.meters["FT-1"].value == pytest.approx(INTAKE_RATE * FEB_H)
    assert feb.meters["FT-1"].coverage < 1.0 and feb.meters["FT-1"].volume_coverage == pytest.approx(1.0)


@pytest.mark.parametrize(
    "bounds",
    [
        (local(2025, 1, 1, 6), local(2025, 2, 1)),  # not local midnight
        (local(2025, 2, 1), local(2025, 1, 1)),  # ends before it starts
    ],
)
def test_bad_periods_are_refused(plant_store: Callable[..., Store], bounds: tuple) -> None:  # type: ignore[type-arg]
    store = plant_store()
    with pytest.raises(InvalidInputError):
        period_volumes(store, store.load_enterprise("plant"), *bounds)
