"""Data reconciliation and gross-error detection for linear water balances.

Measured volumes ``y`` with standard uncertainties ``σ`` are adjusted as little
as possible, in the weighted least-squares sense, so that every unit balance
holds exactly.  Unmeasured flows are eliminated first by Crowe's matrix
projection [2]_: with ``P`` spanning the left null space of the unmeasured
columns (``P A_U = 0``) the balances reduce to ``B x_M = d`` with ``B = P A_M``,
``d = P s``.  Then [1]_ (ch. 3)

.. math::

    r = B y - d,\\quad V = B \\Sigma B^\\top,\\quad
    \\hat x = y - \\Sigma B^\\top V^{-1} r .

The **global test** compares ``γ = rᵀ V⁻¹ r`` with the χ² distribution with
``ν = rank B`` degrees of freedom; the **measurement test** [3]_ compares each
normalised adjustment ``z_i = |a_i| / √W_ii`` (``a = y − x̂``,
``W = Σ Bᵀ V⁻¹ B Σ``) with the standard normal quantile at the Šidák-adjusted
level ``β = 1 − (1 − α)^{1/m}``.  **Serial elimination** [1]_ (ch. 8) removes
the measurement with the largest ``z`` while the global test rejects and that
``z`` exceeds its critical value, and names it.  Measurements whose columns of
``B`` are parallel cannot be told apart by any test (an *equivalent set*); they
are named together.

Uncertainties come from the meters' accuracy classes as ``σ = MPE·|y|/√3``
(rectangular distribution, GUM §4.3.7; see :mod:`shuixiao.balance.measurement`).

References
----------
.. [1] S. Narasimhan and C. Jordache, *Data Reconciliation and Gross Error Detection:
   An Intelligent Use of Process Data*. Houston: Gulf Publishing, 2000.
.. [2] C. M. Crowe, Y. A. Garcia Campos and A. Hrymak, "Reconciliation of process flow rates by
   matrix projection. Part I: linear case," *AIChE J.*, vol. 29, no. 6, pp. 881–888, 1983,
   :doi:`10.1002/aic.690290602`.
.. [3] R. S. H. Mah and A. C. Tamhane, "Detection of gross errors in process data," *AIChE J.*,
   vol. 28, no. 5, pp. 828–830, 1982, :doi:`10.1002/aic.690280519`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.stats

from shuixiao.balance._network import FloatArray, build_network
from shuixiao.balance._solve import pinv_null
from shuixiao.balance.measurement import Measurement, standard_uncertainty
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise
from shuixiao.reference import parameter

__all__ = [
    "AdjustedMeasurement",
    "Elimination",
    "GlobalTest",
    "LinearReconciliation",
    "Reconciliation",
    "reconcile",
    "reconcile_linear",
    "serial_elimination",
]

_TOL = 1e-9


@dataclass(frozen=True)
class GlobalTest:
    """The χ² test of the balance residuals.

    Parameters
    ----------
    statistic : float
        ``γ = rᵀ V⁻¹ r``. [unitless]
    dof : int
        Degrees of freedom ``ν = rank B`` (independent redundant balances).
    critical : float
        ``χ²_{1−α}(ν)``; NaN when ``ν = 0``. [unitless]
    p_value : float
        Probability of a statistic at least as large without gross errors. [unitless]
    passed : bool
        True when ``γ ≤ critical`` or there is no redundancy.
    """

    statistic: float
    dof: int
    critical: float
    p_value: float
    passed: bool


@dataclass(frozen=True)
class LinearReconciliation:
    """Result of :func:`reconcile_linear` (arrays in the order of the inputs).

    Parameters
    ----------
    reconciled : numpy.ndarray
        Adjusted measured values ``x̂``. [same unit as the values]
    adjustments : numpy.ndarray
        ``x̂ − y``. [same unit]
    reconciled_uncertainty : numpy.ndarray
        Standard uncertainty of ``x̂``. [same unit]
    statistics : numpy.ndarray
        Measurement-test statistic ``z_i``; NaN for non-redundant measurements. [unitless]
    redundant : numpy.ndarray of bool
        Measurements that at least one balance checks.
    unmeasured : numpy.ndarray
        Estimates of the unmeasured variables; NaN where not observable. [same unit]
    unmeasured_uncertainty : numpy.ndarray
        [same unit]
    global_test : GlobalTest
    critical : float
        Critical value of the measurement test (Šidák-adjusted). [unitless]
    """

    reconciled: FloatArray
    adjustments: FloatArray
    reconciled_uncertainty: FloatArray
    statistics: FloatArray
    redundant: npt.NDArray[np.bool_]
    unmeasured: FloatArray
    unmeasured_uncertainty: FloatArray
    global_test: GlobalTest
    critical: float


def reconcile_linear(
    measured: npt.ArrayLike,
    unmeasured: npt.ArrayLike | None,
    values: npt.ArrayLike,
    uncertainties: npt.ArrayLike,
    rhs: npt.ArrayLike | None = None,
    *,
    significance: float = 0.05,
) -> LinearReconciliation:
    """Reconcile measurements against linear constraints ``A_M x_M + A_U x_U = rhs``.

    Parameters
    ----------
    measured : array_like, shape (k, m)
        Constraint coefficients of the measured variables.
    unmeasured : array_like, shape (k, u), optional
        Constraint coefficients of the unmeasured variables.
    values : array_like, shape (m,)
        Measured values ``y``.
    uncertainties : array_like, shape (m,)
        Standard uncertainties ``σ`` (> 0). [same unit as values]
    rhs : array_like, shape (k,), optional
        Right-hand side (storage changes); zeros by default.
    significance : float
        Level α of the global test and of the measurement test (family-wise). [unitless]

    Returns
    -------
    LinearReconciliation

    Raises
    ------
    InvalidInputError
        If shapes disagree, an uncertainty is not positive or α is not in (0, 1).

    Notes
    -----
    Crowe projection, WLS adjustment, global χ² test and Mah–Tamhane measurement test as in
    the module docstring.  Unmeasured variables are recovered as
    :math:`\\hat x_U = A_U^{+}(\\text{rhs} - A_M \\hat x)`; those along the null space of
    :math:`A_U` are not observable (NaN).

    Examples
    --------
    The flow network of a heat exchanger with a bypass (Narasimhan & Jordache 2000,
    ch. 1): splitter, exchanger, bypass valve and mixer, six streams, all measured with
    σ = 1.

    >>> a = [[1, -1, -1, 0, 0, 0], [0, 1, 0, -1, 0, 0], [0, 0, 1, 0, -1, 0], [0, 0, 0, 1, 1, -1]]
    >>> y = [101.91, 64.45, 34.65, 64.20, 36.44, 98.88]
    >>> r = reconcile_linear(a, None, y, [1.0] * 6)
    >>> [round(float(v), 2) for v in r.reconciled]
    [100.22, 64.5, 35.72, 64.5, 35.72, 100.22]
    >>> round(r.global_test.statistic, 3), r.global_test.dof
    (6.407, 4)
    """
    a_m, a_u, y, sigma, c = _checked(measured, unmeasured, values, uncertainties, rhs, significance)
    return _recover(_adjust(a_m, a_u, y, sigma, c, significance), a_m, a_u, c)


def _checked(
    measured: npt.ArrayLike,
    unmeasured: npt.ArrayLike | None,
    values: npt.ArrayLike,
    uncertainties: npt.ArrayLike,
    rhs: npt.ArrayLike | None,
    significance: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return ``(A_M, A_U, y, σ, rhs)`` as float arrays, or raise on shapes or values that disagree."""
    a_m = np.atleast_2d(np.asarray(measured, dtype=np.float64))
    y = np.asarray(values, dtype=np.float64).ravel()
    sigma = np.asarray(uncertainties, dtype=np.float64).ravel()
    k, m = a_m.shape
    a_u = np.zeros((k, 0)) if unmeasured is None else np.asarray(unmeasured, dtype=np.float64).reshape(k, -1)
    c = np.zeros(k) if rhs is None else np.asarray(rhs, dtype=np.float64).ravel()
    if y.size != m or sigma.size != m or c.size != k:
        raise InvalidInputError(
            f"shapes disagree: {k}×{m} measured coefficients, {y.size} values, {sigma.size} uncertainties, "
            f"{c.size} right-hand sides"
        )
    if not np.all(sigma > 0):
        raise InvalidInputError("every uncertainty must be > 0")
    if not 0.0 < significance < 1.0:
        raise InvalidInputError(f"the significance level must lie in (0, 1), not {significance}")
    return a_m, a_u, y, sigma, c


@dataclass(frozen=True)
class _Adjustment:
    """The WLS adjustment and both tests, before the unmeasured variables are recovered."""

    x_hat: FloatArray
    adjust: FloatArray
    variances: FloatArray
    gain: FloatArray
    cb: FloatArray
    statistics: FloatArray
    redundant: npt.NDArray[np.bool_]
    global_test: GlobalTest
    critical: float
    pinv: FloatArray | None
    null: FloatArray | None


def _adjust(
    a_m: FloatArray, a_u: FloatArray, y: FloatArray, sigma: FloatArray, c: FloatArray, significance: float
) -> _Adjustment:
    """Adjust the measurements and run the global and measurement tests (see :func:`reconcile_linear`)."""
    k, m = a_m.shape
    # Crowe et al. (1983): project out the unmeasured variables, P A_U = 0.
    # A_U falls apart into small components (the measured flows cut the graph): its pseudo-inverse
    # and both null spaces come block by block (shuixiao.balance._solve.pinv_null).
    pinv, null, _, p = pinv_null(a_u) if a_u.shape[1] else (None, None, 0, np.eye(k))
    b, d = p @ a_m, p @ c
    # Keep the independent reduced constraints only (rows of Uᵣᵀ B, rank r).
    if b.size:
        u_svd, s_svd, _ = np.linalg.svd(b, full_matrices=False)
        rank = int(np.sum(s_svd > 1e-10 * max(1.0, float(s_svd[0]) if s_svd.size else 1.0)))
        b, d = u_svd[:, :rank].T @ b, u_svd[:, :rank].T @ d
    else:
        rank = 0
    var = sigma**2
    if rank:
        r = b @ y - d
        cb = var[:, None] * b.T  # Σ Bᵀ (Σ diagonal)
        v_inv = np.linalg.inv(b @ cb)
        gain = cb @ v_inv  # W = Σ Bᵀ V⁻¹ B Σ = gain · cbᵀ, formed only when the covariance is wanted
        adjust = gain @ r  # y − x̂
        gamma = float(r @ v_inv @ r)
    else:
        cb = gain = np.zeros((m, 0))
        adjust = np.zeros(m)
        gamma = 0.0
    x_hat = y - adjust
    w_diag = np.clip(np.einsum("ij,ij->i", gain, cb), 0.0, None)
    redundant = w_diag > _TOL * sigma**2
    z = np.full(m, math.nan)
    z[redundant] = np.abs(adjust[redundant]) / np.sqrt(w_diag[redundant])
    # Narasimhan & Jordache (2000) ch. 7: global test γ ~ χ²(ν); Mah & Tamhane (1982): z ~ N(0, 1)
    if rank:
        critical_g = float(scipy.stats.chi2.ppf(1.0 - significance, rank))
        p_value = float(scipy.stats.chi2.sf(gamma, rank))
    else:
        critical_g, p_value = math.nan, 1.0
    n_tested = int(redundant.sum())
    beta = 1.0 - (1.0 - significance) ** (1.0 / max(n_tested, 1))  # Šidák
    critical_z = float(scipy.stats.norm.ppf(1.0 - beta / 2.0))
    return _Adjustment(
        x_hat,
        adjust,
        var,
        gain,
        cb,
        z,
        redundant,
        GlobalTest(gamma, rank, critical_g, p_value, bool(rank == 0 or gamma <= critical_g)),
        critical_z,
        pinv,
        null,
    )


def _recover(adj: _Adjustment, a_m: FloatArray, a_u: FloatArray, c: FloatArray) -> LinearReconciliation:
    """Recover the unmeasured variables with their uncertainties and assemble the result."""
    x_hat, pinv, null = adj.x_hat, adj.pinv, adj.null
    cov_hat = np.diag(adj.variances) - adj.gain @ adj.cb.T

    # Unmeasured: x̂_U = A_U⁺ (c − A_M x̂); observable where the null space of A_U has a zero row.
    n_u = a_u.shape[1]
    if n_u and pinv is not None and null is not None:
        x_u = pinv @ (c - a_m @ x_hat)
        sens = -(pinv @ a_m)
        var_u = np.clip(np.sum((sens @ cov_hat) * sens, axis=1), 0.0, None)
        observable = np.linalg.norm(null, axis=1) <= _TOL if null.size else np.ones(n_u, dtype=bool)
        x_u = np.where(observable, x_u, math.nan)
        u_u = np.where(observable, np.sqrt(var_u), math.nan)
    else:
        x_u, u_u = np.zeros(0), np.zeros(0)
    return LinearReconciliation(
        reconciled=x_hat,
        adjustments=-adj.adjust,
        reconciled_uncertainty=np.sqrt(np.clip(np.diag(cov_hat), 0.0, None)),
        statistics=adj.statistics,
        redundant=adj.redundant,
        unmeasured=x_u,
        unmeasured_uncertainty=u_u,
        global_test=adj.global_test,
        critical=adj.critical,
    )


@dataclass(frozen=True)
class Elimination:
    """One step of serial elimination.

    Parameters
    ----------
    index : int
        Position of the eliminated measurement in the input.
    statistic : float
        Its measurement-test statistic ``z``. [unitless]
    critical : float
        The critical value it exceeded. [unitless]
    global_before : GlobalTest
        The global test that rejected before the elimination.
    equivalents : tuple of int
        Positions of measurements with the same statistic (parallel columns): the test cannot
        tell them from the eliminated one.
    """

    index: int
    statistic: float
    critical: float
    global_before: GlobalTest
    equivalents: tuple[int, ...]


def serial_elimination(
    measured: npt.ArrayLike,
    unmeasured: npt.ArrayLike | None,
    values: npt.ArrayLike,
    uncertainties: npt.ArrayLike,
    rhs: npt.ArrayLike | None = None,
    *,
    significance: float = 0.05,
    max_eliminations: int | None = None,
) -> tuple[LinearReconciliation, list[Elimination], list[int]]:
    """Reconcile, removing suspected gross errors one at a time (iterative measurement test).

    While the global test rejects, the measurement with the largest statistic ``z`` is moved
    to the unmeasured variables if ``z`` exceeds the measurement-test critical value
    (Narasimhan & Jordache 2000, ch. 8, serial elimination with the measurement test).

    Parameters
    ----------
    measured, unmeasured, values, uncertainties, rhs, significance
        As in :func:`reconcile_linear`.
    max_eliminations : int, optional
        Stop after this many; default: as many as there are redundant measurements.

    Returns
    -------
    result : LinearReconciliation
        The final reconciliation over the kept measurements (arrays over the kept ones).
    eliminated : list of Elimination
        In order of elimination.
    kept : list of int
        Positions of the measurements kept, in the order of ``result``'s arrays.

    Examples
    --------
    A splitter and a mixer in series, every stream measured; stream 2 reads 10 % high:

    >>> a = [[1, -1, -1, 0, 0], [0, 1, 0, -1, 0], [0, 0, 1, 0, -1]]
    >>> y = [100.0, 66.0, 40.0, 60.0, 40.0]
    >>> result, steps, kept = serial_elimination(a, None, y, [0.5] * 5)
    >>> [s.index for s in steps], result.global_test.passed
    ([1], True)
    """
    a_m, a_u, y, sigma, c = _checked(measured, unmeasured, values, uncertainties, rhs, significance)
    m = a_m.shape[1]
    kept = list(range(m))
    removed: list[int] = []
    steps: list[Elimination] = []
    limit = m if max_eliminations is None else max_eliminations
    while True:  # the unmeasured variables are recovered once, for the final set
        hidden = np.hstack([a_u, a_m[:, removed]])
        adj = _adjust(a_m[:, kept], hidden, y[kept], sigma[kept], c, significance)
        z = adj.statistics
        if adj.global_test.passed or len(steps) >= limit or not np.any(np.isfinite(z)):
            break
        best = int(np.nanargmax(z))
        if not z[best] > adj.critical:
            break
        same = tuple(kept[i] for i in np.flatnonzero(np.abs(z - z[best]) <= 1e-6 * z[best]) if i != best)
        steps.append(Elimination(kept[best], float(z[best]), adj.critical, adj.global_test, same))
        removed.append(kept.pop(best))
    return _recover(adj, a_m[:, kept], hidden, c), steps, kept


@dataclass(frozen=True)
class AdjustedMeasurement:
    """A measurement after reconciliation.

    Parameters
    ----------
    measurement : Measurement
        As given.
    uncertainty : float
        Its standard uncertainty as used. [m³]
    reconciled : float
        Adjusted value; for an eliminated measurement, the value the other measurements and the
        balances give its flow (NaN when they do not determine it). [m³]
    adjustment : float
        ``reconciled − measured``. [m³]
    reconciled_uncertainty : float
        [m³]
    statistic : float
        Measurement-test statistic (in the final reconciliation, or when eliminated). [unitless]
    redundant : bool
        Whether any balance checks it.
    eliminated : bool
        Removed as a suspected gross error.
    """

    measurement: Measurement
    uncertainty: float
    reconciled: float
    adjustment: float
    reconciled_uncertainty: float
    statistic: float
    redundant: bool
    eliminated: bool


@dataclass(frozen=True)
class Reconciliation:
    """Reconciled flows of one enterprise and period, with the gross-error tests.

    Parameters
    ----------
    measurements : tuple of AdjustedMeasurement
        In input order.
    flows : dict of str to float
        Reconciled volume of every flow the measurements and balances determine; NaN otherwise. [m³]
    initial_test : GlobalTest
        The global test on all measurements.
    global_test : GlobalTest
        The global test after the eliminations.
    critical : float
        Measurement-test critical value of the first reconciliation. [unitless]
    eliminations : tuple of Elimination
        Suspected gross errors in the order they were removed (indices into ``measurements``).
    """

    measurements: tuple[AdjustedMeasurement, ...]
    flows: dict[str, float]
    initial_test: GlobalTest
    global_test: GlobalTest
    critical: float
    eliminations: tuple[Elimination, ...]

    @property
    def suspects(self) -> tuple[tuple[str, ...], ...]:
        """The meters (or flows, where no meter is named) suspected of gross errors, one tuple per
        elimination: the eliminated one first, then the measurements no test can tell from it."""
        result = []
        for step in self.eliminations:
            names = [self._name(step.index)] + [self._name(i) for i in step.equivalents]
            result.append(tuple(names))
        return tuple(result)

    @property
    def suspect(self) -> str | None:
        """The meter most likely faulty: the first eliminated, if its statistic is unique."""
        if not self.eliminations or self.eliminations[0].equivalents:
            return None
        return self._name(self.eliminations[0].index)

    def _name(self, index: int) -> str:
        m = self.measurements[index].measurement
        return m.meter or m.flow

    def as_measurements(self) -> list[Measurement]:
        """Return the kept measurements with their reconciled values and uncertainties.

        Feeding them to :func:`~shuixiao.balance.water_balance` gives the reconciled balance
        (every closure 0); eliminated measurements are left out, so their flows are inferred.
        """
        return [
            Measurement(
                a.measurement.flow,
                max(a.reconciled, 0.0),
                uncertainty=a.reconciled_uncertainty,
                provenance=a.measurement.provenance,
                meter=a.measurement.meter,
            )
            for a in self.measurements
            if not a.eliminated and math.isfinite(a.reconciled)
        ]


def reconcile(
    enterprise: Enterprise,
    measurements: Iterable[Measurement],
    *,
    storage: Mapping[str, float] | None = None,
    significance: float | None = None,
    eliminate: bool = True,
    max_eliminations: int | None = None,
    mpe_divisor: float | None = None,
) -> Reconciliation:
    """Reconcile the measured and estimated volumes of one enterprise and name suspected meters.

    Parameters
    ----------
    enterprise : Enterprise
        The water-system model; its unit balances are the constraints.
    measurements : iterable of Measurement
        Period volumes. [m³]  Several on one flow are kept apart (each is tested on its own).
        Estimates take part with their larger uncertainties.
    storage : mapping of str to float, optional
        Storage change per unit. [m³]
    significance : float, optional
        α of both tests. [unitless]  Default: ``significance`` in ``balance.yaml`` (0.05).
    eliminate : bool
        Run serial elimination (default) or only reconcile and test.
    max_eliminations : int, optional
        Upper bound on eliminations.
    mpe_divisor : float, optional
        See :func:`~shuixiao.balance.standard_uncertainty`.

    Returns
    -------
    Reconciliation

    Raises
    ------
    NotFoundError
        If a measurement names a flow that does not exist.
    InvalidInputError
        If a volume has a zero uncertainty.
    """
    net = build_network(enterprise)
    alpha = significance if significance is not None else parameter("significance").value
    items = [m for m in measurements if not math.isnan(m.value)]
    n_flows = len(net.flows)
    first_of: dict[str, int] = {}
    columns: list[int] = []  # variable of each measurement
    extra_rows: list[tuple[int, int]] = []  # (flow column, copy column): x_flow − x_copy = 0
    n_vars = n_flows
    for m in items:
        j = net.flow_index.get(m.flow)
        if j is None:
            raise NotFoundError(
                f"enterprise {enterprise.id} has no flow {m.flow!r} (measurement {m.meter or ''})"
            )
        if m.flow not in first_of:
            first_of[m.flow] = j
            columns.append(j)
        else:
            extra_rows.append((j, n_vars))
            columns.append(n_vars)
            n_vars += 1
    a = np.zeros((len(net.units) + len(extra_rows), n_vars))
    a[: len(net.units), :n_flows] = net.incidence
    for r, (j, copy) in enumerate(extra_rows):
        a[len(net.units) + r, j], a[len(net.units) + r, copy] = 1.0, -1.0
    rhs = np.zeros(a.shape[0])
    for unit_id, change in (storage or {}).items():
        i = net.unit_index.get(unit_id)
        if i is None:
            raise NotFoundError(f"enterprise {enterprise.id} has no balanced unit {unit_id!r}")
        rhs[i] = float(change)
    sigma = np.array([standard_uncertainty(m, mpe_divisor=mpe_divisor) for m in items])
    zero = [m.meter or m.flow for m, s in zip(items, sigma, strict=True) if not s > 0]
    if zero:
        raise InvalidInputError(f"reconciliation needs uncertainties > 0; {', '.join(zero)} has none")
    y = np.array([m.value for m in items])
    measured_cols = np.array(columns, dtype=np.intp)
    unmeasured_cols = np.array([j for j in range(n_vars) if j not in set(columns)], dtype=np.intp)
    a_m, a_u = a[:, measured_cols], a[:, unmeasured_cols]

    if eliminate:
        final, steps, kept = serial_elimination(
            a_m, a_u, y, sigma, rhs, significance=alpha, max_eliminations=max_eliminations
        )
    else:
        final, steps, kept = (
            reconcile_linear(a_m, a_u, y, sigma, rhs, significance=alpha),
            [],
            list(range(len(items))),
        )
    # the tests before any elimination: the first step's, or the final ones when nothing was eliminated
    initial_test, critical = (
        (steps[0].global_before, steps[0].critical) if steps else (final.global_test, final.critical)
    )

    # reconciled value of every variable: kept measurements, then unmeasured and eliminated ones
    value = np.full(n_vars, math.nan)
    spread = np.full(n_vars, math.nan)
    value[measured_cols[kept]] = final.reconciled
    spread[measured_cols[kept]] = final.reconciled_uncertainty
    removed = [s.index for s in steps]
    hidden = np.concatenate([unmeasured_cols, measured_cols[removed]]).astype(np.intp)
    value[hidden] = final.unmeasured
    spread[hidden] = final.unmeasured_uncertainty
    statistic = {kept[i]: float(final.statistics[i]) for i in range(len(kept))}
    redundant = {kept[i]: bool(final.redundant[i]) for i in range(len(kept))}
    for step in steps:
        statistic[step.index] = step.statistic
        redundant[step.index] = True
    adjusted = tuple(
        AdjustedMeasurement(
            measurement=m,
            uncertainty=float(sigma[i]),
            reconciled=float(value[columns[i]]),
            adjustment=float(value[columns[i]] - m.value),
            reconciled_uncertainty=float(spread[columns[i]]),
            statistic=statistic[i],
            redundant=redundant[i],
            eliminated=i in removed,
        )
        for i, m in enumerate(items)
    )
    flows = {f.id: float(value[j]) for j, f in enumerate(net.flows)}
    return Reconciliation(
        measurements=adjusted,
        flows=flows,
        initial_test=initial_test,
        global_test=final.global_test,
        critical=critical,
        eliminations=tuple(steps),
    )
