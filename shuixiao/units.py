"""Canonical units: one unit per quantity, conversion only at the boundary.

Inside shuixiao every quantity is carried in its canonical unit (the
``canonical`` column below).  Files, devices and the API may use any unit
listed for the quantity; :func:`to_canonical` converts on the way in and
:func:`from_canonical` on the way out.  The table is our domain knowledge
(which units a water meter may report in, 吨 as a volume of water, 万元 as a
sum of money), so it is kept here rather than in a general units library.

=================  ===========  ====================================================
quantity           canonical    also accepted
=================  ===========  ====================================================
volume             m³           m3, L, kL, ML, t (吨, 1 t of water = 1 m³), 万m³
flow_rate          m³/h         m3/h, m³/s, m3/s, m³/d, m3/d, L/s, L/min, L/h, t/h
pressure           kPa          Pa, MPa, bar, mbar, m (head of water), mH2O, psi
level              m            cm, mm
temperature        °C           degC, C, K
ph                 pH           (none)
conductivity       µS/cm        uS/cm, us/cm, mS/cm, mS/m, S/m
turbidity          NTU          FNU
concentration      mg/L         g/m³, g/m3, µg/L, ug/L, g/L, ppm
fluorescence       ppb          µg/L tracer equivalent is not assumed; ppb only
energy             kWh          Wh, MWh, MJ, GJ
mass               t            kg
money              CNY          万元, 10^4 CNY, 亿元, 元
=================  ===========  ====================================================

Pressure head is converted with the conventional density of water
(1 m H₂O = 9.80665 kPa at 1000 kg/m³ and standard gravity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from shuixiao.errors import UnitError

__all__ = [
    "QUANTITIES",
    "Unit",
    "canonical_unit",
    "from_canonical",
    "lookup_unit",
    "quantity_of",
    "to_canonical",
    "units_for",
]

ArrayOrFloat = TypeVar("ArrayOrFloat", float, npt.NDArray[np.float64])

_G0 = 9.80665  # standard gravity [m/s²]; 1 m H₂O = ρ·g·1 m = 9.80665 kPa at ρ = 1000 kg/m³


@dataclass(frozen=True)
class Unit:
    """A unit of a quantity, defined by its affine map to the canonical unit.

    ``canonical = value * factor + offset``.

    Parameters
    ----------
    symbol : str
        The preferred spelling of the unit.
    quantity : str
        The quantity it measures (a key of :data:`QUANTITIES`).
    factor : float
        Multiplier to the canonical unit.
    offset : float
        Additive term after multiplication (temperatures only).
    """

    symbol: str
    quantity: str
    factor: float = 1.0
    offset: float = 0.0


_Spec = tuple[tuple[str, ...], float] | tuple[tuple[str, ...], float, float]

# quantity -> ((spellings, factor[, offset]), ...); the first spelling of factor 1 is canonical.
_SPECS: dict[str, tuple[_Spec, ...]] = {
    "volume": (
        (("m³", "m3", "kL", "t", "吨"), 1.0),
        (("L", "l", "升"), 1e-3),
        (("ML",), 1e3),
        (("万m³", "万m3", "万吨"), 1e4),
    ),
    "flow_rate": (
        (("m³/h", "m3/h", "t/h"), 1.0),
        (("m³/s", "m3/s"), 3600.0),
        (("m³/d", "m3/d", "t/d"), 1 / 24),
        (("L/s", "l/s"), 3.6),
        (("L/min", "l/min"), 0.06),
        (("L/h", "l/h"), 1e-3),
    ),
    "pressure": (
        (("kPa",), 1.0),
        (("Pa",), 1e-3),
        (("MPa",), 1e3),
        (("bar",), 100.0),
        (("mbar",), 0.1),
        (("m", "mH2O", "mH₂O"), _G0),
        (("psi",), 6.894757293168361),
    ),
    "level": ((("m",), 1.0), (("cm",), 1e-2), (("mm",), 1e-3)),
    "temperature": ((("°C", "degC", "C", "℃"), 1.0), (("K",), 1.0, -273.15)),
    "ph": ((("pH",), 1.0),),
    "conductivity": (
        (("µS/cm", "μS/cm", "uS/cm", "us/cm"), 1.0),
        (("mS/cm",), 1e3),
        (("mS/m",), 10.0),
        (("S/m",), 1e4),
    ),
    "turbidity": ((("NTU", "FNU"), 1.0),),
    "concentration": (
        (("mg/L", "mg/l", "g/m³", "g/m3", "ppm"), 1.0),
        (("µg/L", "μg/L", "ug/L"), 1e-3),
        (("g/L", "g/l"), 1e3),
    ),
    "fluorescence": ((("ppb",), 1.0),),
    "energy": (
        (("kWh",), 1.0),
        (("Wh",), 1e-3),
        (("MWh",), 1e3),
        (("MJ",), 1 / 3.6),
        (("GJ",), 1e3 / 3.6),
    ),
    "mass": ((("t",), 1.0), (("kg",), 1e-3)),
    "money": ((("CNY", "元"), 1.0), (("万元", "10^4 CNY", "10⁴ CNY"), 1e4), (("亿元",), 1e8)),
}

_TABLE: dict[str, dict[str, Unit]] = {}
for _quantity, _specs in _SPECS.items():
    _TABLE[_quantity] = {}
    for _spellings, _factor, *_rest in _specs:
        _unit = Unit(_spellings[0], _quantity, _factor, _rest[0] if _rest else 0.0)
        _TABLE[_quantity].update(dict.fromkeys(_spellings, _unit))

QUANTITIES: dict[str, str] = {q: _specs[0][0][0] for q, _specs in _SPECS.items()}
"""Canonical unit symbol of every quantity."""


def lookup_unit(symbol: str, quantity: str) -> Unit:
    """Return the :class:`Unit` spelled ``symbol`` for ``quantity``.

    Parameters
    ----------
    symbol : str
        A unit spelling, e.g. ``"m3/h"``.
    quantity : str
        The quantity the unit must measure, e.g. ``"flow_rate"``.

    Returns
    -------
    Unit

    Raises
    ------
    UnitError
        If the quantity is unknown, or the unit is not one of its units.

    Examples
    --------
    >>> lookup_unit("L/s", "flow_rate").factor
    3.6
    """
    units = _TABLE.get(quantity)
    if units is None:
        raise UnitError(f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")
    unit = units.get(symbol.strip()) if isinstance(symbol, str) else None
    if unit is None:
        raise UnitError(
            f"{symbol!r} is not a unit of {quantity}; use one of {', '.join(units_for(quantity))}"
        )
    return unit


def units_for(quantity: str) -> list[str]:
    """Return every accepted spelling of the units of ``quantity``.

    Parameters
    ----------
    quantity : str

    Returns
    -------
    list of str
        Canonical spelling first.
    """
    if quantity not in _TABLE:
        raise UnitError(f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")
    return list(_TABLE[quantity])


def canonical_unit(quantity: str) -> str:
    """Return the canonical unit symbol of ``quantity``.

    Examples
    --------
    >>> canonical_unit("flow_rate")
    'm³/h'
    """
    if quantity not in QUANTITIES:
        raise UnitError(f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")
    return QUANTITIES[quantity]


def quantity_of(symbol: str) -> list[str]:
    """Return the quantities that ``symbol`` can measure (``"m"``: level and pressure head)."""
    return [q for q, units in _TABLE.items() if symbol in units]


def to_canonical(value: ArrayOrFloat, unit: str, quantity: str) -> ArrayOrFloat:
    """Convert ``value`` from ``unit`` to the canonical unit of ``quantity``.

    Parameters
    ----------
    value : float or numpy.ndarray
        Value(s) in ``unit``.
    unit : str
        Unit of ``value``.
    quantity : str
        The quantity measured.

    Returns
    -------
    float or numpy.ndarray
        Value(s) in :func:`canonical_unit` of ``quantity``.

    Examples
    --------
    >>> to_canonical(2.0, "L/s", "flow_rate")
    7.2
    >>> round(to_canonical(10.0, "m", "pressure"), 4)
    98.0665
    """
    u = lookup_unit(unit, quantity)
    return value * u.factor + u.offset


def from_canonical(value: ArrayOrFloat, unit: str, quantity: str) -> ArrayOrFloat:
    """Convert ``value`` from the canonical unit of ``quantity`` to ``unit``.

    Examples
    --------
    >>> from_canonical(7.2, "L/s", "flow_rate")
    2.0
    """
    u = lookup_unit(unit, quantity)
    return (value - u.offset) / u.factor
