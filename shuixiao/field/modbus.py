"""Modbus TCP polling: read a meter's points through one reused connection per server.

:class:`ModbusEndpoint` is one TCP connection to a Modbus server: a meter with
an Ethernet port, or an RTU-to-TCP gateway in front of several RS-485 meters
(each with its own unit id).  It connects on first use, keeps the connection
open between polls, and reconnects after a failure.  :func:`read_point` reads
and decodes one point of a register map (:mod:`shuixiao.field.maps`).

Failures become a :class:`ModbusError` with a message that says what to
check:

* the device answered with a **Modbus exception** (``code`` 1–11): an illegal
  function or address is a mistake in the map or configuration and is not
  retried; *busy*, *acknowledge* and *gateway target failed to respond* are
  retried up to ``retries`` times;
* the device **did not answer** within ``timeout``, refused the connection or
  closed it (``code`` None): the connection is dropped and opened again for
  the next try.

The agent turns a failed read into a skipped reading (a gap the platform
keeps as a gap) and records the error in its status; see ``docs/agent.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from shuixiao.errors import InvalidInputError, ShuixiaoError
from shuixiao.field.maps import MAX_READ, Point, RegisterType

__all__ = ["EXCEPTION_CODES", "ModbusEndpoint", "ModbusError", "PointReading", "read_point"]

EXCEPTION_CODES: Final[dict[int, tuple[str, str]]] = {
    1: ("illegal function", "the device does not serve this function: check the point's register type"),
    2: (
        "illegal data address",
        "the device has no such register: check the map's address (zero-based) and register type",
    ),
    3: ("illegal data value", "the device refused the request: check the register count of the data type"),
    4: ("server device failure", "the device reports an internal failure: check the meter itself"),
    5: ("acknowledge", "the device is busy with a long operation"),
    6: ("server device busy", "the device is busy"),
    8: ("memory parity error", "the device reports a memory fault"),
    10: (
        "gateway path unavailable",
        "the gateway has no path to this unit id: check the unit id and the gateway's serial settings",
    ),
    11: (
        "gateway target device failed to respond",
        "the meter behind the gateway did not answer: check its wiring, address and baud rate",
    ),
}
"""Modbus exception codes (Modbus Application Protocol V1.1b3, §7): name and what to check."""

_RETRYABLE: Final = frozenset({5, 6, 11})


class ModbusError(ShuixiaoError):
    """A Modbus read that failed.

    Parameters
    ----------
    message : str
        What failed and what to check.
    endpoint : str
        ``host:port`` of the server.
    code : int, optional
        The Modbus exception code the device answered with; None when it did
        not answer (timeout, refused or closed connection).
    """

    def __init__(self, message: str, *, endpoint: str, code: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.code = code

    @property
    def transport(self) -> bool:
        """True when the device did not answer at all (as opposed to answering with an exception)."""
        return self.code is None


class ModbusEndpoint:
    """One TCP connection to a Modbus server, reused across polls and reopened after failures.

    Parameters
    ----------
    host : str
    port : int
    timeout : float
        How long to wait for a connection or a response. [s]
    retries : int
        Further attempts after a failed one (timeouts, lost connections and
        the retryable exceptions).

    Raises
    ------
    InvalidInputError
        If an option is out of range.
    """

    def __init__(self, host: str, port: int = 502, *, timeout: float = 3.0, retries: int = 1) -> None:
        if not 0 < port < 65_536 or timeout <= 0 or retries < 0:
            raise InvalidInputError(
                f"Modbus endpoint {host}:{port}: port must be 1–65535, timeout positive, retries not negative"
            )
        self.name = f"{host}:{port}"
        self._retries = retries
        self._client = ModbusTcpClient(host, port=port, timeout=timeout, retries=0)
        self.connections = 0
        """How many TCP connections were opened (one while the link stays up)."""

    def read(self, unit: int, register: RegisterType, address: int, count: int) -> list[int]:
        """Read ``count`` registers from ``address`` of unit ``unit``.

        Parameters
        ----------
        unit : int
            Unit id (the RS-485 device address behind a gateway; often 1 or 255 for a TCP meter).
        register : {'holding', 'input'}
        address : int
            PDU address of the first register.
        count : int
            1 to 125.

        Returns
        -------
        list of int
            The register values.

        Raises
        ------
        ModbusError
            If the device answered with an exception, or did not answer after every attempt.
        """
        if not 1 <= count <= MAX_READ or not 0 <= unit <= 255:
            raise InvalidInputError(f"a read takes 1–{MAX_READ} registers and a unit id 0–255")
        what = f"{register} registers {address}–{address + count - 1} of unit {unit} at {self.name}"
        failure: ModbusError | None = None
        for _attempt in range(self._retries + 1):
            try:
                return self._read_once(unit, register, address, count, what)
            except ModbusError as err:
                failure = err
                if err.code is not None and err.code not in _RETRYABLE:
                    break
        assert failure is not None
        raise failure

    def _read_once(self, unit: int, register: RegisterType, address: int, count: int, what: str) -> list[int]:
        if not self._client.connected:
            if not self._client.connect():  # type: ignore[no-untyped-call]
                raise ModbusError(
                    f"cannot connect to {self.name}: check the address, the port and that the device is on",
                    endpoint=self.name,
                )
            self.connections += 1
        reader = (
            self._client.read_holding_registers
            if register == "holding"
            else self._client.read_input_registers
        )
        try:
            response = reader(address, count=count, device_id=unit)
        except ModbusException as err:
            # Drop the connection: a late answer must not be taken for the next request's.
            self._client.close()  # type: ignore[no-untyped-call]
            raise ModbusError(
                f"no answer reading {what}: {err.string}; check the unit id and the network",
                endpoint=self.name,
            ) from err
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            name, advice = EXCEPTION_CODES.get(code, ("unknown exception", "see the device's manual"))
            raise ModbusError(
                f"Modbus exception {code} ({name}) reading {what}: {advice}", endpoint=self.name, code=code
            )
        registers = list(response.registers)
        if len(registers) != count:
            self._client.close()  # type: ignore[no-untyped-call]
            raise ModbusError(
                f"short answer reading {what}: {len(registers)} of {count} registers", endpoint=self.name
            )
        return registers

    def close(self) -> None:
        """Close the connection (the next read opens a new one)."""
        self._client.close()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class PointReading:
    """A decoded point.

    Parameters
    ----------
    value : float
        In the point's unit (may be NaN or infinite when the device sends such a float). [unit]
    quality : str
        ``good``, ``suspect`` or ``bad``, from the point's status word and measuring range.
    registers : tuple of int
        The registers read (main, then fraction), for diagnostics.
    """

    value: float
    quality: str
    registers: tuple[int, ...]


def read_point(endpoint: ModbusEndpoint, unit: int, point: Point) -> PointReading:
    """Read and decode one point of a register map.

    The main and fraction registers are read in one request when they lie
    within :data:`~shuixiao.field.maps.MAX_READ` registers of each other; the
    status word, if any, in a second.

    Raises
    ------
    ModbusError
        If a read fails.
    """
    spans = point.spans
    first = min(address for address, _ in spans)
    last = max(address + count for address, count in spans)
    if last - first <= MAX_READ:
        block = endpoint.read(unit, point.register_type, first, last - first)
        groups = [block[address - first : address - first + count] for address, count in spans]
    else:
        groups = [endpoint.read(unit, point.register_type, address, count) for address, count in spans]
    value = point.value(groups[0], groups[1] if len(groups) > 1 else ())
    status = None
    if point.status is not None:
        register = point.status.register_type or point.register_type
        (status,) = endpoint.read(unit, register, point.status.address, 1)
    return PointReading(value, point.quality(value, status), tuple(r for g in groups for r in g))
