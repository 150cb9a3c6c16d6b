"""Tests of shuixiao.units: canonical units and conversions at the boundary."""

import math

import numpy as np
import pytest

from shuixiao.errors import UnitError
from shuixiao.units import (
    QUANTITIES,
    canonical_unit,
    from_canonical,
    lookup_unit,
    quantity_of,
    to_canonical,
    units_for,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "unit", "quantity", "expected"),
    [
        (1.0, "m³/s", "flow_rate", 3600.0),
        (1.0, "L/s", "flow_rate", 3.6),
        (24.0, "m3/d", "flow_rate", 1.0),
        (1.0, "t/h", "flow_rate", 1.0),  # 1 t of water per hour = 1 m³/h (吨水)
        (1.0, "万m³", "volume", 1e4),
        (1500.0, "L", "volume", 1.5),
        (0.4, "MPa", "pressure", 400.0),
        (2.5, "bar", "pressure", 250.0),
        # 1 m H₂O = ρ·g·h = 1000 kg/m³ × 9.80665 m/s² × 1 m = 9806.65 Pa (BIPM SI Brochure, conventional value)
        (1.0, "m", "pressure", 9.80665),
        (300.0, "cm", "level", 3.0),
        (273.15, "K", "temperature", 0.0),
        (1.2, "mS/cm", "conductivity", 1200.0),
        (5.0, "µg/L", "concentration", 0.005),
        (1.0, "GJ", "energy", 277.77777777777777),
        (1.0, "万元", "money", 1e4),
        (500.0, "kg", "mass", 0.5),
    ],
)
def test_to_canonical(value: float, unit: str, quantity: str, expected: float) -> None:
    assert to_canonical(value, unit, quantity) == pytest.approx(expected, rel=1e-12)
    assert from_canonical(expected, unit, quantity) == pytest.approx(value, rel=1e-12)


def test_array_and_nan_pass_through() -> None:
    values = np.array([1.0, np.nan, 2.0])
    out = to_canonical(values, "L/s", "flow_rate")
    assert out[0] == pytest.approx(3.6)
    assert math.isnan(out[1])
    assert out[2] == pytest.approx(7.2)


def test_psi_matches_nist_conversion() -> None:
    # NIST SP 811, Appendix B.8: 1 psi = 6.894 757 E+03 Pa
    assert to_canonical(1.0, "psi", "pressure") == pytest.approx(6.894757, rel=1e-6)


def test_same_spelling_in_two_quantities() -> None:
    assert lookup_unit("m", "level").factor == 1.0
    assert lookup_unit("m", "pressure").factor == pytest.approx(9.80665)
    assert sorted(quantity_of("t")) == ["mass", "volume"]


def test_wrong_unit_for_quantity_names_the_choices() -> None:
    with pytest.raises(UnitError, match=r"'m3' is not a unit of flow_rate; use one of m³/h"):
        lookup_unit("m3", "flow_rate")


def test_unknown_quantity() -> None:
    with pytest.raises(UnitError, match="unknown quantity 'speed'"):
        canonical_unit("speed")
    with pytest.raises(UnitError):
        units_for("speed")
    with pytest.raises(UnitError):
        lookup_unit("m", "speed")


def test_every_quantity_has_its_canonical_unit_first() -> None:
    for quantity, symbol in QUANTITIES.items():
        assert units_for(quantity)[0] == symbol
        assert lookup_unit(symbol, quantity).factor == 1.0
        assert lookup_unit(symbol, quantity).offset == 0.0


def test_unit_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        to_canonical(1.0, "furlong", "level")
