"""The vocabulary in which the demo plants are written down.

A plant template is data: its water units, the flows between them, the rule
that sets each flow, its cooling towers and tanks, its meters and the events
injected into it.  :mod:`shuixiao.demo._system` turns the rules into one
linear system per plant, so that every unit balances exactly in every interval.

Rules (the right-hand side of one equation per flow):

* :class:`Rate` — a demand that follows the plant's activity profile;
* :class:`Tower` terms — recirculation, evaporation, drift and blowdown of a
  cooling tower (:class:`TowerTerm`);
* :class:`Domestic`, :class:`Leak`, :class:`Rain`, :class:`Lagged` — other
  driven flows;
* :class:`Ratio`, :class:`Share` — a fixed fraction of other flows or of a
  unit's inflow;
* :data:`BALANCE` — no rule: the flow is whatever closes the balance of the
  units it joins.  A plant has exactly one balance-set flow per balance equation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shuixiao.model import (
    Flow,
    FlowCategory,
    MeterKind,
    SourceType,
    TreatmentType,
    UnitKind,
    WaterUnit,
)

__all__ = [
    "BALANCE",
    "Balance",
    "Domestic",
    "Drift",
    "EventPlan",
    "Excursion",
    "FlowSpec",
    "Gap",
    "Lagged",
    "Leak",
    "LeakEvent",
    "MeterSpec",
    "PlantTemplate",
    "ProductSpec",
    "ProfileSpec",
    "Rain",
    "Rate",
    "Ratio",
    "Replacement",
    "Rollover",
    "Rule",
    "Share",
    "Stop",
    "Stuck",
    "Tank",
    "Tower",
    "TowerTerm",
    "flow",
    "unit",
]


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rate:
    """A flow that follows an activity profile.

    ``rate = design · (base + (1 − base) · u(t)) · jitter(t)`` with ``u`` the
    profile (share of design output, 0 when stopped).

    Parameters
    ----------
    design : float
        Rate at design output. [m³/h]
    base : float
        Share that runs whatever the output. [unitless]
    profile : str
        Name of the activity profile (``main``, ``brew`` …).
    """

    design: float
    base: float = 0.0
    profile: str = "main"


@dataclass(frozen=True)
class Ratio:
    """A flow that is ``alpha`` times the sum of other flows (it may be one of them).

    Parameters
    ----------
    alpha : float
        The fraction. [unitless]
    of : tuple of str
        Flow ids.
    """

    alpha: float
    of: tuple[str, ...]


@dataclass(frozen=True)
class Share:
    """A flow that is ``alpha`` times the total inflow of a unit.

    Parameters
    ----------
    alpha : float
        The fraction. [unitless]
    unit : str
        The unit whose inflow is shared.
    """

    alpha: float
    unit: str


@dataclass(frozen=True)
class Balance:
    """No rule: the flow closes the water balance of the units it joins."""


BALANCE = Balance()
"""The balance rule (a singleton)."""


@dataclass(frozen=True)
class TowerTerm:
    """A term of a cooling tower's water balance (GB 50050: M = E + D + B).

    Parameters
    ----------
    tower : str
        Cooling-tower unit id.
    term : {"recirc", "evaporation", "drift", "blowdown"}
        Which term.
    share : float
        Part of the term carried by this flow (recirculation split between
        users, blowdown split between destinations). [unitless]
    """

    tower: str
    term: Literal["recirc", "evaporation", "drift", "blowdown"]
    share: float = 1.0


@dataclass(frozen=True)
class Domestic:
    """Domestic use of a staff (offices, canteen, showers, dormitories).

    Parameters
    ----------
    persons : int
        Staff on site on a working day.
    per_capita : float
        Daily use per person. [L/(person·d)]
    """

    persons: int
    per_capita: float


@dataclass(frozen=True)
class Leak:
    """Background leakage of a unit's pipes; injected leak events add to it.

    Parameters
    ----------
    base : float
        Background leakage rate. [m³/h]
    """

    base: float


@dataclass(frozen=True)
class Rain:
    """Rainwater harvested from roofs into a tank.

    Parameters
    ----------
    area : float
        Roof area drained to the tank. [m²]
    runoff : float
        Runoff coefficient of the roofs. [unitless]
    capacity : float
        Harvest a day can hold; rain beyond it overflows to the storm drain. [m³]
    """

    area: float
    runoff: float
    capacity: float


@dataclass(frozen=True)
class Lagged:
    """A flow that empties a buffer tank into a cooling tower's make-up from the next day on.

    Each local day the pump may send what the tank held at the start of the
    day, spread evenly over the day and never more than ``limit`` times the
    tower's make-up in any interval; the rest waits in the tank.

    Parameters
    ----------
    of : str
        The inflow (a :class:`Rain` flow) being emptied.
    tower : str
        The cooling tower it feeds.
    limit : float
        Largest share of the tower's make-up it may supply. [unitless]
    """

    of: str
    tower: str
    limit: float


Rule = Rate | Ratio | Share | Balance | TowerTerm | Domestic | Leak | Rain | Lagged
"""Any rule that sets a flow."""


# --------------------------------------------------------------------------- equipment


@dataclass(frozen=True)
class Tower:
    """An open recirculating cooling tower (敞开式循环冷却水系统).

    Parameters
    ----------
    unit : str
        The cooling-tower unit id.
    recirc : float
        Design recirculation rate Q_r. [m³/h]
    range : float
        Design cooling range Δt at design heat load. [°C]
    cycles : float
        Target cycles of concentration N. [unitless]
    drift : float
        Drift loss as a share of recirculation (≈ 0.0001 with eliminators). [unitless]
    base : float
        Share of heat load and recirculation independent of output. [unitless]
    profile : str
        Activity profile of the heat load.
    makeup_conductivity : float
        Conductivity of the make-up water. [µS/cm]
    """

    unit: str
    recirc: float
    range: float
    cycles: float
    drift: float = 1e-4
    base: float = 0.5
    profile: str = "main"
    makeup_conductivity: float = 320.0


@dataclass(frozen=True)
class Tank:
    """A storage unit whose level is modelled (and measured).

    Parameters
    ----------
    unit : str
        The storage unit id.
    area : float
        Water surface area. [m²]
    level : float
        Mean level. [m]
    swing : float
        Half the daily level swing of a tank filled at night and drawn by day. [m]
    buffer_of : str, optional
        For a buffer tank: the inflow (``Rain``) it stores until the next day;
        its level follows from its flows and it has no balance equation.
    """

    unit: str
    area: float
    level: float
    swing: float = 0.0
    buffer_of: str | None = None


@dataclass(frozen=True)
class MeterSpec:
    """A meter of a template.

    Parameters
    ----------
    id : str
        Tag, e.g. ``FT-1001``.
    type : str
        Key of :data:`shuixiao.demo._parameters.METER_TYPES`.
    level : int
        Metering level 1, 2 or 3.
    name : str
        Description.
    flow : str, optional
        Flow measured (totalizers and rate meters).
    water_unit : str, optional
        Unit measured (analysers, pressure, level).
    signal : str, optional
        What an analyser, pressure or level meter reads: ``ph``, ``conductivity``,
        ``turbidity`` (of the tower in ``water_unit``), ``permeate_conductivity``,
        ``reuse_turbidity``, ``pressure``, ``level``.
    unit : str
        Unit the meter reports in.
    kind : MeterKind, optional
        Overrides the kind implied by the type (e.g. an electromagnetic meter on rate output).
    """

    id: str
    type: str
    level: int
    name: str
    flow: str | None = None
    water_unit: str | None = None
    signal: str | None = None
    unit: str = "m³"
    kind: MeterKind | None = None


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class LeakEvent:
    """A leak that appears, grows and is repaired (times as fractions of the period).

    Parameters
    ----------
    flow : str
        The leakage flow it adds to.
    start, peak, repair : float
        When it appears, when it reaches ``rate``, when it is repaired. [share of period]
    rate : float
        Peak leak rate at design scale. [m³/h]
    description : str
        What leaked.
    """

    flow: str
    start: float
    peak: float
    repair: float
    rate: float
    description: str


@dataclass(frozen=True)
class Rollover:
    """The register of ``meter`` rolls over at ``at`` of the period (its ``register_max`` is sized for it)."""

    meter: str
    at: float = 0.4


@dataclass(frozen=True)
class Replacement:
    """``meter`` is swapped for a new device at ``at`` of the period."""

    meter: str
    at: float = 0.65


@dataclass(frozen=True)
class Drift:
    """``meter`` errs increasingly, from 0 at ``start`` to ``error`` at ``end`` (shares of the period).

    Parameters
    ----------
    error : float
        Relative error reached at ``end`` and kept after. [unitless]
    """

    meter: str
    start: float
    end: float
    error: float


@dataclass(frozen=True)
class Stuck:
    """``meter`` repeats one value for ``hours`` from ``at`` of the period."""

    meter: str
    at: float
    hours: float = 24.0


@dataclass(frozen=True)
class Gap:
    """``meters`` send nothing for ``hours`` from local hour ``hour`` of the day at ``at`` of the period."""

    meters: tuple[str, ...]
    at: float
    hours: float
    hour: int = 9
    cause: str = "通信中断 communication outage"


@dataclass(frozen=True)
class Excursion:
    """Cooling-water pH out of range after an acid-dosing failure on ``tower``.

    Parameters
    ----------
    tower : str
        Cooling-tower unit.
    at : float
        When dosing fails. [share of period]
    hours : float
        Until dosing is restored. [h]
    peak : float
        pH reached. [pH]
    """

    tower: str
    at: float
    hours: float
    peak: float


@dataclass(frozen=True)
class EventPlan:
    """The events injected into one plant."""

    leaks: tuple[LeakEvent, ...] = ()
    rollover: Rollover | None = None
    replacement: Replacement | None = None
    drifts: tuple[Drift, ...] = ()
    stuck: tuple[Stuck, ...] = ()
    gaps: tuple[Gap, ...] = ()
    excursions: tuple[Excursion, ...] = ()


# --------------------------------------------------------------------------- the plant


@dataclass(frozen=True)
class Stop:
    """A planned stop or slow-down (检修) on a calendar date.

    Parameters
    ----------
    month, day : int
        First day. [local calendar]
    days : float
        Duration. [d]
    level : float
        Output during the stop, as a share of normal. [unitless]
    every : int
        Repeat every this many days (0: once a year). [d]
    """

    month: int
    day: int
    days: float
    level: float
    every: int = 0


@dataclass(frozen=True)
class ProfileSpec:
    """How a plant's output varies over time.

    Parameters
    ----------
    schedule : {"continuous", "two_shift"}
        Three 8-hour shifts around the clock, or two shifts 08:00–24:00.
    utilisation : float
        Mean output as a share of design. [unitless]
    night : float
        Output of the night shift (00:00–08:00) relative to the others. [unitless]
    weekly_off : tuple of int
        Weekdays (Monday = 0) without production.
    festival_days : int
        Days stopped for the Spring Festival (0: runs through).
    festival_level : float
        Output during the festival stop. [unitless]
    national_day_days : int
        Days stopped from 1 October.
    seasonal : float
        Amplitude of a summer peak (beer), as a share of the mean. [unitless]
    stops : tuple of Stop
        Planned maintenance.
    """

    schedule: Literal["continuous", "two_shift"]
    utilisation: float
    night: float = 0.99
    weekly_off: tuple[int, ...] = ()
    festival_days: int = 0
    festival_level: float = 0.0
    national_day_days: int = 0
    seasonal: float = 0.0
    stops: tuple[Stop, ...] = ()


@dataclass(frozen=True)
class ProductSpec:
    """The main product of a plant.

    Parameters
    ----------
    id, name, name_en : str
        Identifier and names.
    unit : str
        Production unit (a key of :data:`shuixiao.model.PRODUCT_UNITS`).
    benchmark : str
        Key of :data:`shuixiao.demo._parameters.NATIONAL_INTAKE_2020`.
    design_rate : float
        Output at design capacity. [product unit/h]
    value_added : float
        Industrial value added per unit of product. [CNY/product unit]
    """

    id: str
    name: str
    name_en: str
    unit: str
    benchmark: str
    design_rate: float
    value_added: float


@dataclass(frozen=True)
class FlowSpec:
    """A flow of a template with the rule that sets it."""

    flow: Flow
    rule: Rule


@dataclass(frozen=True)
class PlantTemplate:
    """Everything about one demo plant except its identity numbers.

    Parameters
    ----------
    key : str
        Short industry key (``steel`` …), used in enterprise ids.
    industry_code : str
        GB/T 4754-2017 class.
    name, name_en : str
        Registered name with ``{brand}`` for the trade name.
    site_name : str
        Name of the plant site.
    employees : int
        Staff.
    product : ProductSpec
    profile : ProfileSpec
    units, flows, towers, tanks, meters : tuple
        The water system.
    events : EventPlan
    network_root : str
        The unit that pumps into the plant's fresh-water supply network (the reservoir
        of its EPANET model).
    expected_ratio : float
        Intended intake per product relative to the 2020 national average. [unitless]
    """

    key: str
    industry_code: str
    name: str
    name_en: str
    site_name: str
    employees: int
    product: ProductSpec
    profile: ProfileSpec
    units: tuple[WaterUnit, ...]
    flows: tuple[FlowSpec, ...]
    towers: tuple[Tower, ...] = ()
    tanks: tuple[Tank, ...] = ()
    meters: tuple[MeterSpec, ...] = ()
    events: EventPlan = field(default_factory=EventPlan)
    network_root: str = "wtp"
    expected_ratio: float = 1.0


# --------------------------------------------------------------------------- helpers


def unit(
    id: str,
    name: str,
    name_en: str,
    kind: UnitKind,
    level: int | None = None,
    parent: str | None = None,
    *,
    source: SourceType | None = None,
    treatment: TreatmentType | None = None,
) -> WaterUnit:
    """Return a :class:`~shuixiao.model.WaterUnit` of a template (site and design flow come later)."""
    return WaterUnit(
        id=id,
        name=name,
        kind=kind,
        level=level,
        parent=parent,
        source_type=source,
        treatment_type=treatment,
        name_en=name_en,
    )


def flow(id: str, source: str, target: str | None, category: FlowCategory, name: str, rule: Rule) -> FlowSpec:
    """Return a flow of a template with its rule."""
    return FlowSpec(Flow(id=id, from_unit=source, to_unit=target, category=category, name=name), rule)
