"""Monthly water-use plans (计划用水) of the demo park's enterprises.

The water authority sets a plan from the unit's past use, its quota and the water available
(seed 003, 计划用水管理).  The demo derives each month's plan from the simulated daily intake of that
month (the ground truth, :attr:`EnterpriseData.truth`).  Every enterprise gets a plan that covers
the month's busiest day every day with a margin (:data:`MARGIN`), so its pace stays under the
80 % warning level of the ``water_plan`` rule on every day of the month, holidays and weekly
swings included; the textile dyeing works (印染, the most water-intensive sector of the park)
get deliberately tight plans, a few per cent above their mean use (:data:`TIGHT_MARGIN`), so the
demo shows planned-water-use alarms: a warning, and a critical one while the month runs ahead of
its plan.
The margins are synthetic choices for a believable demo, not measurements.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Final

from shuixiao.demo import EnterpriseData
from shuixiao.model import UnitKind
from shuixiao.storage.plans import PlanInput

__all__ = ["AUTHORITY", "MARGIN", "TIGHT_MARGIN", "TIGHT_TEMPLATE", "demo_plans"]

MARGIN: Final = 0.35
"""Plan above the month's busiest day (times the days of the month) for most enterprises: the
pace is then at most 1 / 1.35 ≈ 74 % of the plan on any day, under the 80 % warning level with
room for a few per cent of meter error (synthetic). [unitless]"""

TIGHT_MARGIN: Final = 0.05
"""Plan above the month's mean intake for the deliberately tight enterprises: a pace of about
95 % over the month, between the warning (80 %) and critical (100 %) levels (synthetic). [unitless]"""

TIGHT_TEMPLATE: Final = "dyeing"
"""Template of the enterprises with tight plans (the textile dyeing works)."""

AUTHORITY: Final = "岳阳市水利局"
"""Issuing authority of the demo plans (the demo park lies near 岳阳, Hunan; fictional documents)."""

_ROUND: Final = 100.0
"""Plans are issued in whole hundreds of m³ (synthetic). [m³]"""


def demo_plans(data: EnterpriseData) -> list[PlanInput]:
    """Return the monthly plans of one simulated demo enterprise, one per month it covers.

    Parameters
    ----------
    data : EnterpriseData
        An enterprise as :func:`shuixiao.demo.simulate` yields it (its truth holds the daily
        volume of every flow).

    Returns
    -------
    list of PlanInput
        Whole-intake plans, oldest month first. [m³]

    Examples
    --------
    >>> from shuixiao.demo import DemoConfig, build_park, simulate
    >>> config = DemoConfig(enterprises=3, days=3, start=dt.date(2025, 3, 1))
    >>> plans = {d.enterprise.id: demo_plans(d) for d in simulate(build_park(config), config)}
    >>> [(e, [f"{p.month:%Y-%m}" for p in ps], ps[0].note) for e, ps in plans.items()][1:]
    [('yungang-refinery', ['2025-03'], '示范园区计划（合成）'), ('jinlan-dyeing', ['2025-03'], '示范园区计划（合成，偏紧）')]
    """
    enterprise = data.enterprise
    kinds = {u.id: u.kind for u in enterprise.units}
    intake = [f.id for f in enterprise.flows if kinds.get(f.from_unit) is UnitKind.SOURCE]
    daily = data.truth["daily"]
    by_month: dict[dt.date, list[float]] = {}
    for n, day in enumerate(daily["dates"]):
        date = dt.date.fromisoformat(day)
        volume = sum(daily["flows"][f][n] for f in intake)
        by_month.setdefault(date.replace(day=1), []).append(volume)
    tight = data.truth["template"] == TIGHT_TEMPLATE
    margin = TIGHT_MARGIN if tight else MARGIN
    plans = []
    for number, (month, volumes) in enumerate(sorted(by_month.items()), start=1):
        days = calendar.monthrange(month.year, month.month)[1]
        daily_basis = sum(volumes) / len(volumes) if tight else max(volumes)
        volume = max(_ROUND, round(daily_basis * days * (1.0 + margin) / _ROUND) * _ROUND)
        plans.append(
            PlanInput(
                enterprise.id,
                month,
                volume,
                authority=AUTHORITY,
                document=f"岳水资〔{month.year}〕{number}号",
                note="示范园区计划（合成）" if not tight else "示范园区计划（合成，偏紧）",
            )
        )
    return plans
