"""Physical limits per quantity, read from the versioned data file ``shuixiao/data/plausibility.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shuixiao.errors import InvalidInputError, UnitError
from shuixiao.units import QUANTITIES, canonical_unit, to_canonical

__all__ = ["Bound", "PhysicalLimits", "load_limits"]

_CONFIDENCE = frozenset({"definition", "high", "medium", "low"})


@dataclass(frozen=True)
class Bound:
    """One side of a physical limit.

    Parameters
    ----------
    value : float
        The bound in the canonical unit of the quantity, inclusive. [canonical unit]
    units : str
        The canonical unit of ``value``.
    source : str
        Why the bound holds.
    confidence : str
        ``definition``, ``high``, ``medium`` or ``low``.
    """

    value: float
    units: str
    source: str
    confidence: str


@dataclass(frozen=True)
class PhysicalLimits:
    """Bounds outside which a reading of a quantity is physically impossible.

    Parameters
    ----------
    version : int
        Version of the data file the limits come from.
    minimum, maximum : dict
        Bound per quantity (keys of :data:`shuixiao.units.QUANTITIES`); a
        quantity without a key has no bound on that side.
    """

    version: int
    minimum: dict[str, Bound]
    maximum: dict[str, Bound]

    def problem(self, quantity: str, value: float) -> str | None:
        """Return why ``value`` (canonical unit) is impossible for ``quantity``, or None if it is possible.

        Examples
        --------
        >>> limits = load_limits()
        >>> limits.problem("ph", 7.2) is None
        True
        >>> limits.problem("ph", 15.0)  # doctest: +ELLIPSIS
        'pH 15 is above 14 pH, the largest physically possible value ...'
        """
        low = self.minimum.get(quantity)
        if low is not None and value < low.value:
            return _message(quantity, value, low, "below", "smallest")
        high = self.maximum.get(quantity)
        if high is not None and value > high.value:
            return _message(quantity, value, high, "above", "largest")
        return None


def _message(quantity: str, value: float, bound: Bound, side: str, extreme: str) -> str:
    name = "pH" if quantity == "ph" else quantity.replace("_", " ")
    return (
        f"{name} {value:g} is {side} {bound.value:g} {bound.units}, the {extreme} physically possible value "
        f"({bound.source}); check the sensor, its unit and its scaling"
    )


def load_limits(path: str | Path | None = None) -> PhysicalLimits:
    """Read the physical limits from ``path``, or from the file shipped with shuixiao.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A YAML file in the layout of ``shuixiao/data/plausibility.yaml``.

    Returns
    -------
    PhysicalLimits
        Bounds converted to canonical units.

    Raises
    ------
    InvalidInputError
        If the file is not in that layout (unknown quantity, unit of the
        wrong quantity, missing source, ...); the message names the entry.
    """
    if path is None:
        text = resources.files("shuixiao.data").joinpath("plausibility.yaml").read_text("utf-8")
        where = "shuixiao/data/plausibility.yaml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as err:
            raise InvalidInputError(f"cannot read the limits file {where}: {err.strerror}") from err
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInputError(f"{where} is not YAML: {err}") from err
    if not isinstance(document, dict) or not isinstance(document.get("limits"), dict):
        raise InvalidInputError(f"{where} needs a `version` and a `limits` mapping")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInputError(f"{where}: `version` must be a whole number")
    minimum: dict[str, Bound] = {}
    maximum: dict[str, Bound] = {}
    for quantity, sides in document["limits"].items():
        if quantity not in QUANTITIES:
            raise InvalidInputError(
                f"{where}: limits.{quantity}: unknown quantity; use one of {', '.join(QUANTITIES)}"
            )
        if not isinstance(sides, dict) or not sides or not set(sides) <= {"minimum", "maximum"}:
            raise InvalidInputError(f"{where}: limits.{quantity} needs `minimum` and/or `maximum`")
        for side, entry in sides.items():
            bound = _bound(entry, quantity, f"{where}: limits.{quantity}.{side}")
            (minimum if side == "minimum" else maximum)[quantity] = bound
    return PhysicalLimits(version, minimum, maximum)


def _bound(entry: Any, quantity: str, where: str) -> Bound:
    if not isinstance(entry, dict) or not {"value", "units", "source", "confidence"} <= entry.keys():
        raise InvalidInputError(f"{where} needs value, units, source and confidence")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{where}.value must be a number, not {value!r}")
    if entry["confidence"] not in _CONFIDENCE:
        raise InvalidInputError(f"{where}.confidence must be one of {', '.join(sorted(_CONFIDENCE))}")
    if not isinstance(entry["source"], str) or not entry["source"].strip():
        raise InvalidInputError(f"{where}.source must say why the bound holds")
    try:
        canonical = float(to_canonical(float(value), str(entry["units"]), quantity))
    except UnitError as err:
        raise InvalidInputError(f"{where}.units: {err}") from err
    return Bound(canonical, canonical_unit(quantity), entry["source"].strip(), entry["confidence"])
