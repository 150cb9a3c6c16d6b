"""The flows of a plant as one linear system, solved for every interval at once.

Unknowns are the flow volumes of one interval.  Equations are

* one water balance per unit that is not on the boundary (GB/T 12452-2022,
  input = output: ``Σ in − Σ out = ΔV`` with ``ΔV`` the change of stored water,
  zero except for tanks with a modelled level), and
* one rule per flow that is not set by a balance (:mod:`shuixiao.demo._plant`).

The matrix depends only on the template, so it is inverted once and applied
to the right-hand sides of all intervals with one matrix product; balances
therefore close to rounding error in every interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shuixiao.demo._plant import BALANCE, PlantTemplate, Ratio, Share

__all__ = ["FlowSystem", "flow_system"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FlowSystem:
    """The inverted flow equations of one template.

    Parameters
    ----------
    flows : tuple of str
        Flow ids in column order.
    driven : tuple of str
        Flows whose equation has a driver on the right-hand side, in row order.
    tanks : tuple of str
        Units whose balance has a storage term ``ΔV``.
    solution : numpy.ndarray
        Columns of the inverse matrix for the driven rows, then the tank rows.
    """

    flows: tuple[str, ...]
    driven: tuple[str, ...]
    tanks: tuple[str, ...]
    solution: FloatArray

    def solve(self, drivers: Mapping[str, FloatArray], storage: Mapping[str, FloatArray]) -> FloatArray:
        """Return all flow volumes for every interval.

        Parameters
        ----------
        drivers : mapping of str to numpy.ndarray
            Volume of each driven flow in each interval. [m³]
        storage : mapping of str to numpy.ndarray
            Increase of stored water of each tank in each interval. [m³]

        Returns
        -------
        numpy.ndarray
            Shape (flows, intervals). [m³]
        """
        rhs = np.vstack([drivers[f] for f in self.driven] + [storage[u] for u in self.tanks])
        result: FloatArray = self.solution @ rhs
        return result


def flow_system(template: PlantTemplate) -> FlowSystem:
    """Build and invert the flow equations of ``template``.

    Raises
    ------
    RuntimeError
        If the template does not determine every flow exactly once (a
        template-writing mistake, reported with the counts to fix it).
    """
    flows = [spec.flow for spec in template.flows]
    index = {f.id: i for i, f in enumerate(flows)}
    units = {u.id: u for u in template.units}
    buffers = {t.unit for t in template.tanks if t.buffer_of is not None}
    levelled = [t.unit for t in template.tanks if t.buffer_of is None]
    touched = {f.from_unit for f in flows} | {f.to_unit for f in flows}
    balanced = [u.id for u in template.units if not u.is_boundary and u.id not in buffers and u.id in touched]
    n = len(flows)
    rows: list[FloatArray] = []
    driven: list[str] = []
    tank_rows: list[int] = []

    for uid in balanced:
        row = np.zeros(n)
        for f in flows:
            if f.to_unit == uid:
                row[index[f.id]] += 1.0
            if f.from_unit == uid:
                row[index[f.id]] -= 1.0
        if uid in levelled:
            tank_rows.append(len(rows))
        rows.append(row)
    driven_rows: list[int] = []
    for spec in template.flows:
        rule = spec.rule
        if rule is BALANCE:
            continue
        row = np.zeros(n)
        row[index[spec.flow.id]] += 1.0
        if isinstance(rule, Ratio):
            for other in rule.of:
                row[index[other]] -= rule.alpha
        elif isinstance(rule, Share):
            if rule.unit not in units:
                raise RuntimeError(f"{template.key}: flow {spec.flow.id} shares unknown unit {rule.unit}")
            for f in flows:
                if f.to_unit == rule.unit:
                    row[index[f.id]] -= rule.alpha
        else:
            driven.append(spec.flow.id)
            driven_rows.append(len(rows))
        rows.append(row)
    if len(rows) != n:
        n_balance = sum(1 for s in template.flows if s.rule is BALANCE)
        raise RuntimeError(
            f"{template.key}: {len(rows)} equations for {n} flows; {n_balance} flows are set by "
            f"balance but {len(balanced)} units balance"
        )
    matrix = np.vstack(rows)
    if np.linalg.cond(matrix) > 1e10:
        raise RuntimeError(f"{template.key}: the flow equations are singular; check the balance-set flows")
    inverse = np.linalg.inv(matrix)
    columns = driven_rows + tank_rows
    return FlowSystem(
        flows=tuple(f.id for f in flows),
        driven=tuple(driven),
        tanks=tuple(balanced[i] for i in range(len(balanced)) if i in tank_rows),
        solution=np.ascontiguousarray(inverse[:, columns]),
    )
