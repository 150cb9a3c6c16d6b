"""The savings engine: OLS baseline, model quality, fractional savings uncertainty, savings.

Published worked examples asserted:

* NIST Statistical Reference Datasets, linear least squares, *Norris* (36 observations, certified
  values: b0 = −0.262323073774029, b1 = 1.00211681802045, sd(b0) = 0.232818234301152,
  sd(b1) = 0.429796848199937E-03, residual standard deviation 0.884796396144373,
  R² = 0.999993745883712), https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml ;
* ASHRAE Guideline 14-2014, Annex B, fractional savings uncertainty (Reddy & Claridge 2000,
  HVAC&R Research 6(1):3–20, doi:10.1080/10789669.2000.10391247)
  ``ΔS/S = t · 1.26 · CV / F · √((n/n′)(1 + 2/n′)/m)``, evaluated by hand below with Student-t
  critical values from the NIST/SEMATECH e-Handbook of Statistical Methods, Table 1.4.2.7.2
  (t₀.₉₅;₁₀ = 1.812, t₀.₉₅;₆ = 1.943).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shuixiao.balance.savings import (
    cooling_degree_days,
    fit_baseline,
    fractional_savings_uncertainty,
    model_quality,
    savings,
    select_baseline,
)
from shuixiao.errors import InvalidInputError
from shuixiao.reference import parameter

NORRIS_X = [
    0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0, 558.2, 0.4, 0.6, 775.5, 666.9, 338.0,
    447.5, 11.6, 556.0, 228.1, 995.8, 887.6, 120.2, 0.3, 0.3, 556.8, 339.1, 887.2, 999.0, 779.0, 11.1, 118.3,
    229.2, 669.1, 448.9, 0.5,
]  # fmt: skip
NORRIS_Y = [
    0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9, 559.2, 0.3, 0.1, 778.1, 668.8, 339.3,
    448.9, 10.8, 557.7, 228.3, 998.0, 888.8, 119.6, 0.3, 0.6, 557.6, 339.3, 888.0, 998.5, 778.9, 10.2, 117.6,
    228.9, 668.4, 449.2, 0.2,
]  # fmt: skip

pytestmark = pytest.mark.unit


def test_ols_reproduces_the_nist_norris_certified_values() -> None:
    m = fit_baseline(NORRIS_Y, {"x": NORRIS_X})
    assert m.coefficients[0] == pytest.approx(-0.262323073774029, rel=1e-9)
    assert m.coefficients[1] == pytest.approx(1.00211681802045, rel=1e-12)
    assert m.standard_errors[0] == pytest.approx(0.232818234301152, rel=1e-9)
    assert m.standard_errors[1] == pytest.approx(0.429796848199937e-03, rel=1e-9)
    assert m.rmse == pytest.approx(0.884796396144373, rel=1e-9)  # residual standard deviation
    assert m.r_squared == pytest.approx(0.999993745883712, rel=1e-12)
    assert (m.n, m.p) == (36, 2)


def test_cv_rmse_and_nmbe_follow_guideline_14() -> None:
    m = fit_baseline(NORRIS_Y, {"x": NORRIS_X})
    mean = float(np.mean(NORRIS_Y))
    # Guideline 14-2014 Annex B: CV(RMSE) = 100·√(Σe²/(n−p))/ȳ, NMBE = 100·Σe/((n−p)·ȳ)
    assert m.cv_rmse == pytest.approx(100 * 0.884796396144373 / mean, rel=1e-9)
    assert m.nmbe == pytest.approx(0.0, abs=1e-9)  # OLS with an intercept: residuals sum to 0
    biased = m.residuals.copy()
    assert biased.sum() == pytest.approx(0.0, abs=1e-8)


def test_fractional_savings_uncertainty_worked_example() -> None:
    # CV = 10 %, F = 10 %, n = m = 12 months, p = 2, 90 % confidence, uncorrelated residuals:
    # t(0.95; 10) = 1.812 → 1.812 · 1.26 · 0.10/0.10 · √((1 + 2/12)/12) = 1.812 · 1.26 · 0.31180 = 0.7119
    fsu = fractional_savings_uncertainty(10.0, 0.10, 12, 12, 2, confidence=0.90, factor=1.26)
    assert fsu == pytest.approx(1.812 * 1.26 * math.sqrt((1 + 2 / 12) / 12), rel=5e-4)
    assert fsu == pytest.approx(0.7121, abs=2e-4)
    # ρ = 0.2: n′ = 12·0.8/1.2 = 8, t(0.95; 6) = 1.943 → 1.943 · 1.26 · √(12/8 · (1 + 2/8)/12) = 0.9678
    fsu_rho = fractional_savings_uncertainty(
        10.0, 0.10, 12, 12, 2, confidence=0.90, autocorrelation=0.2, factor=1.26
    )
    assert fsu_rho == pytest.approx(1.943 * 1.26 * math.sqrt(12 / 8 * (1 + 2 / 8) / 12), rel=5e-4)
    # halving the savings fraction doubles the fractional uncertainty; more reporting months shrink it
    assert fractional_savings_uncertainty(10.0, 0.05, 12, 12, 2, confidence=0.90) == pytest.approx(2 * fsu)
    assert fractional_savings_uncertainty(10.0, 0.10, 12, 48, 2, confidence=0.90) == pytest.approx(fsu / 2)
    assert math.isnan(fractional_savings_uncertainty(10.0, 0.0, 12, 12, 2, confidence=0.90))


def test_default_factor_comes_from_the_data_file() -> None:
    a = fractional_savings_uncertainty(10.0, 0.1, 12, 12, 2, confidence=0.9)
    b = fractional_savings_uncertainty(
        10.0,
        0.1,
        12,
        12,
        2,
        confidence=0.9,
        factor=parameter("fsu_factor", table="savings_gl14", scope="month").value,
    )
    assert a == b


def _plant(rng: np.random.Generator, n: int, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    production = rng.uniform(800.0, 1200.0, n)
    return production, 2000.0 + 3.0 * production + rng.normal(0.0, sigma, n)


def test_exact_prediction_interval_covers_at_its_confidence() -> None:
    """Monte Carlo: savings of a plant that saved nothing fall inside the 90 % OLS interval 90 % of the time."""
    rng = np.random.default_rng(14)
    inside, trials = 0, 2000
    for _ in range(trials):
        p_base, y_base = _plant(rng, 12, 150.0)
        p_rep, y_rep = _plant(rng, 6, 150.0)
        s = savings(
            fit_baseline(y_base, {"production": p_base}), y_rep, {"production": p_rep}, confidence=0.90
        )
        inside += abs(s.savings) <= s.prediction_uncertainty
    assert 0.88 <= inside / trials <= 0.92


def test_savings_of_a_retrofit_and_its_interval() -> None:
    rng = np.random.default_rng(7)
    p_base, y_base = _plant(rng, 12, 50.0)
    p_rep, y_rep = _plant(rng, 12, 50.0)
    model = fit_baseline(y_base, {"production": p_base})
    s = savings(model, 0.9 * y_rep, {"production": p_rep}, confidence=0.90)
    true = 0.1 * float(y_rep.sum())
    assert s.savings == pytest.approx(float(model.predict({"production": p_rep}).sum() - 0.9 * y_rep.sum()))
    assert s.low <= true <= s.high
    assert s.significant and s.fraction == pytest.approx(s.savings / s.adjusted_baseline)
    assert s.uncertainty == pytest.approx(s.fsu * abs(s.savings))
    names = [c.name for c in s.checks]
    assert names == ["cv_rmse", "nmbe", "r_squared", "fsu_68"]
    assert all(c.passed for c in s.checks)


def test_model_quality_thresholds_come_from_the_data_file() -> None:
    rng = np.random.default_rng(3)
    p, y = _plant(rng, 24, 900.0)  # noisy: CV(RMSE) ≈ 17 % monthly
    model = fit_baseline(y, {"production": p})
    checks = {c.name: c for c in model_quality(model, granularity="month")}
    assert checks["cv_rmse"].threshold == parameter("cv_rmse_max", table="savings_gl14", scope="month").value
    assert checks["cv_rmse"].passed is (model.cv_rmse <= checks["cv_rmse"].threshold)
    assert checks["r_squared"].threshold == parameter("r_squared_min", table="savings_gl14").value
    daily = {c.name: c for c in model_quality(model, granularity="day")}
    assert daily["cv_rmse"].threshold == parameter("cv_rmse_max", table="savings_gl14", scope="day").value


def test_selection_keeps_temperature_only_when_it_explains_intake() -> None:
    rng = np.random.default_rng(11)
    production = rng.uniform(800.0, 1200.0, 18)
    temperature = rng.uniform(4.0, 30.0, 18)
    y = 1000.0 + 2.0 * production + 40.0 * temperature + rng.normal(0.0, 20.0, 18)
    cdd = np.maximum(temperature - 18.0, 0.0) * 30
    chosen = select_baseline(
        y, {"production": production}, {"temperature": temperature, "cooling_degree_days": cdd}
    )
    assert chosen.model.regressors == ("production", "temperature")
    assert len(chosen.candidates) == 3 and all(c.model is not None for c in chosen.candidates)
    noise = rng.uniform(4.0, 30.0, 18)
    y0 = 1000.0 + 2.0 * production + rng.normal(0.0, 20.0, 18)
    plain = select_baseline(y0, {"production": production}, {"temperature": noise})
    assert plain.model.regressors == ("production",)
    assert not next(c for c in plain.candidates if "temperature" in c.regressors).admissible


def test_constant_production_falls_back_to_the_mean_model() -> None:
    chosen = select_baseline([10.0, 11.0, 9.5, 10.5], {"production": [5.0, 5.0, 5.0, 5.0]})
    assert chosen.model.regressors == () and chosen.model.coefficients[0] == pytest.approx(10.25)
    s = savings(chosen.model, [9.0, 9.0], {}, confidence=0.9)
    assert s.adjusted_baseline == pytest.approx(20.5) and s.savings == pytest.approx(2.5)


def test_cooling_degree_days() -> None:
    assert cooling_degree_days([15.0, 20.0, 25.5], base=18.0) == 9.5
    assert cooling_degree_days([10.0, math.nan, 19.0], base=18.0) == 1.0
    assert cooling_degree_days([20.0]) == 20.0 - parameter("cooling_degree_base", table="savings_gl14").value


@pytest.mark.parametrize(
    ("y", "x", "match"),
    [
        ([1.0, 2.0], {"production": [1.0, 2.0]}, "cannot fit"),
        ([1.0, 2.0, math.nan, 4.0], {"production": [1.0, 2.0, 3.0, 4.0]}, "finite"),
        ([1.0, 2.0, 3.0, 4.0], {"production": [1.0, 2.0, 3.0]}, "one value per period"),
        ([-1.0, -2.0, -3.0, -4.0], {"production": [1.0, 2.0, 3.0, 4.0]}, "positive"),
        (
            [1.0, 2.0, 3.0, 4.0, 5.0],
            {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [2.0, 4.0, 6.0, 8.0, 10.0]},
            "collinear",
        ),
    ],
)
def test_bad_input_is_refused(y: list[float], x: dict[str, list[float]], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        fit_baseline(y, x)


def test_savings_refuses_mismatched_reporting_data() -> None:
    model = fit_baseline([10.0, 12.0, 14.0, 16.5], {"production": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InvalidInputError):
        savings(model, [10.0, 11.0], {"production": [1.0]})
    with pytest.raises(InvalidInputError):
        savings(model, [10.0], {"production": [1.0]}, confidence=1.5)
    with pytest.raises(InvalidInputError, match="needs the regressor"):
        savings(model, [10.0], {"temperature": [1.0]})
