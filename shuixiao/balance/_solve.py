"""Inference of unmetered flows from the unit balances, and determinability of any sum of flows.

With the known flows ``x_K`` (measured or estimated) and the unknown ones ``x_U``,
the unit balances ``A x = s`` become ``A_U x_U = s − A_K x_K``.  The minimum-norm
least-squares solution ``x_U = A_U⁺ (s − A_K x_K)`` gives every unknown the balances
determine; the others span the null space ``N`` of ``A_U``.  A linear combination
``cᵀx`` is determined exactly when ``N ᵀ c_U = 0`` (it does not change along any
undetermined direction), so a unit's total consumption can be known when its
evaporation and drift are not known one by one.

The unknown flows and the units they touch fall apart into connected components (the
measured flows cut the graph), so ``A_U⁺`` and ``N`` are block diagonal: each block comes
from the singular value decomposition of one small component, and both are kept sparse.
A plant with hundreds of meters solves as fast as its largest component.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt
import scipy.sparse
from scipy.sparse.csgraph import connected_components

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
    meters: dict[str, tuple[str, ...]]  # flow → meters of its measurements

    @cached_property
    def rank_all(self) -> int:
        """Rank of the whole incidence matrix (for the redundancy)."""
        return pinv_null(self.net.incidence)[2]

    @cached_property
    def _lam(self) -> scipy.sparse.csc_array:
        """``A_Kᵀ A_U⁺ᵀ`` by columns: how each unknown's coefficient loads onto the known flows."""
        a_k = scipy.sparse.csr_array(self.net.incidence[:, self.known_index])
        return scipy.sparse.csc_array(a_k.T @ scipy.sparse.csr_array(self.pinv_unknown).T)

    @cached_property
    def _position(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Position of each flow among the unknown and among the known flows (−1 elsewhere)."""
        n = len(self.net.flows)
        unknown, known = np.full(n, -1, dtype=np.intp), np.full(n, -1, dtype=np.intp)
        unknown[self.unknown_index] = np.arange(self.unknown_index.size)
        known[self.known_index] = np.arange(self.known_index.size)
        return unknown, known

    @cached_property
    def _known_ids(self) -> tuple[str, ...]:
        return tuple(self.net.flows[j].id for j in self.known_index)

    def functional(self, c: FloatArray) -> Functional:
        """Evaluate ``cᵀx`` with its determinability, provenance, uncertainty and gradient.

        Works on the non-zero coefficients only: a unit's inputs touch a handful of flows.
        """
        nonzero = np.flatnonzero(c)
        if not nonzero.size:  # an empty sum (a unit without consumption or leakage): exactly 0
            return Functional(0.0, True, Provenance.MEASURED, 0.0, {}, ())
        coef = c[nonzero]
        flows = tuple(self.net.flows[j].id for j in nonzero)
        unknown, known = self._position
        ku = unknown[nonzero]
        on_u = ku >= 0
        ku, cu = ku[on_u], coef[on_u]
        scale = float(np.linalg.norm(cu))
        determined = scale == 0.0 or float(np.linalg.norm(cu @ self.null_unknown[ku])) <= _TOL * scale
        # x_U = A_U⁺ (s − A_K x_K)  ⇒  ∂(cᵀx)/∂x_K = c_K − A_Kᵀ A_U⁺ᵀ c_U
        lam = self._lam
        rows = [known[nonzero[~on_u]]]
        vals = [coef[~on_u]]
        for k, w in zip(ku, cu, strict=True):
            lo, hi = lam.indptr[k], lam.indptr[k + 1]
            rows.append(lam.indices[lo:hi])
            vals.append(-w * lam.data[lo:hi])
        positions, inverse = np.unique(np.concatenate(rows), return_inverse=True)
        g = np.zeros(positions.size)
        np.add.at(g, inverse, np.concatenate(vals))
        ids = self._known_ids
        gradient = {ids[int(r)]: float(v) for r, v in zip(positions, g, strict=True) if abs(v) > _TOL}
        if not determined:
            return Functional(math.nan, False, Provenance.MISSING, math.nan, gradient, flows)
        value = float(coef @ self.values[nonzero])
        var = float(np.sum(g**2 * self.variances[self.known_index[positions]]))
        labels = [self.provenance[j] for j in nonzero]
        labels = [Provenance.INFERRED if p is Provenance.MISSING else p for p in labels]
        return Functional(value, True, combine_provenance(labels), math.sqrt(var), gradient, flows)

    def singles(self) -> list[tuple[float, float, tuple[str, ...]]]:
        """``(value, uncertainty, sources)`` of every flow alone, in model order, all at once.

        The same as :meth:`functional` of each flow's unit vector: a known flow is its value
        with its own uncertainty; an unknown one is determined or NaN, its uncertainty and its
        sources (the known flows it is computed from) from its column of ``A_Kᵀ A_U⁺ᵀ``.
        """
        n = len(self.net.flows)
        result: list[tuple[float, float, tuple[str, ...]]] = [(math.nan, math.nan, ())] * n
        ids = self._known_ids
        for i, j in enumerate(self.known_index):
            result[j] = (float(self.values[j]), math.sqrt(float(self.variances[j])), (ids[i],))
        if not self.unknown_index.size:
            return result
        lam = self._lam.copy()
        lam.data[np.abs(lam.data) <= _TOL] = 0.0
        lam.eliminate_zeros()
        var = np.asarray(lam.multiply(lam).T @ self.variances[self.known_index]).ravel()
        for k, j in enumerate(self.unknown_index):
            rows = lam.indices[lam.indptr[k] : lam.indptr[k + 1]]
            sources = tuple(ids[r] for r in np.sort(rows))
            if self.determined[j]:
                result[j] = (float(self.values[j]), math.sqrt(float(var[k])), sources)
            else:
                result[j] = (math.nan, math.nan, sources)
        return result

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
    pinv, null, rank_u, _ = pinv_null(a_u)
    values[u_idx] = pinv @ b
    determined = known.copy()
    if u_idx.size:
        determined[u_idx] = np.linalg.norm(null, axis=1) <= _TOL
    provenance = tuple(
        combine_provenance(labels[j])
        if known[j]
        else (Provenance.INFERRED if determined[j] else Provenance.MISSING)
        for j in range(n)
    )
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
        meters={k: tuple(v) for k, v in meters.items()},
    )


def components(a: FloatArray) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """Rows and columns of each connected component of ``a`` (columns linked by shared rows).

    Rows without a non-zero entry are left out; a column without one is its own component.
    """
    m, n = a.shape
    rows, cols = np.nonzero(a)
    graph = scipy.sparse.coo_array((np.ones(rows.size), (rows, m + cols)), shape=(m + n, m + n))
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:m], label[m:]
    order = np.argsort(col_label, kind="stable")
    bounds = np.flatnonzero(np.diff(col_label[order])) + 1
    rows_of: dict[int, list[int]] = {}
    for i in np.flatnonzero(np.abs(a).sum(axis=1) > 0):
        rows_of.setdefault(int(row_label[i]), []).append(int(i))
    return [
        (np.asarray(rows_of.get(int(col_label[group[0]]), []), dtype=np.intp), group)
        for group in np.split(order, bounds)
        if group.size
    ]


@lru_cache(maxsize=256)
def _svd(shape: tuple[int, ...], data: bytes) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Full SVD of a block given by its shape and float64 bytes, kept for blocks seen again.

    Serial elimination moves one measured flow at a time to the unknowns, so all but one or two
    components of ``A_U`` are the same in the next round; plants built of the same units give
    equal blocks too.  The arrays are read-only.
    """
    u, sv, vt = np.linalg.svd(np.frombuffer(data, dtype=np.float64).reshape(shape), full_matrices=True)
    for array in (u, sv, vt):
        array.flags.writeable = False
    return u, sv, vt


def pinv_null(a: FloatArray) -> tuple[FloatArray, FloatArray, int, FloatArray]:
    """Return ``(A⁺, basis of null(A), rank A, basis of null(Aᵀ))``, block by connected component.

    Each block is the singular value decomposition of one component; singular values below
    ``1e-10`` × the block's largest count as zero.  The null-space basis has one column per
    direction, the left null-space basis one row per direction (rows of ``A`` without a
    non-zero entry give unit rows).
    """
    m, n = a.shape
    pinv = np.zeros((n, m))
    nulls: list[tuple[npt.NDArray[np.intp], FloatArray]] = []
    left: list[FloatArray] = []
    touched = np.zeros(m, dtype=bool)
    rank = 0
    for ri, cj in components(a) if n else []:
        if ri.size == 0:
            nulls.append((cj, np.eye(cj.size)))
            continue
        touched[ri] = True
        block = a[np.ix_(ri, cj)]
        if cj.size == 1 and ri.size <= 2:  # one flow between at most two units: no SVD needed
            v = block[:, 0]
            pinv[cj[0], ri] = v / float(v @ v)
            if ri.size == 2:
                rows = np.zeros((1, m))
                rows[0, ri] = np.array([v[1], -v[0]]) / math.sqrt(float(v @ v))
                left.append(rows)
            rank += 1
            continue
        u, sv, vt = _svd(block.shape, np.ascontiguousarray(block).tobytes())
        r = int(np.sum(sv > 1e-10 * sv[0])) if sv.size else 0
        pinv[np.ix_(cj, ri)] = (vt[:r].T / sv[:r]) @ u[:, :r].T
        nulls.append((cj, vt[r:].T))
        if r < ri.size:
            rows = np.zeros((ri.size - r, m))
            rows[:, ri] = u[:, r:].T
            left.append(rows)
        rank += r
    null = np.zeros((n, sum(b.shape[1] for _, b in nulls)))
    k = 0
    for cj, basis in nulls:
        null[cj, k : k + basis.shape[1]] = basis
        k += basis.shape[1]
    free = np.flatnonzero(~touched)
    units = np.zeros((free.size, m))
    units[np.arange(free.size), free] = 1.0
    return pinv, null, rank, np.vstack([units, *left]) if left else units
