"""The water-balance diagram for the charts: views at sub-unit and equipment level, without cycles.

The assessment's diagram (:meth:`shuixiao.assess.EnterpriseAssessment.sankey`) has one
link per flow of the model.  The dashboard offers three views of it:

``units``
    level-3 equipment merged into its level-2 sub-unit (the usual 水平衡图 of a
    water-balance test); flows inside a sub-unit, such as its cooling loops, drop out;
``equipment``
    every unit, recirculated flows left out (they are often ten times the rest);
``loops``
    every unit and every flow.

ECharts draws only acyclic diagrams while water goes round (cooling loops, treated water
reused upstream).  A depth-first search from the sources finds the links that close a
cycle; each is drawn into a *return* copy of its target, so every volume shows.  Links
without a volume (neither metered nor determined by the balances) are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shuixiao.assess import Sankey, SankeyNode
from shuixiao.model import Enterprise, FlowCategory, UnitKind, label
from shuixiao.service.web._i18n import Translator

__all__ = ["DRAWN_STATUSES", "VIEWS", "sankey_views"]

VIEWS = ("units", "equipment", "loops")
"""The views of the diagram, in the order of the switch."""

DRAWN_STATUSES = ("measured", "inferred", "estimated")
"""Link statuses, best first; a merged link takes the worst of its parts."""

_RETURN = "#return"
_COLOURS: dict[str, str] = {
    UnitKind.SOURCE.value: "#0f6fa8",
    UnitKind.WORKSHOP.value: "#5b7c99",
    UnitKind.TREATMENT.value: "#1b8a5a",
    UnitKind.STORAGE.value: "#4a90c2",
    UnitKind.COOLING_TOWER.value: "#2aa5b8",
    UnitKind.INDIRECT_COOLING.value: "#5bb8c9",
    UnitKind.DIRECT_COOLING.value: "#5bb8c9",
    UnitKind.PROCESS.value: "#6b8fb0",
    UnitKind.BOILER.value: "#c0792b",
    UnitKind.DOMESTIC.value: "#8a7fb8",
    UnitKind.DISCHARGE.value: "#8c6d3f",
    UnitKind.EXTERNAL_SUPPLY.value: "#8c6d3f",
    "consumption": "#9aa5b1",
    "leakage": "#c0392b",
}


@dataclass
class _Edge:
    value: float = 0.0
    status: str = "measured"
    categories: set[str] = field(default_factory=set)


def _worse(a: str, b: str) -> str:
    return max(a, b, key=DRAWN_STATUSES.index)


def _acyclic(edges: dict[tuple[str, str], _Edge], roots: list[str]) -> dict[tuple[str, str], bool]:
    """Mark the edges that close a cycle (back edges of a depth-first search from ``roots``)."""
    successors: dict[str, list[str]] = {}
    for source, target in sorted(edges, key=lambda pair: -edges[pair].value):
        # The biggest flows first: they shape the diagram, the small ones close its loops.
        successors.setdefault(source, []).append(target)
    back: dict[tuple[str, str], bool] = {}
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    nodes = list(dict.fromkeys([*roots, *(s for s, _ in edges), *(t for _, t in edges)]))
    for root in nodes:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            following = successors.get(node, [])
            if index == len(following):
                state[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, index + 1)
            nxt = following[index]
            seen = state.get(nxt)
            back[(node, nxt)] = seen == 1
            if seen is None:
                state[nxt] = 1
                stack.append((nxt, 0))
    return back


def _view(
    sankey: Sankey,
    group_of: Callable[[str], str],
    with_loops: bool,
    t: Translator,
) -> dict[str, Any]:
    nodes = {n.id: n for n in sankey.nodes}
    edges: dict[tuple[str, str], _Edge] = {}
    for link in sankey.links:
        if not (math.isfinite(link.value) and link.value > 0):
            continue
        if link.category == FlowCategory.RECIRCULATED.value and not with_loops:
            continue
        source, target = group_of(link.source), group_of(link.target)
        if source == target:
            continue
        edge = edges.setdefault((source, target), _Edge(status="measured"))
        edge.value += link.value
        edge.status = _worse(edge.status, link.status if link.status in DRAWN_STATUSES else "estimated")
        edge.categories.add(link.category)
    roots = sorted(n.id for n in sankey.nodes if n.kind == UnitKind.SOURCE.value)
    back = _acyclic(edges, roots)
    out_nodes: dict[str, dict[str, Any]] = {}

    def node(node_id: str, returning: bool) -> str:
        n: SankeyNode = nodes[node_id]
        key = node_id + (_RETURN if returning else "")
        if key not in out_nodes:
            name = t.pick(n.name, n.name_en)
            out_nodes[key] = {
                "id": key,
                "label": f"{name} {t('sankey.return')}" if returning else name,
                "color": _COLOURS.get(n.kind, "#6b8fb0"),
            }
        return key

    links = []
    for (source, target), edge in edges.items():
        links.append(
            {
                "source": node(source, False),
                "target": node(target, back.get((source, target), False)),
                "value": round(edge.value, 1),
                "status": edge.status,
                "category": " / ".join(sorted(_category(c, t) for c in edge.categories)),
            }
        )
    return {"nodes": list(out_nodes.values()), "links": links}


def _category(category: str, t: Translator) -> str:
    try:
        return label(FlowCategory(category), t.language)
    except ValueError:
        return category


def sankey_views(sankey: Sankey, enterprise: Enterprise, t: Translator) -> dict[str, Any]:
    """Return the diagram's views (:data:`VIEWS`) as the data of the ECharts Sankey chart.

    Parameters
    ----------
    sankey : Sankey
        The assessment's diagram.
    enterprise : Enterprise
        The model (for the level-2 parent of each unit).
    t : Translator
        Texts in the page language.
    """
    parents = {u.id: u.parent for u in enterprise.units if u.level == 3 and u.parent}

    def sub_unit(node_id: str) -> str:
        return parents.get(node_id, node_id)

    def itself(node_id: str) -> str:
        return node_id

    views = []
    for key, group_of, with_loops in (
        ("units", sub_unit, False),
        ("equipment", itself, False),
        ("loops", itself, True),
    ):
        views.append({"key": key, "label": t(f"sankey.view.{key}"), **_view(sankey, group_of, with_loops, t)})
    return {
        "views": views,
        "unit": "m³",
        "missing": sum(1 for link in sankey.links if not math.isfinite(link.value)),
        "statusLabels": {s: t(f"status.{s}") for s in DRAWN_STATUSES},
    }
