"""The water-system model: region → park → enterprise → site → water units.

The model is plain frozen dataclasses with no behaviour beyond look-ups, so
engines, adapters and tests share one description of a plant.  Quantities are
in canonical units (:mod:`shuixiao.units`); meters keep the unit they report in.

Hierarchy (GB/T 24789 metering levels):

* the enterprise is level 1 (一级, the whole water-using unit);
* sub-units and workshops (次级用水单位) are level 2 and have no parent;
* main equipment and water systems (主要用水设备/系统) are level 3 and have a level-2 parent;
* boundary units (sources, discharge outlets, external supply) sit on the
  enterprise boundary and have no level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from shuixiao.model.kinds import (
    BOUNDARY_KINDS,
    FlowCategory,
    MeterKind,
    SourceType,
    TreatmentType,
    UnitKind,
)

__all__ = [
    "EnergyRecord",
    "Enterprise",
    "Flow",
    "Meter",
    "Park",
    "Product",
    "ProductionRecord",
    "Region",
    "Site",
    "ValueAddedRecord",
    "WaterUnit",
]


@dataclass(frozen=True)
class Region:
    """An administrative region (province, city or county).

    Parameters
    ----------
    id : str
        Identifier, unique in the store.
    name : str
        Chinese name, e.g. ``湖南省``.
    admin_code : str
        Six-digit GB/T 2260 administrative division code, e.g. ``430000``.
    parent : str, optional
        Identifier of the enclosing region.
    name_en : str, optional
        English name.
    """

    id: str
    name: str
    admin_code: str
    parent: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class Park:
    """An industrial park (工业园区).

    Parameters
    ----------
    id : str
        Identifier, unique in the store.
    name : str
        Chinese name.
    region : str
        Identifier of the region the park lies in.
    name_en : str, optional
        English name.
    """

    id: str
    name: str
    region: str
    name_en: str | None = None


@dataclass(frozen=True)
class Site:
    """A plant site of an enterprise.

    Parameters
    ----------
    id : str
        Identifier, unique in the enterprise.
    name : str
        Name of the site.
    address : str, optional
        Postal address.
    latitude, longitude : float, optional
        WGS 84 position. [°]
    """

    id: str
    name: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class WaterUnit:
    """A water unit (用水单元): a source, a workshop, a piece of equipment, an outlet.

    Parameters
    ----------
    id : str
        Identifier, unique in the enterprise.
    name : str
        Name as the plant calls it, e.g. ``1号高炉净环水系统``.
    kind : UnitKind
        What the unit is.
    level : int or None
        2 for a sub-unit, 3 for main equipment; None for boundary units.
    parent : str, optional
        The level-2 unit a level-3 unit belongs to.
    site : str, optional
        The site the unit is on.
    source_type : SourceType, optional
        Required for sources, forbidden otherwise.
    treatment_type : TreatmentType, optional
        Required for treatment units, forbidden otherwise.
    design_flow : float, optional
        Design throughput. [m³/h]
    name_en : str, optional
        English name.
    """

    id: str
    name: str
    kind: UnitKind
    level: int | None = None
    parent: str | None = None
    site: str | None = None
    source_type: SourceType | None = None
    treatment_type: TreatmentType | None = None
    design_flow: float | None = None
    name_en: str | None = None

    @property
    def is_boundary(self) -> bool:
        """True for sources, discharge outlets and external supply."""
        return self.kind in BOUNDARY_KINDS


@dataclass(frozen=True)
class Flow:
    """A directed flow of water between two units.

    Parameters
    ----------
    id : str
        Identifier, unique in the enterprise.
    from_unit : str
        The unit the water leaves.
    to_unit : str or None
        The unit the water enters; None for ``consumption`` and ``leakage``,
        which leave the system.
    category : FlowCategory
        The water category, which decides how the flow enters the indicators.
    design_flow : float, optional
        Design rate. [m³/h]
    name : str, optional
        Description, e.g. ``净环补水``.
    """

    id: str
    from_unit: str
    to_unit: str | None
    category: FlowCategory
    design_flow: float | None = None
    name: str | None = None


@dataclass(frozen=True)
class Meter:
    """A meter attached to a flow or to a unit.

    Parameters
    ----------
    id : str
        Identifier, unique in the enterprise (the plant's tag, e.g. ``FT-101``).
    kind : MeterKind
        Totalizer, rate, quality, pressure or level.
    quantity : str
        What is measured (a key of :data:`shuixiao.units.QUANTITIES`).
    unit : str
        The unit the meter reports in; readings are converted to the canonical
        unit of ``quantity`` on the way in.
    level : int
        Metering level 1, 2 or 3 (GB/T 24789 一级/二级/三级).
    flow : str, optional
        The flow the meter measures (volume and rate meters).
    water_unit : str, optional
        The unit the meter sits on (quality, pressure, level meters).
    accuracy_class : float, optional
        Maximum permissible error in the upper flow zone. [% of reading]
    installed : datetime.date, optional
        Installation date; readings before it are rejected.
    calibrated : datetime.date, optional
        Date of the last verification or calibration.
    device : str, optional
        Device identity (serial number or gateway address).
    register_max : float, optional
        For totalizers, the value at which the register rolls over to zero. [meter unit]
    model : str, optional
        Manufacturer and model.
    name : str, optional
        Description.
    """

    id: str
    kind: MeterKind
    quantity: str
    unit: str
    level: int
    flow: str | None = None
    water_unit: str | None = None
    accuracy_class: float | None = None
    installed: dt.date | None = None
    calibrated: dt.date | None = None
    device: str | None = None
    register_max: float | None = None
    model: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Product:
    """A product whose water intake per unit is tracked (单位产品取水量).

    Parameters
    ----------
    id : str
        Identifier, unique in the enterprise.
    name : str
        Chinese name, e.g. ``粗钢``.
    unit : str
        Production unit, a key of :data:`shuixiao.model.kinds.PRODUCT_UNITS`.
    benchmark_product : str, optional
        Key of the matching product in the reference targets tables, e.g. ``crude_steel``.
    name_en : str, optional
        English name.
    """

    id: str
    name: str
    unit: str
    benchmark_product: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class ProductionRecord:
    """Output of one product over a period ``[start, end)`` (local calendar days).

    Parameters
    ----------
    product : str
        Product identifier.
    start, end : datetime.date
        First day and the day after the last day of the period.
    quantity : float
        Output in the product's unit. [product unit]
    """

    product: str
    start: dt.date
    end: dt.date
    quantity: float


@dataclass(frozen=True)
class ValueAddedRecord:
    """Industrial value added (工业增加值) over a period ``[start, end)``.

    Parameters
    ----------
    start, end : datetime.date
        First day and the day after the last day of the period.
    value : float
        Industrial value added at current prices. [CNY]
    """

    start: dt.date
    end: dt.date
    value: float


@dataclass(frozen=True)
class EnergyRecord:
    """Energy used by a water system over a period ``[start, end)``.

    Parameters
    ----------
    water_unit : str
        The unit (pump station, cooling system, RO plant, ...) that used the energy.
    start, end : datetime.date
        First day and the day after the last day of the period.
    electricity : float
        Electricity used. [kWh]
    steam : float
        Steam used. [t]
    """

    water_unit: str
    start: dt.date
    end: dt.date
    electricity: float = 0.0
    steam: float = 0.0


@dataclass(frozen=True)
class Enterprise:
    """An enterprise and its water system.

    Parameters
    ----------
    id : str
        Identifier, unique in the store (short and stable, e.g. ``xg-steel``).
    name : str
        Registered Chinese name.
    credit_code : str
        统一社会信用代码, 18 characters with a valid GB 32100 check character.
    industry_code : str
        GB/T 4754-2017 code (2–4 digits).
    region : str
        Identifier of the region.
    park : str, optional
        Identifier of the park, when the enterprise is in one.
    name_en : str, optional
        English name.
    employees : int, optional
        Number of employees (for domestic water per person).
    sites, units, flows, meters, products : tuple
        The water system.
    production, value_added, energy : tuple
        Periodic records.
    """

    id: str
    name: str
    credit_code: str
    industry_code: str
    region: str
    park: str | None = None
    name_en: str | None = None
    employees: int | None = None
    sites: tuple[Site, ...] = ()
    units: tuple[WaterUnit, ...] = ()
    flows: tuple[Flow, ...] = ()
    meters: tuple[Meter, ...] = ()
    products: tuple[Product, ...] = ()
    production: tuple[ProductionRecord, ...] = ()
    value_added: tuple[ValueAddedRecord, ...] = ()
    energy: tuple[EnergyRecord, ...] = ()

    def unit(self, unit_id: str) -> WaterUnit:
        """Return the unit ``unit_id``; raise KeyError if there is none."""
        return _find(self.units, unit_id, self.id)

    def flow(self, flow_id: str) -> Flow:
        """Return the flow ``flow_id``; raise KeyError if there is none."""
        return _find(self.flows, flow_id, self.id)

    def meter(self, meter_id: str) -> Meter:
        """Return the meter ``meter_id``; raise KeyError if there is none."""
        return _find(self.meters, meter_id, self.id)

    def children(self, unit_id: str) -> list[WaterUnit]:
        """Return the level-3 units whose parent is ``unit_id``."""
        return [u for u in self.units if u.parent == unit_id]


_Item = TypeVar("_Item", WaterUnit, Flow, Meter)


def _find(items: tuple[_Item, ...], key: str, owner: str) -> _Item:
    for item in items:
        if item.id == key:
            return item
    raise KeyError(f"enterprise {owner} has no {type(items[0]).__name__ if items else 'item'} {key!r}")
