"""Assessment of an industrial park: its enterprises side by side, their exchanges, the park balance.

The model describes each enterprise on its own; water one enterprise passes to another
appears as the first one's external supply (外供水, Vo) and as a source of the second
(reclaimed water from the park's plant, for instance).  :class:`ParkAssessment` lists
both sides as exchanges and sums the enterprises' level-1 balances into the park's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shuixiao.assess import _json
from shuixiao.assess._parallel import assess_many
from shuixiao.assess._period import as_zone
from shuixiao.assess.enterprise import EnterpriseAssessment
from shuixiao.balance import Provenance, combine_provenance, percentile_rank, reuse_rate
from shuixiao.errors import NotFoundError
from shuixiao.model import NON_CONVENTIONAL_SOURCES, Park, UnitKind
from shuixiao.storage import Store

__all__ = ["Exchange", "ParkAssessment", "ParkTotal", "Rank", "RANKED_INDICATORS", "assess_park"]

RANKED_INDICATORS: dict[str, bool] = {
    "reuse_rate": False,
    "intake_per_value_added": True,
    "ratio_to_baseline": True,
    "leakage_rate": True,
}
"""Indicators enterprises are ranked by, and whether lower is better. ``ratio_to_baseline`` is
the intake per unit product over its 2020 national average (so different products compare)."""


@dataclass(frozen=True)
class Rank:
    """One enterprise's place on one indicator.

    Parameters
    ----------
    enterprise : str
    value : float
        The indicator. [its unit]
    rank : int or None
        1 is best; None when the value is unknown.
    percentile : float
        Share of the park's enterprises it is at least as good as (mid-rank for ties). [%]
    """

    enterprise: str
    value: float
    rank: int | None
    percentile: float


@dataclass(frozen=True)
class Exchange:
    """Water crossing an enterprise's boundary to or from another party in the park.

    Parameters
    ----------
    enterprise : str
    flow : str
    direction : {'out', 'in'}
        ``out``: external supply (外供水); ``in``: taken from a non-conventional source
        (reclaimed water, rain …), typically the park's.
    unit : str
        The external-supply or source unit.
    unit_name : str
    value : float
        [m³]
    provenance : Provenance
    """

    enterprise: str
    flow: str
    direction: str
    unit: str
    unit_name: str
    value: float
    provenance: Provenance


@dataclass(frozen=True)
class ParkTotal:
    """A park total with the worst provenance of its parts.

    Parameters
    ----------
    value : float
        [unit]
    unit : str
    provenance : Provenance
    """

    value: float
    unit: str
    provenance: Provenance


@dataclass(frozen=True)
class ParkAssessment:
    """A park over one period.

    Parameters
    ----------
    park : Park
    start, end : datetime.datetime
        The period, aware UTC.
    zone : str
    enterprises : tuple of EnterpriseAssessment
        In store order.
    totals : dict of str to ParkTotal
        ``intake``, ``non_conventional``, ``reused``, ``total_use``, ``consumption``,
        ``discharge``, ``leakage``, ``external_supply`` [m³], ``value_added`` [CNY],
        ``reuse_rate`` [%], ``intake_per_value_added`` [m³/万元].
    ranking : dict of str to tuple of Rank
        By indicator (:data:`RANKED_INDICATORS`), best first.
    exchanges : tuple of Exchange
    """

    park: Park
    start: dt.datetime
    end: dt.datetime
    zone: str
    enterprises: tuple[EnterpriseAssessment, ...]
    totals: dict[str, ParkTotal]
    ranking: dict[str, tuple[Rank, ...]]
    exchanges: tuple[Exchange, ...]

    def enterprise(self, enterprise_id: str) -> EnterpriseAssessment:
        """Return the assessment of one enterprise of the park.

        Raises
        ------
        NotFoundError
            If the enterprise is not in the park.
        """
        for a in self.enterprises:
            if a.enterprise.id == enterprise_id:
                return a
        raise NotFoundError(f"park {self.park.id} has no enterprise {enterprise_id!r}")

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """Return JSON-ready data; ``full`` includes every enterprise's whole assessment."""
        return {
            "park": {
                "id": self.park.id,
                "name": self.park.name,
                "name_en": self.park.name_en,
                "region": self.park.region,
            },
            "period": {"start": _json.when(self.start), "end": _json.when(self.end), "timezone": self.zone},
            "totals": {
                k: {"value": _json.num(v.value), "unit": v.unit, "provenance": v.provenance.value}
                for k, v in self.totals.items()
            },
            "ranking": {
                k: [
                    {
                        "enterprise": r.enterprise,
                        "value": _json.num(r.value),
                        "rank": r.rank,
                        "percentile": _json.num(r.percentile),
                    }
                    for r in ranks
                ]
                for k, ranks in self.ranking.items()
            },
            "exchanges": [
                {
                    "enterprise": x.enterprise,
                    "flow": x.flow,
                    "direction": x.direction,
                    "unit": x.unit,
                    "unit_name": x.unit_name,
                    "value_m3": _json.num(x.value),
                    "provenance": x.provenance.value,
                }
                for x in self.exchanges
            ],
            "enterprises": [a.to_dict() if full else _summary(a) for a in self.enterprises],
        }


def _summary(a: EnterpriseAssessment) -> dict[str, Any]:
    ind = a.indicators
    return {
        "id": a.enterprise.id,
        "name": a.enterprise.name,
        "industry_code": a.enterprise.industry_code,
        "intake_m3": _json.num(ind["intake"].value),
        "reuse_rate": _json.num(ind["reuse_rate"].value),
        "intake_per_value_added": _json.num(ind.intake_per_value_added.value),
        "intake_per_product": {k: _json.num(v.value) for k, v in ind.intake_per_product.items()},
        "coverage": _json.num(a.volumes.coverage),
        "tiers": {k: v.eligible for k, v in a.tiers.items()},
    }


def assess_park(
    store: Store,
    park_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone: str | ZoneInfo = "Asia/Shanghai",
    facts: Mapping[str, Mapping[str, bool]] | None = None,
    variants: Mapping[str, str] | None = None,
    workers: int = 1,
) -> ParkAssessment:
    """Assess every enterprise of a park over ``[start, end)`` and put them side by side.

    Parameters
    ----------
    store : Store
    park_id : str
    start, end : datetime.datetime
        Aware, at local midnight of ``zone``.
    zone : str or zoneinfo.ZoneInfo
    facts : mapping of str to mapping, optional
        Stated facts for the tier criteria, by enterprise id.
    variants : mapping of str to str, optional
        Quota variant by product key (see :func:`~shuixiao.assess.assess_enterprise`).
    workers : int, optional
        Processes that assess the enterprises (1: this process); see
        :func:`~shuixiao.assess.assess_region`.  The result is the same.

    Raises
    ------
    NotFoundError
        If there is no such park.
    InvalidInputError
        If ``workers`` is not a whole number ≥ 1.
    ConfigurationError
        If ``workers`` > 1 and the store is an in-memory SQLite database.
    """
    tz = as_zone(zone)
    parks = {p.id: p for p in store.list_parks()}
    if park_id not in parks:
        raise NotFoundError(f"no park {park_id!r}; parks: {', '.join(sorted(parks)) or 'none'}")
    regions = store.list_regions()
    members = [s.id for s in store.list_enterprises() if s.park == park_id]
    assessments = assess_many(
        store, members, start, end, zone=tz, facts=facts, variants=variants, regions=regions, workers=workers
    )
    return ParkAssessment(
        park=parks[park_id],
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        zone=tz.key,
        enterprises=assessments,
        totals=park_totals(assessments),
        ranking=rank_enterprises(assessments),
        exchanges=tuple(x for a in assessments for x in _exchanges(a)),
    )


_VOLUMES = (
    "intake",
    "non_conventional",
    "reused",
    "total_use",
    "consumption",
    "discharge",
    "leakage",
    "external_supply",
)


def park_totals(assessments: tuple[EnterpriseAssessment, ...]) -> dict[str, ParkTotal]:
    """Sum the enterprises' volumes and value added; the park's reuse rate and intensity."""
    totals: dict[str, ParkTotal] = {}
    for name in _VOLUMES:
        parts = [a.indicators[name] for a in assessments]
        totals[name] = ParkTotal(
            float(sum(p.value for p in parts)), "m³", combine_provenance(p.provenance for p in parts)
        )
    added = [a.value_added for a in assessments]
    known = all(v is not None for v in added) and bool(added)
    value_added = float(sum(v for v in added if v is not None)) if known else math.nan
    va_prov = Provenance.MEASURED if known else Provenance.MISSING
    totals["value_added"] = ParkTotal(value_added, "CNY", va_prov)
    vi, vr = totals["intake"], totals["reused"]
    totals["reuse_rate"] = ParkTotal(
        reuse_rate(vr.value, vi.value), "%", combine_provenance([vi.provenance, vr.provenance])
    )
    intensity = vi.value / (value_added / 1e4) if known and value_added > 0 else math.nan
    totals["intake_per_value_added"] = ParkTotal(
        intensity, "m³/万元", combine_provenance([vi.provenance, va_prov])
    )
    return totals


def _value(a: EnterpriseAssessment, indicator: str) -> float:
    if indicator == "ratio_to_baseline":
        ratios = [b.ratio_to_baseline for b in a.benchmarks if b.region == "national"]
        return ratios[0] if ratios else math.nan
    return a.indicators[indicator].value


def rank_enterprises(assessments: tuple[EnterpriseAssessment, ...]) -> dict[str, tuple[Rank, ...]]:
    """Rank the enterprises on each of :data:`RANKED_INDICATORS` (unknown values last)."""
    result = {}
    for indicator, lower in RANKED_INDICATORS.items():
        values = [(a.enterprise.id, _value(a, indicator)) for a in assessments]
        known = sorted((v for v in values if math.isfinite(v[1])), key=lambda v: v[1] if lower else -v[1])
        peers = [v for _, v in known]
        ranks = [
            Rank(e, v, i + 1, percentile_rank(v, peers, lower_is_better=lower))
            for i, (e, v) in enumerate(known)
        ]
        ranks += [Rank(e, v, None, math.nan) for e, v in values if not math.isfinite(v)]
        result[indicator] = tuple(ranks)
    return result


def _exchanges(a: EnterpriseAssessment) -> list[Exchange]:
    e = a.enterprise
    units = {u.id: u for u in e.units}
    result = []
    for f in e.flows:
        target = units.get(f.to_unit) if f.to_unit else None
        source = units[f.from_unit]
        if target is not None and target.kind is UnitKind.EXTERNAL_SUPPLY:
            direction, unit = "out", target
        elif source.kind is UnitKind.SOURCE and source.source_type in NON_CONVENTIONAL_SOURCES:
            direction, unit = "in", source
        else:
            continue
        v = a.balance.flows[f.id]
        result.append(Exchange(e.id, f.id, direction, unit.id, unit.name, v.value, v.provenance))
    return result
