"""The MQTT worker against a real broker: exactly-once storage, quarantine, shared subscriptions, kill -9.

Each test uses its own topic prefix, group and client ids, and removes the
persistent sessions it created.  The broker comes from the ``broker`` fixture
(skipped when none answers, failing under CI=true).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from shuixiao.alarms import Alarm, AlarmState
from shuixiao.errors import InvalidInputError, StorageError
from shuixiao.ingest import ColumnBatch, Pipeline
from shuixiao.ingest._coverage import ALARM_KIND, claim_topic
from shuixiao.ingest.mqtt import CommitReport, MqttWorker, batch_topic, reading_topic
from shuixiao.model import Enterprise, Park, Region
from shuixiao.storage import AlarmStore, LedgerStore, Store
from shuixiao.units import to_canonical

pytestmark = pytest.mark.integration

T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
E = "xg-steel"


def _unique() -> str:
    return uuid.uuid4().hex[:10]


def _forget_session(broker: tuple[str, int], client_id: str) -> None:
    """Connect once with a clean start and no expiry: the broker drops the session and its queue."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    client.connect(*broker, clean_start=True, properties=properties)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


class Publisher:
    """A QoS 1 publisher that waits for the broker's PUBACK of every message."""

    def __init__(self, broker: tuple[str, int]) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.connect(*broker)
        self.client.loop_start()

    def publish(self, topic: str, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, data, qos=1)
        info.wait_for_publish(10)
        assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Running:
    """An in-process worker on a thread, with what it reported."""

    def __init__(
        self, store: Store, broker: tuple[str, int], prefix: str, group: str, client_id: str, **kw: Any
    ):
        self.commits: list[CommitReport] = []
        self.lines: list[str] = []
        self.worker = MqttWorker(
            store,
            host=broker[0],
            port=broker[1],
            prefix=prefix,
            group=group,
            client_id=client_id,
            session_expiry=120,
            on_commit=self.commits.append,
            on_status=self.lines.append,
            **kw,
        )
        self.thread = threading.Thread(target=self.worker.run)
        self.thread.start()
        _wait(lambda: any(line.startswith("subscribed") for line in self.lines), "the worker to subscribe")

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(20)
        assert not self.thread.is_alive()


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def mqtt_names(broker: tuple[str, int]) -> Iterator[dict[str, str]]:
    """A fresh topic prefix, group and client ids; their sessions are removed afterwards."""
    tag = _unique()
    names = {
        "prefix": f"test-{tag}/shuixiao/v1",
        "group": f"g{tag}",
        "a": f"worker-a-{tag}",
        "b": f"worker-b-{tag}",
        "c": f"worker-c-{tag}",
    }
    yield names
    for key in ("a", "b", "c"):
        _forget_session(broker, names[key])


@pytest.fixture
def publisher(broker: tuple[str, int]) -> Iterator[Publisher]:
    client = Publisher(broker)
    yield client
    client.close()


def test_a_batch_is_stored_exactly_once(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix = mqtt_names["prefix"]
    running = Running(saved, broker, prefix, mqtt_names["group"], mqtt_names["a"])
    try:
        batch = [{"meter": "FT-103", "ts": T0 + 900 * i, "value": 10.0 + i} for i in range(8)]
        publisher.publish(batch_topic(E, prefix), batch)
        publisher.publish(batch_topic(E, prefix), batch)  # a gateway re-sends after a lost PUBACK
        publisher.publish(reading_topic(E, "FT-201", prefix), {"ts": "2024-06-01T08:00:00+08:00", "value": 2})
        _wait(lambda: sum(c.messages for c in running.commits) == 3, "three messages")
    finally:
        running.stop()
    assert sum(c.accepted for c in running.commits) == 9
    assert sum(c.duplicate for c in running.commits) == 8
    assert sum(c.acknowledged for c in running.commits) == 3
    assert saved.count_readings(E) == 9
    assert saved.read_readings(E, "FT-201")["value"].tolist() == [7.2]  # L/s converted at the boundary
    assert saved.read_aggregates(E, "FT-103", "PT1H")["count"].tolist() == [4, 4]
    assert saved.count_quarantine() == {}


def test_malformed_messages_are_quarantined_and_not_delivered_again(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    running = Running(saved, broker, prefix, group, mqtt_names["a"])
    try:
        publisher.publish(batch_topic(E, prefix), b"FT-103=12.5")
        publisher.publish(batch_topic(E, prefix), b'[{"meter": "FT-103", "ts": 1, "value": "\\u0000"}]')
        publisher.publish(reading_topic(E, "FT-999", prefix), {"ts": T0, "value": 1})
        publisher.publish(reading_topic("xg-nowhere", "FT-103", prefix), {"ts": T0, "value": 1})
        publisher.publish(reading_topic(E, "FT-103", prefix), b"\x00\xff")
        _wait(lambda: sum(c.messages for c in running.commits) == 5, "five messages")
    finally:
        running.stop()
    expected = {"malformed_payload": 2, "not_a_number": 1, "unknown_meter": 1, "unknown_enterprise": 1}
    assert saved.count_quarantine() == expected
    malformed = saved.list_quarantine(reason="malformed_payload")
    assert malformed[0].payload == "FT-103=12.5" and "payload is not JSON" in malformed[0].message
    assert malformed[1].payload == "\\x00\\xff" and malformed[1].meter == "FT-103"
    again = Running(saved, broker, prefix, group, mqtt_names["a"])  # same session: nothing is pending
    time.sleep(1.0)
    again.stop()
    assert again.commits == []
    assert any("resumed session" in line for line in again.lines)
    assert saved.count_quarantine() == expected


def test_workers_of_a_group_split_the_messages(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    first = Running(saved, broker, prefix, group, mqtt_names["a"])
    second = Running(saved, broker, prefix, group, mqtt_names["b"])
    try:
        for i in range(40):
            publisher.publish(reading_topic(E, "FT-103", prefix), {"ts": T0 + 900 * i, "value": float(i)})
        _wait(lambda: saved.count_readings(E) == 40, "40 readings")
    finally:
        first.stop()
        second.stop()
    shares = [sum(c.messages for c in w.commits) for w in (first, second)]
    assert sum(shares) == 40 and min(shares) > 0, shares
    assert len(saved.read_aggregates(E, "FT-103", "PT15M")) == 40


def test_a_worker_given_enterprises_receives_only_theirs(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix = mqtt_names["prefix"]
    running = Running(saved, broker, prefix, mqtt_names["group"], mqtt_names["a"], enterprises=[E, E])
    try:
        assert running.lines[-1] == (
            f"subscribed to $share/{mqtt_names['group']}/{prefix}/{E}/+/reading, "
            f"$share/{mqtt_names['group']}/{prefix}/{E}/batch, "
            f"$share/{mqtt_names['group']}/{prefix}/{E}/batch/signed/+; "
            f"claims on {prefix}/workers/{mqtt_names['group']}/+"
        )
        # an unrestricted worker would quarantine these as unknown_enterprise and malformed_payload
        publisher.publish(reading_topic("xg-other", "FT-103", prefix), {"ts": T0, "value": 1.0})
        publisher.publish(batch_topic("xg-other", prefix), [{"meter": "FT-103", "ts": T0, "value": 1.0}])
        publisher.publish(f"{batch_topic('xg-other', prefix)}/signed/gw-1", b"not signed")
        publisher.publish(reading_topic(E, "FT-103", prefix), {"ts": T0, "value": 2.0})
        _wait(lambda: saved.count_readings(E) == 1, "the reading of the worker's enterprise")
        time.sleep(0.5)  # room for a wrongly routed message to arrive
    finally:
        running.stop()
    assert sum(c.messages for c in running.commits) == 1
    assert saved.count_quarantine() == {}


def _recording(pipeline: Pipeline, enterprises: list[str]) -> Pipeline:
    """``pipeline``, noting the enterprise of every batch it commits in ``enterprises``."""
    real = pipeline.ingest_columns

    def ingest_columns(batches: list[ColumnBatch], **kwargs: Any) -> Any:
        results = real(batches, **kwargs)
        enterprises.extend(batch.enterprise for batch in batches)
        return results

    pipeline.ingest_columns = ingest_columns  # type: ignore[method-assign]
    return pipeline


def test_workers_with_disjoint_enterprises_commit_everything_once(
    saved: Store,
    broker: tuple[str, int],
    mqtt_names: dict[str, str],
    publisher: Publisher,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
) -> None:
    other = "xt-paper"
    saved.save_model(regions, parks, [make_enterprise(other)])
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    seen: dict[str, list[str]] = {E: [], other: []}  # enterprise of every message each worker committed
    pipelines = {enterprise: _recording(Pipeline(saved), seen[enterprise]) for enterprise in seen}
    steel = Running(saved, broker, prefix, group, mqtt_names["a"], enterprises=[E], pipeline=pipelines[E])
    paper = Running(
        saved, broker, prefix, group, mqtt_names["b"], enterprises=[other], pipeline=pipelines[other]
    )
    try:
        for enterprise in (
            E,
            other,
        ):  # one gateway catching up, then the other (a shared split would mix them)
            for k in range(25):
                batch = [{"meter": m, "ts": T0 + 900 * k, "value": 100.0 + k} for m in ("FT-103", "FT-201")]
                publisher.publish(batch_topic(enterprise, prefix), batch)
        _wait(lambda: saved.count_readings(E) == 50 and saved.count_readings(other) == 50, "100 readings")
        time.sleep(0.5)  # room for a message delivered twice to arrive
    finally:
        steel.stop()
        paper.stop()
    assert seen == {E: [E] * 25, other: [other] * 25}
    for running in (steel, paper):
        assert sum(c.messages for c in running.commits) == 25
        assert sum(c.acknowledged for c in running.commits) == 25
        assert sum(c.accepted for c in running.commits) == 50
        assert sum(c.duplicate + c.rejected + c.malformed for c in running.commits) == 0
    for enterprise in (E, other):
        assert len(saved.read_aggregates(enterprise, "FT-103", "PT15M")) == 25


def test_a_retired_worker_leaves_the_group(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    staying = Running(saved, broker, prefix, group, mqtt_names["a"])
    leaving = Running(saved, broker, prefix, group, mqtt_names["b"])
    try:
        for i in range(10):
            publisher.publish(reading_topic(E, "FT-103", prefix), {"ts": T0 + 900 * i, "value": 1.0})
        _wait(lambda: saved.count_readings(E) == 10, "the first 10 readings")
        leaving.worker.stop(retire=True)
        leaving.thread.join(20)
        assert any(line.startswith(f"left group {group}") for line in leaving.lines)
        for i in range(10, 30):  # a stopped (not retired) member would be sent half of these
            publisher.publish(reading_topic(E, "FT-103", prefix), {"ts": T0 + 900 * i, "value": 1.0})
        _wait(lambda: saved.count_readings(E) == 30, "all 30 readings at the remaining worker")
    finally:
        staying.stop()
    assert sum(c.messages for c in staying.commits) >= 20


def test_nothing_is_acknowledged_while_the_database_fails(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    failures = {"left": 2}
    pipeline = Pipeline(saved)
    real = pipeline.ingest_columns

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise StorageError("database is locked")
        return real(*args, **kwargs)

    pipeline.ingest_columns = flaky  # type: ignore[method-assign]
    running = Running(
        saved, broker, mqtt_names["prefix"], mqtt_names["group"], mqtt_names["a"], pipeline=pipeline
    )
    try:
        publisher.publish(reading_topic(E, "FT-103", mqtt_names["prefix"]), {"ts": T0, "value": 1.0})
        _wait(lambda: running.commits != [], "the commit after two failures", timeout=15)
    finally:
        running.stop()
    retries = [line for line in running.lines if "nothing acknowledged, retrying" in line]
    assert len(retries) == 2 and "database is locked" in retries[0]
    assert (running.commits[0].accepted, running.commits[0].acknowledged) == (1, 1)
    assert saved.count_readings(E) == 1


class Crash(BaseException):
    """Stands for the process dying right after a commit, before the acknowledgement."""


def test_a_crash_between_commit_and_acknowledgement_redelivers_as_duplicates(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    pipeline = Pipeline(saved)
    real = pipeline.ingest_columns

    def commit_then_crash(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Crash

    pipeline.ingest_columns = commit_then_crash  # type: ignore[method-assign]
    lines: list[str] = []
    worker = MqttWorker(
        saved,
        host=broker[0],
        port=broker[1],
        prefix=prefix,
        group=group,
        client_id=mqtt_names["a"],
        session_expiry=120,
        pipeline=pipeline,
        on_status=lines.append,
    )
    crashed = threading.Event()

    def run() -> None:
        try:
            worker.run()
        except Crash:
            crashed.set()

    thread = threading.Thread(target=run)
    thread.start()
    _wait(lambda: any(line.startswith("subscribed") for line in lines), "the worker to subscribe")
    batch = [{"meter": "FT-103", "ts": T0 + 900 * i, "value": 1.0} for i in range(3)]
    publisher.publish(batch_topic(E, prefix), batch)
    assert crashed.wait(15)
    thread.join(10)
    assert saved.count_readings(E) == 3  # committed, never acknowledged
    again = Running(saved, broker, prefix, group, mqtt_names["a"])  # the broker delivers the message again
    try:
        _wait(lambda: again.commits != [], "the redelivered message")
    finally:
        again.stop()
    (commit,) = again.commits
    assert (commit.accepted, commit.duplicate, commit.acknowledged) == (0, 3, 1)
    assert saved.count_readings(E) == 3
    assert saved.read_aggregates(E, "FT-103", "PT1H")["count"].tolist() == [3]


def test_worker_options_are_checked(saved: Store) -> None:
    for options, fragment in [
        ({"port": 0}, "port must be between"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"group": "a/b"}, "cannot be a topic level"),
        ({"timezone": "Moon/Base"}, "unknown time zone"),
        ({"enterprises": [E, "xg+"]}, r"enterprise 'xg\+' cannot be a topic level"),
        ({"enterprises": [E, "xg-nowhere"]}, "enterprise 'xg-nowhere' is not in the store"),
        ({"client_id": "ingest/1"}, "client id 'ingest/1' cannot be a topic level"),
        ({"client_id": "reading"}, "the claim topic shuixiao/v1/workers/shuixiao/reading would match"),
        ({"coverage_delay": -1.0}, "coverage_delay must not be negative"),
        ({"coverage_interval": 0.0}, "coverage_interval must be > 0 s"),
    ]:
        with pytest.raises(InvalidInputError, match=fragment):
            MqttWorker(saved, **options)  # type: ignore[arg-type]
    assert MqttWorker(saved).client_id.startswith("shuixiao-ingest-")


# --- kill -9 ----------------------------------------------------------------------------------------

METERS = {  # meter id: (unit, value of message k)
    "FT-101": ("m³", lambda k: 99_999_900.0 + 7.25 * k),  # rolls over at register_max 99 999 999
    "FT-102": ("t", lambda k: 500.0 + 0.5 * k),
    "FT-301": ("m³", lambda k: 1000.0 + 3.0 * k + 0.125 * (k % 3)),
    "FT-103": ("m3/h", lambda k: 40.0 + 5.0 * math.sin(k / 7)),
    "AT-201": ("µS/cm", lambda k: 1500.0 + k),
    "PT-201": ("MPa", lambda k: 0.4 + 0.001 * (k % 17)),
    "LT-301": ("m", lambda k: 2.0 + 0.01 * k),
}
MESSAGES = 120


def _value(meter: str, k: int) -> float:
    value = METERS[meter][1](k)
    return value - 99_999_999.0 if meter == "FT-101" and value >= 99_999_999.0 else value


class Worker:
    """``shuixiao ingest mqtt`` in a subprocess, its output collected line by line."""

    def __init__(
        self, url: str, names: dict[str, str], tmp_path: Path, client: str = "a", extra: Sequence[str] = ()
    ) -> None:
        self.process, self.lines, self._reader = _spawn(url, names, tmp_path, client, extra)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _spawn(
    url: str, names: dict[str, str], tmp_path: Path, client: str = "a", extra: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], list[str], threading.Thread]:
    code = "import sys; from shuixiao.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "--database-url", url, "--lang", "en", "ingest", "mqtt"]
    argv += ["--group", names["group"], "--client-id", names[client], "--prefix", names["prefix"]]
    argv += ["--session-expiry", "300", "--batch-size", "5", "--verbose", *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SHUIXIAO_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return process, lines, reader


def _committed(lines: list[str]) -> tuple[int, int]:
    """Messages acknowledged and readings accepted, as the worker printed them."""
    acknowledged = accepted = 0
    for line in list(lines):
        match = re.match(r"Committed and acknowledged (\d+)/\d+ messages: (\d+) accepted", line)
        if match:
            acknowledged += int(match.group(1))
            accepted += int(match.group(2))
    return acknowledged, accepted


@pytest.mark.slow
def test_kill_9_mid_stream_loses_and_doubles_nothing(
    database_url: str,
    mqtt_names: dict[str, str],
    publisher: Publisher,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
    tmp_path: Path,
    reference: Callable[..., Any],
    aggregates_of: Callable[..., Any],
) -> None:
    with Store.open(database_url) as store:
        store.upgrade()
        store.save_model(regions, parks, [make_enterprise()])
        prefix = mqtt_names["prefix"]
        first = Worker(database_url, mqtt_names, tmp_path)
        second: Worker | None = None
        try:
            _wait(
                lambda: any(line.startswith("subscribed") for line in first.lines), "the worker to subscribe"
            )
            published = threading.Event()

            def publish_all() -> None:
                for k in range(MESSAGES):
                    batch = [
                        {"meter": m, "ts": T0 + 900 * k, "value": _value(m, k), "unit": u}
                        for m, (u, _) in METERS.items()
                    ]
                    publisher.publish(batch_topic(E, prefix), batch)
                    time.sleep(0.02)
                published.set()

            feeder = threading.Thread(target=publish_all)
            feeder.start()
            _wait(lambda: _committed(first.lines)[0] >= 15, "15 acknowledged messages")
            os.kill(first.process.pid, signal.SIGKILL)  # mid-stream, between any two instructions
            assert first.process.wait(10) == -signal.SIGKILL
            acknowledged, accepted = _committed(first.lines)
            assert acknowledged < MESSAGES, "the stream was over before the kill"
            assert store.count_readings(E) >= accepted  # every acknowledged reading is committed
            feeder.join(60)
            assert published.is_set()
            second = Worker(database_url, mqtt_names, tmp_path)  # same client id: same session
            _wait(lambda: store.count_readings(E) == MESSAGES * len(METERS), "every reading", timeout=90)
            second.process.send_signal(signal.SIGTERM)
            assert second.process.wait(20) == 0
            _wait(
                lambda: any(line.startswith("Stopped:") for line in second.lines),
                "the graceful stop",
                timeout=5,
            )
            lines = second.lines
        finally:
            first.close()
            if second is not None:
                second.close()
        assert any("resumed session" in line for line in lines)
        assert store.count_quarantine() == {}
        ts = T0 + 900 * np.arange(MESSAGES)
        for meter, (unit, _) in METERS.items():
            frame = store.read_readings(E, meter)
            quantity = store.load_enterprise(E).meter(meter).quantity
            expected = [to_canonical(_value(meter, k), unit, quantity) for k in range(MESSAGES)]
            assert frame["ts"].dt.as_unit("s").astype("int64").tolist() == ts.tolist()  # each exactly once
            assert frame["value"].tolist() == expected
            for resolution in ("PT1H", "P1D"):  # redelivered messages counted nowhere twice
                got = aggregates_of(store, meter, resolution)
                want = reference(
                    ts,
                    np.array(expected),
                    resolution,
                    totalizer=meter.startswith("FT-") and meter != "FT-103",
                    register_max=99_999_999.0 if meter == "FT-101" else None,
                )
                assert got["start"].tolist() == want["start"].tolist()
                assert got["count"].tolist() == want["count"].tolist()
                np.testing.assert_allclose(got["value"], want["value"], rtol=1e-12, atol=1e-9)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_worker_reconnects_after_the_broker_restarts(saved: Store, tmp_path: Path) -> None:
    executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(executable).exists():
        reason = "needs the mosquitto executable to run a broker of its own"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true; scripts/test installs it)", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")

    def start() -> subprocess.Popen[bytes]:
        broker = subprocess.Popen(
            [executable, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait(lambda: _answers(port), "the test broker")
        return broker

    broker = start()
    prefix = f"test-{_unique()}/shuixiao/v1"
    running = Running(saved, ("127.0.0.1", port), prefix, "g", "reconnecting")
    try:
        first = Publisher(("127.0.0.1", port))
        first.publish(reading_topic(E, "FT-103", prefix), {"ts": T0, "value": 1.0})
        first.close()
        _wait(lambda: saved.count_readings(E) == 1, "the first reading")
        broker.terminate()
        broker.wait(10)
        _wait(lambda: any("lost the connection" in line for line in running.lines), "the lost connection")
        broker = start()
        _wait(
            lambda: sum("subscribed" in line for line in running.lines) == 2,
            "the new subscription",
            timeout=90,
        )
        second = Publisher(("127.0.0.1", port))
        second.publish(reading_topic(E, "FT-103", prefix), {"ts": T0 + 900, "value": 2.0})
        second.close()
        _wait(lambda: saved.count_readings(E) == 2, "the reading after the restart")
    finally:
        running.stop()
        broker.terminate()
        broker.wait(10)


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_unsigned_readings_of_a_notarised_meter_are_refused(
    saved: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    LedgerStore(saved).set_meters(E, ["FT-103"], device="gw-5")  # signed batches only
    prefix = mqtt_names["prefix"]
    running = Running(saved, broker, prefix, mqtt_names["group"], mqtt_names["a"])
    try:
        batch = [
            {"meter": m, "ts": T0 + 900 * i, "value": 10.0 + i}
            for i in range(3)
            for m in ("FT-103", "FT-201")
        ]
        publisher.publish(batch_topic(E, prefix), batch)
        _wait(lambda: sum(c.messages for c in running.commits) == 1, "the message")
    finally:
        running.stop()
    assert sum(c.acknowledged for c in running.commits) == 1  # refused, quarantined, acknowledged
    assert saved.count_readings(E) == 3 and saved.count_quarantine(E) == {"unsigned": 3}
    (first, *_) = saved.list_quarantine(E, reason="unsigned")
    assert first.meter == "FT-103" and "takes device-signed batches only" in first.message


# --- partition coverage -----------------------------------------------------------------------------

OTHER = "xt-paper"


def _uncovered(store: Store, group: str) -> list[Alarm]:
    """The open coverage alarms of ``group``."""
    found = AlarmStore(store).list_alarms(states=["raised", "acknowledged"], kinds=[ALARM_KIND], limit=None)
    return [a for a in found if a.key == f"group:{group}"]


def _said(running: Running, fragment: str) -> Callable[[], bool]:
    return lambda: any(fragment in line for line in list(running.lines))


@pytest.fixture
def two(
    saved: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    """The store of ``saved`` with a second enterprise, ``xt-paper``."""
    saved.save_model(regions, parks, [make_enterprise(OTHER)])
    return saved


def test_partitions_covering_every_enterprise_raise_no_alarm(
    two: Store, broker: tuple[str, int], mqtt_names: dict[str, str]
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    steel = Running(two, broker, prefix, group, mqtt_names["a"], enterprises=[E], coverage_delay=1.0)
    paper = Running(two, broker, prefix, group, mqtt_names["b"], enterprises=[OTHER], coverage_delay=1.0)
    try:
        for running in (steel, paper):
            _wait(_said(running, f"the 2 worker(s) of group {group} consume all 2 enterprises"), "coverage")
            assert not _said(running, "no running worker of group")()
        assert _uncovered(two, group) == []
    finally:  # the one stopped last then finds the other's enterprise uncovered, rightly
        steel.stop()
        paper.stop()


def test_an_uncovered_enterprise_raises_one_alarm_until_a_worker_takes_it(
    two: Store, broker: tuple[str, int], mqtt_names: dict[str, str]
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    first = Running(two, broker, prefix, group, mqtt_names["a"], enterprises=[E], coverage_delay=1.0)
    second = Running(two, broker, prefix, group, mqtt_names["b"], enterprises=[E], coverage_delay=1.0)
    try:
        missing = f"no running worker of group {group} consumes {OTHER}: their readings are not stored"
        for running in (first, second):
            _wait(_said(running, missing), "the uncovered enterprise to be reported")
        [alarm] = _uncovered(two, group)  # one alarm, however many workers found the gap
        assert alarm.enterprise == OTHER and alarm.severity.value == "warning"
        assert f"group {group}" in alarm.title_en and f"--enterprise {OTHER}" in alarm.title_en
        assert alarm.detail["workers"] == {mqtt_names["a"]: [E], mqtt_names["b"]: [E]}
        third = Running(two, broker, prefix, group, mqtt_names["c"], enterprises=[OTHER], coverage_delay=1.0)
        try:
            _wait(lambda: _uncovered(two, group) == [], "the alarm to be cleared")
            _wait(_said(first, "consume all 2 enterprises"), "the restored coverage to be reported")
        finally:
            third.stop()
        _wait(lambda: len(_uncovered(two, group)) == 1, "a new alarm once the third worker stopped")
    finally:
        first.stop()
        second.stop()
    cleared = AlarmStore(two).get(alarm.id)
    assert (cleared.state, cleared.cleared_by) == (AlarmState.CLEARED, "system")


@pytest.mark.slow
def test_the_last_will_of_a_killed_worker_uncovers_its_enterprises(
    database_url: str, two: Store, broker: tuple[str, int], mqtt_names: dict[str, str], tmp_path: Path
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    steel = Running(two, broker, prefix, group, mqtt_names["a"], enterprises=[E], coverage_delay=1.0)
    try:
        paper = Worker(
            database_url, mqtt_names, tmp_path, "b", ["--enterprise", OTHER, "--coverage-delay", "1"]
        )
        try:
            _wait(lambda: any("consume all 2 enterprises" in line for line in paper.lines), "the process")
            _wait(_said(steel, "consume all 2 enterprises"), "coverage by the two workers")
            assert _uncovered(two, group) == []
            os.kill(paper.process.pid, signal.SIGKILL)  # no clean stop: only the last will clears the claim
            assert paper.process.wait(10) == -signal.SIGKILL
        finally:
            paper.close()
        _wait(lambda: [a.enterprise for a in _uncovered(two, group)] == [OTHER], "the alarm after the kill")
        assert _said(steel, f"no running worker of group {group} consumes {OTHER}")()
        again = Running(two, broker, prefix, group, mqtt_names["b"], enterprises=[OTHER], coverage_delay=1.0)
        try:
            _wait(lambda: _uncovered(two, group) == [], "the alarm to clear when the worker is back")
        finally:
            again.stop()
    finally:
        steel.stop()


def test_a_malformed_claim_is_ignored_with_a_line(
    two: Store, broker: tuple[str, int], mqtt_names: dict[str, str], publisher: Publisher
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    bogus = claim_topic(group, "bogus", prefix)
    running = Running(two, broker, prefix, group, mqtt_names["a"], coverage_delay=1.0)
    try:
        publisher.client.publish(bogus, b"{not json", qos=1, retain=True).wait_for_publish(10)
        _wait(
            _said(running, f"ignored a malformed claim on {bogus}: the claim is not UTF-8 JSON"), "the line"
        )
        publisher.publish(reading_topic(E, "FT-103", prefix), {"ts": T0, "value": 2.0})
        _wait(lambda: two.count_readings(E) == 1, "a reading after the malformed claim")
        _wait(_said(running, "the 1 worker(s) of group"), "the coverage line")
    finally:
        publisher.client.publish(bogus, b"", qos=1, retain=True).wait_for_publish(10)
        running.stop()
    assert _uncovered(two, group) == []
    assert two.count_quarantine() == {}  # the claim did not reach the readings


def test_a_clean_stop_clears_the_claim(
    two: Store, broker: tuple[str, int], mqtt_names: dict[str, str]
) -> None:
    prefix, group = mqtt_names["prefix"], mqtt_names["group"]
    steel = Running(two, broker, prefix, group, mqtt_names["a"], enterprises=[E], coverage_delay=1.0)
    paper = Running(two, broker, prefix, group, mqtt_names["b"], enterprises=[OTHER], coverage_delay=1.0)
    try:
        _wait(_said(steel, "consume all 2 enterprises"), "coverage by the two workers")
        paper.stop()
        _wait(lambda: [a.enterprise for a in _uncovered(two, group)] == [OTHER], "the alarm after the stop")
    finally:
        steel.stop()
    retained: list[bytes] = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    listener.on_message = lambda _c, _u, message: retained.append(bytes(message.payload))
    listener.connect(*broker)
    listener.subscribe(f"{prefix}/workers/{group}/+")
    listener.loop_start()
    time.sleep(1.0)
    listener.disconnect()
    listener.loop_stop()
    assert retained == []  # both workers stopped cleanly: no claim is left behind


def test_a_reading_on_a_topic_shaped_like_a_claim_is_still_a_reading(
    saved: Store,
    broker: tuple[str, int],
    mqtt_names: dict[str, str],
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
) -> None:
    # enterprise "workers", meter FT-103, group "FT-103": the reading topic lies under the claims topic
    saved.save_model(regions, parks, [make_enterprise("workers")])
    prefix = mqtt_names["prefix"]
    running = Running(saved, broker, prefix, "FT-103", mqtt_names["a"], coverage_delay=60.0)
    try:
        topic = reading_topic("workers", "FT-103", prefix)
        assert topic.startswith(f"{prefix}/workers/FT-103/")
        device = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        device.connect(*broker)
        device.loop_start()
        device.publish(topic, json.dumps({"ts": T0, "value": 3.0}), qos=0).wait_for_publish(10)
        _wait(lambda: saved.count_readings("workers") == 1, "the QoS 0 reading to be stored")
        device.disconnect()
        device.loop_stop()
    finally:
        running.stop()
    assert not any("malformed claim" in line for line in running.lines)
