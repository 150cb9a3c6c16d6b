"""Register maps: decoding against pymodbus's own codec and against manuals' worked examples; the map files."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from shuixiao.errors import ConfigurationError, InvalidInputError
from shuixiao.field.maps import DataType, Point, StatusWord, decode_registers, load_register_maps
from shuixiao.model import METER_KIND_QUANTITIES

from ._servers import encode

pytestmark = pytest.mark.unit

VALUES = {
    "uint16": [0, 1, 555, 0x8000, 65535],
    "int16": [-32768, -1, 0, 1, 32767],
    "uint32": [0, 226_794, 0x12345678, 2**32 - 1],
    "int32": [-(2**31), -123_456_789, -1, 0, 2**31 - 1],
    "uint64": [0, 2**53, 0x0102030405060708, 2**64 - 1],
    "int64": [-(2**63), -(2**53), -1, 0, 2**62 + 2**40],
    "float32": [0.0, 1.0, -1.0, 55.32, 6.10383, 3.4e38, -1.5e-38, math.inf],
    "float64": [0.0, -2.5, 123_456.789, 1e300, -5e-324, -math.inf],
}
ORDERS = [("big", "big"), ("big", "little"), ("little", "big"), ("little", "little")]


def _expected(value: float, data_type: str) -> float:
    """What the registers can hold: float32 rounds; integers come back as floats."""
    if data_type == "float32":
        return float(struct.unpack(">f", struct.pack(">f", value))[0])
    return float(value)


@pytest.mark.parametrize("data_type", list(VALUES))
@pytest.mark.parametrize(("byte_order", "word_order"), ORDERS)
def test_every_type_and_order_round_trips_through_pymodbus_encoding(
    data_type: str, byte_order: str, word_order: str
) -> None:
    kind = DataType(data_type)
    for value in VALUES[data_type]:
        registers = encode(value, data_type, byte_order, word_order)
        assert len(registers) == kind.registers
        got = decode_registers(registers, kind, byte_order, word_order)  # type: ignore[arg-type]
        assert got == _expected(value, data_type), (value, registers)


@pytest.mark.parametrize("data_type", list(VALUES))
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_decoding_agrees_with_pymodbus_decoder(data_type: str, word_order: str) -> None:
    kind = getattr(ModbusTcpClient.DATATYPE, data_type.upper())
    for value in VALUES[data_type]:
        registers = encode(value, data_type, "big", word_order)
        theirs = ModbusTcpClient.convert_from_registers(registers, kind, word_order=word_order)  # type: ignore[arg-type]
        assert decode_registers(registers, DataType(data_type), "big", word_order) == float(theirs)  # type: ignore[arg-type]


# Siemens, "SITRANS F M MAG 5000/6000 ... Modbus RTU RS-485", SFIDK.PS.023.D2.02, Appendix H Float definition:
# IEEE 754, big-endian, register N high and low byte then register N+1.
SIEMENS_TABLE = [
    (100.0, [0x42C8, 0x0000]),
    (55.32, [0x425D, 0x47AE]),
    (2.0, [0x4000, 0x0000]),
    (1.0, [0x3F80, 0x0000]),
    (-1.0, [0xBF80, 0x0000]),
]


@pytest.mark.parametrize(("value", "registers"), SIEMENS_TABLE)
def test_siemens_manual_float_table(value: float, registers: list[int]) -> None:
    assert decode_registers(registers, DataType.FLOAT32) == pytest.approx(value, rel=1e-7)
    assert encode(value, "float32") == registers  # the manual and pymodbus agree


def test_siemens_manual_read_example() -> None:
    # Same manual: "Read absolute massflow (4:03001) ... Response: 01,03,04,40,C3,52,93,62,C8 = 6.10383 kg/s".
    response = bytes.fromhex("01030440C3529362C8")
    data = response[3 : 3 + response[2]]
    registers = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    assert decode_registers(registers, DataType.FLOAT32) == pytest.approx(6.10383, abs=5e-6)


def test_modbus_specification_register_example() -> None:
    # MODBUS Application Protocol V1.1b3, §6.3: "register 108 ... 02 2B hex, or 555 decimal".
    assert decode_registers([0x022B], DataType.UINT16) == 555.0


def test_onicon_scaled_long_example() -> None:
    # ONICON F-3100-MOD installation guide, §2.1: displayed 226.794, register value 226794, multiplier 0.001;
    # the low-order word on the odd (first) register.  226794 = 0x0003_75EA, computed by hand.
    point = Point(
        quantity="volume",
        unit="m³",
        kind="totalizer",
        address=4,
        type="uint32",
        word_order="little",
        scale=0.001,
    )
    assert point.value([0x75EA, 0x0003]) == pytest.approx(226.794, abs=1e-12)


@pytest.mark.parametrize(
    ("byte_order", "word_order", "registers"),
    [
        ("big", "big", [0x1234, 0x5678]),  # ABCD
        ("big", "little", [0x5678, 0x1234]),  # CDAB
        ("little", "big", [0x3412, 0x7856]),  # BADC
        ("little", "little", [0x7856, 0x3412]),  # DCBA
    ],
)
def test_the_four_orders_of_a_hand_computed_uint32(
    byte_order: str, word_order: str, registers: list[int]
) -> None:
    assert decode_registers(registers, DataType.UINT32, byte_order, word_order) == float(0x12345678)  # type: ignore[arg-type]
    assert encode(0x12345678, "uint32", byte_order, word_order) == registers


def test_decoding_refuses_wrong_input() -> None:
    with pytest.raises(InvalidInputError, match="float64 takes 4 registers, got 2"):
        decode_registers([0, 0], DataType.FLOAT64)
    with pytest.raises(InvalidInputError, match="outside 0–65535"):
        decode_registers([70_000], DataType.UINT16)


def test_point_value_scale_offset_fraction_and_quality() -> None:
    level = Point(quantity="level", unit="m", kind="level", address=0, type="int16", scale=0.01, offset=-0.5)
    assert level.value([250]) == pytest.approx(2.0)
    tuf = load_register_maps()["tuf-2000m"].points["totalizer"]
    integer = encode(12_345, "int32", "big", "little")
    fraction = encode(0.625, "float32", "big", "little")
    assert tuf.value(integer, fraction) == 12_345.625
    assert tuf.spans == [(8, 2), (10, 2)]
    ranged = Point(
        quantity="pressure",
        unit="MPa",
        kind="pressure",
        address=4,
        type="int16",
        measuring_range=(0.0, 1.6),
        status=StatusWord(address=9, bad_mask=0x0001, suspect_mask=0x0002),
    )
    assert ranged.quality(0.4, 0) == "good"
    assert ranged.quality(1.7, 0) == "suspect"
    assert ranged.quality(0.4, 0x0002) == "suspect"
    assert ranged.quality(0.4, 0x0003) == "bad"
    assert ranged.quality(math.nan) == "suspect"


def test_points_refuse_impossible_definitions() -> None:
    with pytest.raises(ValueError, match="not a unit of volume"):
        Point(quantity="volume", unit="kg", kind="totalizer", address=0, type="uint32")
    with pytest.raises(ValueError, match="runs past the last address"):
        Point(quantity="volume", unit="m³", kind="totalizer", address=65_534, type="float64")
    with pytest.raises(ValueError, match="scale must be a finite number other than 0"):
        Point(quantity="volume", unit="m³", kind="totalizer", address=0, type="uint32", scale=0)
    with pytest.raises(ValueError, match="low < high"):
        Point(quantity="level", unit="m", kind="level", address=0, type="int16", measuring_range=(2, 1))


def test_shipped_maps_are_complete() -> None:
    maps = load_register_maps()
    real = [key for key, model in maps.items() if not model.example]
    assert len(real) >= 3 and any(m.example for m in maps.values())
    kinds = " ".join(maps[key].kind for key in real)
    assert "electromagnetic" in kinds and "ultrasonic" in kinds and "level" in kinds
    for key, model in maps.items():
        assert model.source and model.name, key
        for name, point in model.points.items():
            assert point.quantity in METER_KIND_QUANTITIES[point.kind], (key, name)
    mag = maps["siemens-sitrans-fm-mag6000"].points
    assert (mag["flow"].address, mag["flow"].unit, mag["flow"].type) == (3002, "m³/s", DataType.FLOAT32)
    assert (mag["totalizer"].address, mag["totalizer"].type) == (3014, DataType.FLOAT64)
    magflux = maps["xylem-magflux"].points["totalizer"]
    assert (magflux.type, magflux.word_order, magflux.scale) == (DataType.UINT64, "little", 1e-9)
    assert maps["aquaread-leveline-ctd"].points["pressure"].register_type == "input"


def test_a_map_file_adds_and_replaces_models(tmp_path: Path) -> None:
    path = tmp_path / "maps.yaml"
    path.write_text(
        "version: 1\nmodels:\n  plant-flow:\n    name: Plant flow meter\n    kind: flow\n    source: our manual\n"
        "    word_order: little\n    points:\n      flow: {quantity: flow_rate, unit: L/s, kind: rate, address: 10,"
        " type: float32}\n  tuf-2000m:\n    name: replaced\n    kind: k\n    source: s\n    points:\n"
        "      flow: {quantity: flow_rate, unit: m3/h, kind: rate, address: 0, type: float32}\n",
        encoding="utf-8",
    )
    maps = load_register_maps(path)
    assert maps["plant-flow"].points["flow"].word_order == "little"
    assert maps["tuf-2000m"].name == "replaced" and "siemens-sitrans-fm-mag6000" in maps


def test_map_file_problems_are_listed_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\nmodels:\n  x:\n    name: X\n    kind: k\n    source: s\n    points:\n      flow:\n"
        "        quantity: flow_rate\n        unit: m³/h\n        kind: rate\n        address: 70000\n"
        "        type: float33\n        colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        load_register_maps(path)
    text = str(caught.value)
    assert "3 problems" in text
    assert "line 12, models.x.points.flow.address: Input should be less than or equal to 65535" in text
    assert "line 13, models.x.points.flow.type" in text
    assert "line 14, models.x.points.flow.colour: unknown key" in text
    path.write_text("version: 1\nmodels: [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_register_maps(path)
    with pytest.raises(ConfigurationError, match="cannot read register map file"):
        load_register_maps(tmp_path / "missing.yaml")
