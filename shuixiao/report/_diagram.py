"""The water-balance diagram (水平衡图): a layered flow diagram drawn as SVG or a ReportLab drawing.

Units are boxes in columns from the sources (left) to discharge, consumption and leakage
(right), as :func:`shuixiao.assess._sankey.sankey_of` places them; every flow is a band whose
width grows with the square root of its volume (so that make-up water stays visible beside
circulation a hundred times larger), coloured by category and drawn solid (measured), dashed
(inferred), dotted (estimated) or grey (missing).  Volumes are written on the flows that
cross the boundary.  Both renderers draw the same layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from shuixiao.assess._sankey import Sankey

__all__ = ["Layout", "layout", "to_reportlab", "to_svg"]

BOX_W, BOX_H = 118.0, 26.0
COL_W, ROW_H = 178.0, 40.0
MARGIN = 24.0
LEGEND_H = 26.0

COLOURS: dict[str, str] = {
    "fresh": "#1f77b4",
    "non_conventional": "#17becf",
    "recirculated": "#2ca02c",
    "cascaded": "#8c9d2b",
    "reclaimed": "#9467bd",
    "condensate": "#ff7f0e",
    "steam": "#d62728",
    "wastewater": "#8c564b",
    "discharge": "#7f6a4f",
    "external_supply": "#e377c2",
    "consumption": "#9e9e9e",
    "leakage": "#d62728",
}
DASHES: dict[str, tuple[float, ...]] = {
    "measured": (),
    "inferred": (6.0, 3.0),
    "estimated": (2.0, 2.0),
    "missing": (4.0, 4.0),
}
MISSING_COLOUR = "#c7c7c7"


@dataclass(frozen=True)
class Box:
    """A unit box: top-left corner and size in drawing units (y downwards)."""

    id: str
    x: float
    y: float
    w: float
    h: float
    label: str
    kind: str


@dataclass(frozen=True)
class Band:
    """A flow: a cubic Bézier from (x0, y0) to (x1, y1) with control points (c1, c2)."""

    flow: str
    points: tuple[float, float, float, float, float, float, float, float]
    width: float
    colour: str
    dash: tuple[float, ...]
    label: str
    label_at: tuple[float, float] | None


@dataclass(frozen=True)
class Layout:
    """The positioned diagram: size, boxes, bands and the legend items."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    bands: tuple[Band, ...]
    legend: tuple[tuple[str, str, tuple[float, ...]], ...]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(
    sankey: Sankey, labels: dict[str, str], status_labels: dict[str, str], *, cjk: bool = True
) -> Layout:
    """Place the nodes and route the flows of ``sankey``.

    Parameters
    ----------
    sankey : Sankey
    labels : dict of str to str
        Node labels by node id.
    status_labels : dict of str to str
        Legend text of ``measured``, ``inferred``, ``estimated``, ``missing``.
    cjk : bool
        Labels are Chinese (wider glyphs: shorter truncation).
    """
    columns: dict[int, list[str]] = {}
    for n in sankey.nodes:
        columns.setdefault(n.column, []).append(n.id)
    order = sorted(columns)
    col_index = {c: i for i, c in enumerate(order)}
    tallest = max((len(v) for v in columns.values()), default=1)
    width = 2 * MARGIN + (len(order) - 1) * COL_W + BOX_W
    height = 2 * MARGIN + LEGEND_H + tallest * ROW_H
    kinds = {n.id: n.kind for n in sankey.nodes}
    boxes: dict[str, Box] = {}
    for c, ids in columns.items():
        offset = (tallest - len(ids)) * ROW_H / 2.0
        for i, nid in enumerate(ids):
            x = MARGIN + col_index[c] * COL_W
            y = MARGIN + LEGEND_H + offset + i * ROW_H + (ROW_H - BOX_H) / 2.0
            boxes[nid] = Box(
                nid, x, y, BOX_W, BOX_H, _short(labels.get(nid, nid), 9 if cjk else 18), kinds[nid]
            )
    finite = [abs(link.value) for link in sankey.links if math.isfinite(link.value)]
    vmax = max(finite, default=1.0) or 1.0
    bands = []
    for link in sankey.links:
        a, b = boxes[link.source], boxes[link.target]
        known = math.isfinite(link.value)
        w = 1.0 + 11.0 * math.sqrt(abs(link.value) / vmax) if known else 1.0
        colour = (
            COLOURS.get(link.category, "#555555") if known and link.status != "missing" else MISSING_COLOUR
        )
        x0, y0 = a.x + a.w, a.y + a.h / 2.0
        x1, y1 = b.x, b.y + b.h / 2.0
        if x1 > x0:
            dx = (x1 - x0) / 2.0
            pts = (x0, y0, x0 + dx, y0, x1 - dx, y1, x1, y1)
        else:  # a loop back (recirculation) or within a column: bow below the boxes
            drop = ROW_H * 0.9
            pts = (x0, y0, x0 + 60.0, y0 + drop, x1 - 60.0, y1 + drop, x1, y1)
        boundary = kinds[link.source] == "source" or b.x >= width - MARGIN - BOX_W - 1.0
        text = f"{link.value:,.0f}" if known else "?"
        at = (
            0.125 * pts[0] + 0.375 * pts[2] + 0.375 * pts[4] + 0.125 * pts[6],
            0.125 * pts[1] + 0.375 * pts[3] + 0.375 * pts[5] + 0.125 * pts[7] - w / 2.0 - 2.0,
        )
        bands.append(
            Band(link.flow, pts, w, colour, DASHES.get(link.status, ()), text, at if boundary else None)
        )
    legend = tuple(
        (status_labels.get(s, s), "#444444" if s != "missing" else MISSING_COLOUR, DASHES[s])
        for s in ("measured", "inferred", "estimated", "missing")
    )
    return Layout(width, height, tuple(boxes.values()), tuple(bands), legend)


_FILL = {
    "source": "#e3f2fd",
    "discharge": "#efebe9",
    "external_supply": "#fce4ec",
    "consumption": "#f5f5f5",
    "leakage": "#ffebee",
}


def to_svg(plan: Layout) -> str:
    """Return the diagram as an SVG document (Chinese labels use the browser's CJK fonts)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {plan.width:.0f} {plan.height:.0f}" '
        f'width="{plan.width:.0f}" height="{plan.height:.0f}" font-family="\'Noto Sans CJK SC\', \'WenQuanYi Micro Hei\', '
        '\'Microsoft YaHei\', \'PingFang SC\', SimSun, sans-serif" font-size="10" role="img">'
    ]
    x = MARGIN
    for text, colour, dash in plan.legend:
        d = f' stroke-dasharray="{",".join(f"{v:g}" for v in dash)}"' if dash else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{MARGIN:.1f}" x2="{x + 28:.1f}" y2="{MARGIN:.1f}" stroke="{colour}" stroke-width="3"{d}/>'
        )
        out.append(f'<text x="{x + 32:.1f}" y="{MARGIN + 3.5:.1f}">{escape(text)}</text>')
        x += 110.0
    for b in plan.bands:
        p = b.points
        d = f' stroke-dasharray="{",".join(f"{v:g}" for v in b.dash)}"' if b.dash else ""
        out.append(
            f'<path d="M{p[0]:.1f},{p[1]:.1f} C{p[2]:.1f},{p[3]:.1f} {p[4]:.1f},{p[5]:.1f} {p[6]:.1f},{p[7]:.1f}" '
            f'fill="none" stroke="{b.colour}" stroke-opacity="0.7" stroke-width="{b.width:.2f}"{d}>'
            f"<title>{escape(b.flow)}: {escape(b.label)} m³</title></path>"
        )
    for b in plan.bands:
        if b.label_at is not None:
            out.append(
                f'<text x="{b.label_at[0]:.1f}" y="{b.label_at[1]:.1f}" text-anchor="middle" font-size="9">{escape(b.label)}</text>'
            )
    for box in plan.boxes:
        fill = _FILL.get(box.kind, "#ffffff")
        out.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="3" '
            f'fill="{fill}" stroke="#37474f" stroke-width="0.8"/>'
        )
        out.append(
            f'<text x="{box.x + box.w / 2:.1f}" y="{box.y + box.h / 2 + 3.5:.1f}" text-anchor="middle">{escape(box.label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def to_reportlab(plan: Layout, width: float, font: str) -> Any:
    """Return the diagram as a ReportLab ``Drawing`` scaled to ``width`` points, labels in ``font``."""
    from reportlab.graphics.shapes import Drawing, Line, Path, Rect, String  # type: ignore[import-untyped]
    from reportlab.lib.colors import HexColor  # type: ignore[import-untyped]

    scale = min(1.0, width / plan.width)
    drawing = Drawing(plan.width * scale, plan.height * scale)
    h = plan.height

    def y(v: float) -> float:
        return h - v

    items: list[Any] = []
    x = MARGIN
    for text, colour, dash in plan.legend:
        items.append(
            Line(
                x,
                y(MARGIN),
                x + 28,
                y(MARGIN),
                strokeColor=HexColor(colour),
                strokeWidth=3,
                strokeDashArray=list(dash) or None,
            )
        )
        items.append(String(x + 32, y(MARGIN + 3.5), text, fontName=font, fontSize=9))
        x += 110.0
    for b in plan.bands:
        p = b.points
        path = Path(
            strokeColor=HexColor(b.colour),
            strokeWidth=b.width,
            fillColor=None,
            strokeDashArray=list(b.dash) or None,
        )
        path.moveTo(p[0], y(p[1]))
        path.curveTo(p[2], y(p[3]), p[4], y(p[5]), p[6], y(p[7]))
        items.append(path)
    for b in plan.bands:
        if b.label_at is not None:
            items.append(
                String(
                    b.label_at[0], y(b.label_at[1]), b.label, fontName=font, fontSize=7, textAnchor="middle"
                )
            )
    for box in plan.boxes:
        items.append(
            Rect(
                box.x,
                y(box.y + box.h),
                box.w,
                box.h,
                rx=3,
                ry=3,
                fillColor=HexColor(_FILL.get(box.kind, "#ffffff")),
                strokeColor=HexColor("#37474f"),
                strokeWidth=0.8,
            )
        )
        items.append(
            String(
                box.x + box.w / 2,
                y(box.y + box.h / 2 + 3.5),
                box.label,
                fontName=font,
                fontSize=9,
                textAnchor="middle",
            )
        )
    for item in items:
        drawing.add(item)
    drawing.scale(scale, scale)
    return drawing
