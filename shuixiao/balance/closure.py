"""Water balance of one period: unit balances, inference of unmetered flows, closure checks.

:func:`water_balance` takes the model (an :class:`~shuixiao.model.Enterprise`) and
the period volumes of the flows that were measured or estimated, and returns for
every water unit, every level-2 sub-unit and the enterprise as a whole its inputs,
outputs, consumption, leakage and closure error, each with its provenance
(measured, inferred, estimated or missing).  Unmetered flows that the unit
balances determine are inferred; the others stay missing.  See ``docs/balance.md``.

Sign of the closure error: positive when more water is accounted entering than
leaving (an unmetered outflow, a leak, an inlet meter reading high), negative
the other way round.

References
----------
.. [1] GB/T 12452-2022 水平衡测试通则 (General principles of water balance test).
.. [2] CJ 42-1999 工业用水考核指标及计算方法 (industrial water-use indicators).
.. [3] C. M. Crowe, Y. A. Garcia Campos and A. Hrymak, "Reconciliation of process flow rates by
   matrix projection. Part I: linear case," *AIChE J.*, vol. 29, no. 6, pp. 881–888, 1983,
   :doi:`10.1002/aic.690290602`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from shuixiao.balance._network import INTAKE_CATEGORIES, build_network
from shuixiao.balance._solve import Functional, Solution, components, solve
from shuixiao.balance.measurement import Measurement, Provenance, combine_provenance
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, FlowCategory, UnitKind
from shuixiao.reference import parameter

__all__ = [
    "EnterpriseBalance",
    "FlowValue",
    "LevelCheck",
    "Term",
    "UnitBalance",
    "WaterBalance",
    "undetermined_flows",
    "water_balance",
]


@dataclass(frozen=True)
class Term:
    """A sum of flow volumes with where it comes from.

    Parameters
    ----------
    value : float
        The sum; NaN when the balances do not determine it. [m³]
    provenance : Provenance
        The worst provenance of its parts (measured < inferred < estimated < missing).
    uncertainty : float
        Standard uncertainty propagated from the measured and estimated volumes. [m³]
    flows : tuple of str
        The flows summed.
    """

    value: float
    provenance: Provenance
    uncertainty: float
    flows: tuple[str, ...]

    @classmethod
    def _of(cls, f: Functional) -> Term:
        return cls(f.value, f.provenance, f.uncertainty, f.flows)


@dataclass(frozen=True)
class FlowValue:
    """The volume of one flow in the period.

    Parameters
    ----------
    flow : str
    category : FlowCategory
    value : float
        Volume; NaN when missing. [m³]
    uncertainty : float
        Standard uncertainty. [m³]
    provenance : Provenance
    meters : tuple of str
        Meters whose measurements gave the value.
    sources : tuple of str
        For an inferred flow, the measured or estimated flows it is computed from.
    """

    flow: str
    category: FlowCategory
    value: float
    uncertainty: float
    provenance: Provenance
    meters: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitBalance:
    """The balance of one water unit or one level-2 sub-unit (the unit with its level-3 children).

    Parameters
    ----------
    unit : str
        Unit id (for a sub-unit, the id of its level-2 unit).
    level : int or None
        2 or 3.
    inputs, outputs : Term
        Water entering and leaving (outputs include consumption and leakage). [m³]
    consumption, leakage : Term
        The consumption and leakage flows leaving the unit. [m³]
    storage_change : float
        Increase of the volume held in the unit. [m³]
    closure : float
        ``(Σin − Σout − ΔS) / Σin``; NaN when the inputs are not determined or zero. [unitless]
    closure_provenance : Provenance
        ``measured`` or ``estimated`` when every flow of the unit was given, so the closure is an
        independent check; ``inferred`` when some flow was inferred (the closure is then what the
        least-squares inference left at this unit, 0 when nothing else constrains it);
        ``missing`` when it cannot be computed.
    tolerance : float
        Largest acceptable ``|closure|``. [unitless]
    within_tolerance : bool or None
        None when the closure is missing.
    """

    unit: str
    level: int | None
    inputs: Term
    outputs: Term
    consumption: Term
    leakage: Term
    storage_change: float
    closure: float
    closure_provenance: Provenance
    tolerance: float
    within_tolerance: bool | None


@dataclass(frozen=True)
class EnterpriseBalance:
    """The level-1 balance ``Vi = Vco + Vd + Vl + Vo + ΔS`` (GB/T 12452).

    Parameters
    ----------
    intake, consumption, discharge, leakage, external_supply : Term
        Vi (flows leaving sources), Vco, Vd (flows into discharge outlets), Vl, Vo. [m³]
    storage_change : float
        ΔS, the sum of the given storage changes. [m³]
    closure : float
        ``(Vi − Vco − Vd − Vl − Vo − ΔS) / Vi``. [unitless]
    closure_provenance : Provenance
    tolerance : float
        [unitless]
    within_tolerance : bool or None
    """

    intake: Term
    consumption: Term
    discharge: Term
    leakage: Term
    external_supply: Term
    storage_change: float
    closure: float
    closure_provenance: Provenance
    tolerance: float
    within_tolerance: bool | None


@dataclass(frozen=True)
class LevelCheck:
    """Level-1 intake against the sum of the level-2 sub-units' intakes.

    A sub-unit's intake is the fresh and non-conventional water it receives from outside
    itself, less what it passes on to other using sub-units.  *Supply* sub-units (raw-water
    treatment, reservoirs: they prepare water for the others) are not counted, so the
    difference is the supply system's own use and losses plus the meters' disagreement.

    Parameters
    ----------
    level1 : Term
        Intake Vi. [m³]
    level2 : Term
        Σ of the using sub-units' intakes. [m³]
    groups : dict of str to Term
        Each using sub-unit's intake. [m³]
    supply_groups : tuple of str
        Sub-units left out as supply.
    difference : float
        ``(level1 − level2) / level1``. [unitless]
    tolerance : float
        [unitless]
    within_tolerance : bool or None
    """

    level1: Term
    level2: Term
    groups: dict[str, Term]
    supply_groups: tuple[str, ...]
    difference: float
    tolerance: float
    within_tolerance: bool | None


@dataclass(frozen=True)
class WaterBalance:
    """The water balance of one enterprise over one period.

    Parameters
    ----------
    enterprise : str
        Enterprise id.
    flows : dict of str to FlowValue
        Every flow, measured, estimated, inferred or missing.
    units : dict of str to UnitBalance
        Every balanced water unit (not sources, outlets, external supply).
    groups : dict of str to UnitBalance
        Every level-2 sub-unit with its level-3 children.
    level1 : EnterpriseBalance
    level_check : LevelCheck
    undetermined : tuple of str
        Flows the balances do not determine (missing).
    degrees_of_freedom : int
        Independent directions the unknown flows can move in without breaking a balance
        (unknowns − rank of their incidence columns); 0 means everything is determined.
    redundancy : int
        Independent balance equations left to check the given values (Crowe et al. 1983).
    """

    enterprise: str
    flows: dict[str, FlowValue]
    units: dict[str, UnitBalance]
    groups: dict[str, UnitBalance]
    level1: EnterpriseBalance
    level_check: LevelCheck
    undetermined: tuple[str, ...]
    degrees_of_freedom: int
    redundancy: int
    _solution: Solution = field(repr=False, compare=False)

    def total(self, flows: Iterable[str]) -> Term:
        """Return the sum of ``flows`` with its provenance and uncertainty.

        A sum can be determined when its parts are not (the evaporation and drift of a
        cooling tower one by one, their sum from the tower's balance).

        Raises
        ------
        NotFoundError
            If a flow does not exist.
        """
        ids = list(flows)
        for fid in ids:
            if fid not in self._solution.net.flow_index:
                raise NotFoundError(f"enterprise {self.enterprise} has no flow {fid!r}")
        return Term._of(self._solution.functional(self._solution.net.vector(ids)))

    def sensitivity(self, flows: Iterable[str]) -> dict[str, float]:
        """Return ∂(Σ flows)/∂(given volume) for every measured or estimated flow it depends on.

        [unitless]  The error of the sum is ``Σ sensitivity · error of each given volume``.
        """
        return dict(self._solution.functional(self._solution.net.vector(list(flows))).gradient)

    @property
    def enterprise_model(self) -> Enterprise:
        """The model the balance was computed on."""
        return self._solution.net.enterprise


def water_balance(
    enterprise: Enterprise,
    measurements: Iterable[Measurement],
    *,
    storage: Mapping[str, float] | None = None,
    supply_groups: Iterable[str] | None = None,
    unit_tolerance: float | None = None,
    enterprise_tolerance: float | None = None,
    mpe_divisor: float | None = None,
) -> WaterBalance:
    """Return the water balance of ``enterprise`` for one period.

    Parameters
    ----------
    enterprise : Enterprise
        The water-system model.
    measurements : iterable of Measurement
        Period volumes of the measured and estimated flows. [m³]  Several on one flow are
        combined by their inverse-variance weighted mean.
    storage : mapping of str to float, optional
        Increase of the volume held in a unit over the period (tanks, reservoirs), by unit id. [m³]
    supply_groups : iterable of str, optional
        Level-2 units to leave out of the level-2 intake sum.  Default: level-2 treatment and
        storage units that deliver fresh or non-conventional water to other sub-units.
    unit_tolerance : float, optional
        Largest acceptable ``|closure|`` of a unit or sub-unit. [unitless]
        Default: ``closure_tolerance`` (scope ``unit``) in ``balance.yaml``, 0.05.
    enterprise_tolerance : float, optional
        Largest acceptable level-1 closure and level-1 vs level-2 difference. [unitless]
        Default: ``closure_tolerance`` (scope ``enterprise``), 0.10.
    mpe_divisor : float, optional
        See :func:`~shuixiao.balance.standard_uncertainty`.

    Returns
    -------
    WaterBalance

    Raises
    ------
    NotFoundError
        If a measurement, a storage change or a supply group names something that does not exist.
    InvalidInputError
        If the model's flows name units that do not exist.

    Notes
    -----
    Every balanced unit satisfies (GB/T 12452-2022; input = output)

    .. math:: \\sum_{\\text{in}} V - \\sum_{\\text{out}} V = \\Delta S

    written for all units at once as :math:`A x = s` with the incidence matrix :math:`A`
    (+1 where a flow enters a unit, −1 where it leaves).  Splitting the flows into known
    :math:`x_K` and unknown :math:`x_U`, the unknowns are
    :math:`x_U = A_U^{+}(s - A_K x_K)`; flow :math:`j` is determined when row :math:`j`
    of a basis of the null space of :math:`A_U` is zero.  The closure error is

    .. math:: e = \\frac{\\sum_{\\text{in}} V - \\sum_{\\text{out}} V - \\Delta S}{\\sum_{\\text{in}} V}

    Examples
    --------
    A tank fed by one metered pipe and emptied by two, one of them unmetered:

    >>> from shuixiao.model import Enterprise, Flow, FlowCategory, UnitKind, WaterUnit, SourceType
    >>> e = Enterprise("e", "示例", "x", "3120", "r", units=(
    ...     WaterUnit("src", "水源", UnitKind.SOURCE, source_type=SourceType.GROUNDWATER),
    ...     WaterUnit("use", "车间", UnitKind.PROCESS, level=2),
    ...     WaterUnit("out", "排口", UnitKind.DISCHARGE)),
    ...   flows=(Flow("in", "src", "use", FlowCategory.FRESH),
    ...          Flow("d", "use", "out", FlowCategory.DISCHARGE),
    ...          Flow("evap", "use", None, FlowCategory.CONSUMPTION)))
    >>> b = water_balance(e, [Measurement("in", 1000.0, accuracy_class=1.0),
    ...                       Measurement("d", 650.0, accuracy_class=2.0)])
    >>> b.flows["evap"].value, b.flows["evap"].provenance.value
    (350.0, 'inferred')
    >>> b.level1.closure
    0.0
    """
    net = build_network(enterprise)
    sol = solve(net, list(measurements), storage, mpe_divisor=mpe_divisor)
    unit_tol = (
        unit_tolerance if unit_tolerance is not None else parameter("closure_tolerance", scope="unit").value
    )
    ent_tol = (
        enterprise_tolerance
        if enterprise_tolerance is not None
        else parameter("closure_tolerance", scope="enterprise").value
    )
    for tol in (unit_tol, ent_tol):
        if not tol >= 0:
            raise InvalidInputError(f"a closure tolerance must be ≥ 0, not {tol}")

    flows = {}
    for j, (f, (value, uncertainty, sources)) in enumerate(zip(net.flows, sol.singles(), strict=True)):
        flows[f.id] = FlowValue(
            flow=f.id,
            category=f.category,
            value=value,
            uncertainty=uncertainty,
            provenance=sol.provenance[j],
            meters=sol.meters.get(f.id, ()),
            sources=sources if sol.provenance[j] is Provenance.INFERRED else (),
        )

    units = {}
    for i, u in enumerate(net.units):
        members = {u.id}
        units[u.id] = _balance_of(sol, members, u.id, u.level, float(sol.storage[i]), unit_tol)
    groups = {}
    for gid in sorted(set(net.group_of.values()), key=lambda g: net.unit_index[g]):
        members = {uid for uid, g in net.group_of.items() if g == gid}
        change = float(sum(sol.storage[net.unit_index[m]] for m in members))
        groups[gid] = _balance_of(sol, members, gid, 2, change, unit_tol)

    level1 = _enterprise_balance(sol, ent_tol)
    check = _level_check(sol, supply_groups, ent_tol)
    undetermined = tuple(f.id for j, f in enumerate(net.flows) if not sol.determined[j])
    return WaterBalance(
        enterprise=enterprise.id,
        flows=flows,
        units=units,
        groups=groups,
        level1=level1,
        level_check=check,
        undetermined=undetermined,
        degrees_of_freedom=int(sol.unknown_index.size - sol.rank_unknown),
        redundancy=int(sol.rank_all - sol.rank_unknown),
        _solution=sol,
    )


def undetermined_flows(
    enterprise: Enterprise,
    measurements: Iterable[Measurement],
    *,
    storage: Mapping[str, float] | None = None,
) -> tuple[tuple[str, ...], ...]:
    """Return the flows neither given nor determined by the balances, grouped by piece of the network.

    The same flows as ``water_balance(...).undetermined``, without evaluating every flow, unit
    and level: for deciding which flows still need an estimate.  Each group holds the
    undetermined flows of one connected piece of the unmeasured network (units linked by
    flows without a value); a value given for one flow can settle flows of its own group only.

    Parameters
    ----------
    enterprise : Enterprise
    measurements : iterable of Measurement
        Period volumes of the measured and estimated flows. [m³]
    storage : mapping of str to float, optional
        Increase of the volume held in a unit over the period, by unit id. [m³]

    Returns
    -------
    tuple of tuple of str
        Groups in model order of their first flow; flows in model order.

    Raises
    ------
    NotFoundError, InvalidInputError
        As :func:`water_balance`.
    """
    net = build_network(enterprise)
    sol = solve(net, list(measurements), storage)
    groups = []
    for _, columns in components(net.incidence[:, sol.unknown_index]):
        flows = sorted(int(sol.unknown_index[c]) for c in columns)
        group = tuple(net.flows[j].id for j in flows if not sol.determined[j])
        if group:
            groups.append((flows[0], group))
    return tuple(g for _, g in sorted(groups))


def _closure(residual: Functional, inputs: Functional) -> float:
    """``residual / inputs``, NaN when either is unknown or the inputs are zero."""
    if not (residual.determined and inputs.determined) or inputs.value <= 0:
        return math.nan
    return residual.value / inputs.value


def _balance_of(
    sol: Solution, members: set[str], unit_id: str, level: int | None, storage: float, tolerance: float
) -> UnitBalance:
    """Balance of a set of units seen from outside (flows between members are internal)."""
    net = sol.net
    touching = sorted({j for m in members for j in net.touching.get(m, ())})
    near = [net.flows[j] for j in touching]
    ins = [f.id for f in near if f.to_unit in members and f.from_unit not in members]
    outs = [f.id for f in near if f.from_unit in members and f.to_unit not in members]
    consumption = [f.id for f in near if f.id in outs and f.category is FlowCategory.CONSUMPTION]
    leakage = [f.id for f in near if f.id in outs and f.category is FlowCategory.LEAKAGE]
    f_in = sol.functional(net.vector(ins))
    f_out = sol.functional(net.vector(outs))
    residual = sol.functional(net.vector(ins) - net.vector(outs))
    closure = _closure(_shift(residual, storage), f_in)
    all_flows = [net.flow_index[f] for f in ins + outs]
    if math.isnan(closure):
        prov = Provenance.MISSING
    elif all(sol.known[j] for j in all_flows):
        prov = combine_provenance(sol.provenance[j] for j in all_flows)
    else:
        prov = Provenance.INFERRED
    return UnitBalance(
        unit=unit_id,
        level=level,
        inputs=Term._of(f_in),
        outputs=Term._of(f_out),
        consumption=Term._of(sol.functional(net.vector(consumption))),
        leakage=Term._of(sol.functional(net.vector(leakage))),
        storage_change=storage,
        closure=closure,
        closure_provenance=prov,
        tolerance=tolerance,
        within_tolerance=None if math.isnan(closure) else abs(closure) <= tolerance,
    )


def _shift(f: Functional, storage: float) -> Functional:
    """``f − ΔS`` (the storage change is exact)."""
    return Functional(f.value - storage, f.determined, f.provenance, f.uncertainty, f.gradient, f.flows)


def _enterprise_balance(sol: Solution, tolerance: float) -> EnterpriseBalance:
    """Level 1: intake against consumption, discharge, leakage and external supply."""
    net = sol.net
    kinds = {u.id: u.kind for u in net.enterprise.units}
    intake = [f.id for f in net.flows if kinds.get(f.from_unit) is UnitKind.SOURCE]
    discharge = [
        f.id for f in net.flows if f.to_unit is not None and kinds.get(f.to_unit) is UnitKind.DISCHARGE
    ]
    external = [
        f.id for f in net.flows if f.to_unit is not None and kinds.get(f.to_unit) is UnitKind.EXTERNAL_SUPPLY
    ]
    consumption = [f.id for f in net.flows if f.category is FlowCategory.CONSUMPTION]
    leakage = [f.id for f in net.flows if f.category is FlowCategory.LEAKAGE]
    storage = float(sol.storage.sum())
    f_in = sol.functional(net.vector(intake))
    outs = net.vector(discharge) + net.vector(external) + net.vector(consumption) + net.vector(leakage)
    residual = _shift(sol.functional(net.vector(intake) - outs), storage)
    closure = _closure(residual, f_in)
    terms = [net.flow_index[f] for f in intake + discharge + external + consumption + leakage]
    if math.isnan(closure):
        prov = Provenance.MISSING
    elif all(sol.known[j] for j in terms):
        prov = combine_provenance(sol.provenance[j] for j in terms)
    else:
        prov = Provenance.INFERRED
    return EnterpriseBalance(
        intake=Term._of(f_in),
        consumption=Term._of(sol.functional(net.vector(consumption))),
        discharge=Term._of(sol.functional(net.vector(discharge))),
        leakage=Term._of(sol.functional(net.vector(leakage))),
        external_supply=Term._of(sol.functional(net.vector(external))),
        storage_change=storage,
        closure=closure,
        closure_provenance=prov,
        tolerance=tolerance,
        within_tolerance=None if math.isnan(closure) else abs(closure) <= tolerance,
    )


def _level_check(sol: Solution, supply_groups: Iterable[str] | None, tolerance: float) -> LevelCheck:
    """Level-1 intake against the sum of the using level-2 sub-units' intakes."""
    net = sol.net
    kinds = {u.id: u.kind for u in net.enterprise.units}
    group_ids = sorted(set(net.group_of.values()), key=lambda g: net.unit_index[g])
    if supply_groups is None:
        supply = {
            g
            for g in group_ids
            if kinds[g] in (UnitKind.TREATMENT, UnitKind.STORAGE)
            and any(
                f.category in INTAKE_CATEGORIES
                and net.group_of.get(f.from_unit) == g
                and f.to_unit is not None
                and net.group_of.get(f.to_unit, g) != g
                for f in net.flows
            )
        }
    else:
        supply = set(supply_groups)
        unknown = supply - set(group_ids)
        if unknown:
            raise NotFoundError(f"no level-2 unit {sorted(unknown)[0]!r} to treat as a supply sub-unit")
    using = [g for g in group_ids if g not in supply]
    per_group: dict[str, Term] = {}
    total = np.zeros(len(net.flows))
    for g in using:
        c = np.zeros(len(net.flows))
        for f in net.flows:
            if f.category not in INTAKE_CATEGORIES:
                continue
            into = (
                f.to_unit is not None
                and net.group_of.get(f.to_unit) == g
                and net.group_of.get(f.from_unit) != g
            )
            # passed on to another using sub-unit: counted where it is used
            onward = (
                net.group_of.get(f.from_unit) == g
                and f.to_unit is not None
                and net.group_of.get(f.to_unit) not in (None, g)
                and net.group_of.get(f.to_unit) not in supply
            )
            c[net.flow_index[f.id]] += float(into) - float(onward)
        per_group[g] = Term._of(sol.functional(c))
        total += c
    intake = [f.id for f in net.flows if kinds.get(f.from_unit) is UnitKind.SOURCE]
    f1 = sol.functional(net.vector(intake))
    f2 = sol.functional(total)
    diff = (f1.value - f2.value) / f1.value if f1.determined and f2.determined and f1.value > 0 else math.nan
    return LevelCheck(
        level1=Term._of(f1),
        level2=Term._of(f2),
        groups=per_group,
        supply_groups=tuple(g for g in group_ids if g in supply),
        difference=diff,
        tolerance=tolerance,
        within_tolerance=None if math.isnan(diff) else abs(diff) <= tolerance,
    )
