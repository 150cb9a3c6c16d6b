"""Inference of unmetered flows from the unit balances, and determinability of any sum of flows.

With the known flows ``x_K`` (measured or estimated) and the unknown ones ``x_U``,
the unit balances ``A x = s`` become ``A_U x_U = s − A_K x_K``.  The minimum-norm
least-squares solution ``x_U = A_U⁺ (s − A_K x_K)`` gives every unknown the balances
determine; the others span the null space ``N`` of ``A_U``.  A linear combination
``cᵀx`` is determined exactly when ``N ᵀ c_U = 0`` (it does not change along any
undetermined direction), so a unit's total consumption can be known when its
evaporation and drift are not known one by one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg

from shuixiao.balance._network import FloatArray, Network
from shuixiao.balance.measurement import Measurement, Provenance, combine_provenance, standard_uncertainty
from shuixiao.errors import NotFoundError

_TOL = 1e-9


@dataclass(frozen=True)
class Functional:
    """Value, determinability and sensitivity of ``cᵀx``."""

    value: float  # NaN when not determined [m³]
    determined: bool
    provenance: Provenance
    uncertainty: float  # standard uncertainty propagated from the known values [m³]
    gradient: dict[str, float]  # ∂value/∂(known flow volume) [unitless]
    flows: tuple[str, ...]  # flows with a non-zero coefficient


@dataclass(frozen=True)
class Solution:
    """The flows of one period: known values and what the balances determine of the others."""

    net: Network
    values: FloatArray  # known: given; unknown: minimum-norm solution (meaningful only where determined)
    variances: FloatArray  # of the known values; 0 for unknowns [m³²]
    known: npt.NDArray[np.bool_]
    provenance: tuple[Provenance, ...]  # per flow: measured / estimated / inferred / missing
    determined: npt.NDArray[np.bool_]
    storage: FloatArray  # ΔS per balanced unit [m³]
    unknown_index: npt.NDArray[np.intp]
    known_index: npt.NDArray[np.intp]
    pinv_unknown: FloatArray  # A_U⁺, |U| × units
    null_unknown: FloatArray  # basis of the null space of A_U, |U| × k
    rank_unknown: int
    rank_all: int
    meters: dict[str, tuple[str, ...]]  # flow → meters of its measurements

    def functional(self, c: FloatArray) -> Functional:
        """Evaluate ``cᵀx`` with its determinability, provenance, uncertainty and gradient."""
        flows = tuple(self.net.flows[j].id for j in np.flatnonzero(np.abs(c) > 0))
        c_u = c[self.unknown_index]
        scale = float(np.linalg.norm(c_u))
        determined = scale == 0.0 or float(np.linalg.norm(self.null_unknown.T @ c_u)) <= _TOL * scale
        a = self.net.incidence
        # x_U = A_U⁺ (s − A_K x_K)  ⇒  ∂(cᵀx)/∂x_K = c_K − A_Kᵀ A_U⁺ᵀ c_U
        lam = self.pinv_unknown.T @ c_u
        g = c[self.known_index] - a[:, self.known_index].T @ lam
        gradient = {
            self.net.flows[j].id: float(gj)
            for j, gj in zip(self.known_index, g, strict=True)
            if abs(gj) > _TOL
        }
        if not determined:
            return Functional(math.nan, False, Provenance.MISSING, math.nan, gradient, flows)
        value = float(c @ self.values)
        var = float(np.sum(g**2 * self.variances[self.known_index]))
        labels = [self.provenance[self.net.flow_index[f]] for f in flows]
        labels = [Provenance.INFERRED if p is Provenance.MISSING else p for p in labels]
        return Functional(value, True, combine_provenance(labels), math.sqrt(var), gradient, flows)

    def sources(self, flow_id: str) -> tuple[str, ...]:
        """The known flows an inferred flow is computed from (non-zero sensitivity)."""
        return tuple(self.functional(self.net.vector([flow_id])).gradient)


def solve(
    net: Network,
    measurements: Sequence[Measurement],
    storage: Mapping[str, float] | None = None,
    *,
    mpe_divisor: float | None = None,
) -> Solution:
    """Combine the inputs per flow and infer what the balances determine.

    Several inputs on one flow are combined by their inverse-variance weighted mean.
    """
    n = len(net.flows)
    weights = np.zeros(n)
    weighted = np.zeros(n)
    labels: list[list[Provenance]] = [[] for _ in range(n)]
    meters: dict[str, list[str]] = {}
    exact = np.zeros(n, dtype=bool)
    exact_value = np.zeros(n)
    single = np.zeros(n)
    for m in measurements:
        if math.isnan(m.value):
            continue
        found = net.flow_index.get(m.flow)
        if found is None:
            raise NotFoundError(
                f"enterprise {net.enterprise.id} has no flow {m.flow!r} (measurement {m.meter or ''})"
            )
        j = found
        u = standard_uncertainty(m, mpe_divisor=mpe_divisor)
        labels[j].append(Provenance(m.provenance))
        single[j] = m.value
        if m.meter is not None:
            meters.setdefault(m.flow, []).append(m.meter)
        if u == 0.0:
            exact[j], exact_value[j] = True, m.value
            continue
        weights[j] += 1.0 / u**2
        weighted[j] += m.value / u**2
    known = np.array([bool(labels[i]) for i in range(n)], dtype=bool)
    values = np.zeros(n)
    variances = np.zeros(n)
    for k in np.flatnonzero(known):
        if exact[k]:
            values[k], variances[k] = exact_value[k], 0.0
        elif len(labels[k]) == 1:  # one input: keep its value exactly
            values[k], variances[k] = single[k], 1.0 / weights[k]
        else:
            values[k], variances[k] = weighted[k] / weights[k], 1.0 / weights[k]
    s = np.zeros(len(net.units))
    for unit_id, change in (storage or {}).items():
        i = net.unit_index.get(unit_id)
        if i is None:
            raise NotFoundError(
                f"enterprise {net.enterprise.id} has no balanced unit {unit_id!r} for a storage change"
            )
        s[i] = float(change)
    a = net.incidence
    k_idx = np.flatnonzero(known)
    u_idx = np.flatnonzero(~known)
    a_u = a[:, u_idx]
    b = s - a[:, k_idx] @ values[k_idx]
    if u_idx.size:
        pinv: FloatArray = np.asarray(np.linalg.pinv(a_u, rcond=1e-10), dtype=np.float64)
        null = scipy.linalg.null_space(a_u, rcond=1e-10) if a_u.shape[0] else np.eye(u_idx.size)
        values[u_idx] = pinv @ b
        rank_u = u_idx.size - null.shape[1]
    else:
        pinv = np.zeros((0, len(net.units)))
        null = np.zeros((0, 0))
        rank_u = 0
    determined = known.copy()
    if u_idx.size:
        determined[u_idx] = np.linalg.norm(null, axis=1) <= _TOL
    provenance = tuple(
        combine_provenance(labels[j])
        if known[j]
        else (Provenance.INFERRED if determined[j] else Provenance.MISSING)
        for j in range(n)
    )
    rank_all = int(np.linalg.matrix_rank(a)) if a.size else 0
    return Solution(
        net=net,
        values=values,
        variances=variances,
        known=known,
        provenance=provenance,
        determined=determined,
        storage=s,
        unknown_index=u_idx,
        known_index=k_idx,
        pinv_unknown=pinv,
        null_unknown=null,
        rank_unknown=rank_u,
        rank_all=rank_all,
        meters={k: tuple(v) for k, v in meters.items()},
    )
