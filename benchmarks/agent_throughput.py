"""Benchmark: the gateway agent's buffer and its MQTT publisher.

How fast a gateway can take readings in (one transaction per polling round, ``synchronous=FULL``) and
drain them (oldest first, deleted after acknowledgement), and how many readings per second the MQTT
publisher gets acknowledged by a broker. Baselines measured in the same run: raw ``sqlite3``
``executemany`` of the same rows with the same durability and transactions, and raw paho QoS 1
publishing of the same payloads.

    python benchmarks/agent_throughput.py [--readings 200000] [--round 200] [--broker 127.0.0.1:1883]
                                          [--no-record]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from _machine import record
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shuixiao.field import Buffer, FieldReading, Pending
from shuixiao.field.publish import MqttPublisher, _chunks

T0 = 1_735_689_600


def readings(n: int, meters: int) -> list[FieldReading]:
    return [
        FieldReading(f"FT-{k % meters:04d}", T0 + 900 * (k // meters), 1000.0 + k / 7, "m³") for k in range(n)
    ]


def bench_buffer(rows: list[FieldReading], per_round: int, directory: Path) -> tuple[float, float, float]:
    buffer = Buffer(directory / "agent", capacity=len(rows) + 1)
    started = time.perf_counter()
    for i in range(0, len(rows), per_round):
        buffer.append(rows[i : i + per_round], {"last_slot": str(i)})
    appended = time.perf_counter() - started
    started = time.perf_counter()
    while True:
        waiting = buffer.pending(5_000)
        if not waiting:
            break
        buffer.acknowledge([p.id for p in waiting])
    drained = time.perf_counter() - started
    buffer.close()
    raw = sqlite3.connect(directory / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, meter TEXT, ts INTEGER, value REAL, unit TEXT, UNIQUE (meter, ts))"
    )
    started = time.perf_counter()
    for i in range(0, len(rows), per_round):
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO t (meter, ts, value, unit) VALUES (?, ?, ?, ?)",
            [(r.meter, r.ts, r.value, r.unit) for r in rows[i : i + per_round]],
        )
        raw.execute("COMMIT")
    baseline = time.perf_counter() - started
    raw.close()
    return appended, drained, baseline


def bench_mqtt(rows: list[FieldReading], broker: tuple[str, int]) -> tuple[float, float, int]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}/shuixiao/v1"
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    subscribed = threading.Event()
    listener.on_subscribe = lambda *_args: subscribed.set()
    listener.connect(*broker)
    listener.loop_start()
    listener.subscribe(f"{prefix}/#", qos=1)
    subscribed.wait(10)
    items = [Pending(k + 1, r) for k, r in enumerate(rows)]
    publisher = MqttPublisher(
        *broker, "bench", prefix=prefix, client_id=f"bench-{uuid.uuid4().hex}", chunk=500
    )
    started = time.perf_counter()
    acknowledged = 0
    for i in range(0, len(items), 5_000):  # the agent's window: ten messages of 500
        outcome = publisher.send(items[i : i + 5_000])
        assert outcome.error is None, outcome.error
        acknowledged += len(outcome.acknowledged)
    agent = time.perf_counter() - started
    publisher.close()
    raw = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    raw.connect(*broker)
    raw.loop_start()
    payloads = [payload for _, payload in _chunks(items, 500)]
    started = time.perf_counter()
    for i in range(0, len(payloads), 10):
        infos = [raw.publish(f"{prefix}/bench/batch", p, qos=1) for p in payloads[i : i + 10]]
        for info in infos:
            info.wait_for_publish(30)
    baseline = time.perf_counter() - started
    raw.disconnect()
    raw.loop_stop()
    listener.disconnect()
    listener.loop_stop()
    return agent, baseline, acknowledged


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--round", type=int, default=200, help="readings per polling round (one transaction)")
    parser.add_argument("--broker", default="127.0.0.1:1883")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    rows = readings(args.readings, args.round)
    with tempfile.TemporaryDirectory() as directory:
        appended, drained, raw = bench_buffer(rows, args.round, Path(directory))
    host, _, port = args.broker.rpartition(":")
    agent, baseline, acknowledged = bench_mqtt(rows, (host, int(port)))
    n = len(rows)
    lines = [
        f"- readings: {n:,} in rounds of {args.round} (one transaction each, WAL, synchronous=FULL)",
        f"- buffer append: {appended:.2f} s → {n / appended:,.0f} readings/s; raw executemany, same "
        f"transactions: {raw:.2f} s → {n / raw:,.0f} rows/s; ratio {raw / appended:.2f}",
        f"- buffer drain (pending 5,000, acknowledge, oldest first): {drained:.2f} s → {n / drained:,.0f} readings/s",
        f"- MQTT publisher (QoS 1, 500 readings per message, 10 in flight, PUBACK awaited): {agent:.2f} s → "
        f"{acknowledged / agent:,.0f} readings/s acknowledged; raw paho, same payloads: {baseline:.2f} s → "
        f"{n / baseline:,.0f} readings/s; ratio {baseline / agent:.2f}",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("agent_throughput", lines))


if __name__ == "__main__":
    main()
