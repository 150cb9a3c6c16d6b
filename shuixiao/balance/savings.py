r"""Water savings against a production-normalised baseline (IPMVP Option C, ASHRAE Guideline 14).

A baseline model of intake against production (and, where it helps, air temperature) is fitted
by ordinary least squares on a baseline period; applied to the reporting period's production
and temperature it gives the *adjusted baseline*, the intake the plant would have had without
the measures.  Savings are the adjusted baseline minus the reported intake, with an uncertainty
interval at a stated confidence.

* :func:`fit_baseline` — OLS with coefficients, standard errors, t-statistics, R², CV(RMSE),
  NMBE and the lag-1 autocorrelation of the residuals;
* :func:`select_baseline` — the candidate models (production only; with mean air temperature;
  with cooling degree-days) and the documented choice among them;
* :func:`savings` — adjusted baseline, savings, the fractional savings uncertainty of Guideline
  14 [ASHRAE14]_ and the exact OLS prediction interval of the summed savings;
* :func:`fractional_savings_uncertainty`, :func:`cooling_degree_days`, :func:`model_quality`.

Every threshold (CV(RMSE), NMBE, R², the 1.26 factor, the t-statistic a regressor needs) comes
from ``savings_gl14.yaml``.  Pure: numpy and scipy only.

References
----------
.. [ASHRAE14] ASHRAE Guideline 14-2014, *Measurement of Energy, Demand, and Water Savings*, Annex B.
.. [Reddy2000] T. A. Reddy and D. E. Claridge, "Uncertainty of 'measured' energy savings from
   statistical baseline models," *HVAC&R Research*, 6(1):3–20, 2000,
   :doi:`10.1080/10789669.2000.10391247`.
.. [3] Efficiency Valuation Organization, *International Performance Measurement and
   Verification Protocol: Core Concepts*, EVO 10000-1:2022 (Option C, whole facility).
.. [4] NIST, *Statistical Reference Datasets, Linear Regression: Norris* (certified values used
   in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from shuixiao.errors import InvalidInputError
from shuixiao.reference import parameter

__all__ = [
    "BaselineModel",
    "Candidate",
    "QualityCheck",
    "Savings",
    "Selection",
    "cooling_degree_days",
    "fit_baseline",
    "fractional_savings_uncertainty",
    "model_quality",
    "savings",
    "select_baseline",
]

Granularity = Literal["month", "day", "hour"]
FloatArray = npt.NDArray[np.float64]
_TABLE = "savings_gl14"


@dataclass(frozen=True)
class BaselineModel:
    """An OLS baseline model ``y = b₀ + Σ bᵢ xᵢ``.

    Parameters
    ----------
    regressors : tuple of str
        Names of the independent variables (the intercept is not listed).
    coefficients : numpy.ndarray
        ``b₀, b₁, …``. [m³ per period, m³ per unit of each regressor]
    standard_errors, t_values : numpy.ndarray
        Of each coefficient. [as the coefficients], [unitless]
    covariance : numpy.ndarray
        ``s² (XᵀX)⁻¹``.
    n, p : int
        Observations and parameters (intercept included).
    r_squared, adjusted_r_squared : float
        [unitless]
    rmse : float
        ``√(Σ(y − ŷ)²/(n − p))``, the standard error of the estimate. [m³ per period]
    cv_rmse : float
        ``100 · rmse / ȳ``. [%]
    nmbe : float
        ``100 · Σ(y − ŷ) / ((n − p) ȳ)``. [%]
    mean : float
        ȳ. [m³ per period]
    autocorrelation : float
        Lag-1 autocorrelation ρ of the residuals. [unitless]
    fitted, residuals : numpy.ndarray
        [m³ per period]
    """

    regressors: tuple[str, ...]
    coefficients: FloatArray
    standard_errors: FloatArray
    t_values: FloatArray
    covariance: FloatArray
    n: int
    p: int
    r_squared: float
    adjusted_r_squared: float
    rmse: float
    cv_rmse: float
    nmbe: float
    mean: float
    autocorrelation: float
    fitted: FloatArray = field(repr=False)
    residuals: FloatArray = field(repr=False)

    def design(self, regressors: Mapping[str, npt.ArrayLike], rows: int | None = None) -> FloatArray:
        """Return the design matrix ``[1, x₁, x₂, …]`` of ``regressors``.

        ``rows`` gives the number of periods for the mean model (no regressors).

        Raises
        ------
        InvalidInputError
            If a regressor of the model is absent or the arrays differ in length.
        """
        columns = []
        for name in self.regressors:
            if name not in regressors:
                raise InvalidInputError(f"the model needs the regressor {name!r}")
            columns.append(np.asarray(regressors[name], dtype=np.float64).ravel())
        size = columns[0].size if columns else None
        if any(c.size != size for c in columns):
            raise InvalidInputError("the regressors differ in length")
        if columns:
            return np.column_stack([np.ones(columns[0].size), *columns])
        if rows is None:
            raise InvalidInputError("give the number of periods for the mean model")
        return np.ones((rows, 1))

    def predict(self, regressors: Mapping[str, npt.ArrayLike], rows: int | None = None) -> FloatArray:
        """Return ``ŷ`` for the given regressors (``rows`` periods for the mean model). [m³ per period]"""
        result: FloatArray = self.design(regressors, rows) @ self.coefficients
        return result

    def equation(self) -> str:
        """The fitted equation in words, e.g. ``intake = 1.2e+03 + 2.31·production``."""
        parts = [f"{self.coefficients[0]:.4g}"]
        for name, b in zip(self.regressors, self.coefficients[1:], strict=True):
            parts.append(f"{'+' if b >= 0 else '−'} {abs(b):.4g}·{name}")
        return "intake = " + " ".join(parts)


def fit_baseline(intake: npt.ArrayLike, regressors: Mapping[str, npt.ArrayLike]) -> BaselineModel:
    r"""Fit ``intake = b₀ + Σ bᵢ·xᵢ`` by ordinary least squares.

    Parameters
    ----------
    intake : array_like
        Intake in each baseline period (month or day). [m³]
    regressors : mapping of str to array_like
        Production [product unit], mean air temperature [°C], cooling degree-days [°C·d] … in
        each period; may be empty (the mean model).

    Returns
    -------
    BaselineModel

    Raises
    ------
    InvalidInputError
        With fewer observations than parameters + 1, non-finite values, a mean intake that is
        not positive, or regressors that are constant or collinear.

    Notes
    -----
    With :math:`X = [1, x_1, …]`, :math:`\hat b = (X^TX)^{-1}X^Ty` (computed by QR),
    :math:`s^2 = \sum e_i^2/(n-p)`, :math:`\mathrm{Cov}(\hat b) = s^2 (X^TX)^{-1}`,

    .. math::

        \mathrm{CV(RMSE)} = 100\,\frac{s}{\bar y},\qquad
        \mathrm{NMBE} = 100\,\frac{\sum (y_i - \hat y_i)}{(n-p)\,\bar y}

    (ASHRAE Guideline 14-2014, Annex B).

    Examples
    --------
    >>> m = fit_baseline([10.0, 12.0, 14.0, 16.5], {"production": [1.0, 2.0, 3.0, 4.0]})
    >>> [round(float(b), 3) for b in m.coefficients]
    [7.75, 2.15]
    """
    y = np.asarray(intake, dtype=np.float64).ravel()
    names = tuple(regressors)
    cols = [np.asarray(regressors[k], dtype=np.float64).ravel() for k in names]
    n, p = y.size, len(names) + 1
    if any(c.size != n for c in cols):
        raise InvalidInputError("intake and every regressor need one value per period")
    if n < p + 1:
        raise InvalidInputError(f"{n} periods cannot fit {p} parameters; give at least {p + 1}")
    x = np.column_stack([np.ones(n), *cols])
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise InvalidInputError("intake and regressors must be finite numbers (a period without data?)")
    mean = float(y.mean())
    if not mean > 0:
        raise InvalidInputError(f"the mean baseline intake must be positive, not {mean}")
    q, r = np.linalg.qr(x)
    diagonal = np.abs(np.diag(r))
    if diagonal.min() <= 1e-10 * max(diagonal.max(), 1.0):
        raise InvalidInputError(
            f"the regressors {', '.join(names)} are constant or collinear over the baseline period"
        )
    b = np.linalg.solve(r, q.T @ y)
    fitted = x @ b
    e = y - fitted
    dof = n - p
    sse = float(e @ e)
    s2 = sse / dof
    r_inv = np.linalg.inv(r)
    cov = s2 * (r_inv @ r_inv.T)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, b / np.where(se > 0, se, 1.0), np.inf)
    sst = float(((y - mean) ** 2).sum())
    r2 = 1.0 - sse / sst if sst > 0 else math.nan
    adj = 1.0 - (1.0 - r2) * (n - 1) / dof if sst > 0 else math.nan
    rmse = math.sqrt(s2)
    rho = _lag1(e)
    # ASHRAE Guideline 14-2014, Annex B: CV(RMSE) and NMBE with n − p degrees of freedom
    return BaselineModel(
        regressors=names,
        coefficients=b,
        standard_errors=se,
        t_values=t,
        covariance=cov,
        n=n,
        p=p,
        r_squared=r2,
        adjusted_r_squared=adj,
        rmse=rmse,
        cv_rmse=100.0 * rmse / mean,
        nmbe=100.0 * float(e.sum()) / (dof * mean),
        mean=mean,
        autocorrelation=rho,
        fitted=fitted,
        residuals=e,
    )


def _lag1(e: FloatArray) -> float:
    """Lag-1 autocorrelation of residuals, ``Σ eᵢeᵢ₋₁ / Σ eᵢ²`` (0 for fewer than 3 or all zero)."""
    if e.size < 3:
        return 0.0
    denominator = float(e @ e)
    return float(e[1:] @ e[:-1]) / denominator if denominator > 0 else 0.0


def cooling_degree_days(daily_mean_temperature: npt.ArrayLike, base: float | None = None) -> float:
    """Return the cooling degree-days ``Σ max(T̄_d − T_b, 0)`` of a period. [°C·d]

    Parameters
    ----------
    daily_mean_temperature : array_like
        Mean air temperature of each day. [°C]  NaN days are skipped.
    base : float, optional
        Base temperature T_b. [°C]  Default: ``cooling_degree_base`` in ``savings_gl14.yaml``.

    Examples
    --------
    >>> cooling_degree_days([15.0, 20.0, 25.5], base=18.0)
    9.5
    """
    tb = base if base is not None else parameter("cooling_degree_base", table=_TABLE).value
    t = np.asarray(daily_mean_temperature, dtype=np.float64)
    return float(np.nansum(np.maximum(t - tb, 0.0)))


@dataclass(frozen=True)
class Candidate:
    """A candidate baseline model and why it was or was not chosen.

    Parameters
    ----------
    regressors : tuple of str
    model : BaselineModel or None
        None when it could not be fitted.
    admissible : bool
        Every regressor beyond the required ones has ``|t| ≥ t_min``.
    reason : str
    """

    regressors: tuple[str, ...]
    model: BaselineModel | None
    admissible: bool
    reason: str


@dataclass(frozen=True)
class Selection:
    """The chosen baseline model among the candidates.

    Parameters
    ----------
    model : BaselineModel
    candidates : tuple of Candidate
    criterion : str
        The rule that chose it.
    """

    model: BaselineModel
    candidates: tuple[Candidate, ...]
    criterion: str


def select_baseline(
    intake: npt.ArrayLike,
    required: Mapping[str, npt.ArrayLike],
    optional: Mapping[str, npt.ArrayLike] | None = None,
    *,
    t_min: float | None = None,
) -> Selection:
    """Fit the candidate models and choose one.

    The candidates are the ``required`` regressors alone and with each ``optional`` regressor
    in turn (mean temperature and cooling degree-days are alternatives, never together).

    **Criterion**: among the candidates that fit and whose optional regressor has
    ``|t| ≥ t_min`` (2.0, ``regressor_t_min``: the variable explains more than noise), the
    one with the lowest CV(RMSE) (which already charges each added parameter a degree of
    freedom).  The required-only model is always admissible; if it cannot be fitted (constant
    production) the mean model is used.

    Parameters
    ----------
    intake : array_like
        [m³ per period]
    required : mapping of str to array_like
        Regressors every candidate has (production). [product unit per period]
    optional : mapping of str to array_like, optional
        Alternative further regressors (``temperature`` [°C], ``cooling_degree_days`` [°C·d]).
    t_min : float, optional
        [unitless]  Default from ``savings_gl14.yaml``.

    Raises
    ------
    InvalidInputError
        If not even the mean model can be fitted.

    Examples
    --------
    >>> s = select_baseline([10.0, 12.0, 14.0, 16.5, 18.0], {"production": [1, 2, 3, 4, 5]},
    ...                     {"temperature": [5.0, 3.0, 9.0, 1.0, 4.0]})
    >>> s.model.regressors
    ('production',)
    """
    limit = t_min if t_min is not None else parameter("regressor_t_min", table=_TABLE).value
    candidates: list[Candidate] = []
    sets: list[dict[str, npt.ArrayLike]] = [dict(required)]
    for name, values in (optional or {}).items():
        sets.append({**required, name: values})
    for regs in sets:
        extra = [k for k in regs if k not in required]
        try:
            model = fit_baseline(intake, regs)
        except InvalidInputError as err:
            candidates.append(Candidate(tuple(regs), None, False, str(err)))
            continue
        t_extra = [abs(float(model.t_values[1 + model.regressors.index(k)])) for k in extra]
        ok = all(t >= limit for t in t_extra)
        reason = f"CV(RMSE) {model.cv_rmse:.2f} %" + (
            "" if not extra else f", |t|({extra[0]}) = {t_extra[0]:.2f} {'≥' if ok else '<'} {limit:g}"
        )
        candidates.append(Candidate(tuple(regs), model, ok, reason))
    fitted = [c for c in candidates if c.model is not None and c.admissible]
    criterion = f"lowest CV(RMSE) among candidates whose added regressor has |t| ≥ {limit:g}"
    if not fitted:
        model = fit_baseline(intake, {})
        candidates.append(Candidate((), model, True, f"mean model: CV(RMSE) {model.cv_rmse:.2f} %"))
        return Selection(model, tuple(candidates), "mean model (no regressor could be fitted)")
    best = min(fitted, key=lambda c: c.model.cv_rmse if c.model is not None else math.inf)
    assert best.model is not None
    return Selection(best.model, tuple(candidates), criterion)


def fractional_savings_uncertainty(
    cv_rmse: float,
    savings_fraction: float,
    n: int,
    m: int,
    p: int,
    *,
    confidence: float,
    autocorrelation: float = 0.0,
    factor: float | None = None,
    granularity: Granularity = "month",
) -> float:
    r"""Return the fractional savings uncertainty ``ΔS/S`` of ASHRAE Guideline 14. [unitless]

    Parameters
    ----------
    cv_rmse : float
        CV(RMSE) of the baseline model. [%]
    savings_fraction : float
        F, savings over the adjusted baseline. [unitless]
    n, m : int
        Baseline and reporting periods (observations).
    p : int
        Parameters of the model (intercept included).
    confidence : float
        Two-sided confidence level, e.g. 0.90. [unitless]
    autocorrelation : float
        Lag-1 autocorrelation ρ of the baseline residuals; for ρ > 0 the effective number of
        observations is ``n' = n(1 − ρ)/(1 + ρ)``. [unitless]
    factor : float, optional
        The empirical factor (1.26 for monthly data, Reddy & Claridge 2000). Default from
        ``savings_gl14.yaml`` for ``granularity``.
    granularity : {'month', 'day', 'hour'}

    Returns
    -------
    float
        ΔS/S at ``confidence``; NaN when ``F`` is 0.

    Notes
    -----
    ASHRAE Guideline 14-2014, Annex B (after Reddy and Claridge 2000 [Reddy2000]_):

    .. math::

        \frac{\Delta S}{S} = t_{1-\alpha/2,\;n'-p}\;
        \frac{a \cdot \mathrm{CV}}{F}\;
        \sqrt{\frac{n}{n'}\left(1 + \frac{2}{n'}\right)\frac{1}{m}}

    with CV as a fraction, :math:`a = 1.26` and :math:`n' = n` for uncorrelated residuals.

    Examples
    --------
    >>> round(fractional_savings_uncertainty(10.0, 0.10, 12, 12, 2, confidence=0.90), 4)
    0.7121
    """
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(f"confidence is between 0 and 1, not {confidence}")
    if n <= p or m < 1:
        raise InvalidInputError(f"need n > p and m ≥ 1 (n={n}, p={p}, m={m})")
    if savings_fraction == 0:
        return math.nan
    a = factor if factor is not None else parameter("fsu_factor", table=_TABLE, scope=granularity).value
    n_eff = float(n)
    if autocorrelation > 0:
        n_eff = max(n * (1.0 - autocorrelation) / (1.0 + autocorrelation), p + 1.0)
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n_eff - p))
    # ASHRAE Guideline 14-2014, Annex B; Reddy & Claridge (2000)
    return t * a * (cv_rmse / 100.0) / abs(savings_fraction) * math.sqrt(n / n_eff * (1.0 + 2.0 / n_eff) / m)


@dataclass(frozen=True)
class QualityCheck:
    """One baseline-model criterion of Guideline 14.

    Parameters
    ----------
    name : str
        ``cv_rmse``, ``nmbe``, ``r_squared`` or ``fsu_68``.
    value : float
        [%] for CV(RMSE), NMBE and FSU; unitless for R².
    threshold : float
    operator : str
        ``<=`` or ``>=`` (NMBE: ``|value| <=``).
    passed : bool or None
        None when the value is NaN.
    reference : str
        Standard, clause and confidence flag.
    """

    name: str
    value: float
    threshold: float
    operator: str
    passed: bool | None
    reference: str


def model_quality(
    model: BaselineModel, *, granularity: Granularity = "month", fsu_68: float | None = None
) -> tuple[QualityCheck, ...]:
    """Judge a baseline model against the Guideline 14 criteria of ``savings_gl14.yaml``.

    Parameters
    ----------
    model : BaselineModel
    granularity : {'month', 'day', 'hour'}
        Length of the model's periods; selects the CV(RMSE) and NMBE limits.
    fsu_68 : float, optional
        Fractional savings uncertainty at 68 % confidence [%]; checked against 50 % when given.
    """
    checks = []
    for name, value, entry, op in (
        ("cv_rmse", model.cv_rmse, parameter("cv_rmse_max", table=_TABLE, scope=granularity), "<="),
        ("nmbe", model.nmbe, parameter("nmbe_max", table=_TABLE, scope=granularity), "|<=|"),
        ("r_squared", model.r_squared, parameter("r_squared_min", table=_TABLE), ">="),
    ):
        checks.append(
            _check(
                name,
                value,
                entry.value,
                op,
                f"{entry.standard} {entry.edition}, {entry.clause} [{entry.confidence}]",
            )
        )
    if fsu_68 is not None:
        entry = parameter("fsu_max", table=_TABLE)
        checks.append(
            _check(
                "fsu_68",
                fsu_68,
                entry.value,
                "<=",
                f"{entry.standard} {entry.edition}, {entry.clause} [{entry.confidence}]",
            )
        )
    return tuple(checks)


def _check(name: str, value: float, threshold: float, op: str, reference: str) -> QualityCheck:
    if not math.isfinite(value):
        return QualityCheck(name, value, threshold, op, None, reference)
    passed = {"<=": value <= threshold, ">=": value >= threshold, "|<=|": abs(value) <= threshold}[op]
    return QualityCheck(name, value, threshold, op, bool(passed), reference)


@dataclass(frozen=True)
class Savings:
    """Savings of a reporting period against the adjusted baseline.

    Parameters
    ----------
    model : BaselineModel
    granularity : str
    adjusted_baseline : float
        Σ ŷ over the reporting periods. [m³]
    reporting : float
        Σ of the reported intake. [m³]
    savings : float
        ``adjusted_baseline − reporting``; positive when water was saved. [m³]
    fraction : float
        F = savings / adjusted_baseline. [unitless]
    confidence : float
        Two-sided confidence level of the intervals. [unitless]
    m : int
        Reporting periods.
    uncertainty : float
        Half-width of the Guideline 14 interval: ``(ΔS/S) · |S|``. [m³]
    fsu : float
        Fractional savings uncertainty ΔS/S at ``confidence``. [unitless]
    low, high : float
        ``savings ∓ uncertainty``. [m³]
    prediction_uncertainty : float
        Half-width of the exact OLS prediction interval of Σ(ŷ − y) at ``confidence``
        (``t·s·√(m + gᵀ(XᵀX)⁻¹g)``, g the column sums of the reporting design matrix). [m³]
    checks : tuple of QualityCheck
    predicted, actual : numpy.ndarray
        Per reporting period. [m³]
    """

    model: BaselineModel
    granularity: str
    adjusted_baseline: float
    reporting: float
    savings: float
    fraction: float
    confidence: float
    m: int
    uncertainty: float
    fsu: float
    low: float
    high: float
    prediction_uncertainty: float
    checks: tuple[QualityCheck, ...]
    predicted: FloatArray = field(repr=False)
    actual: FloatArray = field(repr=False)

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero (savings, or extra use, shown at ``confidence``)."""
        return bool(self.low > 0 or self.high < 0)


def savings(
    model: BaselineModel,
    intake: npt.ArrayLike,
    regressors: Mapping[str, npt.ArrayLike],
    *,
    confidence: float = 0.90,
    granularity: Granularity = "month",
) -> Savings:
    r"""Return the savings of a reporting period with their uncertainty.

    Parameters
    ----------
    model : BaselineModel
        Fitted on the baseline period.
    intake : array_like
        Reported intake in each reporting period. [m³]
    regressors : mapping of str to array_like
        The model's regressors in each reporting period.
    confidence : float
        Two-sided confidence level. [unitless]
    granularity : {'month', 'day', 'hour'}

    Returns
    -------
    Savings

    Raises
    ------
    InvalidInputError
        For lengths that differ, non-finite values or a confidence outside (0, 1).

    Notes
    -----
    :math:`S = \sum_j \hat y_j - \sum_j y_j`.  The interval is :math:`S \pm \Delta S` with
    ΔS from :func:`fractional_savings_uncertainty` (Guideline 14), with the effective number of
    observations :math:`n'` only for daily and hourly models whose residual autocorrelation reaches
    ``autocorrelation_threshold`` (0.5); the exact OLS interval
    for uncorrelated residuals,

    .. math:: t_{1-\alpha/2,\;n-p}\; s\,\sqrt{m + g^T (X^TX)^{-1} g},

    is reported beside it.

    Examples
    --------
    >>> base = fit_baseline([100.0, 121.0, 139.0, 161.0, 180.0, 199.0],
    ...                     {"production": [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]})
    >>> s = savings(base, [170.0, 190.0], {"production": [19.0, 21.0]})
    >>> round(s.savings, 1), s.m
    (39.1, 2)
    """
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(f"confidence is between 0 and 1, not {confidence}")
    y = np.asarray(intake, dtype=np.float64).ravel()
    x = model.design(regressors, y.size)
    if x.shape[0] != y.size:
        raise InvalidInputError("reported intake and regressors need one value per reporting period")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise InvalidInputError("reported intake and regressors must be finite (a period without data?)")
    predicted = x @ model.coefficients
    adjusted = float(predicted.sum())
    reported = float(y.sum())
    s = adjusted - reported
    f = s / adjusted if adjusted != 0 else math.nan
    m = int(y.size)
    # Guideline 14 Annex B: n' for autocorrelated daily/hourly residuals; monthly models use n
    threshold = parameter("autocorrelation_threshold", table=_TABLE).value
    rho = model.autocorrelation if granularity != "month" and model.autocorrelation >= threshold else 0.0
    fsu = fractional_savings_uncertainty(
        model.cv_rmse,
        f,
        model.n,
        m,
        model.p,
        confidence=confidence,
        autocorrelation=rho,
        granularity=granularity,
    )
    fsu_68 = fractional_savings_uncertainty(
        model.cv_rmse,
        f,
        model.n,
        m,
        model.p,
        confidence=parameter("fsu_max_confidence", table=_TABLE).value,
        autocorrelation=rho,
        granularity=granularity,
    )
    delta = fsu * abs(s) if math.isfinite(fsu) else math.nan
    g = x.sum(axis=0)
    xtx_inv = model.covariance / model.rmse**2 if model.rmse > 0 else np.zeros_like(model.covariance)
    t = float(stats.t.ppf(0.5 + confidence / 2.0, model.n - model.p))
    exact = t * model.rmse * math.sqrt(m + float(g @ xtx_inv @ g))
    checks = model_quality(model, granularity=granularity, fsu_68=100.0 * fsu_68)
    return Savings(
        model=model,
        granularity=granularity,
        adjusted_baseline=adjusted,
        reporting=reported,
        savings=s,
        fraction=f,
        confidence=confidence,
        m=m,
        uncertainty=delta,
        fsu=fsu,
        low=s - delta,
        high=s + delta,
        prediction_uncertainty=exact,
        checks=checks,
        predicted=predicted,
        actual=y,
    )
