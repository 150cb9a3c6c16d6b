"""Modbus register maps: where a meter model keeps each value, and how to decode it.

A **register map** describes one meter model: for each **point** (``flow``,
``totalizer``, ...) the register type and address, the data type, the byte
and word order, and the scale and offset that turn the raw number into a
value in the point's unit.  The shipped maps live in the versioned data file
``shuixiao/data/modbus_maps.yaml``; :func:`load_register_maps` reads them and
any file in the same layout (see ``docs/agent.md``).

Decoding (:func:`decode_registers`) is pure: a list of 16-bit register
values in, a number out.  Modbus sends each register most significant byte
first [1]_, but leaves the order of the registers of a 32- or 64-bit value to
the device [2]_:

===========  ===========  ===========================  =================
byte_order   word_order   registers of 0x4142_4344     common name
===========  ===========  ===========================  =================
big          big          ``0x4142, 0x4344``           ABCD
big          little       ``0x4344, 0x4142``           CDAB (Modicon)
little       big          ``0x4241, 0x4443``           BADC
little       little       ``0x4443, 0x4241``           DCBA
===========  ===========  ===========================  =================

References
----------
.. [1] Modbus Organization, "MODBUS Application Protocol Specification
   V1.1b3", 2012, §4.2 (big-endian data encoding).
.. [2] Modbus-IDA, "MODBUS Messaging on TCP/IP Implementation Guide V1.0b",
   2006; Open Modbus/TCP Specification, Release 1.0 (least significant
   register first for 32-bit values).
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shuixiao.errors import ConfigurationError, InvalidInputError, UnitError
from shuixiao.field._yaml import read_document, validate
from shuixiao.model import MeterKind
from shuixiao.units import lookup_unit

__all__ = [
    "MAX_READ",
    "DataType",
    "Fraction",
    "Point",
    "RegisterMap",
    "StatusWord",
    "decode_registers",
    "load_register_maps",
]

Order = Literal["big", "little"]
RegisterType = Literal["holding", "input"]

MAX_READ = 125
"""Most registers one read request may ask for (Modbus Application Protocol V1.1b3, §6.3)."""


class DataType(enum.StrEnum):
    """Data types of register values, with the number of registers each takes."""

    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    UINT64 = "uint64"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def registers(self) -> int:
        """Number of 16-bit registers the type takes.

        Examples
        --------
        >>> DataType.FLOAT64.registers
        4
        """
        return struct.calcsize(_FORMATS[self]) // 2


_FORMATS = {
    DataType.UINT16: "H",
    DataType.INT16: "h",
    DataType.UINT32: "I",
    DataType.INT32: "i",
    DataType.UINT64: "Q",
    DataType.INT64: "q",
    DataType.FLOAT32: "f",
    DataType.FLOAT64: "d",
}


def decode_registers(
    registers: Sequence[int], data_type: DataType, byte_order: Order = "big", word_order: Order = "big"
) -> float:
    """Decode the registers of one value.

    Parameters
    ----------
    registers : sequence of int
        The register values as read, first address first; each 0–65535.
    data_type : DataType
        What the registers hold; ``len(registers)`` must be ``data_type.registers``.
    byte_order : {'big', 'little'}
        Order of the two bytes within each register (see the module documentation).
    word_order : {'big', 'little'}
        Order of the registers: ``big`` when the most significant comes first.

    Returns
    -------
    float
        The value; integers are exact up to 2⁵³ (larger ``uint64`` and ``int64`` values
        are rounded to the nearest float).

    Raises
    ------
    InvalidInputError
        If the number of registers does not fit the type, or a register is out of range.

    Examples
    --------
    Siemens SITRANS F Modbus RTU manual, Appendix H: registers 40C3 5293 hex
    are 6.10383 kg/s in big-endian order.

    >>> round(decode_registers([0x40C3, 0x5293], DataType.FLOAT32), 5)
    6.10383
    >>> decode_registers([0x0000, 0x42C8], DataType.FLOAT32, word_order="little")
    100.0
    >>> decode_registers([0xFFFF], DataType.INT16)
    -1.0
    """
    width = data_type.registers
    if len(registers) != width:
        raise InvalidInputError(f"{data_type} takes {width} registers, got {len(registers)}")
    for register in registers:
        if not 0 <= register <= 0xFFFF:
            raise InvalidInputError(f"register value {register} is outside 0–65535")
    words = list(registers) if word_order == "big" else list(reversed(registers))
    raw = b"".join(word.to_bytes(2, byte_order) for word in words)
    value: int | float = struct.unpack(">" + _FORMATS[data_type], raw)[0]
    return float(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Fraction(_Strict):
    """Registers holding the fractional part of a value whose integer part is a point's main registers.

    Parameters
    ----------
    address : int
        PDU address of the first register.
    type : DataType
        Usually ``float32``.
    """

    address: int = Field(ge=0, le=0xFFFF)
    type: DataType


class StatusWord(_Strict):
    """A 16-bit status register whose bits flag a reading ``bad`` or ``suspect``.

    Parameters
    ----------
    address : int
        PDU address.
    register_type : {'holding', 'input'}, optional
        Register type (key ``register``); the point's when omitted.
    bad_mask, suspect_mask : int
        A reading is ``bad`` when ``status & bad_mask`` is not zero, else
        ``suspect`` when ``status & suspect_mask`` is not zero.
    """

    address: int = Field(ge=0, le=0xFFFF)
    register_type: RegisterType | None = Field(default=None, alias="register")
    bad_mask: int = Field(default=0, ge=0, le=0xFFFF)
    suspect_mask: int = Field(default=0, ge=0, le=0xFFFF)

    def quality(self, status: int) -> str:
        """Return the quality flag the status word ``status`` gives: ``bad``, ``suspect`` or ``good``.

        Examples
        --------
        >>> StatusWord(address=0, bad_mask=0x0001, suspect_mask=0x0006).quality(0x0004)
        'suspect'
        """
        if status & self.bad_mask:
            return "bad"
        if status & self.suspect_mask:
            return "suspect"
        return "good"


class Point(_Strict):
    """One value of a meter model: where it is, how it is encoded, and what it measures.

    Parameters
    ----------
    quantity : str
        A quantity of :mod:`shuixiao.units`, e.g. ``flow_rate``.
    unit : str
        Unit of the decoded value (after ``scale`` and ``offset``); a unit of ``quantity``.
    kind : MeterKind
        Totalizer, rate, quality, pressure or level.
    register_type : {'holding', 'input'}
        Read with function 3 (holding) or 4 (input); key ``register`` in files.
    address : int
        PDU address of the first register (zero-based, as in the request).
    type : DataType
    byte_order, word_order : {'big', 'little'}
        See the module documentation.
    scale, offset : float
        ``value = (raw + fraction) × scale + offset``. [unit per raw count], [unit]
    fraction : Fraction, optional
        Fractional part of a totalizer split over two register groups.
    status : StatusWord, optional
        Status register flagging readings ``bad`` or ``suspect``.
    measuring_range : tuple of float, optional
        ``(low, high)`` in ``unit``; a value outside is flagged ``suspect``. [unit]
    description : str
    """

    quantity: str
    unit: str
    kind: MeterKind
    register_type: RegisterType = Field(default="holding", alias="register")
    address: int = Field(ge=0, le=0xFFFF)
    type: DataType
    byte_order: Order = "big"
    word_order: Order = "big"
    scale: float = 1.0
    offset: float = 0.0
    fraction: Fraction | None = None
    status: StatusWord | None = None
    measuring_range: tuple[float, float] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Point:
        try:
            lookup_unit(self.unit, self.quantity)
        except UnitError as err:
            raise ValueError(str(err)) from None
        if self.address + self.type.registers > 0x10000:
            raise ValueError(f"a {self.type} at address {self.address} runs past the last address 65535")
        if not (math.isfinite(self.scale) and math.isfinite(self.offset)) or self.scale == 0:
            raise ValueError("scale must be a finite number other than 0, offset a finite number")
        if self.measuring_range is not None and not self.measuring_range[0] < self.measuring_range[1]:
            raise ValueError("measuring_range is [low, high] with low < high")
        return self

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The (address, count) groups of registers the value needs, main registers first."""
        groups = [(self.address, self.type.registers)]
        if self.fraction is not None:
            groups.append((self.fraction.address, self.fraction.type.registers))
        return groups

    def value(self, main: Sequence[int], fraction: Sequence[int] = ()) -> float:
        """Return the value in :attr:`unit` from the registers read.

        Parameters
        ----------
        main : sequence of int
            The point's main registers.
        fraction : sequence of int
            The fraction registers, when the point has a :attr:`fraction`.

        Examples
        --------
        >>> p = Point(quantity="volume", unit="m³", kind="totalizer", address=0, type="int32",
        ...           word_order="little", fraction={"address": 2, "type": "float32"})
        >>> p.value([1234, 0], [0x0000, 0x3F00])  # 1234 + 0.5
        1234.5
        """
        raw = decode_registers(main, self.type, self.byte_order, self.word_order)
        if self.fraction is not None:
            raw += decode_registers(fraction, self.fraction.type, self.byte_order, self.word_order)
        return raw * self.scale + self.offset

    def quality(self, value: float, status: int | None = None) -> str:
        """Return the quality flag of a decoded value, from the status word and the measuring range."""
        flag = "good" if status is None or self.status is None else self.status.quality(status)
        if flag == "good" and self.measuring_range is not None:
            low, high = self.measuring_range
            if not low <= value <= high:
                return "suspect"
        return flag


class RegisterMap(_Strict):
    """The register map of one meter model.

    Parameters
    ----------
    name : str
        Model name as the manufacturer gives it.
    kind : str
        The instrument, e.g. ``电磁流量计 electromagnetic flow meter``.
    manufacturer : str
    source : str
        The manual (title, edition, tables) the map was taken from.
    example : bool
        True for an illustration of the format rather than a real model.
    notes : str
        What to check on the device before relying on the map.
    points : dict of Point
        By point name.
    """

    name: str
    kind: str
    manufacturer: str = ""
    source: str
    example: bool = False
    notes: str = ""
    points: dict[str, Point] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """Apply the model-level ``register``, ``byte_order`` and ``word_order`` to every point."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        defaults = {k: data.pop(k) for k in ("register", "byte_order", "word_order") if k in data}
        points = data.get("points")
        if isinstance(points, Mapping):
            data["points"] = {
                name: {**defaults, **point} if isinstance(point, Mapping) else point
                for name, point in points.items()
            }
        return data


class _MapsFile(_Strict):
    version: int = Field(ge=1)
    models: dict[str, RegisterMap]

    @field_validator("models")
    @classmethod
    def _keys(cls, models: dict[str, RegisterMap]) -> dict[str, RegisterMap]:
        for key in models:
            if not key or any(c.isspace() for c in key):
                raise ValueError(f"model key {key!r} must be a word without spaces")
        return models


def load_register_maps(*paths: str | Path) -> dict[str, RegisterMap]:
    """Return the shipped register maps, extended (and overridden) by the files given.

    Parameters
    ----------
    *paths : str or pathlib.Path
        Further map files in the layout of ``shuixiao/data/modbus_maps.yaml``;
        a model key defined again replaces the earlier definition.

    Returns
    -------
    dict of RegisterMap
        By model key.

    Raises
    ------
    ConfigurationError
        If a file cannot be read or has problems; every problem is listed with its line.

    Examples
    --------
    >>> maps = load_register_maps()
    >>> maps["siemens-sitrans-fm-mag6000"].points["flow"].address
    3002
    """
    shipped = resources.files("shuixiao.data").joinpath("modbus_maps.yaml")
    documents = [(str(shipped), shipped.read_text(encoding="utf-8"))]
    for path in paths:
        try:
            documents.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as err:
            raise ConfigurationError(f"cannot read register map file {path}: {err.strerror or err}") from err
    maps: dict[str, RegisterMap] = {}
    for name, text in documents:
        data, root = read_document(text, name)
        maps.update(validate(_MapsFile, data, root, name).models)
    return maps
