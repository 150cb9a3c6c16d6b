"""The gateway agent end to end: real broker, real ``shuixiao ingest mqtt`` worker, real store.

Every test uses its own topic prefix, worker session and buffer directory; the
broker-restart test runs a private Mosquitto on a free port.  The demo
enterprise is the first of a one-day demo park (``ronghu-steel``); its meter
events (a rollover, a replacement) are stored as ``shuixiao demo build``
stores them, so every reading is accepted.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from shuixiao.cli import main
from shuixiao.demo import DemoConfig, EnterpriseData, build_park, simulate
from shuixiao.errors import ConfigurationError
from shuixiao.field import Agent, AgentEvent, agent_status, probe_meters, read_agent_config
from shuixiao.field._records import FieldReading
from shuixiao.field._signing import batch_maker
from shuixiao.field.buffer import Buffer
from shuixiao.field.publish import HttpPublisher, Publisher
from shuixiao.ledger import Batch, generate_ed25519_key
from shuixiao.model import Enterprise, Park, Region
from shuixiao.notary import audit_store
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, StoredBatch
from shuixiao.units import to_canonical

from ._servers import (
    ModbusSimulator,
    Mosquitto,
    Process,
    encode,
    forget_session,
    free_port,
    ingest_worker,
    wait_for,
)

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=1, days=1)
ENTERPRISE = "ronghu-steel"
METERS = ["FT-1001", "FT-1002", "FT-3003", "FI-3102", "PT-3301", "AT-3201", "LT-3401"]


@pytest.fixture(scope="module")
def demo() -> tuple[Any, EnterpriseData]:
    park = build_park(CONFIG)
    return park, next(simulate(park, CONFIG))


@dataclass
class Platform:
    url: str
    store: Store
    data_dir: Path

    def count(self) -> int:
        return self.store.count_readings(ENTERPRISE)


def _platform(url: str, demo: tuple[Any, EnterpriseData], data_dir: Path) -> Platform:
    park, data = demo
    store = Store.open(url)
    store.upgrade()
    store.save_model(park.regions, (park.park,), park.enterprises)
    for event in data.events:
        store.add_meter_event(
            ENTERPRISE, event.meter_id, dt.datetime.fromtimestamp(event.ts, dt.UTC), event.kind, event.detail
        )
    return Platform(url, store, data_dir)


@pytest.fixture
def platform(tmp_path: Path, demo: tuple[Any, EnterpriseData]) -> Iterator[Platform]:
    made = _platform(f"sqlite:///{tmp_path}/platform.db", demo, tmp_path / "data")
    yield made
    made.store.close()


@pytest.fixture
def names(broker: tuple[str, int]) -> Iterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:10]
    chosen = {"prefix": f"test-{tag}/shuixiao/v1", "worker": f"worker-{tag}", "gateway": f"gw-{tag}"}
    yield chosen
    forget_session(broker, chosen["worker"])


def _config(
    tmp_path: Path,
    broker: tuple[str, int],
    prefix: str,
    *,
    gateway: str = "gw-test",
    meters: str | None = None,
    speed: float = 0,
    extra: str = "",
    capacity: int = 100_000,
) -> Path:
    lines = meters or "\n".join(f"  - {{id: {m}, demo: {{}}}}" for m in METERS)
    text = (
        f"gateway: {gateway}\nenterprise: {ENTERPRISE}\ninterval: 1s\n"
        f"buffer: {{directory: buffer, capacity: {capacity}}}\n"
        f"publisher:\n  batch_size: 50\n  mqtt: {{host: {broker[0]}, port: {broker[1]}, prefix: {prefix}, timeout: 5}}\n"
        "backoff: {initial: 0.2, maximum: 1}\n"
        f"demo: {{enterprises: 1, days: 1, speed: {speed}}}\n{extra}meters:\n{lines}\n"
    )
    path = tmp_path / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class Running:
    """An agent on a thread of the test process, with the events it reported."""

    def __init__(self, path: Path, publisher: Publisher | None = None) -> None:
        config, maps = read_agent_config(path)
        self.events: list[AgentEvent] = []
        self.error: BaseException | None = None
        self.agent = Agent(config, maps, on_event=self.events.append, publisher=publisher)
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.agent.run()
        except BaseException as err:  # reported by stop()
            self.error = err

    def kinds(self) -> list[str]:
        return [e.kind for e in list(self.events)]

    def stop(self) -> None:
        self.agent.stop()
        self.thread.join(60)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def _expected(demo: tuple[Any, EnterpriseData], meter: str) -> tuple[list[int], list[float]]:
    _, data = demo
    series = next(s for s in data.series if s.meter_id == meter)
    model = next(m for m in data.enterprise.meters if m.id == meter)
    return series.ts.tolist(), [float(to_canonical(v, model.unit, model.quantity)) for v in series.value]


def _total(demo: tuple[Any, EnterpriseData], meters: list[str]) -> int:
    """Readings of ``meters`` in the simulated day (totalizers read at both ends of it; gaps left out)."""
    return sum(len(_expected(demo, meter)[0]) for meter in meters)


def _assert_exactly_the_demo(platform: Platform, demo: tuple[Any, EnterpriseData], meters: list[str]) -> None:
    assert platform.count() == _total(demo, meters)
    for meter in meters:
        ts, values = _expected(demo, meter)
        frame = platform.store.read_readings(ENTERPRISE, meter)
        assert frame["ts"].dt.as_unit("s").astype("int64").tolist() == ts, meter
        np.testing.assert_array_equal(frame["value"].to_numpy(), np.array(values), err_msg=meter)
        for resolution in ("PT15M", "PT1H", "P1D"):  # the aggregates equal the generator's own
            want = next(a for a in demo[1].aggregates if a.meter_id == meter and a.resolution == resolution)
            got = platform.store.read_aggregates(ENTERPRISE, meter, resolution)
            assert got["start"].dt.as_unit("s").astype("int64").tolist() == want.start.tolist(), (
                meter,
                resolution,
            )
            assert got["count"].tolist() == want.count.tolist(), (meter, resolution)
            np.testing.assert_allclose(
                got["value"], want.value, rtol=1e-12, atol=1e-9, err_msg=f"{meter} {resolution}"
            )


def _worker(platform: Platform, broker: tuple[str, int], names: dict[str, str]) -> Process:
    worker = ingest_worker(platform.url, broker, names["prefix"], names["worker"], platform.data_dir)
    wait_for(lambda: worker.seen("subscribed to"), "the ingest worker to subscribe")
    return worker


def test_demo_meters_reach_the_store_exactly_once(
    platform: Platform,
    demo: tuple[Any, EnterpriseData],
    broker: tuple[str, int],
    names: dict[str, str],
    tmp_path: Path,
) -> None:
    worker = _worker(platform, broker, names)
    try:
        running = Running(_config(tmp_path, broker, names["prefix"]))
        try:
            wait_for(lambda: platform.count() == _total(demo, METERS), "every demo reading in the store")
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        worker.terminate()
        worker.close()
    _assert_exactly_the_demo(platform, demo, METERS)
    assert platform.store.count_quarantine() == {}
    status = agent_status(read_agent_config(tmp_path / "agent.yaml")[0])
    assert (status.buffer.depth, status.buffer.acknowledged, status.pid) == (0, _total(demo, METERS), None)
    assert status.cursors["FT-1001"] == _expected(demo, "FT-1001")[0][-1]
    kinds = running.kinds()
    assert kinds[0] == "started" and kinds[-1] == "stopped" and "sent" in kinds and "demo_done" in kinds


def test_a_broker_restart_mid_stream_loses_nothing(
    platform: Platform, demo: tuple[Any, EnterpriseData], tmp_path: Path
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    names = {"prefix": "site/shuixiao/v1", "worker": "worker-restart"}
    worker = _worker(platform, broker.address, names)
    running = second = None
    try:
        running = Running(
            _config(tmp_path, broker.address, names["prefix"], speed=900 * 6)
        )  # 6 steps a second
        wait_for(lambda: platform.count() > 0, "the first readings")
        assert worker.terminate() == 0  # the worker goes away; the broker queues its share in its session
        wait_for(
            lambda: (
                "sent" in running.kinds()
                and Buffer(tmp_path / "buffer").status().acknowledged > platform.count()
            ),
            "messages queued at the broker",
        )
        broker.stop()  # a broker restart (SIGTERM: it saves its sessions and queues)
        outage = platform.count()
        time.sleep(2)
        broker.start()
        second = _worker(platform, broker.address, names)  # the same session: the queued messages come
        wait_for(
            lambda: platform.count() == _total(demo, METERS), "every reading after the restart", timeout=120
        )
        wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
    finally:
        if running is not None:
            running.stop()
        for process in (worker, second):
            if process is not None:
                process.close()
        broker.stop()
    assert outage < _total(demo, METERS), "the stream was over before the broker went down"
    assert second is not None and second.seen("resumed session")
    retries = [e.detail["error"] for e in running.events if e.kind == "retry"]
    assert retries and any("cannot reach the MQTT broker" in r or "lost" in r for r in retries)
    _assert_exactly_the_demo(platform, demo, METERS)
    assert platform.store.count_quarantine() == {}


@pytest.mark.slow
def test_kill_9_of_the_agent_mid_stream_loses_and_doubles_nothing(
    database_url: str,
    demo: tuple[Any, EnterpriseData],
    broker: tuple[str, int],
    names: dict[str, str],
    tmp_path: Path,
) -> None:
    platform = _platform(database_url, demo, tmp_path / "data")
    config = _config(tmp_path, broker, names["prefix"], speed=900 * 6)
    argv = ["--lang", "en", "agent", "run", "--config", str(config), "--verbose"]
    worker = _worker(platform, broker, names)
    first = second = None
    try:
        first = Process(argv)
        wait_for(lambda: platform.count() >= 100, "the first 100 readings")
        first.kill()
        killed_at = platform.count()
        assert killed_at < _total(demo, METERS), "the stream was over before the kill"
        second = Process(argv)
        wait_for(lambda: second is not None and second.seen("started"), "the second agent")
        wait_for(lambda: platform.count() == _total(demo, METERS), "every reading", timeout=120)
        wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        assert second.terminate() == 0
        wait_for(lambda: second is not None and second.seen("Gateway agent stopped"), "the clean stop")
    finally:
        for process in (first, second):
            if process is not None:
                process.close()
        worker.terminate()
        worker.close()
    _assert_exactly_the_demo(platform, demo, METERS)
    assert platform.store.count_quarantine() == {}
    platform.store.close()


def test_rejected_readings_are_quarantined_and_the_agent_moves_on(
    platform: Platform,
    demo: tuple[Any, EnterpriseData],
    broker: tuple[str, int],
    names: dict[str, str],
    tmp_path: Path,
) -> None:
    good, unknown = _total(demo, ["FT-1001"]), _total(demo, ["FT-1001", "FI-3102"])
    meters = "  - {id: FT-1001, demo: {}}\n  - {id: FT-9999, demo: {meter: FT-1001}}\n  - {id: FT-1001-L, demo: {meter: FI-3102}}"
    worker = _worker(platform, broker, names)
    try:
        running = Running(_config(tmp_path, broker, names["prefix"], meters=meters))
        try:
            wait_for(
                lambda: sum(platform.store.count_quarantine().values()) == unknown,
                "the quarantined readings",
            )
            wait_for(lambda: platform.count() == good, "the good readings")
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        worker.terminate()
        worker.close()
    assert platform.store.count_quarantine() == {"unknown_meter": unknown}
    status = agent_status(read_agent_config(tmp_path / "agent.yaml")[0])
    # Over MQTT the platform's answer per reading does not come back: the readings left the buffer and wait
    # in the platform's quarantine (over HTTP they also land in the agent's rejected list).
    assert (status.buffer.depth, status.buffer.acknowledged, status.buffer.rejected) == (0, good + unknown, 0)


def test_modbus_meters_reach_the_store(
    tmp_path: Path,
    modbus: ModbusSimulator,
    broker: tuple[str, int],
    names: dict[str, str],
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/platform.db")
    store.upgrade()
    store.save_model(regions, parks, [make_enterprise()])
    platform = Platform(f"sqlite:///{tmp_path}/platform.db", store, tmp_path / "data")
    tuf, unit_two = modbus.units[1], modbus.units[2]

    def phase(flow: float, total: float, mag: float, status: int, pressure: float) -> None:
        tuf.set("holding", 0, encode(flow, "float32", "big", "little"))
        tuf.set("holding", 8, encode(math.floor(total), "int32", "big", "little"))
        tuf.set("holding", 10, encode(total - math.floor(total), "float32", "big", "little"))
        unit_two.set("holding", 3002, encode(mag, "float32"))
        unit_two.set("holding", 3200, [status])
        unit_two.set("holding", 4, encode(round(pressure * 1000), "int16"))

    phase(36.0, 1000.5, 0.015625, 0x0001, 0.4)
    devices = (
        f"devices:\n  tuf: {{host: 127.0.0.1, port: {modbus.port}, unit: 1, timeout: 0.5, retries: 0}}\n"
        f"  mag: {{host: 127.0.0.1, port: {modbus.port}, unit: 2, timeout: 0.5, retries: 0}}\n"
    )
    meters = (
        "  - {id: FT-101, modbus: {device: tuf, model: tuf-2000m, point: totalizer}}\n"
        "  - {id: FT-103, modbus: {device: tuf, model: tuf-2000m, point: flow}}\n"
        "  - {id: FT-201, unit: L/s, modbus: {device: mag, model: siemens-sitrans-fm-mag6000, point: flow}}\n"
        "  - {id: PT-201, modbus: {device: mag, model: example-pressure-transmitter, point: pressure}}"
    )
    path = _config(tmp_path, broker, names["prefix"], meters=meters, extra=devices)
    path.write_text(
        path.read_text(encoding="utf-8").replace(f"enterprise: {ENTERPRISE}", "enterprise: xg-steel")
    )
    worker = _worker(platform, broker, names)
    running = None

    def rounds() -> int:
        return sum(1 for e in running.events if e.kind == "round") if running else 0

    try:
        running = Running(path)
        wait_for(lambda: rounds() >= 3, "three rounds")
        phase(72.0, 1010.25, 0.015625, 0x0003, 1.7)  # ErrorPendingOn; pressure above the measuring range
        start = rounds()
        wait_for(lambda: rounds() >= start + 3, "three more rounds")
        tuf.set("holding", 0, [0x0000, 0x7FC0])  # the flow register turns NaN
        start = rounds()
        wait_for(lambda: rounds() >= start + 2, "two rounds of NaN")
        tuf.set("holding", 0, encode(72.0, "float32", "big", "little"))
        modbus.stop()
        wait_for(lambda: "device_down" in running.kinds(), "the devices to be reported down")
        start = rounds()
        wait_for(lambda: rounds() >= start + 2, "two rounds without the devices")
        modbus.start()
        wait_for(lambda: "device_up" in running.kinds(), "the devices to answer again")
        wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
    finally:
        if running is not None:
            running.stop()
        wait_for(
            lambda: store.count_readings("xg-steel") == Buffer(tmp_path / "buffer").status().acknowledged,
            "the worker",
        )
        worker.terminate()
        worker.close()
    flows = store.read_readings("xg-steel", "FT-103")
    values = flows["value"].tolist()
    assert set(values) == {36.0, 72.0} and values == sorted(values)
    totals = store.read_readings("xg-steel", "FT-101")["value"].tolist()
    assert set(totals) == {1000.5, 1010.25} and totals == sorted(totals)
    assert len(totals) >= len(values) + 2  # the totalizer was read in the NaN rounds too
    mag = store.read_readings("xg-steel", "FT-201")
    assert set(mag["value"]) == {56.25}  # 1/64 m³/s, sent as 15.625 L/s, stored as 56.25 m³/h
    assert set(mag["quality"]) == {0, 2}  # good, then suspect (error pending)
    pressure = store.read_readings("xg-steel", "PT-201")
    assert {(round(v, 6), q) for v, q in zip(pressure["value"], pressure["quality"], strict=True)} == {
        (400.0, 0),
        (1700.0, 2),
    }
    status = agent_status(read_agent_config(path)[0])
    rejected = Buffer(tmp_path / "buffer").rejected()
    assert {r.reason for r in rejected} == {"not_finite"} and {r.reading.meter for r in rejected} == {
        "FT-103"
    }
    assert status.buffer.rejected == len(rejected) >= 2
    assert status.devices["tuf"].ok and status.devices["mag"].ok
    down = [e for e in running.events if e.kind == "device_down"]
    assert {e.detail["device"] for e in down} == {"tuf", "mag"}
    assert "cannot connect" in down[0].detail["error"] or "no answer" in down[0].detail["error"]
    assert store.count_quarantine() == {}
    store.close()


def _signing_device(
    platform: Platform, tmp_path: Path, device: str, **binding: Any
) -> tuple[bytes, LedgerStore]:
    """Write the device's new Ed25519 key to ``device.key`` (mode 0600), register it and bind the meters.

    Returns the private key and the platform's ledger; ``binding`` goes to ``set_meters``.
    """
    private_key, public_key = generate_ed25519_key()
    key_file = tmp_path / "device.key"
    key_file.write_text(private_key.hex() + "\n", encoding="ascii")
    key_file.chmod(0o600)
    ledger = LedgerStore(platform.store)
    ledger.add_device_key(ENTERPRISE, device, public_key, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    ledger.set_meters(ENTERPRISE, METERS, device=device, **binding)
    return private_key, ledger


def test_signed_batches_are_notarised(
    platform: Platform,
    demo: tuple[Any, EnterpriseData],
    broker: tuple[str, int],
    names: dict[str, str],
    tmp_path: Path,
) -> None:
    gateway = names["gateway"]
    # signed batches only: the agent signs every reading, the few the demo flags suspect or bad with their flag
    _, ledger = _signing_device(platform, tmp_path, gateway, unsigned_allowed=False)
    extra = "signing: {key_file: device.key, batch_size: 100}\n"
    worker = _worker(platform, broker, names)
    try:
        running = Running(_config(tmp_path, broker, names["prefix"], gateway=gateway, extra=extra))
        try:
            wait_for(lambda: platform.count() == _total(demo, METERS), "every reading")
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        worker.terminate()
        worker.close()
    _assert_exactly_the_demo(platform, demo, METERS)
    logged = ledger.batches(ledger.local_log().id, device=gateway)
    assert [b.sequence for b in logged] == list(range(math.ceil(_total(demo, METERS) / 100)))
    assert platform.store.count_quarantine() == {}
    assert Buffer(tmp_path / "buffer").state()["chain.sequence"] == str(len(logged) - 1)
    _assert_flags_are_signed(platform, logged)


def _assert_flags_are_signed(platform: Platform, logged: list[StoredBatch]) -> None:
    """The flagged readings travelled in the signed batches, flag included, and the audit finds them stored so."""
    signed = [r.quality for b in logged for r in Batch.decode(b.encoding).readings]
    assert 0 in signed and set(signed) - {0}, "the demo flags a few readings; they must be signed too"
    report = audit_store(platform.store)
    assert report.ok, report.problems
    assert report.readings == len(signed) and report.unnotarised == 0


def test_a_full_buffer_refuses_new_readings_and_warns(
    tmp_path: Path, demo: tuple[Any, EnterpriseData]
) -> None:
    path = _config(tmp_path, ("127.0.0.1", free_port()), "nowhere/shuixiao/v1", capacity=100)
    path.write_text(path.read_text(encoding="utf-8").replace("timeout: 5", "timeout: 1"))
    running = Running(path)
    try:
        wait_for(lambda: "buffer_full" in running.kinds(), "the buffer to fill")
        wait_for(lambda: "retry" in running.kinds(), "a failed send")
    finally:
        running.stop()
    full = next(e for e in running.events if e.kind == "buffer_full")
    assert full.detail == {"refused": _total(demo, METERS) - 100, "capacity": 100}
    assert "buffer_high" in running.kinds()
    status = agent_status(read_agent_config(path)[0])
    assert (status.buffer.depth, status.buffer.refused) == (100, _total(demo, METERS) - 100)
    retry = next(e for e in running.events if e.kind == "retry")
    assert "cannot reach the MQTT broker" in retry.detail["error"] and 0.1 <= retry.detail["delay"] <= 0.2


def test_a_buffer_serves_one_agent_at_a_time(tmp_path: Path) -> None:
    path = _config(tmp_path, ("127.0.0.1", free_port()), "nowhere/shuixiao/v1")
    running = Running(path)
    try:
        wait_for(lambda: "started" in running.kinds(), "the first agent")
        config, maps = read_agent_config(path)
        with pytest.raises(
            ConfigurationError, match=rf"another agent \(pid {os.getpid()}\) is using the buffer"
        ):
            Agent(config, maps).run()
        assert agent_status(config).pid == os.getpid()
    finally:
        running.stop()
    assert agent_status(read_agent_config(path)[0]).pid is None


def test_ctrl_c_stops_the_agent_cleanly(tmp_path: Path, demo: tuple[Any, EnterpriseData]) -> None:
    path = _config(tmp_path, ("127.0.0.1", free_port()), "nowhere/shuixiao/v1")
    process = Process(["--lang", "en", "agent", "run", "--config", str(path)])
    try:
        wait_for(lambda: process.seen("Gateway agent gw-test started"), "the agent to start")
        wait_for(lambda: process.seen("Send failed"), "a failed send")
        process.process.send_signal(signal.SIGINT)
        assert process.process.wait(30) == 0
        wait_for(lambda: process.seen("readings wait in the buffer"), "the stop report")
    finally:
        process.close()
    assert Buffer(tmp_path / "buffer").status().depth == _total(demo, METERS)


def test_meters_can_be_read_once_for_commissioning(
    tmp_path: Path,
    modbus: ModbusSimulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modbus.units[1].set("holding", 0, encode(152.75, "float32", "big", "little"))
    modbus.units[1].set("holding", 8, encode(20_117, "int32", "big", "little"))
    modbus.units[1].set("holding", 10, encode(0.375, "float32", "big", "little"))
    devices = (
        f"devices:\n  tuf: {{host: 127.0.0.1, port: {modbus.port}, unit: 1, timeout: 0.5, retries: 0}}\n"
        f"  gone: {{host: 127.0.0.1, port: {free_port()}, unit: 1, timeout: 0.5, retries: 0}}\n"
    )
    meters = (
        "  - {id: FT-103, unit: L/s, modbus: {device: tuf, model: tuf-2000m, point: flow}}\n"
        "  - {id: FT-101, modbus: {device: tuf, model: tuf-2000m, point: totalizer}}\n"
        "  - {id: FT-102, modbus: {device: gone, model: tuf-2000m, point: totalizer}}\n"
        "  - {id: FT-1001, demo: {}}"
    )
    path = _config(tmp_path, ("127.0.0.1", 1), "p/shuixiao/v1", meters=meters, extra=devices)
    config, maps = read_agent_config(path)
    flow, total, gone = probe_meters(config, maps)
    assert (flow.value, flow.unit, flow.quality, flow.registers) == (
        pytest.approx(152.75 / 3.6),
        "L/s",
        "good",
        (0xC000, 0x4318),
    )
    assert (total.value, total.registers) == (20_117.375, (0x4E95, 0x0000, 0x0000, 0x3EC0))
    assert gone.value is None and gone.error is not None and "cannot connect" in gone.error
    with pytest.raises(ConfigurationError, match="no Modbus meter FT-1001"):
        probe_meters(config, maps, ["FT-1001"])
    monkeypatch.setenv("SHUIXIAO_DATA_DIR", str(tmp_path / "data"))
    assert main(["--lang", "en", "agent", "read", "--config", str(path), "--meter", "FT-101"]) == 0
    out = capsys.readouterr().out
    assert "4E95 0000 0000 3EC0" in out and "20117.375 m³" in out and "tuf-2000m:totalizer" in out
    assert main(["agent", "read", "--config", str(path), "--json"]) == 1  # one meter did not answer
    document = json.loads(capsys.readouterr().out)
    assert [d["error"] is None for d in document] == [True, True, False]


# --- HTTP, against the platform's own application served by uvicorn ------------------------------------------


class Served:
    """``shuixiao.service.create_app`` on a free loopback port, in a thread of the test process."""

    def __init__(self, platform: Platform) -> None:
        import uvicorn

        from shuixiao.config import load_settings
        from shuixiao.service import create_app

        settings = load_settings(data_dir=platform.data_dir, database_url=platform.url)
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings, store=platform.store), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run)
        self.thread.start()
        wait_for(lambda: self.server.started, "the platform to serve")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def _http_config(
    tmp_path: Path, served: Served, token: str, meters: str, extra: str = "", gateway: str = "gw-test"
) -> Path:
    (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
    path = _config(
        tmp_path, ("127.0.0.1", 1), "unused/shuixiao/v1", meters=meters, extra=extra, gateway=gateway
    )
    text = path.read_text(encoding="utf-8")
    start = text.index("  mqtt:")
    text = (
        text[:start]
        + f"  http: {{url: '{served.url}', token_file: token, timeout: 10}}\n"
        + text[text.index("\n", start) + 1 :]
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_http_rejections_land_in_the_rejected_list_and_the_quarantine(
    platform: Platform, demo: tuple[Any, EnterpriseData], tmp_path: Path
) -> None:
    from shuixiao.ingest import Pipeline, RawReading, Source
    from shuixiao.model import Origin
    from shuixiao.service.accounts import issue_device_token

    ts, _ = _expected(demo, "FT-1001")
    series = next(s for s in demo[1].series if s.meter_id == "FT-1001")
    early = [
        RawReading("FT-1001", int(t), float(v))
        for t, v in zip(series.ts[:10], series.value[:10], strict=True)
    ]
    Pipeline(platform.store).ingest(
        ENTERPRISE, early, Source(Origin.FILE, "earlier.csv")
    )  # come back as duplicates
    token, _ = issue_device_token(platform.store, "gw-test", ENTERPRISE, "test")
    served = Served(platform)
    meters = "  - {id: FT-1001, demo: {}}\n  - {id: FT-9999, demo: {meter: FT-1001}}"
    try:
        running = Running(_http_config(tmp_path, served, token, meters))
        try:
            wait_for(
                lambda: Buffer(tmp_path / "buffer").status().acknowledged == len(ts), "the acknowledgements"
            )
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        served.stop()
    assert platform.count() == len(ts)
    assert platform.store.count_quarantine() == {"unknown_meter": len(ts)}
    rejected = Buffer(tmp_path / "buffer").rejected()
    assert len(rejected) == len(ts) and {r.reason for r in rejected} == {"unknown_meter"}
    assert {r.reading.meter for r in rejected} == {"FT-9999"}
    quarantined = {q.id for q in platform.store.list_quarantine(ENTERPRISE, limit=None)}
    assert {r.quarantine_id for r in rejected} == quarantined
    assert "FT-9999" in rejected[0].message


def test_signed_batches_over_http(
    platform: Platform, demo: tuple[Any, EnterpriseData], tmp_path: Path
) -> None:
    from shuixiao.service.accounts import issue_device_token

    _, ledger = _signing_device(platform, tmp_path, "gw-http", unsigned_allowed=False)  # as above
    token, _ = issue_device_token(platform.store, "gw-http", ENTERPRISE, "test", device="gw-http")
    served = Served(platform)
    meters = "\n".join(f"  - {{id: {m}, demo: {{}}}}" for m in METERS)
    extra = "signing: {key_file: device.key, batch_size: 200}\n"
    try:
        running = Running(_http_config(tmp_path, served, token, meters, extra, gateway="gw-http"))
        try:
            wait_for(lambda: platform.count() == _total(demo, METERS), "every reading")
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        served.stop()
    _assert_exactly_the_demo(platform, demo, METERS)
    logged = ledger.batches(ledger.local_log().id, device="gw-http")
    assert [b.sequence for b in logged] == list(range(math.ceil(_total(demo, METERS) / 200)))
    assert Buffer(tmp_path / "buffer").rejected() == []
    _assert_flags_are_signed(platform, logged)


class Recording(httpx.BaseTransport):
    """A network transport that keeps the JSON body of every request it sends."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            content = gzip.decompress(content)
        self.bodies.append(json.loads(content))
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()


def test_a_backlog_of_signed_batches_goes_in_one_request(
    platform: Platform, demo: tuple[Any, EnterpriseData], tmp_path: Path
) -> None:
    from shuixiao.service.accounts import issue_device_token

    private_key, ledger = _signing_device(platform, tmp_path, "gw-http")
    token, _ = issue_device_token(platform.store, "gw-http", ENTERPRISE, "test", device="gw-http")
    # an outage's backlog: five sealed batches, the third of a meter the device is not bound to
    series = next(s for s in demo[1].series if s.meter_id == "FT-1001")
    unit = next(m.unit for m in demo[1].enterprise.meters if m.id == "FT-1001")
    readings = [
        FieldReading("FT-1001", int(t), float(v), unit)
        for t, v in zip(series.ts[:40], series.value[:40], strict=True)
    ]
    buffer = Buffer(tmp_path / "buffer")
    make = batch_maker("gw-http", private_key, time.time)
    for part in (
        readings[:10],
        readings[10:20],
        [FieldReading("FT-9999", readings[0].ts, 1.0, unit)],
        readings[20:30],
        readings[30:],
    ):
        buffer.append(part)
        assert buffer.seal(100, make) is not None
    buffer.close()
    served = Served(platform)
    recording = Recording()
    publisher = HttpPublisher(served.url, ENTERPRISE, token, transport=recording)
    slow = "  - {id: FT-1002, demo: {}}"  # one reading now and then: the backlog is what waits
    path = _http_config(
        tmp_path, served, token, slow, "signing: {key_file: device.key, batch_size: 100}\n", gateway="gw-http"
    )
    path.write_text(path.read_text(encoding="utf-8").replace("speed: 0", "speed: 1"), encoding="utf-8")
    try:
        running = Running(path, publisher)
        try:
            wait_for(lambda: len(ledger.batches(ledger.local_log().id, device="gw-http")) >= 4, "the backlog")
            wait_for(lambda: Buffer(tmp_path / "buffer").status().depth == 0, "an empty buffer")
        finally:
            running.stop()
    finally:
        served.stop()
    first = recording.bodies[0]
    assert [b["sequence"] for b in first["batches"]][:5] == [0, 1, 2, 3, 4]
    assert all(
        b.get("sequence", 5) >= 5 for body in recording.bodies[1:] for b in body.get("batches", [body])
    )
    logged = [b.sequence for b in ledger.batches(ledger.local_log().id, device="gw-http")]
    assert logged[:4] == [0, 1, 3, 4] and 2 not in logged
    (refused,) = Buffer(tmp_path / "buffer").rejected()
    assert (refused.reading.meter, refused.reason) == ("FT-9999", "meter_not_bound")
    assert "not bound to meter(s) FT-9999" in refused.message
    frame = platform.store.read_readings(ENTERPRISE, "FT-1001")
    assert frame["ts"].dt.as_unit("s").astype("int64").tolist() == [r.ts for r in readings]
    sent = [e.detail for e in running.events if e.kind == "sent"][:5]
    assert sent == [
        {"acknowledged": 10, "rejected": 0},
        {"acknowledged": 10, "rejected": 0},
        {"acknowledged": 0, "rejected": 1},
        {"acknowledged": 10, "rejected": 0},
        {"acknowledged": 10, "rejected": 0},
    ]
