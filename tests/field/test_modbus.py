"""Modbus TCP polling against a real pymodbus server on loopback: values, changes, exceptions, timeouts, restarts."""

from __future__ import annotations

import math

import pytest
from pymodbus.constants import ExcCodes

from shuixiao.errors import InvalidInputError
from shuixiao.field.maps import Point, RegisterMap, load_register_maps
from shuixiao.field.modbus import ModbusEndpoint, ModbusError, read_point

from ._servers import ModbusSimulator, encode

pytestmark = pytest.mark.integration

MAPS = load_register_maps()


def _put(simulator: ModbusSimulator, unit: int, point: Point, value: float, fraction: float = 0.0) -> None:
    """Write ``value`` into the simulated device as ``point`` encodes it (before scale and offset)."""
    raw = (value - point.offset) / point.scale - fraction
    if "int" in point.type.value:
        raw = round(raw)
    simulator.units[unit].set(
        point.register_type, point.address, encode(raw, point.type.value, point.byte_order, point.word_order)
    )
    if point.fraction is not None:
        simulator.units[unit].set(
            point.register_type,
            point.fraction.address,
            encode(fraction, point.fraction.type.value, point.byte_order, point.word_order),
        )


@pytest.fixture
def endpoint(modbus: ModbusSimulator) -> ModbusEndpoint:
    endpoint = ModbusEndpoint("127.0.0.1", modbus.port, timeout=0.5, retries=1)
    yield endpoint
    endpoint.close()


CASES = [
    ("siemens-sitrans-fm-mag6000", "flow", 0.0425),
    ("siemens-sitrans-fm-mag6000", "totalizer", 18_564_588.625),
    ("xylem-magflux", "flow", 0.125),
    ("xylem-magflux", "totalizer", 123_456.789_012_345),
    ("tuf-2000m", "flow", 152.75),
    ("aquaread-leveline-ctd", "temperature", -3.25),
    ("aquaread-leveline-ctd", "pressure", 1234.5),
    ("aquaread-leveline-ctd", "conductivity", 1520.0),
    ("example-pressure-transmitter", "pressure", 0.452),
]


@pytest.mark.parametrize(("model", "name", "value"), CASES)
def test_each_shipped_point_reads_what_the_device_holds(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint, model: str, name: str, value: float
) -> None:
    point = MAPS[model].points[name]
    _put(modbus, 1, point, value)
    taken = read_point(endpoint, 1, point)
    assert taken.value == pytest.approx(value, rel=1e-6)
    assert taken.quality == "good"


def test_the_totalizer_with_a_fraction_is_read_in_one_request(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint
) -> None:
    point = MAPS["tuf-2000m"].points["totalizer"]
    _put(modbus, 1, point, 20_117.375, fraction=0.375)
    before = modbus.units[1].requests
    assert read_point(endpoint, 1, point).value == 20_117.375
    assert modbus.units[1].requests == before + 1  # registers 8–11 in one read


def test_values_changed_on_the_device_are_read_over_one_connection(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint
) -> None:
    mag: RegisterMap = MAPS["siemens-sitrans-fm-mag6000"]
    totalizer = mag.points["totalizer"]
    values = []
    for k in range(20):
        _put(modbus, 1, totalizer, 1000.0 + 12.5 * k)
        values.append(read_point(endpoint, 1, totalizer).value)
    assert values == [1000.0 + 12.5 * k for k in range(20)]
    assert endpoint.connections == 1 and modbus.connections == 1


def test_units_behind_one_gateway_share_the_connection(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint
) -> None:
    flow = MAPS["tuf-2000m"].points["flow"]
    _put(modbus, 1, flow, 10.0)
    _put(modbus, 2, flow, 20.0)
    assert [read_point(endpoint, unit, flow).value for unit in (1, 2, 1)] == [10.0, 20.0, 10.0]
    assert endpoint.connections == 1


def test_status_word_flags_quality(modbus: ModbusSimulator, endpoint: ModbusEndpoint) -> None:
    flow = MAPS["siemens-sitrans-fm-mag6000"].points["flow"]
    _put(modbus, 1, flow, 0.05)
    modbus.units[1].set("holding", 3200, [0x0001])  # RunIndicator only
    assert read_point(endpoint, 1, flow).quality == "good"
    modbus.units[1].set("holding", 3200, [0x0003])  # ErrorPendingOn
    assert read_point(endpoint, 1, flow).quality == "suspect"
    transmitter = MAPS["example-pressure-transmitter"].points["pressure"]
    _put(modbus, 1, transmitter, 1.7)  # above the 1.6 MPa measuring range
    assert read_point(endpoint, 1, transmitter).quality == "suspect"


def test_a_nan_register_is_read_as_nan(modbus: ModbusSimulator, endpoint: ModbusEndpoint) -> None:
    flow = MAPS["tuf-2000m"].points["flow"]
    modbus.units[1].set("holding", 0, [0x0000, 0x7FC0])  # quiet NaN, low word first
    assert math.isnan(read_point(endpoint, 1, flow).value)


def test_an_illegal_address_is_a_clear_error_and_not_retried(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint
) -> None:
    modbus.units[1].exception = ExcCodes.ILLEGAL_ADDRESS
    with pytest.raises(ModbusError) as caught:
        read_point(endpoint, 1, MAPS["tuf-2000m"].points["flow"])
    assert caught.value.code == 2 and not caught.value.transport
    assert "Modbus exception 2 (illegal data address) reading holding registers 0–1 of unit 1" in str(
        caught.value
    )
    assert "check the map's address" in str(caught.value)
    assert modbus.units[1].requests == 1


def test_a_busy_device_is_retried(modbus: ModbusSimulator, endpoint: ModbusEndpoint) -> None:
    modbus.units[1].exception = ExcCodes.DEVICE_BUSY
    with pytest.raises(ModbusError, match="server device busy") as caught:
        read_point(endpoint, 1, MAPS["tuf-2000m"].points["flow"])
    assert caught.value.code == 6
    assert modbus.units[1].requests == 2  # one retry
    modbus.units[1].exception = None
    assert read_point(endpoint, 1, MAPS["tuf-2000m"].points["flow"]).value == 0.0


def test_a_device_that_does_not_answer_times_out_and_recovers(
    modbus: ModbusSimulator, endpoint: ModbusEndpoint
) -> None:
    flow = MAPS["tuf-2000m"].points["flow"]
    _put(modbus, 1, flow, 3.5)
    modbus.units[1].delay = 1.5
    with pytest.raises(ModbusError, match="no answer reading holding registers 0–1 of unit 1") as caught:
        read_point(endpoint, 1, flow)
    assert caught.value.transport and caught.value.code is None
    modbus.units[1].delay = 0.0
    assert read_point(endpoint, 1, flow).value == 3.5
    assert endpoint.connections >= 2  # the timed-out connection was dropped


def test_a_restarted_server_is_reconnected(modbus: ModbusSimulator, endpoint: ModbusEndpoint) -> None:
    flow = MAPS["tuf-2000m"].points["flow"]
    _put(modbus, 1, flow, 7.0)
    assert read_point(endpoint, 1, flow).value == 7.0
    modbus.stop()
    with pytest.raises(ModbusError) as caught:
        read_point(endpoint, 1, flow)
    assert caught.value.transport
    assert "cannot connect to 127.0.0.1" in str(caught.value) or "no answer" in str(caught.value)
    modbus.start()
    _put(modbus, 1, flow, 8.0)
    assert read_point(endpoint, 1, flow).value == 8.0
    assert endpoint.connections == 2


def test_endpoint_options_are_checked(endpoint: ModbusEndpoint) -> None:
    with pytest.raises(InvalidInputError, match="port must be 1–65535"):
        ModbusEndpoint("127.0.0.1", 0)
    with pytest.raises(InvalidInputError, match="1–125 registers"):
        endpoint.read(1, "holding", 0, 126)
