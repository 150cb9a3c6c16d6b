"""Sources: the demo park replayed, Modbus meters polled through a real server; the backoff."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from shuixiao.demo import DemoConfig, build_park, simulate
from shuixiao.errors import ConfigurationError
from shuixiao.field._backoff import RETRY_AFTER_CAP, Backoff
from shuixiao.field.maps import load_register_maps
from shuixiao.field.sources import (
    DemoMeter,
    DemoSource,
    DeviceStatus,
    ModbusDevice,
    ModbusMeter,
    ModbusSource,
)
from shuixiao.model import Quality

from ._servers import ModbusSimulator, encode, free_port

CONFIG = DemoConfig(enterprises=1, days=1)
METERS = ["FT-1001", "FI-3102", "PT-3301", "AT-3201"]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[DemoSource, dict[str, object]]]:
    park = build_park(CONFIG)
    data = next(simulate(park, CONFIG))
    series = {s.meter_id: s for s in data.series}
    units = {m.id: m.unit for m in data.enterprise.meters}
    source = DemoSource(
        "ronghu-steel",
        [DemoMeter(m, m) for m in METERS] + [DemoMeter("FI-3102-m3h", "FI-3102", "m³/h")],
        CONFIG,
        speed=0,
    )
    yield source, {"series": series, "units": units}


@pytest.mark.integration
def test_the_demo_source_hands_over_the_generators_readings_once(
    demo: tuple[DemoSource, dict[str, object]],
) -> None:
    source, truth = demo
    series: dict = truth["series"]  # type: ignore[assignment]
    units: dict = truth["units"]  # type: ignore[assignment]
    source.restore({})
    first = source.read(1_800_000_000.0, 0)
    assert not first.more and source.exhausted
    for meter in METERS:
        got = [r for r in first.readings if r.meter == meter]
        s = series[meter]
        assert [r.ts for r in got] == s.ts.tolist()
        assert [r.value for r in got] == s.value.tolist()
        assert {r.unit for r in got} == {units[meter]}
        assert [r.quality for r in got] == [Quality(q).name.lower() for q in s.quality]
        assert first.state[f"demo.cursor.{meter}"] == str(s.ts[-1])
    converted = [r.value for r in first.readings if r.meter == "FI-3102-m3h"]
    np.testing.assert_allclose(converted, series["FI-3102"].value * 3.6, rtol=1e-12)  # L/s → m³/h
    assert source.read(1_800_000_100.0, 0).readings == []  # nothing twice


@pytest.mark.integration
def test_the_demo_source_paces_and_resumes_from_its_cursor(
    demo: tuple[DemoSource, dict[str, object]],
) -> None:
    source, _ = demo
    source._speed = 900.0  # 15 simulated minutes per second  # noqa: SLF001
    source.restore({})
    now = 1_800_000_000.0
    first = source.read(now, 0)
    assert {r.ts for r in first.readings} == {source._start}  # noqa: SLF001
    later = source.read(now + 2.0, 0)
    assert sorted({r.ts for r in later.readings}) == [source._start + 900, source._start + 1800]  # noqa: SLF001
    state = {**first.state, **later.state}
    source.restore(state)  # a restart: same anchor, same cursors
    again = source.read(now + 3.0, 0)
    assert sorted({r.ts for r in again.readings}) == [source._start + 2700]  # noqa: SLF001
    source._speed = 0.0  # noqa: SLF001


@pytest.mark.integration
def test_unknown_demo_enterprises_and_meters_are_named() -> None:
    with pytest.raises(
        ConfigurationError, match="is not in the demo park of 1 enterprises.*use one of ronghu-steel"
    ):
        DemoSource("xg-steel", [DemoMeter("FT-1001", "FT-1001")], CONFIG, 0)
    with pytest.raises(ConfigurationError, match=r"has no meter FT-1010 \(did you mean FT-3010, FT-1004"):
        DemoSource("ronghu-steel", [DemoMeter("FT-1010", "FT-1010")], CONFIG, 0)
    with pytest.raises(ConfigurationError, match="demo speed must be 0 or more"):
        DemoSource("ronghu-steel", [], CONFIG, -1)


@pytest.mark.integration
def test_the_modbus_source_converts_flags_and_tracks_devices(modbus: ModbusSimulator) -> None:
    maps = load_register_maps()
    tuf, mag = maps["tuf-2000m"].points, maps["siemens-sitrans-fm-mag6000"].points
    modbus.units[1].set("holding", 0, encode(36.0, "float32", "big", "little"))
    modbus.units[2].set("holding", 3002, encode(0.01, "float32"))
    modbus.units[2].set("holding", 3200, [0x0002])
    dead = free_port()
    devices = [
        ModbusDevice("tuf", "127.0.0.1", modbus.port, unit=1, timeout=0.5, retries=0),
        ModbusDevice("mag", "127.0.0.1", modbus.port, unit=2, timeout=0.5, retries=0),
        ModbusDevice("gone", "127.0.0.1", dead, unit=1, timeout=0.5, retries=0),
        ModbusDevice("gone-2", "127.0.0.1", dead, unit=2, timeout=0.5, retries=0),
    ]
    meters = [
        ModbusMeter("FT-1", "tuf", tuf["flow"], "L/s"),
        ModbusMeter("FT-2", "mag", mag["flow"], "m³/h"),
        ModbusMeter("FT-3", "gone", tuf["flow"], "m³/h"),
        ModbusMeter("FT-4", "gone-2", tuf["flow"], "m³/h"),
    ]
    changes: list[tuple[str, bool]] = []
    clock = iter(float(t) for t in range(1_800_000_000, 1_800_001_000))
    source = ModbusSource(
        devices, meters, on_change=lambda name, s: changes.append((name, s.ok)), clock=lambda: next(clock)
    )
    try:
        first = source.read(0.0, 0)
        assert [(r.meter, r.value, r.unit, r.quality) for r in first.readings] == [
            ("FT-1", pytest.approx(10.0), "L/s", "good"),  # 36 m³/h
            ("FT-2", pytest.approx(36.0), "m³/h", "suspect"),  # 0.01 m³/s, error pending
        ]
        assert first.readings[0].ts == 1_800_000_000
        assert modbus.units[2].requests == 2  # value and status word
        gone = DeviceStatus.from_json(first.state["device.gone"])
        assert not gone.ok and "cannot connect" in (gone.error or "")
        assert "skipped" in (DeviceStatus.from_json(first.state["device.gone-2"]).error or "")
        modbus.units[1].set("holding", 0, encode(72.0, "float32", "big", "little"))
        second = source.read(0.0, 0)
        assert second.readings[0].value == pytest.approx(20.0)
        assert DeviceStatus.from_json(second.state["device.gone"]).failures == 2
        source.restore(second.state)
    finally:
        source.close()
    assert changes == [("gone", False), ("gone-2", False)]  # when they start failing, not every round


@pytest.mark.unit
def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(initial=1.0, maximum=60.0, rng=random.Random(7))
    delays = [backoff.next() for _ in range(12)]
    ceilings = [min(60.0, 2.0**n) for n in range(12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)
    assert backoff.next(hint=600.0) == 600.0
    assert backoff.next(hint=10**6) == RETRY_AFTER_CAP
    backoff.reset()
    assert backoff.next() <= 1.0
    with pytest.raises(ValueError, match="initial <= maximum"):
        Backoff(initial=10, maximum=1)
