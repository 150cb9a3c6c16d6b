"""Real servers for the field tests: a pymodbus TCP server, a private Mosquitto, an ingest worker.

Every server listens on a free loopback port chosen at run time; nothing here
touches the machine's shared broker or database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pymodbus.client import ModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

REGISTERS = 4096  # registers per bank of the simulated devices


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    """Whether something listens on the loopback port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def encode(value: float, data_type: str, byte_order: str = "big", word_order: str = "big") -> list[int]:
    """Registers of ``value`` as pymodbus encodes it, with the bytes of each register swapped for
    ``byte_order='little'`` (pymodbus only knows big-endian registers)."""
    kind = getattr(ModbusTcpClient.DATATYPE, data_type.upper())
    number: Any = int(value) if "int" in data_type else float(value)
    registers = ModbusTcpClient.convert_to_registers(number, kind, word_order=word_order)  # type: ignore[arg-type]
    if byte_order == "little":
        registers = [((r & 0xFF) << 8) | (r >> 8) for r in registers]
    return registers


class Bank:
    """The holding and input registers of one simulated unit, set by the test at any time."""

    def __init__(self) -> None:
        self.holding = [0] * REGISTERS
        self.input = [0] * REGISTERS
        self.exception: ExcCodes | None = None  # answer every request with this exception
        self.delay = 0.0  # answer after this many seconds [s]
        self.requests = 0

    def set(self, register: str, address: int, registers: list[int]) -> None:
        """Write raw register values."""
        bank = self.holding if register == "holding" else self.input
        bank[address : address + len(registers)] = registers


class ModbusSimulator:
    """A pymodbus ``ModbusTcpServer`` on a free loopback port, in its own thread and event loop.

    Units 1 and 2 have their own registers (``units[1]``, ``units[2]``); a
    read's answer is taken from them at the moment of the request, so a test
    changes values while the server runs.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.units = {1: Bank(), 2: Bank()}
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None

    def _device(self, unit: int) -> SimDevice:
        bank = self.units[unit]

        async def serve(
            function: int, _start: int, _address: int, _count: int, registers: list[int], _values: Any
        ) -> ExcCodes | None:
            bank.requests += 1
            if bank.delay:
                await asyncio.sleep(bank.delay)
            if bank.exception is not None:
                return bank.exception
            source = bank.input if function == 4 else bank.holding
            registers[: len(source)] = source[: len(registers)]
            return None

        blocks: Any = (
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)],
        )
        return SimDevice(unit, simdata=blocks, action=serve)

    def start(self) -> None:
        """Start serving (again, on the same port)."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop

            def connected(up: bool) -> None:
                self.connections += up

            async def main() -> None:
                self._server = ModbusTcpServer(
                    [self._device(1), self._device(2)],
                    address=("127.0.0.1", self.port),
                    trace_connect=connected,
                )
                ready.set()
                await self._server.serve_forever()

            loop.run_until_complete(main())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        before = self.connections
        wait_for(lambda: answers(self.port), "the Modbus simulator")
        wait_for(lambda: self.connections > before, "the probe connection to register")
        self.connections = before  # the probe does not count

    def stop(self) -> None:
        """Stop serving and drop every connection."""
        if self._loop is not None and self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(10)
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._loop = self._thread = None


class Mosquitto:
    """A private Mosquitto on a free port, persistent (queued messages survive a restart)."""

    def __init__(
        self, directory: Path, *, anonymous: bool = True, tls: tuple[Path, Path, Path] | None = None
    ) -> None:
        executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(executable).exists():
            reason = "needs the mosquitto executable to run a broker of its own"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
            pytest.skip(reason)
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous {str(anonymous).lower()}\npersistence true\n"
            f"persistence_location {directory}/\nautosave_interval 1\nmax_queued_messages 100000\n"
            # run as root, mosquitto would switch to its own user, which cannot read the test's directory
            + ("user root\n" if os.geteuid() == 0 else "")
            + ("" if tls is None else f"cafile {tls[0]}\ncertfile {tls[1]}\nkeyfile {tls[2]}\n"),
            encoding="utf-8",
        )
        self._executable = executable
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self._executable, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: answers(self.port), "the private broker")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(15)
        self.process = None


def forget_session(broker: tuple[str, int], client_id: str) -> None:
    """Connect once with a clean start and no expiry: the broker drops the session and its queue."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    try:
        client.connect(*broker, clean_start=True, properties=properties)
    except OSError:
        return
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


class Process:
    """A ``shuixiao`` command in a subprocess, its output collected line by line."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        code = "import sys; from shuixiao.cli import main; sys.exit(main(sys.argv[1:]))"
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def seen(self, fragment: str) -> bool:
        return any(fragment in line for line in list(self.lines))

    def kill(self) -> None:
        """SIGKILL: the process dies between any two instructions."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(15)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(15)
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def ingest_worker(url: str, broker: tuple[str, int], prefix: str, client_id: str, data_dir: Path) -> Process:
    """``shuixiao ingest mqtt`` on ``broker`` with its own persistent session, printing every commit."""
    argv = [
        "--database-url",
        url,
        "--lang",
        "en",
        "ingest",
        "mqtt",
        "--host",
        broker[0],
        "--port",
        str(broker[1]),
    ]
    argv += ["--group", f"g-{client_id}", "--client-id", client_id, "--prefix", prefix]
    argv += ["--session-expiry", "600", "--batch-size", "20", "--verbose"]
    return Process(argv, {"SHUIXIAO_DATA_DIR": str(data_dir)})


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1, signed by it: (ca.crt, server.crt, server.key)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shuixiao test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.crt", directory / "server.crt", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths
