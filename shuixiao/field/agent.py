"""The gateway agent: read meters, buffer every reading on disk, publish, survive outages and restarts.

Two threads share one :class:`~shuixiao.field.buffer.Buffer`:

* the **poller** runs a round at every ``interval`` boundary (:00, :15, ...
  for 15 minutes; a round that cannot start within half an interval of its
  boundary is skipped and reported): it reads every source and appends the
  readings, with the sources' state, to the buffer in one transaction;
* the **sender** takes the oldest waiting readings, publishes them, and
  removes what the platform acknowledged (moving what it rejected to the
  rejected list).  When a send fails it waits, with exponential backoff and
  jitter (:class:`~shuixiao.field._backoff.Backoff`), and tries again; a
  platform's ``Retry-After`` is honoured.

Polling never waits for the network, and sending never waits for the meters.
Only one agent may use a buffer directory at a time (a lock file,
``agent.lock``, released by the operating system even on ``kill -9``).
:meth:`Agent.stop` (SIGINT, SIGTERM) ends the round and the send in hand;
whatever is not acknowledged stays buffered for the next start.
"""

from __future__ import annotations

import fcntl
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from shuixiao.demo import DemoConfig
from shuixiao.errors import ConfigurationError, ShuixiaoError
from shuixiao.field._backoff import Backoff
from shuixiao.field._signing import Maker, batch_maker, read_device_key
from shuixiao.field.buffer import Buffer, BufferStatus
from shuixiao.field.config import AgentConfig
from shuixiao.field.maps import RegisterMap
from shuixiao.field.modbus import ModbusEndpoint, ModbusError, read_point
from shuixiao.field.publish import MAX_BATCHES, HttpPublisher, MqttPublisher, Publisher, TlsFiles
from shuixiao.field.sources import (
    DemoMeter,
    DemoSource,
    DeviceStatus,
    MeterSource,
    ModbusDevice,
    ModbusMeter,
    ModbusSource,
    convert,
)

__all__ = ["LOCK_FILE", "Agent", "AgentEvent", "AgentStatus", "Probe", "agent_status", "probe_meters"]

LOCK_FILE: Final = "agent.lock"
"""Name of the lock file in the buffer directory."""
_HIGH_WATER: Final = 0.9  # share of the capacity at which the agent warns that the buffer fills up
_MQTT_WINDOW: Final = 10  # messages published before waiting for their PUBACKs


@dataclass(frozen=True)
class AgentEvent:
    """Something the agent reports while it runs.

    ``kind`` is one of: ``started``, ``round`` (readings appended), ``sent``
    (acknowledged and rejected by the platform), ``retry`` (a send failed;
    ``error`` and ``delay``), ``behind`` (rounds not taken: ``missed``),
    ``buffer_high``, ``buffer_full`` (``refused``), ``device_down``,
    ``device_up``, ``demo_done``, ``stopped``.

    Parameters
    ----------
    kind : str
    detail : dict
        The figures of the event.
    """

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


class _Lock:
    """An exclusive lock on the buffer directory (``fcntl.flock``: released when the process dies)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = (directory / LOCK_FILE).open("a+", encoding="utf-8")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.seek(0)
            pid = self._file.read().strip() or "?"
            self._file.close()
            raise ConfigurationError(
                f"another agent (pid {pid}) is using the buffer {directory}; stop it, or give this agent "
                "its own buffer directory"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def _holder(directory: Path) -> int | None:
    """The pid of the agent holding the buffer's lock, or None when no agent runs."""
    path = directory / LOCK_FILE
    if not path.is_file():
        return None
    with path.open("r", encoding="utf-8") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = file.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(file, fcntl.LOCK_UN)
    return None


class Agent:
    """The gateway agent of one configuration (see the module documentation).

    Parameters
    ----------
    config : AgentConfig
    maps : dict of RegisterMap
        Register maps by model key (:func:`~shuixiao.field.config.read_agent_config` returns them).
    on_event : callable, optional
        Called with every :class:`AgentEvent` (from the agent's threads).
    clock : callable
        Current time [s since epoch]; for tests.
    publisher : Publisher, optional
        The publisher to use instead of the configured one (tests inject one).
    """

    def __init__(
        self,
        config: AgentConfig,
        maps: dict[str, RegisterMap],
        *,
        on_event: Callable[[AgentEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
        publisher: Publisher | None = None,
    ) -> None:
        self.config = config
        self._maps = maps
        self._emit = on_event or (lambda _event: None)
        self._clock = clock
        self._publisher = publisher
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._failure: BaseException | None = None
        self._maker: Maker | None = None

    def stop(self) -> None:
        """Ask :meth:`run` to finish the round and the send in hand and return (thread- and signal-safe)."""
        self._stop.set()
        self._wake.set()

    # --- set-up ---------------------------------------------------------------------------------

    def _sources(self) -> tuple[ModbusSource | None, DemoSource | None]:
        config = self.config
        modbus_meters = []
        demo_meters = []
        for meter in config.meters:
            if meter.modbus is not None:
                point = self._maps[meter.modbus.model].points[meter.modbus.point]
                unit = meter.unit or point.unit
                modbus_meters.append(ModbusMeter(meter.id, meter.modbus.device, point, unit))
            elif meter.demo is not None:
                demo_meters.append(DemoMeter(meter.id, meter.demo.meter or meter.id, meter.unit))
        modbus = None
        if modbus_meters:
            used = {m.device for m in modbus_meters}
            devices = [
                ModbusDevice(name, d.host, d.port, d.unit, d.timeout, d.retries)
                for name, d in config.devices.items()
                if name in used
            ]
            modbus = ModbusSource(devices, modbus_meters, on_change=self._device_changed, clock=self._clock)
        demo = None
        if demo_meters:
            d = config.demo
            park = DemoConfig(
                enterprises=d.enterprises, days=d.days, interval=d.interval, seed=d.seed, start=d.start
            )
            demo = DemoSource(config.enterprise, demo_meters, park, d.speed)
        return modbus, demo

    def _make_publisher(self) -> Publisher:
        config = self.config
        mqtt, http = config.publisher.mqtt, config.publisher.http
        if mqtt is not None:
            tls = None
            if mqtt.tls is not None:
                files = (mqtt.tls.ca_file, mqtt.tls.cert_file, mqtt.tls.key_file)
                tls = TlsFiles(*(None if f is None else str(f) for f in files))
            return MqttPublisher(
                mqtt.host,
                mqtt.port,
                config.enterprise,
                prefix=mqtt.prefix,
                client_id=config.client_id,
                username=mqtt.username,
                password=config.secret(mqtt.password_env, mqtt.password_file, "publisher.mqtt password"),
                tls=tls,
                keepalive=mqtt.keepalive,
                timeout=mqtt.timeout,
                chunk=config.publisher.batch_size,
            )
        assert http is not None
        token = config.secret(http.token_env, http.token_file, "publisher.http token")
        assert token is not None
        return HttpPublisher(
            http.url,
            config.enterprise,
            token,
            timeout=http.timeout,
            verify=str(http.ca_file) if http.ca_file is not None else True,
        )

    def _device_changed(self, name: str, status: DeviceStatus) -> None:
        if status.ok:
            self._emit(AgentEvent("device_up", {"device": name}))
        else:
            self._emit(AgentEvent("device_down", {"device": name, "error": status.error}))

    # --- running --------------------------------------------------------------------------------

    def run(self) -> None:
        """Poll and publish until :meth:`stop` is called.

        Raises
        ------
        ConfigurationError
            If another agent uses the buffer, a secret is missing, or a source cannot be set up.
        """
        config = self.config
        lock = _Lock(config.buffer.directory)
        buffer: Buffer | None = None
        sources: list[MeterSource] = []
        publisher: Publisher | None = None
        sender: threading.Thread | None = None
        try:
            buffer = Buffer(config.buffer.directory, capacity=config.buffer.capacity, clock=self._clock)
            if config.signing is not None:
                key = read_device_key(config.signing.key_file)
                self._maker = batch_maker(config.gateway, key, self._clock)
                self._seal(buffer)  # readings left unsealed by a crash
            modbus, demo = self._sources()
            state = buffer.state()
            if modbus is not None:
                modbus.restore(state)
                sources.append(modbus)
            if demo is not None:
                demo.restore(state)
                sources.append(demo)
            publisher = self._publisher or self._make_publisher()
            sender = threading.Thread(
                target=self._guard, args=(buffer, publisher), name="shuixiao-agent-sender"
            )
            sender.start()
            self._emit(
                AgentEvent(
                    "started",
                    {"gateway": config.gateway, "meters": len(config.meters), "depth": buffer.status().depth},
                )
            )
            self._poll(buffer, modbus, demo, state)
        finally:
            self.stop()
            if sender is not None:
                sender.join()
            if publisher is not None:
                publisher.close()
            for source in sources:
                source.close()
            depth = buffer.status().depth if buffer is not None else 0
            if buffer is not None:
                buffer.close()
            lock.release()
            if sender is not None:
                self._emit(AgentEvent("stopped", {"depth": depth}))
        if self._failure is not None:
            raise self._failure

    def _poll(
        self, buffer: Buffer, modbus: ModbusSource | None, demo: DemoSource | None, state: dict[str, str]
    ) -> None:
        interval = self.config.interval
        last_slot = float(state.get("last_slot", "0"))
        high = buffer.status().depth >= _HIGH_WATER * buffer.capacity
        more = False
        demo_done = demo is None or demo.exhausted
        while not self._stop.is_set():
            now = self._clock()
            slot = math.floor(now / interval) * interval
            fresh = slot > last_slot and now - slot <= interval / 2
            if not fresh and not more:
                self._stop.wait(slot + interval - now + 0.001)
                continue
            if fresh and last_slot and slot - last_slot > interval:
                missed = round((slot - last_slot) / interval) - 1
                self._emit(AgentEvent("behind", {"missed": missed, "since": last_slot}))
            readings, entries, more = [], {}, False
            for source in (modbus, demo):
                if source is None or (source is modbus and not fresh):
                    continue
                taken = source.read(now, int(slot))
                readings += taken.readings
                entries.update(taken.state)
                more = more or taken.more
            if fresh:
                entries["last_slot"] = repr(slot)
                last_slot = slot
            try:
                result = buffer.append(readings, entries)
            except ShuixiaoError as err:
                self._emit(
                    AgentEvent("retry", {"error": f"cannot append to the buffer: {err}", "delay": interval})
                )
                if demo is not None:
                    demo.restore(buffer.state())  # the cursor goes back to what was committed
                continue
            self._seal(buffer)
            self._wake.set()
            self._emit(
                AgentEvent(
                    "round",
                    {"added": result.added, "rejected": result.rejected, "depth": result.depth, "ts": slot},
                )
            )
            if result.refused:
                self._emit(
                    AgentEvent("buffer_full", {"refused": result.refused, "capacity": buffer.capacity})
                )
            if not high and result.depth >= _HIGH_WATER * buffer.capacity:
                self._emit(AgentEvent("buffer_high", {"depth": result.depth, "capacity": buffer.capacity}))
            high = result.depth >= (_HIGH_WATER - 0.1) * buffer.capacity
            if not demo_done and demo is not None and demo.exhausted:
                demo_done = True
                self._emit(AgentEvent("demo_done", {"end": demo.period[1].isoformat()}))

    def _seal(self, buffer: Buffer) -> None:
        """Sign the waiting readings into batches (each with its quality flag, which the batch carries)."""
        signing = self.config.signing
        if self._maker is None or signing is None:
            return
        try:
            while buffer.seal(signing.batch_size, self._maker):
                pass
        except ShuixiaoError as err:
            self._emit(AgentEvent("retry", {"error": f"cannot seal a signed batch: {err}", "delay": 0.0}))

    def _guard(self, buffer: Buffer, publisher: Publisher) -> None:
        """Run the sender; an unexpected error stops the agent and is raised by :meth:`run`."""
        try:
            self._send(buffer, publisher)
        except BaseException as err:
            self._failure = err
            self.stop()

    def _send(self, buffer: Buffer, publisher: Publisher) -> None:
        config = self.config
        backoff = Backoff(config.backoff.initial, config.backoff.maximum, config.backoff.factor)
        size = config.publisher.batch_size
        window = _MQTT_WINDOW if config.publisher.mqtt is not None else 1
        batch_window = _MQTT_WINDOW if config.publisher.mqtt is not None else MAX_BATCHES
        signing = self._maker is not None
        while not self._stop.is_set():
            try:
                error, retry_after, busy = (
                    self._send_batches(buffer, publisher, batch_window) if signing else (None, None, False)
                )
                if error is None and not signing:  # when signing, every reading travels in a batch
                    items = buffer.pending(size * window)
                    if items:
                        busy = True
                        outcome = publisher.send(items)
                        buffer.acknowledge(outcome.acknowledged)
                        buffer.reject(outcome.rejected)
                        if outcome.acknowledged or outcome.rejected:
                            detail = {
                                "acknowledged": len(outcome.acknowledged),
                                "rejected": len(outcome.rejected),
                            }
                            self._emit(AgentEvent("sent", detail))
                        if outcome.too_large:
                            size = max(size // 2, 1)
                        error, retry_after = outcome.error, outcome.retry_after
            except ShuixiaoError as err:  # the buffer failed (disk full, I/O error)
                error, retry_after, busy = f"agent buffer: {err}", None, True
            if error is not None:
                delay = backoff.next(retry_after)
                self._emit(AgentEvent("retry", {"error": error, "delay": delay}))
                self._stop.wait(delay)
                continue
            backoff.reset()
            if not busy:
                self._wake.wait(1.0)
                self._wake.clear()

    def _send_batches(
        self, buffer: Buffer, publisher: Publisher, limit: int
    ) -> tuple[str | None, float | None, bool]:
        """Send up to ``limit`` waiting signed batches in sequence order; stop at the first failure.

        Each batch leaves the buffer (acknowledged, or refused to the rejected list) only after
        the platform's answer for it; what has no answer yet stays and is sent again.
        """
        batches = buffer.batches(limit)
        outcomes = publisher.send_batches(batches) if batches else []
        for batch, outcome in zip(batches, outcomes, strict=False):  # the outcomes of the batches sent
            if outcome.acknowledged:
                buffer.acknowledge_batch(batch.sequence, outcome.rejected)
                detail = {
                    "acknowledged": batch.readings - len(outcome.rejected),
                    "rejected": len(outcome.rejected),
                }
            elif outcome.refused is not None:
                buffer.reject_batch(batch.sequence, *outcome.refused)
                detail = {"acknowledged": 0, "rejected": batch.readings}
            else:
                return outcome.error, outcome.retry_after, True
            self._emit(AgentEvent("sent", detail))
        return None, None, bool(batches)


@dataclass(frozen=True)
class AgentStatus:
    """What ``shuixiao agent status`` shows.

    Parameters
    ----------
    buffer : BufferStatus
    pid : int or None
        The running agent's process id; None when none runs.
    devices : dict of DeviceStatus
        Modbus devices by name, as last polled.
    cursors : dict of int
        Demo meters: time of the last reading handed over [s since epoch].
    """

    buffer: BufferStatus
    pid: int | None
    devices: dict[str, DeviceStatus]
    cursors: dict[str, int]


def agent_status(config: AgentConfig) -> AgentStatus:
    """Return the state of the agent of ``config``, from its buffer (the agent may be running).

    Raises
    ------
    ConfigurationError
        If the buffer directory holds no buffer yet.
    """
    directory = config.buffer.directory
    if not Buffer.exists(directory):
        raise ConfigurationError(f"no agent buffer in {directory} yet: run `shuixiao agent run` first")
    buffer = Buffer(directory, capacity=config.buffer.capacity)
    try:
        status = buffer.status()
    finally:
        buffer.close()
    devices = {
        key.removeprefix("device."): DeviceStatus.from_json(value)
        for key, value in status.state.items()
        if key.startswith("device.")
    }
    cursors = {
        key.removeprefix("demo.cursor."): int(value)
        for key, value in status.state.items()
        if key.startswith("demo.cursor.")
    }
    return AgentStatus(status, _holder(directory), devices, cursors)


@dataclass(frozen=True)
class Probe:
    """One Modbus meter read once, for commissioning (``shuixiao agent read``).

    Parameters
    ----------
    meter, device, model, point : str
        The meter and where it is read.
    registers : tuple of int
        The registers as read (main, then fraction); empty when the read failed.
    value : float or None
        Decoded and converted to ``unit``; None when the read failed. [unit]
    unit : str
        The unit the agent sends.
    quality : str or None
        From the status word and measuring range.
    error : str or None
        Why the read failed.
    """

    meter: str
    device: str
    model: str
    point: str
    registers: tuple[int, ...]
    value: float | None
    unit: str
    quality: str | None
    error: str | None


def probe_meters(
    config: AgentConfig, maps: dict[str, RegisterMap], meters: Sequence[str] | None = None
) -> list[Probe]:
    """Read the configured Modbus meters once (all, or those named), without the buffer or a publisher.

    Raises
    ------
    ConfigurationError
        If a named meter is not a Modbus meter of the configuration.
    """
    chosen = [m for m in config.meters if m.modbus is not None and (meters is None or m.id in meters)]
    unknown = sorted(set(meters or ()) - {m.id for m in chosen})
    if unknown:
        raise ConfigurationError(f"no Modbus meter {', '.join(unknown)} in the configuration")
    endpoints: dict[tuple[str, int], ModbusEndpoint] = {}
    probes = []
    try:
        for meter in chosen:
            ref = meter.modbus
            assert ref is not None
            device = config.devices[ref.device]
            point = maps[ref.model].points[ref.point]
            unit = meter.unit or point.unit
            key = (device.host, device.port)
            if key not in endpoints:
                endpoints[key] = ModbusEndpoint(
                    device.host, device.port, timeout=device.timeout, retries=device.retries
                )
            try:
                taken = read_point(endpoints[key], device.unit, point)
            except ModbusError as err:
                probes.append(
                    Probe(meter.id, ref.device, ref.model, ref.point, (), None, unit, None, str(err))
                )
                continue
            value = (
                convert(taken.value, point.unit, unit, point.quantity)
                if math.isfinite(taken.value)
                else taken.value
            )
            probes.append(
                Probe(
                    meter.id,
                    ref.device,
                    ref.model,
                    ref.point,
                    taken.registers,
                    value,
                    unit,
                    taken.quality,
                    None,
                )
            )
    finally:
        for endpoint in endpoints.values():
            endpoint.close()
    return probes
