"""Assessments from stored data: balance, indicators, benchmarks, tiers, targets and savings.

An adapter above :mod:`shuixiao.storage` and the engines of :mod:`shuixiao.balance` and
:mod:`shuixiao.reference` (the same layer as :mod:`shuixiao.ingest`):

* :func:`period_volumes` — each flow meter's volume over a period from the stored monthly
  and daily aggregates, with its coverage; gaps are filled and the volume marked
  estimated, or missing, never silently low;
* :func:`assess_enterprise` → :class:`EnterpriseAssessment` — water balance with inferred
  and design-estimated flows, reconciliation, indicators, benchmarks against quotas and
  the national and provincial targets, tier eligibility, problems and recommendations,
  the water-balance diagram (:meth:`EnterpriseAssessment.sankey`) and ``to_dict()``;
* :func:`assess_park` → :class:`ParkAssessment` — the park's enterprises ranked, their
  exchanges, the park balance;
* :func:`assess_region` → :class:`RegionProgress` — progress against the Action Plan's and
  the province's targets: met, on track, behind or unknown, with the reason;
* :func:`assess_savings` → :class:`SavingsAssessment` — IPMVP Option C savings with their
  ASHRAE Guideline 14 uncertainty, valued at the tariff.

Periods are aware datetimes at local midnight; :func:`local_period` and
:func:`parse_month_range` cut years, months and ranges on the settings' calendar.  See
``docs/assess.md``.
"""

from shuixiao.assess._findings import Finding, Note
from shuixiao.assess._period import local_period, parse_month_range
from shuixiao.assess._sankey import Sankey, SankeyLink, SankeyNode
from shuixiao.assess.enterprise import EnterpriseAssessment, assess_enterprise, region_chain
from shuixiao.assess.park import Exchange, ParkAssessment, ParkTotal, Rank, assess_park
from shuixiao.assess.region import (
    RegionProgress,
    TargetProgress,
    assess_region,
    progress_status,
    target_progress,
)
from shuixiao.assess.savings import SavingsAssessment, SeriesPoint, assess_savings, water_tariff
from shuixiao.assess.volumes import MeterVolume, PeriodVolumes, period_volumes, volume_series

__all__ = [
    "EnterpriseAssessment",
    "Exchange",
    "Finding",
    "MeterVolume",
    "Note",
    "ParkAssessment",
    "ParkTotal",
    "PeriodVolumes",
    "Rank",
    "RegionProgress",
    "Sankey",
    "SankeyLink",
    "SankeyNode",
    "SavingsAssessment",
    "SeriesPoint",
    "TargetProgress",
    "assess_enterprise",
    "assess_park",
    "assess_region",
    "assess_savings",
    "local_period",
    "parse_month_range",
    "period_volumes",
    "progress_status",
    "region_chain",
    "target_progress",
    "volume_series",
    "water_tariff",
]
