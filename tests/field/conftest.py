"""Fixtures of the field tests: a real Modbus TCP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._servers import ModbusSimulator


@pytest.fixture
def modbus() -> Iterator[ModbusSimulator]:
    """A pymodbus TCP server on a free loopback port; units 1 and 2, registers set by the test."""
    simulator = ModbusSimulator()
    simulator.start()
    yield simulator
    simulator.stop()
