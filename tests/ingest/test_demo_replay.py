"""The demo replayed through HTTP and through MQTT stores what direct generation stores.

Done-when check of the ingestion issue: "the demo's year of data can be replayed through MQTT and
through HTTP and gives the same stored intervals as direct generation".  CI replays a representative
slice — one enterprise (the steel works: 38 meters of every kind, a register rollover and a meter
replacement), one month, every meter — and compares, bit for bit, every stored reading and every
aggregate (15 min, hour, day, month) with those ``shuixiao demo`` writes directly
(:func:`shuixiao.demo.build.build_demo`).  ``benchmarks/ingest_throughput.py --replay-days 365`` replays the
whole year the same way.

The gateways send as a plant does: in time order, one message per time slot (MQTT, gateway batch
topic) or bodies of a few thousand readings (HTTP), values in each meter's own unit.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shuixiao.config import Settings
from shuixiao.demo import DemoConfig, EnterpriseData, build_park, simulate
from shuixiao.demo.build import build_demo
from shuixiao.ingest.mqtt import MqttWorker, batch_topic
from shuixiao.service import create_app
from shuixiao.service._secrets import new_token
from shuixiao.storage import AccountStore, Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG = DemoConfig(enterprises=1, days=31, seed=7, start=dt.date(2025, 3, 1))
RESOLUTIONS = ("PT15M", "PT1H", "P1D", "P1M")
READING_COLUMNS = ["ts", "value", "quality"]
AGGREGATE_COLUMNS = ["start", "value", "minimum", "maximum", "count", "quality"]
Slot = list[dict[str, Any]]


@pytest.fixture(scope="module")
def demo() -> tuple[Any, EnterpriseData]:
    park = build_park(CONFIG)
    return park, next(simulate(park, CONFIG))


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo as ``shuixiao demo`` writes it: readings and aggregates straight from the generator."""
    where = tmp_path_factory.mktemp("direct")
    with Store.open(f"sqlite:///{where}/direct.db") as store:
        store.upgrade()
        build_demo(store, CONFIG, where / "demo")
        yield store


def _empty(path: Path, park: Any, data: EnterpriseData) -> Store:
    """A store holding the demo's model and meter events, and no readings."""
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    store.save_model(park.regions, (park.park,), [data.enterprise])
    for event in data.events:
        when = dt.datetime.fromtimestamp(event.ts, dt.UTC)
        store.add_meter_event(data.enterprise.id, event.meter_id, when, event.kind, event.detail)
    return store


def _slots(data: EnterpriseData) -> list[Slot]:
    """The readings as the gateway sends them: per time slot, every meter's, in the meter unit."""
    slots: dict[int, Slot] = {}
    for series in data.series:
        for ts, value, quality in zip(
            series.ts.tolist(), series.value.tolist(), series.quality.tolist(), strict=True
        ):
            slots.setdefault(ts, []).append(
                {"meter": series.meter_id, "ts": ts, "value": value, "quality": quality}
            )
    return [slots[ts] for ts in sorted(slots)]


def _same_as_direct(direct: Store, replayed: Store, data: EnterpriseData) -> None:
    enterprise = data.enterprise.id
    assert replayed.count_readings(enterprise) == direct.count_readings(enterprise) > 0
    assert replayed.count_quarantine(enterprise) == {}
    for meter in (m.id for m in data.enterprise.meters):
        want = direct.read_readings(enterprise, meter)[READING_COLUMNS]
        got = replayed.read_readings(enterprise, meter)[READING_COLUMNS]
        assert got.equals(want), meter
        for resolution in RESOLUTIONS:
            want = direct.read_aggregates(enterprise, meter, resolution)[AGGREGATE_COLUMNS]
            got = replayed.read_aggregates(enterprise, meter, resolution)[AGGREGATE_COLUMNS]
            assert len(want) and got.equals(want), (meter, resolution)


def test_replay_through_http(tmp_path: Path, demo: tuple[Any, EnterpriseData], direct: Store) -> None:
    park, data = demo
    enterprise = data.enterprise.id
    with _empty(tmp_path / "http.db", park, data) as store:
        token, digest = new_token("sxd_")
        AccountStore(store).add_device_token(digest, "gateway", enterprise, "test")
        app = create_app(Settings(database_url=store.url, data_dir=tmp_path), store=store)
        slots = _slots(data)
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            for first in range(0, len(slots), 100):  # bodies of 100 time slots (3 800 readings)
                readings = [r for slot in slots[first : first + 100] for r in slot]
                answer = client.post("/api/v1/ingest/readings", json={"readings": readings})
                assert answer.status_code == 200, answer.text
                assert answer.json()["accepted"] == len(readings), answer.json()
        _same_as_direct(direct, store, data)


def test_replay_through_mqtt(
    tmp_path: Path, demo: tuple[Any, EnterpriseData], direct: Store, broker: tuple[str, int]
) -> None:
    park, data = demo
    enterprise = data.enterprise.id
    tag = f"{time.time_ns():x}"
    prefix = f"replay-{tag}/shuixiao/v1"
    with _empty(tmp_path / "mqtt.db", park, data) as store:
        lines: list[str] = []
        worker = MqttWorker(
            store, host=broker[0], port=broker[1], prefix=prefix, group=f"replay-{tag}",
            client_id=f"replay-{tag}", session_expiry=0, on_status=lines.append,
        )  # fmt: skip
        thread = threading.Thread(target=worker.run)
        thread.start()
        try:
            _wait(lambda: any(line.startswith("subscribed") for line in lines), "the worker to subscribe")
            publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
            publisher.connect(*broker)
            publisher.loop_start()
            try:
                sent = 0
                for n, slot in enumerate(_slots(data), start=1):  # one message per time slot
                    publisher.publish(batch_topic(enterprise, prefix), json.dumps(slot).encode(), qos=1)
                    sent += len(slot)
                    if n % 200 == 0:  # stay well inside the broker's queue of 1 000 messages per session
                        _caught_up(store, enterprise, sent - 100 * len(slot))
                _caught_up(store, enterprise, sent, 120)
                assert store.count_readings(enterprise) == sent
            finally:
                publisher.disconnect()
                publisher.loop_stop()
        finally:
            worker.stop()
            thread.join(30)
        _same_as_direct(direct, store, data)


def _caught_up(store: Store, enterprise: str, readings: int, timeout: float = 60.0) -> None:
    _wait(lambda: store.count_readings(enterprise) >= readings, f"{readings:,} readings committed", timeout)


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
