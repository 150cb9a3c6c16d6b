"""The enterprise's water system as a directed graph: incidence matrix, groups, flow roles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, Flow, FlowCategory, UnitKind, WaterUnit

FloatArray = npt.NDArray[np.float64]

USE_KINDS = frozenset(
    {UnitKind.PROCESS, UnitKind.INDIRECT_COOLING, UnitKind.DIRECT_COOLING, UnitKind.BOILER, UnitKind.DOMESTIC}
)
"""Kinds of unit that use water: a recirculated flow into one of them is the supply leg of a loop."""

WATER_CATEGORIES = frozenset(FlowCategory) - {
    FlowCategory.CONSUMPTION,
    FlowCategory.LEAKAGE,
    FlowCategory.STEAM,
}
"""Categories of liquid water that can be metered at a metering point."""

INTAKE_CATEGORIES = frozenset({FlowCategory.FRESH, FlowCategory.NON_CONVENTIONAL})


@dataclass(frozen=True)
class Network:
    """Incidence structure of one enterprise.

    ``incidence[i, j]`` is +1 when flow ``j`` enters balanced unit ``i``, −1 when it leaves it,
    so that ``incidence @ x = ΔS`` states every unit balance (input − output = storage change).
    Boundary units (sources, discharge outlets, external supply) and the environment
    (the missing end of consumption and leakage flows) are not balanced.
    """

    enterprise: Enterprise
    flows: tuple[Flow, ...]
    units: tuple[WaterUnit, ...]
    incidence: FloatArray
    flow_index: dict[str, int]
    unit_index: dict[str, int]
    group_of: dict[str, str]

    @cached_property
    def touching(self) -> dict[str, tuple[int, ...]]:
        """Indices of the flows that enter or leave each unit, in model order."""
        result: dict[str, list[int]] = {}
        for j, f in enumerate(self.flows):
            result.setdefault(f.from_unit, []).append(j)
            if f.to_unit is not None and f.to_unit != f.from_unit:
                result.setdefault(f.to_unit, []).append(j)
        return {k: tuple(v) for k, v in result.items()}

    def vector(self, flow_ids: list[str] | tuple[str, ...], sign: float = 1.0) -> FloatArray:
        """Coefficient vector over all flows with ``sign`` at each of ``flow_ids``."""
        c = np.zeros(len(self.flows))
        for fid in flow_ids:
            c[self.flow_index[fid]] += sign
        return c


def build_network(enterprise: Enterprise) -> Network:
    """Return the incidence structure of ``enterprise``.

    Raises
    ------
    InvalidInputError
        If a flow names a unit that does not exist, or a level-3 unit has no level-2 parent.
    """
    units_all = {u.id: u for u in enterprise.units}
    balanced = tuple(u for u in enterprise.units if not u.is_boundary)
    unit_index = {u.id: i for i, u in enumerate(balanced)}
    flows = tuple(enterprise.flows)
    flow_index = {f.id: j for j, f in enumerate(flows)}
    if len(flow_index) != len(flows):
        raise InvalidInputError(f"enterprise {enterprise.id}: flow ids are not unique")
    a = np.zeros((len(balanced), len(flows)))
    for j, f in enumerate(flows):
        for end, sign in ((f.from_unit, -1.0), (f.to_unit, 1.0)):
            if end is None:
                continue
            if end not in units_all:
                raise InvalidInputError(f"enterprise {enterprise.id}: flow {f.id} names no unit {end!r}")
            if end in unit_index:
                a[unit_index[end], j] += sign
    group_of: dict[str, str] = {}
    for u in balanced:
        if u.level == 2:
            group_of[u.id] = u.id
        elif u.parent is not None and units_all.get(u.parent) is not None and units_all[u.parent].level == 2:
            group_of[u.id] = u.parent
        else:
            raise InvalidInputError(
                f"enterprise {enterprise.id}: unit {u.id} is neither level 2 nor a level-3 unit with a "
                "level-2 parent; fix the model (shuixiao.model.enterprise_problems lists the problems)"
            )
    return Network(enterprise, flows, balanced, a, flow_index, unit_index, group_of)


def is_source_flow(net: Network, flow: Flow) -> bool:
    """True for a flow that leaves a source (it counts in intake)."""
    unit = next(u for u in net.enterprise.units if u.id == flow.from_unit)
    return unit.kind is UnitKind.SOURCE


def unit_kind(net: Network, unit_id: str | None) -> UnitKind | None:
    """The kind of unit ``unit_id`` (None for the environment)."""
    if unit_id is None:
        return None
    for u in net.enterprise.units:
        if u.id == unit_id:
            return u.kind
    return None
