"""The loss model against published worked examples (Thornton et al. 2008; Lambert et al. 1999)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.leaks import (
    infrastructure_leakage_index,
    iwa_water_balance,
    leak_defaults,
    leak_impact,
    minimum_night_flow,
    night_day_factor,
    night_flow_analysis,
    pumping_specific_energy,
    unavoidable_background_leakage,
    unavoidable_real_losses,
)

pytestmark = pytest.mark.unit

GALLON = 3.785411784  # US gallon [L]
MILE = 1.609344  # [km]
FOOT = 0.3048e-3  # [km]
PSI_PER_M = 9.80665 / 6.894757293168361  # 1 m of water head in psi


def test_uarl_coefficients_match_the_us_form_of_table_7_2() -> None:
    # Thornton, Sturm & Kunkel, Water Loss Control (2008), Table 7.2 "UARL Total":
    # mains 5.4 gal/mi/d/psi, service lines 0.15 gal/connection/d/psi, private pipe 7.5 gal/mi/d/psi.
    # In L/km/d/m, L/connection/d/m they are Lambert et al. (1999)'s 18, 0.8 and 25.
    per_km = unavoidable_real_losses(1.0, 0.0, 0.0, 1.0, check_validity=False) * 1000
    per_connection = unavoidable_real_losses(0.0, 1.0, 0.0, 1.0, check_validity=False) * 1000
    per_private_km = unavoidable_real_losses(0.0, 0.0, 1.0, 1.0, check_validity=False) * 1000
    assert per_km == pytest.approx(5.4 * GALLON / MILE * PSI_PER_M, rel=0.01)
    assert per_connection == pytest.approx(0.15 * GALLON * PSI_PER_M, rel=0.01)
    assert per_private_km == pytest.approx(7.5 * GALLON / MILE * PSI_PER_M, rel=0.01)


@pytest.mark.parametrize(("meter_distance_ft", "published_mgd"), [(100.0, 1.43), (20.0, 0.97)])
def test_uarl_worked_example_of_water_loss_control(meter_distance_ft: float, published_mgd: float) -> None:
    # Thornton et al. (2008) §7.5, p. 87: 60 000 services, 600 mi of mains, 70 psi; customer meters
    # 100 ft (a) or 20 ft (b) from the curb stop give 1.43 and 0.97 mgd (read from their Fig. 7.3).
    connections = 60_000
    uarl = unavoidable_real_losses(
        600 * MILE, connections, connections * meter_distance_ft * FOOT, 70 / PSI_PER_M
    )  # m³/d
    mgd = uarl * 1000 / GALLON / 1e6
    assert mgd == pytest.approx(published_mgd, rel=0.02)


def test_uarl_is_nan_outside_its_validity_and_vectorises() -> None:
    assert math.isnan(unavoidable_real_losses(5.0, 24, 0.0, 40.0))  # a plant: far below 5 000 connections
    assert math.isnan(unavoidable_real_losses(1000.0, 50_000, 0.0, 120.0))  # pressure above 100 m
    assert unavoidable_real_losses(5.0, 24, 0.0, 40.0, check_validity=False) == pytest.approx(
        (18 * 5 + 0.8 * 24) * 40 / 1000
    )
    pressures = np.array([20.0, 50.0, 80.0])
    out = unavoidable_real_losses(1000.0, 50_000, 0.0, pressures)
    assert np.isnan(out[0]) and out[1:] == pytest.approx([2900.0, 4640.0])
    series = unavoidable_real_losses(1000.0, 50_000, 0.0, pd.Series([50.0, 60.0], index=["a", "b"]))
    assert isinstance(series, pd.Series) and list(series.index) == ["a", "b"]


def test_ili_is_carl_over_uarl() -> None:
    uarl = unavoidable_real_losses(600 * MILE, 60_000, 60_000 * 100 * FOOT, 70 / PSI_PER_M) * 365
    assert infrastructure_leakage_index(3.0 * uarl, uarl) == pytest.approx(3.0)
    assert math.isnan(infrastructure_leakage_index(10.0, 0.0))
    assert infrastructure_leakage_index(np.array([1.0, 2.0]), 2.0) == pytest.approx([0.5, 1.0])


def test_background_leakage_matches_the_background_column_of_table_7_2() -> None:
    # Table 7.2 "Background Losses": 2.87 gal/mi/d/psi, 0.112 gal/conn/d/psi, 4.78 gal/mi/d/psi;
    # at 50 m they are the 20 L/km/h, 1.25 L/connection/h and 33 L/km/h of Lambert (2009).
    pressure = 50.0
    mains = unavoidable_background_leakage(1.0, 0, 0.0, pressure) * 1000  # L/h
    service = unavoidable_background_leakage(0.0, 1, 0.0, pressure) * 1000
    private = unavoidable_background_leakage(0.0, 0, 1.0, pressure) * 1000
    assert mains == pytest.approx(2.87 * GALLON / MILE * PSI_PER_M * pressure / 24, rel=0.01)
    assert service == pytest.approx(0.112 * GALLON * PSI_PER_M * pressure / 24, rel=0.01)
    assert private == pytest.approx(4.78 * GALLON / MILE * PSI_PER_M * pressure / 24, rel=0.01)
    # FAVAD N1 = 1.5: doubling the pressure multiplies background leakage by 2^1.5
    ratio = unavoidable_background_leakage(1.0, 0, 0.0, 100.0) / unavoidable_background_leakage(
        1.0, 0, 0.0, 50.0
    )
    assert ratio == pytest.approx(2**1.5)
    with pytest.raises(InvalidInputError):
        unavoidable_background_leakage(1.0, 0, 0.0, 50.0, condition_factor=-1.0)


def test_night_flow_worked_example() -> None:
    # rouslenz.blogspot.com (2009): MNF 2.5 L/s, 1 066 connections, legitimate night flow
    # 4.08 L/connection/h, hour-day factor 17.97 h/d -> 4.36 L/conn/h net, 83.5 m³/d of leakage.
    analysis = night_flow_analysis(2.5 * 3.6, 4.08 * 1066 / 1000, 17.97)
    assert analysis.net_night_flow * 1000 / 1066 == pytest.approx(4.36, abs=0.005)
    assert analysis.real_losses == pytest.approx(83.52, rel=0.002)
    assert math.isnan(analysis.background_leakage) and math.isnan(analysis.burst_leakage)


def test_night_flow_splits_background_and_bursts() -> None:
    background = unavoidable_background_leakage(10.0, 500, 0.0, 60.0)
    analysis = night_flow_analysis(5.0, 1.0, 20.0, background_leakage=background)
    assert analysis.burst_leakage == pytest.approx(4.0 - background)
    assert night_flow_analysis(1.0, 0.9, background_leakage=0.5).burst_leakage == 0.0
    with pytest.raises(InvalidInputError):
        night_flow_analysis(-1.0, 0.0)
    with pytest.raises(InvalidInputError):
        night_flow_analysis(1.0, float("nan"))


def _day(values: list[float], start: str = "2025-03-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="1h", tz="Asia/Shanghai")
    return pd.Series(values, index=index)


def test_minimum_night_flow_takes_the_lowest_rolling_hour_in_the_window() -> None:
    flow = _day([12, 11, 9, 8, 10, 14] + [20] * 18 + [13, 12, 7, 9, 11, 15] + [20] * 18)
    assert minimum_night_flow(flow, averaging=pd.Timedelta(0)).tolist() == [8.0, 7.0]  # 02:00–04:00
    assert minimum_night_flow(flow, window=("00:00", "06:00"), averaging=pd.Timedelta(0)).tolist() == [
        8.0,
        7.0,
    ]
    # a 2-hour rolling mean at 03:00 averages 02:00 and 03:00
    assert minimum_night_flow(flow, averaging=pd.Timedelta(hours=2)).tolist() == [8.5, 8.0]
    # in UTC the same readings are eight hours earlier: the local night is 18:00–20:00 UTC
    utc = minimum_night_flow(flow, window=("18:00", "20:00"), timezone="UTC", averaging=pd.Timedelta(0))
    assert utc.tolist() == [8.0, 7.0]


def test_minimum_night_flow_across_midnight_is_dated_by_the_morning() -> None:
    flow = _day([5.0] + [20.0] * 22 + [6.0] + [4.0] + [20.0] * 22)  # 00:00 on 1 March to 22:00 on 2 March
    out = minimum_night_flow(flow, window=("23:00", "01:00"), averaging=pd.Timedelta(0))
    assert [str(d) for d in out.index] == ["2025-03-01", "2025-03-02"]
    assert out.tolist() == [5.0, 4.0]


def test_night_day_factor() -> None:
    assert night_day_factor(_day([40.0] * 24)).tolist() == [24.0]
    pressures = [50.0] * 6 + [40.0] * 18
    # P_MNF = 50 m: NDF = 6 + 18 × 0.8 = 20.4 h/d with N1 = 1, and 6 + 18 × 0.8^1.5 with N1 = 1.5
    assert night_day_factor(_day(pressures)).iloc[0] == pytest.approx(20.4)
    assert night_day_factor(_day(pressures), exponent=1.5).iloc[0] == pytest.approx(6 + 18 * 0.8**1.5)
    assert math.isnan(night_day_factor(_day([40.0] * 12)).iloc[0])  # an incomplete day
    with pytest.raises(InvalidInputError):
        night_day_factor(_day([40.0] * 24), window=("23:00", "01:00"))


def test_water_balance_identities() -> None:
    b = iwa_water_balance(
        10_000.0,
        billed_metered=500.0,
        unbilled_metered=8_200.0,
        unbilled_unmetered=100.0,
        metering_inaccuracies=160.0,
        unauthorised_consumption=40.0,
    )
    assert b.authorised_consumption == 8_800.0
    assert b.apparent_losses == 200.0
    assert b.real_losses == 1_000.0
    assert b.water_losses == 1_200.0
    assert b.non_revenue_water == 9_500.0 == b.system_input_volume - b.revenue_water
    assert b.system_input_volume == b.authorised_consumption + b.water_losses
    assert (
        iwa_water_balance(100.0, unbilled_metered=110.0).real_losses == -10.0
    )  # shows a balance that does not close
    with pytest.raises(InvalidInputError):
        iwa_water_balance(-1.0)


def test_pumping_energy_and_leak_impact() -> None:
    # standards.md §10.2: H = 50 m, η = 0.70 -> 0.195 kWh/m³
    assert pumping_specific_energy(50.0, 0.70) == pytest.approx(0.1946, abs=1e-4)
    assert math.isnan(pumping_specific_energy(50.0, 0.0))
    impact = leak_impact(5.0, 24.0, tariff=4.0, specific_energy=0.2, grid_factor=0.5)
    assert (impact.volume, impact.cost, impact.energy, impact.emissions) == (120.0, 480.0, 24.0, 12.0)
    defaults = leak_defaults()
    default = leak_impact(1.0, 1.0, tariff=3.2)
    assert default.tariff == 3.2
    assert "tariff" not in defaults  # no national default: the price is the enterprise's own
    assert default.specific_energy == defaults["specific_energy"]["value"]
    assert default.grid_factor == defaults["grid_factor"]["value"]
    for entry in defaults.values():
        assert {"value", "units", "source", "confidence"} <= set(entry)
        assert entry["confidence"] in ("C", "S", "U")
    with pytest.raises(InvalidInputError):
        leak_impact(-1.0, 1.0, tariff=3.2)
