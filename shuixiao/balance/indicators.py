"""Water-efficiency indicators of one enterprise and period (GB/T 12452, CJ 42, GB/T 7119, GB/T 24789).

Each indicator is computed from a :class:`~shuixiao.balance.WaterBalance` and says
which of its input flows were measured, inferred, estimated or missing.  The
formula functions (:func:`reuse_rate`, :func:`cycles_of_concentration`, …) are
plain arithmetic on volumes and can be used on their own.

Two conventions differ between documents and are switches (``shared/reference/standards.md``
§1.4, §11): the leakage rate over intake ``Vi`` (default) or total use ``Vt``; and
whether non-conventional water counts in intake (default yes, as the model's
intake is everything leaving a source).

References
----------
.. [1] CJ 42-1999 工业用水考核指标及计算方法 (industrial water-use indicators), as reproduced in
   ``shared/reference/standards.md`` §1.4.
.. [2] GB/T 12452-2022 水平衡测试通则 (General principles of water balance test).
.. [3] GB/T 7119-2018 节水型企业评价导则 (Guide for evaluating water-saving enterprises).
.. [4] GB 50050 工业循环冷却水处理设计规范: N = Q_m / (Q_b + Q_w).
.. [5] GB/T 24789-2022 用水单位水计量器具配备和管理通则.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from shuixiao.balance._network import USE_KINDS, WATER_CATEGORIES, build_network
from shuixiao.balance.closure import Term, WaterBalance
from shuixiao.balance.measurement import Provenance, combine_provenance
from shuixiao.errors import InvalidInputError
from shuixiao.model import NON_CONVENTIONAL_SOURCES, Enterprise, FlowCategory, MeterKind, UnitKind

__all__ = [
    "Indicator",
    "Indicators",
    "condensate_recovery_rate",
    "cycles_of_concentration",
    "cycles_of_concentration_from_conductivity",
    "discharge_rate",
    "indicators",
    "leakage_rate",
    "non_conventional_substitution_rate",
    "per_unit",
    "period_production",
    "period_value_added",
    "recirculation_rate",
    "reuse_rate",
    "reused_flows",
    "wastewater_reuse_rate",
]

ArrayOrFloat = TypeVar("ArrayOrFloat", float, npt.NDArray[np.float64])


def _ratio(numerator: ArrayOrFloat, denominator: ArrayOrFloat, scale: float = 100.0) -> ArrayOrFloat:
    """``scale · n / d``; NaN where ``d`` is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.asarray(numerator, dtype=np.float64)
        d = np.asarray(denominator, dtype=np.float64)
        result = np.where(d > 0, scale * n / np.where(d > 0, d, 1.0), np.nan)
    if np.ndim(result) == 0:
        return float(result)  # type: ignore[return-value]
    return result  # type: ignore[return-value]


def reuse_rate(reused: ArrayOrFloat, intake: ArrayOrFloat) -> ArrayOrFloat:
    """Return the reuse rate 重复利用率 ``R = Vr / (Vr + Vi) × 100``. [%]

    Parameters
    ----------
    reused : float or numpy.ndarray
        Reused water Vr (recirculated + cascaded + reclaimed + condensate). [m³]
    intake : float or numpy.ndarray
        Intake Vi. [m³]

    Returns
    -------
    float or numpy.ndarray
        [%]; NaN where ``Vr + Vi`` is not positive.

    References
    ----------
    CJ 42-1999: R = Vr / Vt × 100 %, Vt = Vr + Vf.

    Examples
    --------
    >>> round(reuse_rate(8500.0, 1000.0), 2)
    89.47
    """
    # CJ 42-1999: R = Vr/Vt·100 %, Vt = Vr + Vf
    return _ratio(reused, reused + intake)


def recirculation_rate(recirculated: ArrayOrFloat, makeup: ArrayOrFloat) -> ArrayOrFloat:
    """Return a cooling-water recirculation rate ``Vcr / (Vcr + Vcf) × 100``. [%]

    Used for the indirect (间接冷却水循环率 rc, CJ 42-1999) and the direct cooling
    systems (直接冷却水循环率, same form, [U]).

    Parameters
    ----------
    recirculated : float or numpy.ndarray
        Recirculated volume Vcr (supply legs into the cooled equipment). [m³]
    makeup : float or numpy.ndarray
        New water taken by the system Vcf (its make-up). [m³]

    Examples
    --------
    >>> round(recirculation_rate(9800.0, 200.0), 1)
    98.0
    """
    # CJ 42-1999: rc = Vcr/Vct·100 %, Vct = Vcr + Vcf
    return _ratio(recirculated, recirculated + makeup)


def condensate_recovery_rate(condensate: ArrayOrFloat, steam: ArrayOrFloat) -> ArrayOrFloat:
    """Return the steam-condensate recovery rate 蒸汽冷凝水回用率 ``Vbr / Vsteam × 100``. [%]

    Parameters
    ----------
    condensate : float or numpy.ndarray
        Condensate returned Vbr. [m³]
    steam : float or numpy.ndarray
        Steam produced, as water. [m³]

    Notes
    -----
    CJ 42-1999 writes :math:`r_b = V_{br}\\rho / (D h) \\times 100\\,\\%` with the boiler's steam
    output D [kg/h] over h hours; with steam carried as water volume, :math:`D h/\\rho` is the
    steam volume of the period.

    Examples
    --------
    >>> round(condensate_recovery_rate(90.0, 100.0), 1)
    90.0
    """
    # CJ 42-1999: rb = Vbr·ρ/(D·h)·100 %
    return _ratio(condensate, steam)


def wastewater_reuse_rate(reclaimed: ArrayOrFloat, discharge: ArrayOrFloat) -> ArrayOrFloat:
    """Return the wastewater reuse rate 废水回用率 ``Kw = Vw / (Vd + Vw) × 100``. [%]

    Parameters
    ----------
    reclaimed : float or numpy.ndarray
        Treated wastewater used again inside, Vw. [m³]
    discharge : float or numpy.ndarray
        Discharge Vd. [m³]

    Notes
    -----
    Standard form in Chinese practice; GB/T 7119-2018's exact convention is unconfirmed [U].

    Examples
    --------
    >>> round(wastewater_reuse_rate(300.0, 700.0), 1)
    30.0
    """
    # standards.md §1.4 [U]: Kw = Vw/(Vd + Vw)·100 %
    return _ratio(reclaimed, discharge + reclaimed)


def discharge_rate(discharge: ArrayOrFloat, intake: ArrayOrFloat) -> ArrayOrFloat:
    """Return the discharge rate 排水率 ``Kd = Vd / Vi × 100``. [%]

    Examples
    --------
    >>> discharge_rate(650.0, 1000.0)
    65.0
    """
    # standards.md §1.4 [U]: Kd = Vd/Vi·100 %
    return _ratio(discharge, intake)


def leakage_rate(leakage: ArrayOrFloat, denominator: ArrayOrFloat) -> ArrayOrFloat:
    """Return the leakage rate 漏失率 ``Kl = Vl / Vi × 100`` (or over ``Vt``). [%]

    Parameters
    ----------
    leakage : float or numpy.ndarray
        Vl. [m³]
    denominator : float or numpy.ndarray
        Vi (default convention) or Vt. [m³]

    Examples
    --------
    >>> leakage_rate(50.0, 1000.0)
    5.0
    """
    # standards.md §1.4 [U]: Kl = Vl/Vi·100 % (some documents use Vt)
    return _ratio(leakage, denominator)


def non_conventional_substitution_rate(
    non_conventional: ArrayOrFloat, conventional: ArrayOrFloat
) -> ArrayOrFloat:
    """Return the non-conventional substitution rate 非常规水资源替代率 ``Vu / (Vi,conv + Vu) × 100``. [%]

    Examples
    --------
    >>> non_conventional_substitution_rate(200.0, 800.0)
    20.0
    """
    # standards.md §1.4 [U]: Ru = Vu/(Vi,conv + Vu)·100 %
    return _ratio(non_conventional, conventional + non_conventional)


def per_unit(intake: ArrayOrFloat, quantity: ArrayOrFloat) -> ArrayOrFloat:
    """Return intake per unit of output ``Vi / Q`` (per product, per 10⁴ CNY). [m³ per unit]

    Examples
    --------
    >>> per_unit(2.5e6, 1.0e6)
    2.5
    """
    # CJ 42-1999: Vuf = Vyf/Q; Vwf = Vyf/Z
    return _ratio(intake, quantity, scale=1.0)


def cycles_of_concentration(makeup: ArrayOrFloat, blowdown: ArrayOrFloat, drift: float = 0.0) -> ArrayOrFloat:
    """Return the cycles of concentration 浓缩倍数 ``N = Q_m / (Q_b + Q_w)``. [unitless]

    Parameters
    ----------
    makeup : float or numpy.ndarray
        Make-up Q_m. [m³ or m³/h]
    blowdown : float or numpy.ndarray
        Blowdown Q_b (every liquid outflow other than the circulation). [same unit]
    drift : float or numpy.ndarray
        Drift (风吹损失) Q_w. [same unit]

    References
    ----------
    GB 50050 (1995 text): N = Q_m/(Q_b + Q_w); ``shared/reference/standards.md`` §7.5.

    Examples
    --------
    The test vector of standards.md §7.5: Q_m = 14.00, Q_b = 1.80, Q_w = 1.00 m³/h.

    >>> round(cycles_of_concentration(14.0, 1.8, 1.0), 3)
    5.0
    """
    # GB 50050: N = Q_m/(Q_b + Q_w)
    return _ratio(makeup, blowdown + drift, scale=1.0)


def cycles_of_concentration_from_conductivity(
    circulating: ArrayOrFloat, makeup: ArrayOrFloat
) -> ArrayOrFloat:
    """Return the cycles of concentration from a tracer: ``N = C_circ / C_makeup``. [unitless]

    Parameters
    ----------
    circulating : float or numpy.ndarray
        Conductivity (or Cl⁻, Mg, SiO₂) of the circulating water. [µS/cm or mg/L]
    makeup : float or numpy.ndarray
        The same of the make-up water. [same unit]

    Examples
    --------
    >>> cycles_of_concentration_from_conductivity(2500.0, 500.0)
    5.0
    """
    # standards.md §7.5: N = C_circ/C_makeup
    return _ratio(circulating, makeup, scale=1.0)


@dataclass(frozen=True)
class Indicator:
    """One indicator with its inputs' provenance.

    Parameters
    ----------
    name : str
        Indicator name (see ``docs/nomenclature.md``).
    value : float
        NaN when an input is missing or the denominator is zero. [unit]
    unit : str
        ``%``, ``m³``, ``m³/t``, ``m³/万元``, ``1``.
    provenance : Provenance
        The worst provenance of the inputs.
    inputs : dict of Provenance to tuple of str
        The flows used, grouped by their provenance.
    formula : str
        The formula in the symbols of CJ 42 / GB/T 12452.
    reference : str
        Standard and clause.
    note : str, optional
        Conventions used or why the value is missing.
    """

    name: str
    value: float
    unit: str
    provenance: Provenance
    inputs: dict[Provenance, tuple[str, ...]]
    formula: str
    reference: str
    note: str | None = None


@dataclass(frozen=True)
class Indicators:
    """Every indicator of one enterprise and period.

    Parameters
    ----------
    enterprise : str
    period_days : float or None
        Length of the period. [d]
    quantities : dict of str to Indicator
        Volumes: intake, non_conventional, conventional_intake, total_use, reused, recirculated,
        cascaded, reclaimed, condensate, consumption, discharge, leakage, external_supply. [m³]
    rates : dict of str to Indicator
        reuse_rate, indirect_cooling_recirculation_rate, direct_cooling_recirculation_rate,
        condensate_recovery_rate, wastewater_reuse_rate, discharge_rate, leakage_rate,
        non_conventional_substitution_rate, reclaimed_water_share. [%]
    intake_per_product : dict of str to Indicator
        By product id. [m³ per product unit]
    intake_per_value_added : Indicator
        [m³/万元]
    cycles_of_concentration : dict of str to Indicator
        By cooling-tower id. [unitless]
    equipping_rate, metering_rate : dict of int to Indicator
        By metering level 1, 2, 3 (GB/T 24789). [%]
    """

    enterprise: str
    period_days: float | None
    quantities: dict[str, Indicator]
    rates: dict[str, Indicator]
    intake_per_product: dict[str, Indicator]
    intake_per_value_added: Indicator
    cycles_of_concentration: dict[str, Indicator]
    equipping_rate: dict[int, Indicator]
    metering_rate: dict[int, Indicator]
    _all: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, name: str) -> Indicator:
        """Return a quantity or rate by name (``intake``, ``reuse_rate``, …)."""
        if name in self.quantities:
            return self.quantities[name]
        if name in self.rates:
            return self.rates[name]
        if name == "intake_per_value_added":
            return self.intake_per_value_added
        raise KeyError(name)

    def values(self) -> dict[str, float]:
        """Return plain numbers for comparison with thresholds.

        Quantities and rates by name, ``intake_per_value_added``, ``cycles_of_concentration``
        (the lowest of the towers), ``annual_intake`` (the intake when the period is a year,
        360–370 days) and ``intake_per_product`` when there is a single product.
        """
        result = {k: v.value for k, v in self.quantities.items()}
        result.update({k: v.value for k, v in self.rates.items()})
        result["intake_per_value_added"] = self.intake_per_value_added.value
        towers = [v.value for v in self.cycles_of_concentration.values() if math.isfinite(v.value)]
        if towers:
            result["cycles_of_concentration"] = min(towers)
        if self.period_days is not None and 360 <= self.period_days <= 370:
            result["annual_intake"] = self.quantities["intake"].value
        if len(self.intake_per_product) == 1:
            result["intake_per_product"] = next(iter(self.intake_per_product.values())).value
        return result


def period_production(enterprise: Enterprise, start: dt.date, end: dt.date) -> dict[str, float]:
    """Return each product's output over ``[start, end)`` from the production records.

    Records that overlap the period partly count in proportion to the days inside it.

    Returns
    -------
    dict of str to float
        By product id. [product unit]

    Raises
    ------
    InvalidInputError
        If ``end`` is not after ``start``.
    """
    if end <= start:
        raise InvalidInputError(f"the period must end after it starts ({start} … {end})")
    result: dict[str, float] = {}
    for r in enterprise.production:
        share = _overlap(r.start, r.end, start, end)
        if share > 0:
            result[r.product] = result.get(r.product, 0.0) + r.quantity * share
    return result


def period_value_added(enterprise: Enterprise, start: dt.date, end: dt.date) -> float | None:
    """Return the industrial value added over ``[start, end)`` [CNY]; None without records in it."""
    if end <= start:
        raise InvalidInputError(f"the period must end after it starts ({start} … {end})")
    total, found = 0.0, False
    for r in enterprise.value_added:
        share = _overlap(r.start, r.end, start, end)
        if share > 0:
            total += r.value * share
            found = True
    return total if found else None


def _overlap(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> float:
    """Share of ``[a0, a1)`` that lies in ``[b0, b1)``."""
    days = (a1 - a0).days
    inside = (min(a1, b1) - max(a0, b0)).days
    return max(inside, 0) / days if days > 0 else 0.0


_REF_CJ42 = "CJ 42-1999 (standards.md §1.4)"
_REF_U = "standards.md §1.4 [U] (GB/T 7119 practice)"


def _reused(enterprise: Enterprise) -> tuple[list[str], list[str], list[str], list[str]]:
    """The flows of Vr by part: recirculated into use units (each loop's supply leg), cascaded,
    reclaimed and condensate, in model order."""
    kinds = {u.id: u.kind for u in enterprise.units}
    flows = enterprise.flows
    return (
        [
            f.id
            for f in flows
            if f.category is FlowCategory.RECIRCULATED
            and f.to_unit is not None
            and kinds.get(f.to_unit) in USE_KINDS
        ],
        [f.id for f in flows if f.category is FlowCategory.CASCADED],
        [f.id for f in flows if f.category is FlowCategory.RECLAIMED],
        [f.id for f in flows if f.category is FlowCategory.CONDENSATE],
    )


def reused_flows(enterprise: Enterprise) -> tuple[str, ...]:
    """Return the flows whose volumes make up the reused water Vr of :func:`indicators`, in model order.

    Vr = Vcy + Vs + Vw + Vbr: recirculated flows into use units (process, cooling, boiler,
    domestic), cascaded, reclaimed and condensate flows (CJ 42-1999; ``docs/data-model.md``).
    """
    parts = set().union(*_reused(enterprise))
    return tuple(f.id for f in enterprise.flows if f.id in parts)


def indicators(
    balance: WaterBalance,
    *,
    production: Mapping[str, float] | None = None,
    value_added: float | None = None,
    period_days: float | None = None,
    allocation: Mapping[str, float] | None = None,
    leakage_denominator: Literal["intake", "total_use"] = "intake",
    non_conventional_in_intake: bool = True,
    drift: Mapping[str, Iterable[str]] | None = None,
) -> Indicators:
    """Return the water-efficiency indicators of a balanced period.

    Parameters
    ----------
    balance : WaterBalance
        From :func:`~shuixiao.balance.water_balance` (or on reconciled measurements).
    production : mapping of str to float, optional
        Output of each product over the period, by product id. [product unit]
        (:func:`period_production` sums the model's records.)
    value_added : float, optional
        Industrial value added over the period. [CNY]
    period_days : float, optional
        Length of the period. [d]
    allocation : mapping of str to float, optional
        Share of the intake attributed to each product. [unitless]  Default: the whole intake
        to every product (a single-product plant, or quota boundaries that take the whole site).
    leakage_denominator : {'intake', 'total_use'}
        Leakage rate over Vi (default) or Vt.
    non_conventional_in_intake : bool
        Count non-conventional water (reclaimed, seawater, brackish, mine, rain) in intake
        (default) or leave it out of Vi and of the per-product and per-value-added intakes.
    drift : mapping of str to iterable of str, optional
        The drift (风吹损失) flows of each cooling tower, by tower id; their volume is added to the
        blowdown in N = Q_m / (Q_b + Q_w).  Without it, drift is not separated from evaporation.

    Returns
    -------
    Indicators

    Raises
    ------
    InvalidInputError
        For an unknown ``leakage_denominator`` or a negative production or value added.

    Notes
    -----
    Volumes (model conventions, ``docs/data-model.md``):

    * Vi: flows leaving source units; Vu: those leaving non-conventional sources.
    * Vcy: ``recirculated`` flows into use units (process, cooling, boiler, domestic), i.e. each
      loop's supply leg; Vr = Vcy + cascaded + reclaimed + condensate; Vt = Vi + Vr.
    * A cooling system is a connected set of ``recirculated`` flows; its make-up Vcf is every
      other flow into its units (fresh, non-conventional, cascaded or reclaimed); it is *direct*
      when it cools a ``direct_cooling`` unit, *indirect* when it cools ``indirect_cooling`` units.

    Examples
    --------
    The synthetic example of ``shared/reference/standards.md`` §1.4 is in ``tests/balance``.
    """
    if leakage_denominator not in ("intake", "total_use"):
        raise InvalidInputError(
            f"leakage_denominator is 'intake' or 'total_use', not {leakage_denominator!r}"
        )
    for name, value in (production or {}).items():
        if not value >= 0:
            raise InvalidInputError(f"production of {name} must be ≥ 0, not {value}")
    if value_added is not None and not value_added >= 0:
        raise InvalidInputError(f"value added must be ≥ 0, not {value_added}")
    e = balance.enterprise_model
    units = {u.id: u for u in e.units}
    flows = list(e.flows)

    def kind(unit_id: str | None) -> UnitKind | None:
        return units[unit_id].kind if unit_id is not None and unit_id in units else None

    source_flows = [f.id for f in flows if kind(f.from_unit) is UnitKind.SOURCE]
    nc_flows = [
        f.id
        for f in flows
        if kind(f.from_unit) is UnitKind.SOURCE and units[f.from_unit].source_type in NON_CONVENTIONAL_SOURCES
    ]
    conv_flows = [f for f in source_flows if f not in nc_flows]
    intake_flows = source_flows if non_conventional_in_intake else conv_flows
    recirc, cascaded, reclaimed, condensate = _reused(e)
    steam = [f.id for f in flows if f.category is FlowCategory.STEAM and kind(f.from_unit) is UnitKind.BOILER]
    reused = recirc + cascaded + reclaimed + condensate
    discharge = [f.id for f in flows if kind(f.to_unit) is UnitKind.DISCHARGE]
    external = [f.id for f in flows if kind(f.to_unit) is UnitKind.EXTERNAL_SUPPLY]
    consumption = [f.id for f in flows if f.category is FlowCategory.CONSUMPTION]
    leakage = [f.id for f in flows if f.category is FlowCategory.LEAKAGE]
    reclaimed_sources = [
        f.id
        for f in flows
        if kind(f.from_unit) is UnitKind.SOURCE and units[f.from_unit].source_type == "reclaimed"
    ]

    q: dict[str, Indicator] = {}

    def volume(name: str, ids: list[str], formula: str, reference: str, note: str | None = None) -> Term:
        t = balance.total(ids)
        q[name] = _indicator(name, t.value, "m³", [t], balance, formula, reference, note)
        return t

    t_vi = volume(
        "intake",
        intake_flows,
        "Vi = Σ V(source → ·)",
        "GB/T 12452-2022 (取水量); docs/data-model.md",
        None if non_conventional_in_intake else "non-conventional water left out of intake",
    )
    t_vu = volume("non_conventional", nc_flows, "Vu = Σ V(non-conventional source → ·)", _REF_U)
    t_vconv = volume("conventional_intake", conv_flows, "Vi,conv = Vi − Vu", _REF_U)
    t_vcy = volume(
        "recirculated",
        recirc,
        "Vcy = Σ V(recirculated → use unit)",
        "docs/data-model.md, accounting conventions",
    )
    volume("cascaded", cascaded, "Vs = Σ V(cascaded)", _REF_CJ42)
    t_rec = volume("reclaimed", reclaimed, "Vw = Σ V(reclaimed)", _REF_U)
    t_cond = volume("condensate", condensate, "Vbr = Σ V(condensate)", _REF_CJ42)
    t_vr = volume("reused", reused, "Vr = Vcy + Vs + Vw + Vbr", _REF_CJ42)
    t_vco = volume("consumption", consumption, "Vco = Σ V(consumption)", "GB/T 12452-2022 (耗水量)")
    t_vd = volume("discharge", discharge, "Vd = Σ V(· → discharge)", "GB/T 12452-2022 (排水量)")
    t_vl = volume("leakage", leakage, "Vl = Σ V(leakage)", "GB/T 12452-2022 (漏失水量)")
    volume("external_supply", external, "Vo = Σ V(· → external supply)", "GB/T 12452-2022 (外供水量)")
    del t_vco, t_vcy
    vt_value = t_vi.value + t_vr.value
    q["total_use"] = _indicator("total_use", vt_value, "m³", [t_vi, t_vr], balance, "Vt = Vi + Vr", _REF_CJ42)

    r: dict[str, Indicator] = {}
    r["reuse_rate"] = _indicator(
        "reuse_rate",
        reuse_rate(t_vr.value, t_vi.value),
        "%",
        [t_vr, t_vi],
        balance,
        "R = Vr / (Vr + Vi) × 100 %",
        "CJ 42-1999 重复利用率 (standards.md §1.4)",
    )
    loops = _cooling_systems(balance)
    for system, label, ref in (
        ("indirect", "indirect_cooling_recirculation_rate", "CJ 42-1999 间接冷却水循环率 rc"),
        (
            "direct",
            "direct_cooling_recirculation_rate",
            "standards.md §1.4 [U] 直接冷却水循环率 (form of rc)",
        ),
    ):
        supply = [f for sys, s, _ in loops if sys == system for f in s]
        makeup = [f for sys, _, m in loops if sys == system for f in m]
        if not supply:
            r[label] = _indicator(
                label,
                math.nan,
                "%",
                [],
                balance,
                "Vcr / (Vcr + Vcf) × 100 %",
                ref,
                f"no {system} cooling system in the model",
            )
            continue
        t_s, t_m = balance.total(supply), balance.total(makeup)
        r[label] = _indicator(
            label,
            recirculation_rate(t_s.value, t_m.value),
            "%",
            [t_s, t_m],
            balance,
            "Vcr / (Vcr + Vcf) × 100 %",
            ref,
            "Vcf = the systems' make-up of any category",
        )
    t_steam = balance.total(steam)
    r["condensate_recovery_rate"] = _indicator(
        "condensate_recovery_rate",
        condensate_recovery_rate(t_cond.value, t_steam.value) if steam else math.nan,
        "%",
        [t_cond, t_steam],
        balance,
        "rb = Vbr / Vsteam × 100 %",
        "CJ 42-1999 蒸汽冷凝水回用率 rb",
        None if steam else "no steam flow from a boiler in the model",
    )
    r["wastewater_reuse_rate"] = _indicator(
        "wastewater_reuse_rate",
        wastewater_reuse_rate(t_rec.value, t_vd.value),
        "%",
        [t_rec, t_vd],
        balance,
        "Kw = Vw / (Vd + Vw) × 100 %",
        _REF_U,
    )
    r["discharge_rate"] = _indicator(
        "discharge_rate",
        discharge_rate(t_vd.value, t_vi.value),
        "%",
        [t_vd, t_vi],
        balance,
        "Kd = Vd / Vi × 100 %",
        _REF_U,
    )
    if leakage_denominator == "intake":
        r["leakage_rate"] = _indicator(
            "leakage_rate",
            leakage_rate(t_vl.value, t_vi.value),
            "%",
            [t_vl, t_vi],
            balance,
            "Kl = Vl / Vi × 100 %",
            _REF_U,
            "denominator: intake Vi",
        )
    else:
        r["leakage_rate"] = _indicator(
            "leakage_rate",
            leakage_rate(t_vl.value, vt_value),
            "%",
            [t_vl, t_vi, t_vr],
            balance,
            "Kl = Vl / Vt × 100 %",
            _REF_U,
            "denominator: total use Vt",
        )
    r["non_conventional_substitution_rate"] = _indicator(
        "non_conventional_substitution_rate",
        non_conventional_substitution_rate(t_vu.value, t_vconv.value),
        "%",
        [t_vu, t_vconv],
        balance,
        "Ru = Vu / (Vi,conv + Vu) × 100 %",
        _REF_U,
    )
    t_recl_src = balance.total(reclaimed_sources)
    r["reclaimed_water_share"] = _indicator(
        "reclaimed_water_share",
        _ratio(t_rec.value + t_recl_src.value, vt_value),
        "%",
        [t_rec, t_recl_src, t_vi, t_vr],
        balance,
        "(Vw + V(reclaimed source)) / Vt × 100 %",
        "MIIT 2024 typical-case call (再生水利用量占总用水量) [U reading]",
    )

    products = {p.id: p for p in e.products}
    per_product: dict[str, Indicator] = {}
    for pid, quantity in (production or {}).items():
        share = (allocation or {}).get(pid, 1.0)
        unit = products[pid].unit if pid in products else "product unit"
        note = f"{share:.0%} of the intake attributed" if allocation else "the whole intake attributed"
        per_product[pid] = _indicator(
            pid,
            per_unit(share * t_vi.value, quantity),
            f"m³/{unit}",
            [t_vi],
            balance,
            "Vuf = Vi / Q",
            "CJ 42-1999 单位产品取水量 Vuf",
            note,
        )
    per_va = _indicator(
        "intake_per_value_added",
        per_unit(t_vi.value, value_added / 1e4) if value_added is not None else math.nan,
        "m³/万元",
        [t_vi],
        balance,
        "Vwf = Vi / (Z / 10⁴)",
        "CJ 42-1999 Vwf; GB/T 7119 万元工业增加值取水量",
        None if value_added is not None else "no value added given",
    )
    towers = _cycles(balance, drift or {})
    equip, meter_rate = _metering(balance)
    return Indicators(
        enterprise=e.id,
        period_days=period_days,
        quantities=q,
        rates=r,
        intake_per_product=per_product,
        intake_per_value_added=per_va,
        cycles_of_concentration=towers,
        equipping_rate=equip,
        metering_rate=meter_rate,
    )


def _indicator(
    name: str,
    value: float,
    unit: str,
    terms: list[Term],
    balance: WaterBalance,
    formula: str,
    reference: str,
    note: str | None = None,
) -> Indicator:
    """An indicator whose inputs are the flows of ``terms``, grouped by provenance."""
    grouped: dict[Provenance, list[str]] = {}
    for t in terms:
        for fid in t.flows:
            p = balance.flows[fid].provenance
            if fid not in grouped.setdefault(p, []):
                grouped[p].append(fid)
    provenance = combine_provenance(t.provenance for t in terms) if terms else Provenance.MISSING
    if any(t.provenance is Provenance.MISSING for t in terms):
        value = math.nan
        missing = ", ".join(grouped.get(Provenance.MISSING, ()))
        note = f"not determined: {missing or 'a sum of flows'} missing" + (f"; {note}" if note else "")
    return Indicator(
        name=name,
        value=float(value),
        unit=unit,
        provenance=provenance,
        inputs={p: tuple(v) for p, v in grouped.items()},
        formula=formula,
        reference=reference,
        note=note,
    )


def _cooling_systems(balance: WaterBalance) -> list[tuple[str, list[str], list[str]]]:
    """Each cooling system: (``direct``/``indirect``/other, supply legs, make-up flows)."""
    e = balance.enterprise_model
    units = {u.id: u for u in e.units}
    recirc = [f for f in e.flows if f.category is FlowCategory.RECIRCULATED and f.to_unit is not None]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for f in recirc:
        assert f.to_unit is not None
        parent[find(f.from_unit)] = find(f.to_unit)
    systems: dict[str, set[str]] = {}
    for uid in list(parent):
        systems.setdefault(find(uid), set()).add(uid)
    result = []
    for members in systems.values():
        kinds = {units[u].kind for u in members}
        system = (
            "direct"
            if UnitKind.DIRECT_COOLING in kinds
            else "indirect"
            if UnitKind.INDIRECT_COOLING in kinds
            else "other"
        )
        supply = [f.id for f in recirc if f.to_unit in members and units[f.to_unit].kind in USE_KINDS]
        makeup = [
            f.id
            for f in e.flows
            if f.to_unit in members
            and f.from_unit not in members
            and f.category in WATER_CATEGORIES
            and f.category is not FlowCategory.RECIRCULATED
        ]
        result.append((system, supply, makeup))
    return result


def _cycles(balance: WaterBalance, drift: Mapping[str, Iterable[str]]) -> dict[str, Indicator]:
    """Cycles of concentration of each cooling tower from its make-up and blowdown."""
    e = balance.enterprise_model
    result = {}
    for u in e.units:
        if u.kind is not UnitKind.COOLING_TOWER:
            continue
        makeup = [
            f.id
            for f in e.flows
            if f.to_unit == u.id
            and f.category in WATER_CATEGORIES
            and f.category is not FlowCategory.RECIRCULATED
        ]
        blowdown = [
            f.id
            for f in e.flows
            if f.from_unit == u.id
            and f.to_unit is not None
            and f.category in WATER_CATEGORIES
            and f.category is not FlowCategory.RECIRCULATED
        ]
        drift_ids = list(drift.get(u.id, ()))
        t_m, t_b, t_w = balance.total(makeup), balance.total(blowdown), balance.total(drift_ids)
        result[u.id] = _indicator(
            u.id,
            cycles_of_concentration(t_m.value, t_b.value, t_w.value),
            "1",
            [t_m, t_b, t_w],
            balance,
            "N = Q_m / (Q_b + Q_w)",
            "GB 50050 (standards.md §7.5)",
            None if drift_ids else "drift not separated from evaporation (Q_w = 0)",
        )
    return result


def _metering(balance: WaterBalance) -> tuple[dict[int, Indicator], dict[int, Indicator]]:
    """Equipping rate (count) and metering rate (volume) per GB/T 24789 level.

    Metering points: level 1, every flow crossing the boundary (from sources, to discharge outlets
    and external supply); level 2, every water flow into a level-2 sub-unit from outside it;
    level 3, every water flow into a level-3 unit from outside it.  A point is equipped when a
    totalizer or rate meter of any level sits on its flow.  The metering rate is the share of the
    volume entering the level (intake for level 1) that was measured.
    """
    e = balance.enterprise_model
    net = build_network(e)
    units = {u.id: u for u in e.units}
    metered = {
        m.flow for m in e.meters if m.flow is not None and m.kind in (MeterKind.TOTALIZER, MeterKind.RATE)
    }
    points: dict[int, list[str]] = {1: [], 2: [], 3: []}
    inputs: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for f in e.flows:
        if f.category not in WATER_CATEGORIES:
            continue
        src, dst = units.get(f.from_unit), units.get(f.to_unit) if f.to_unit else None
        if (src is not None and src.is_boundary) or (dst is not None and dst.is_boundary):
            points[1].append(f.id)
            if src is not None and src.kind is UnitKind.SOURCE:
                inputs[1].append(f.id)
        if dst is None or dst.is_boundary:
            continue
        if net.group_of.get(dst.id) != net.group_of.get(f.from_unit):
            points[2].append(f.id)
            inputs[2].append(f.id)
        if dst.level == 3:
            points[3].append(f.id)
            inputs[3].append(f.id)
    equip: dict[int, Indicator] = {}
    rate: dict[int, Indicator] = {}
    for level in (1, 2, 3):
        need = points[level]
        have = [f for f in need if f in metered]
        equip[level] = Indicator(
            name=f"equipping_rate_level{level}",
            value=_ratio(float(len(have)), float(len(need))),
            unit="%",
            provenance=Provenance.MEASURED,
            inputs={
                Provenance.MEASURED: tuple(have),
                Provenance.MISSING: tuple(f for f in need if f not in metered),
            },
            formula="meters installed / metering points × 100 %",
            reference="GB/T 24789 水计量器具配备率 (standards.md §2.3)",
            note=f"{len(have)} of {len(need)} metering points equipped",
        )
        t_all = balance.total(inputs[level])
        t_metered = balance.total([f for f in inputs[level] if f in metered])
        rate[level] = _indicator(
            f"metering_rate_level{level}",
            _ratio(t_metered.value, t_all.value),
            "%",
            [t_all],
            balance,
            "metered volume / volume entering the level × 100 %",
            "GB/T 24789 水计量率 (standards.md §2.3)",
        )
    return equip, rate
