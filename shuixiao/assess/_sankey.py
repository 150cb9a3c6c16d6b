"""The water-balance diagram of one enterprise as nodes and links (GB/T 42031 水平衡图 data)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from shuixiao.assess._json import num
from shuixiao.balance import WaterBalance
from shuixiao.model import Enterprise, FlowCategory, UnitKind

__all__ = ["CONSUMPTION_NODE", "LEAKAGE_NODE", "Sankey", "SankeyLink", "SankeyNode", "sankey_of"]

CONSUMPTION_NODE = "__consumption__"
"""Node that consumption flows (evaporation, product water) go to."""
LEAKAGE_NODE = "__leakage__"
"""Node that leakage flows go to."""


@dataclass(frozen=True)
class SankeyNode:
    """A node of the diagram: a water unit, or where consumed and leaked water goes.

    Parameters
    ----------
    id : str
        Unit id, or ``__consumption__`` / ``__leakage__``.
    name, name_en : str
        Labels in Chinese and English.
    kind : str
        Unit kind (``source``, ``cooling_tower`` …), or ``consumption`` / ``leakage``.
    level : int or None
        Metering level 2 or 3; None on the boundary.
    column : int
        Position from left (sources, 0) to right (discharge, consumption, leakage).
    """

    id: str
    name: str
    name_en: str
    kind: str
    level: int | None
    column: int


@dataclass(frozen=True)
class SankeyLink:
    """A flow of the diagram.

    Parameters
    ----------
    flow : str
    source, target : str
        Node ids.
    category : str
        Flow category (``fresh``, ``recirculated`` …).
    value : float
        Volume in the period; NaN when missing. [m³]
    uncertainty : float
        Standard uncertainty. [m³]
    status : str
        ``measured``, ``inferred``, ``estimated`` or ``missing``.
    """

    flow: str
    source: str
    target: str
    category: str
    value: float
    uncertainty: float
    status: str


@dataclass(frozen=True)
class Sankey:
    """Nodes and links of the water-balance diagram.

    Parameters
    ----------
    nodes : tuple of SankeyNode
    links : tuple of SankeyLink
    """

    nodes: tuple[SankeyNode, ...]
    links: tuple[SankeyLink, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"nodes": [...], "links": [...]}`` ready for JSON (NaN as None)."""
        return {
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "name_en": n.name_en,
                    "kind": n.kind,
                    "level": n.level,
                    "column": n.column,
                }
                for n in self.nodes
            ],
            "links": [
                {
                    "flow": link.flow,
                    "source": link.source,
                    "target": link.target,
                    "category": link.category,
                    "value_m3": num(link.value),
                    "uncertainty_m3": num(link.uncertainty),
                    "status": link.status,
                }
                for link in self.links
            ],
        }


_SINKS = (UnitKind.DISCHARGE, UnitKind.EXTERNAL_SUPPLY)


def sankey_of(enterprise: Enterprise, balance: WaterBalance) -> Sankey:
    """Return the diagram of ``balance``: one link per flow, nodes in columns by depth from the sources.

    Columns follow the longest path from a source over flows that are not ``recirculated``
    (loops would have no depth); discharge outlets, external supply, consumption and leakage
    are put in the last column.
    """
    targets: dict[str, str] = {}
    for f in enterprise.flows:
        if f.to_unit is not None:
            targets[f.id] = f.to_unit
        else:
            targets[f.id] = LEAKAGE_NODE if f.category is FlowCategory.LEAKAGE else CONSUMPTION_NODE
    depth = _depths(enterprise)
    last = max(depth.values(), default=0) + 1
    nodes = []
    used = set(targets.values()) | {f.from_unit for f in enterprise.flows}
    for u in enterprise.units:
        column = last if u.kind in _SINKS else depth.get(u.id, 0)
        nodes.append(SankeyNode(u.id, u.name, u.name_en or u.id, u.kind.value, u.level, column))
    if CONSUMPTION_NODE in used:
        nodes.append(SankeyNode(CONSUMPTION_NODE, "耗水", "consumption", "consumption", None, last))
    if LEAKAGE_NODE in used:
        nodes.append(SankeyNode(LEAKAGE_NODE, "漏失", "leakage", "leakage", None, last))
    links = []
    for f in enterprise.flows:
        v = balance.flows[f.id]
        links.append(
            SankeyLink(
                f.id,
                f.from_unit,
                targets[f.id],
                f.category.value,
                v.value,
                v.uncertainty if math.isfinite(v.uncertainty) else math.nan,
                v.provenance.value,
            )
        )
    return Sankey(tuple(nodes), tuple(links))


def _depths(enterprise: Enterprise) -> dict[str, int]:
    """Longest-path depth of each unit from the sources over non-recirculated flows (cycles cut)."""
    edges: dict[str, list[str]] = {}
    for f in enterprise.flows:
        if f.to_unit is not None and f.category is not FlowCategory.RECIRCULATED:
            edges.setdefault(f.from_unit, []).append(f.to_unit)
    depth = {u.id: 0 for u in enterprise.units if u.kind is UnitKind.SOURCE}
    queue = deque(depth)
    limit = len(enterprise.units)
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, ()):
            d = depth[node] + 1
            if d > depth.get(nxt, -1) and d <= limit:
                depth[nxt] = d
                queue.append(nxt)
    for u in enterprise.units:  # units reached only through loops sit next to their parent
        if u.id not in depth:
            depth[u.id] = depth.get(u.parent or "", 0) + 1
    return depth
