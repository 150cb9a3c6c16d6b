"""Benchmark: ingestion throughput through the pipeline, file import and the MQTT worker.

Targets (issue 3, Performance): batch ingestion into SQLite with every check on at ≥ 200 000 readings/s,
reported as a ratio to a raw ``executemany`` of the same rows (goal ≥ 0.5); MQTT through Mosquitto with
batched payloads at ≥ 100 000 readings/s with one worker, and two workers on a shared subscription
scaling; PostgreSQL reported against a raw binary ``COPY``.

Data: one enterprise of the demo park (38 meters: totalizers with a rollover and a replacement, flow,
pressure, level and quality analysers), ``--days`` of readings at 15 minutes, sent in time order as a
live plant sends them.  For each backend (SQLite file, and PostgreSQL unless ``--no-postgres``), each
measured on a fresh database:

* baseline: the same rows inserted raw (SQLite ``executemany``; PostgreSQL binary ``COPY``) into a
  table shaped like ``readings``;
* ``Pipeline.ingest`` with batches of 1, 10, 100 and 10 000 readings (aggregates maintained);
* ``import_file`` of the readings as a CSV file (local time stamps as text);
* HTTP: ``POST /api/v1/ingest/readings`` with JSON bodies of 10 000 readings, device token, to a
  uvicorn server process on loopback (the target is stated for HTTP), from one client and from two
  clients at once (decoding a body overlaps with committing another);
* the MQTT worker end to end, through the broker at ``--broker`` (default 127.0.0.1:1883) under a
  unique topic prefix: messages of 1 reading (per-meter topic) and of 100 readings (gateway batch
  topic), with one worker process and, for the batches, two workers in one shared-subscription group;
  for the whole park's gateways also two workers each given half the enterprises (``--enterprise``,
  balanced by meters), so that one gateway's messages always reach the same worker.  The gateways
  send one message each per 15 minutes, in a random order within each 15 minutes;
* the whole park's meters each publishing its own reading (per-meter topics, as NB-IoT and 4G meters
  do), one worker and two workers in one shared-subscription group: consecutive readings of a meter
  are a park's worth of messages apart, so two workers never hold readings of one meter at once.

Small batches are time-boxed (``--budget`` seconds each): the rate is over what was committed in that
time.  The HTTP and MQTT measurements (but one gateway's single readings) run ``--repeats`` times
each, on fresh stores: the row gives the best run and lists every run.  Every rate is also given as a ratio to the baseline of its
backend in the same run.

    python benchmarks/ingest_throughput.py [--days 30] [--budget 6] [--repeats 3] [--no-postgres]
                                           [--no-mqtt] [--no-http] [--no-record] [--label TEXT]
                                           [--only mqtt]
    python benchmarks/ingest_throughput.py --replay-days 365 [--replay-enterprises 6]

With ``--replay-days`` it replays instead the demo (default: the whole park; 365 days is its year)
through HTTP (a server process, bodies of 10 000 readings) and through MQTT (one worker, one message
per gateway and time slot) into fresh SQLite databases and checks that every stored reading and
aggregate equals, bit for bit, what ``shuixiao demo`` writes directly (section ``ingest_replay``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import itertools
import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import paho.mqtt.client as mqtt
import sqlalchemy as sa
from _machine import record
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shuixiao.demo import DemoConfig, DemoPark, EnterpriseData, build_park, simulate
from shuixiao.demo.build import build_demo
from shuixiao.ingest import FileOptions, Pipeline, RawReading, Source, import_file
from shuixiao.ingest.mqtt import MqttWorker, batch_topic, reading_topic
from shuixiao.model import Origin
from shuixiao.service._secrets import new_token
from shuixiao.storage import AccountStore, Store

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BATCHES = (1, 10, 100, 10_000)
HTTP_BATCH = 10_000
OUTSTANDING = 500  # messages published but not yet committed, at most: a backlog the broker holds
Row = tuple[int, str, float, int]  # ts, meter, value (meter unit), quality
Data = tuple[DemoPark, EnterpriseData, list[Row]]
ParkData = tuple[DemoPark, list[EnterpriseData], list[tuple[str, list[Row]]]]


def dataset(days: int) -> tuple[DemoPark, EnterpriseData, list[Row]]:
    """One demo enterprise and its readings in time order (then meter order), as a plant sends them."""
    config = DemoConfig(enterprises=1, days=days, seed=7, start=dt.date(2025, 3, 1))
    park = build_park(config)
    data = next(simulate(park, config))
    order = {s.meter_id: i for i, s in enumerate(data.series)}
    rows = [
        (ts, s.meter_id, value, quality)
        for s in data.series
        for ts, value, quality in zip(s.ts.tolist(), s.value.tolist(), s.quality.tolist(), strict=True)
    ]
    rows.sort(key=lambda r: (r[0], order[r[1]]))
    return park, data, rows


def park_dataset(days: int) -> tuple[DemoPark, list[EnterpriseData], list[tuple[str, list[Row]]]]:
    """Every enterprise of the demo park; per time slot and enterprise the readings one gateway sends.

    The slots are in time order, the gateways within a slot in a (seeded) random order, as independent
    gateways send: in a fixed cycle of six gateways, a shared subscription's round robin would deal
    each of two workers the same three gateways, a partition by enterprise that real traffic lacks.
    """
    config = DemoConfig(days=days, seed=7, start=dt.date(2025, 3, 1))
    park = build_park(config)
    enterprises = list(simulate(park, config))
    slots: dict[tuple[int, str], list[Row]] = {}
    for data in enterprises:
        for s in data.series:
            for ts, value, quality in zip(s.ts.tolist(), s.value.tolist(), s.quality.tolist(), strict=True):
                slots.setdefault((ts, data.enterprise.id), []).append((ts, s.meter_id, value, quality))
    rng = random.Random(config.seed)
    ordered: list[tuple[str, list[Row]]] = []
    for _, slot in itertools.groupby(sorted(slots.items()), key=lambda item: item[0][0]):
        gateways = [(enterprise, rows) for (_, enterprise), rows in slot]
        rng.shuffle(gateways)
        ordered += gateways
    return park, enterprises, ordered


@contextlib.contextmanager
def fresh_store(
    backend: str, tmp: Path, park: DemoPark, enterprises: list[EnterpriseData], admin: str
) -> Iterator[Store]:
    """A migrated store on a new database holding the enterprises and their meter events."""
    name = f"shuixiao_bench_{uuid.uuid4().hex[:10]}"
    engine = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / name}.db"
    else:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        with Store.open(url) as store:
            store.upgrade()
            store.save_model(park.regions, (park.park,), [d.enterprise for d in enterprises])
            for data in enterprises:
                for event in data.events:
                    when = dt.datetime.fromtimestamp(event.ts, dt.UTC)
                    store.add_meter_event(data.enterprise.id, event.meter_id, when, event.kind, event.detail)
            yield store
    finally:
        if engine is not None:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()


def raw_baseline(store: Store, data: EnterpriseData, rows: list[Row], tmp: Path) -> float:
    """Rows/s of a raw insert of the same rows: sqlite3 executemany, or a binary COPY on PostgreSQL."""
    keys = store.meter_keys(data.enterprise.id)
    table = [(keys[m], ts, v, q, int(Origin.HTTP)) for ts, m, v, q in rows]
    if store.url.startswith("sqlite"):
        source = sqlite3.connect(store.url.removeprefix("sqlite:///"))
        ddl = source.execute("SELECT sql FROM sqlite_master WHERE name = 'readings'").fetchone()[0]
        source.close()
        target = sqlite3.connect(tmp / f"raw-{uuid.uuid4().hex[:8]}.db")
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=NORMAL")
        target.execute(ddl)
        started = time.perf_counter()
        with target:
            target.executemany(
                "INSERT INTO readings (meter_key, ts, value, quality, origin) VALUES (?, ?, ?, ?, ?)", table
            )
        seconds = time.perf_counter() - started
        target.close()
        return len(table) / seconds
    name = f"raw_{uuid.uuid4().hex[:8]}"
    with store.transaction("benchmark baseline", write=True) as connection:
        connection.exec_driver_sql(f"CREATE TABLE {name} (LIKE readings INCLUDING ALL)")
    epoch = 946_684_800  # PostgreSQL's epoch, 2000-01-01, in Unix seconds
    with store.transaction("benchmark baseline", write=True) as connection:
        raw: Any = connection.connection.driver_connection
        started = time.perf_counter()
        rec = np.empty(
            len(table),
            dtype=[
                ("n", ">i2"), ("l1", ">i4"), ("key", ">i4"), ("l2", ">i4"), ("ts", ">i8"), ("l3", ">i4"),
                ("value", ">f8"), ("l4", ">i4"), ("quality", ">i2"), ("l5", ">i4"), ("origin", ">i2"),
            ],
        )  # fmt: skip
        columns = list(zip(*table, strict=True))
        rec["n"], rec["l1"], rec["l2"], rec["l3"], rec["l4"], rec["l5"] = 5, 4, 8, 8, 2, 2
        rec["key"] = columns[0]
        rec["ts"] = (np.asarray(columns[1], dtype=np.int64) - epoch) * 1_000_000
        rec["value"], rec["quality"], rec["origin"] = columns[2], columns[3], columns[4]
        payload = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rec.tobytes() + b"\xff\xff"
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
    seconds = time.perf_counter() - started
    return len(table) / seconds


def records_of(rows: list[Row]) -> list[RawReading]:
    """The rows as a JSON body gives them: numbers for time and value, the flag as a number."""
    return [RawReading(m, ts, v, None, q) for ts, m, v, q in rows]


def pipeline_rate(
    store: Store, enterprise: str, rows: list[Row], batch: int, budget: float
) -> tuple[int, float]:
    """Readings and seconds of ``Pipeline.ingest`` in batches of ``batch`` (stops after ``budget`` s)."""
    records = records_of(rows)
    pipeline = Pipeline(store)
    source = Source(Origin.HTTP, "benchmark")
    done = 0
    started = time.perf_counter()
    while done < len(records) and time.perf_counter() - started < budget:
        result = pipeline.ingest(enterprise, records[done : done + batch], source)
        if result.accepted != len(result.results):
            raise RuntimeError(f"the benchmark data was not all accepted: {result.reasons()}")
        done += len(result.results)
    return done, time.perf_counter() - started


def file_rate(store: Store, enterprise: str, rows: list[Row], tmp: Path) -> tuple[int, float]:
    """Readings and seconds of ``import_file`` of a CSV export (local time stamps as text)."""
    path = tmp / f"export-{uuid.uuid4().hex[:8]}.csv"
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["meter", "ts", "value", "quality"])
        for ts, meter, value, quality in rows:
            stamp = dt.datetime.fromtimestamp(ts, shanghai).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([meter, stamp, repr(value), quality])
    started = time.perf_counter()
    report = import_file(store, path, enterprise, FileOptions())
    seconds = time.perf_counter() - started
    if report.accepted != len(rows):
        raise RuntimeError(f"the benchmark file was not all accepted ({report.accepted} of {len(rows)})")
    return len(rows), seconds


@contextlib.contextmanager
def serving(store: Store) -> Iterator[str]:
    """A server process (uvicorn, the application of ``shuixiao serve``) over ``store``; yield its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, __file__, "--serve", store.url, str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=1.0)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError("the benchmark server did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def body_of(rows: list[Row]) -> bytes:
    """A JSON body of readings as a gateway sends it (epoch seconds, values in the meter unit)."""
    return json.dumps(
        {"readings": [{"meter": m, "ts": ts, "value": v, "quality": q} for ts, m, v, q in rows]}
    ).encode()


def post_all(base: str, bodies: list[tuple[str, bytes]], clients: int) -> None:
    """Post ``(device token, body)`` pairs to ``/api/v1/ingest/readings``, ``clients`` threads taking turns."""
    failures: list[str] = []

    def post(share: list[tuple[str, bytes]]) -> None:
        with httpx.Client(base_url=base, timeout=300) as client:
            for token, body in share:
                answer = client.post(
                    "/api/v1/ingest/readings",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                if answer.status_code != 200:
                    failures.append(answer.text[:300])
                    continue
                counts = answer.json()
                if counts["rejected"] or counts["duplicate"]:
                    failures.append(answer.text[:300])

    threads = [threading.Thread(target=post, args=(bodies[n::clients],)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"the benchmark bodies were not all accepted: {failures[0]}")


def device_token(store: Store, enterprise: str) -> str:
    """A new device token of the enterprise's gateway."""
    token, digest = new_token("sxd_")
    AccountStore(store).add_device_token(digest, f"bench-{enterprise}", enterprise, "benchmark")
    return token


def http_rate(store: Store, enterprise: str, rows: list[Row], clients: int) -> tuple[int, float]:
    """Readings and seconds of JSON ``POST /api/v1/ingest/readings`` bodies of ``HTTP_BATCH`` readings.

    The server runs on loopback; each of ``clients`` threads posts its share of the bodies in turn.
    """
    token = device_token(store, enterprise)
    bodies = [(token, body_of(rows[i : i + HTTP_BATCH])) for i in range(0, len(rows), HTTP_BATCH)]
    with serving(store) as base:
        started = time.perf_counter()
        post_all(base, bodies, clients)
        seconds = time.perf_counter() - started
    return len(rows), seconds


def run_server(url: str, port: str) -> None:
    """A server process: the web application over ``url`` on loopback, until SIGTERM."""
    import uvicorn

    from shuixiao.config import Settings
    from shuixiao.service import create_app

    settings = Settings(database_url=url, data_dir=Path(tempfile.gettempdir()))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


def payloads(enterprise: str, rows: list[Row], size: int, prefix: str) -> list[tuple[str, bytes, int]]:
    """MQTT messages (topic, payload, readings): one reading on its meter's topic, or ``size`` per batch."""
    if size == 1:
        return [
            (
                reading_topic(enterprise, m, prefix),
                json.dumps({"ts": ts, "value": v, "quality": q}).encode(),
                1,
            )
            for ts, m, v, q in rows
        ]
    return [gateway(enterprise, rows[i : i + size], prefix) for i in range(0, len(rows), size)]


def gateway(enterprise: str, rows: list[Row], prefix: str) -> tuple[str, bytes, int]:
    """One gateway batch message of ``rows``."""
    items = [{"meter": m, "ts": ts, "value": v, "quality": q} for ts, m, v, q in rows]
    return batch_topic(enterprise, prefix), json.dumps(items).encode(), len(rows)


def gateways_of(slots: list[tuple[str, list[Row]]], prefix: str) -> list[tuple[str, bytes, int]]:
    """One batch message per gateway (enterprise) and time slot, in time order."""
    return [gateway(enterprise, rows, prefix) for enterprise, rows in slots]


def meters_of(slots: list[tuple[str, list[Row]]], prefix: str) -> list[tuple[str, bytes, int]]:
    """One message per meter and time slot, on the meter's topic, in time order."""
    return [message for enterprise, rows in slots for message in payloads(enterprise, rows, 1, prefix)]


def mqtt_rate(
    store: Store,
    messages: Callable[[str], list[tuple[str, bytes, int]]],
    workers: list[list[str]],
    budget: float,
    broker: tuple[str, int],
) -> tuple[int, float]:
    """Readings and seconds from the first publication until every published reading was committed.

    Worker processes run :class:`MqttWorker` (one shared-subscription group), one per item of
    ``workers``: the enterprises it consumes (empty: all of them).  The publisher keeps at
    most ``OUTSTANDING`` messages published beyond what the store holds, as a backlog after an
    outage, so the broker's per-session queue (1000 messages on a default Mosquitto) never overflows.
    """
    tag = uuid.uuid4().hex[:8]
    prefix, group = f"bench-{tag}/shuixiao/v1", f"bench-{tag}"
    processes = []
    for n, enterprises in enumerate(workers):
        command = [
            sys.executable,
            __file__,
            "--worker",
            store.url,
            *map(str, broker),
            prefix,
            group,
            f"{group}-{n}",
            *enterprises,
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("subscribed"):
                break
        else:
            raise RuntimeError(f"worker {n} ended before subscribing")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # drain its output
        processes.append(process)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(*broker)
    client.loop_start()
    outbox = messages(prefix)
    sent = np.cumsum([0] + [n for _, _, n in outbox])  # readings published before each message
    published = stored = 0
    started = time.perf_counter()
    try:
        while published < len(outbox) and time.perf_counter() - started < budget:
            waiting = published - int(np.searchsorted(sent, stored, side="right")) + 1  # messages
            if waiting >= OUTSTANDING:
                time.sleep(0.005)
                stored = store.count_readings()
                continue
            topic, payload, _ = outbox[published]
            client.publish(topic, payload, qos=1)
            published += 1
        expected = int(sent[published])
        deadline = time.perf_counter() + 120
        while stored < expected and time.perf_counter() < deadline:
            time.sleep(0.01)
            stored = store.count_readings()
        seconds = time.perf_counter() - started
    finally:
        client.disconnect()
        client.loop_stop()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)
    if stored != expected:
        raise RuntimeError(f"only {stored} of {expected} published readings were committed")
    return stored, seconds


def run_worker(
    url: str, host: str, port: str, prefix: str, group: str, client_id: str, *enterprises: str
) -> None:
    """A worker process: consume the benchmark's topics (of ``enterprises``, or all) until SIGTERM, then leave the group."""
    with Store.open(url) as store:
        worker = MqttWorker(
            store, host=host, port=int(port), prefix=prefix, group=group, client_id=client_id,
            enterprises=enterprises, session_expiry=60, on_status=lambda line: print(line, flush=True),
        )  # fmt: skip
        signal.signal(signal.SIGTERM, lambda *_: worker.stop(retire=True))
        worker.run()


def replay(args: argparse.Namespace, tmp: Path) -> list[str]:
    """Replay the demo through HTTP and through MQTT; compare what is stored with direct generation.

    The issue's done-when check: every stored reading (time, value, quality) and every aggregate
    (15 min, hour, day, month: start, value, minimum, maximum, count, quality) of every meter equal,
    bit for bit, to those ``shuixiao demo`` writes directly (SQLite).
    """
    config = DemoConfig(enterprises=args.replay_enterprises, days=args.replay_days)
    park = build_park(config)
    enterprises = list(simulate(park, config))
    slots: dict[tuple[int, str], list[Row]] = {}
    for data in enterprises:
        for series in data.series:
            columns = (series.ts.tolist(), series.value.tolist(), series.quality.tolist())
            for ts, value, quality in zip(*columns, strict=True):
                slots.setdefault((ts, data.enterprise.id), []).append((ts, series.meter_id, value, quality))
    ordered = [(enterprise, rows) for (_, enterprise), rows in sorted(slots.items())]
    total = sum(len(rows) for _, rows in ordered)
    lines = [
        f"- replay of the demo: {len(enterprises)} enterprise(s), {config.days} days from {config.start} "
        f"(seed {config.seed}), {sum(len(d.series) for d in enterprises)} meters: {total:,} readings, sent in "
        "time order as the gateways send them",
        "",
        "  | path | readings | s | readings/s | stored readings and aggregates equal to direct generation |",
        "  |---|---:|---:|---:|---|",
    ]
    with Store.open(f"sqlite:///{tmp / 'direct.db'}") as direct:
        direct.upgrade()
        started = time.perf_counter()
        build_demo(direct, config, tmp / "demo")
        seconds = time.perf_counter() - started
        lines.append(
            f"  | direct generation (`build_demo`) | {total:,} | {seconds:.1f} | {total / seconds:,.0f} | (reference) |"
        )
        print(f"direct: {total / seconds:,.0f} readings/s", flush=True)
        with fresh_store("sqlite", tmp, park, enterprises, args.postgres) as s:
            tokens = {d.enterprise.id: device_token(s, d.enterprise.id) for d in enterprises}
            bodies: list[tuple[str, bytes]] = []
            pending: dict[str, list[Row]] = {}
            for enterprise, rows in ordered:  # bodies of HTTP_BATCH readings per gateway, in time order
                pending.setdefault(enterprise, []).extend(rows)
                if len(pending[enterprise]) >= HTTP_BATCH:
                    bodies.append((tokens[enterprise], body_of(pending.pop(enterprise))))
            bodies += [(tokens[e], body_of(rows)) for e, rows in pending.items()]
            with serving(s) as base:
                started = time.perf_counter()
                post_all(base, bodies, 1)
                seconds = time.perf_counter() - started
            lines.append(
                f"  | HTTP, JSON bodies of {HTTP_BATCH:,} readings | {total:,} | {seconds:.1f} | {total / seconds:,.0f} | {compare(direct, s, enterprises)} |"
            )
            print(f"HTTP: {total / seconds:,.0f} readings/s", flush=True)
        host, port = args.broker.rsplit(":", 1)
        with fresh_store("sqlite", tmp, park, enterprises, args.postgres) as s:
            n, seconds = mqtt_rate(s, partial(gateways_of, ordered), [[]], float("inf"), (host, int(port)))
            what = "MQTT, one message per gateway and 15 min, 1 worker"
            lines.append(
                f"  | {what} | {n:,} | {seconds:.1f} | {n / seconds:,.0f} | {compare(direct, s, enterprises)} |"
            )
            print(f"MQTT: {n / seconds:,.0f} readings/s", flush=True)
    return lines


def compare(direct: Store, replayed: Store, enterprises: list[EnterpriseData]) -> str:
    """``yes`` with what was compared, or the first differences."""
    differences: list[str] = []
    compared = 0
    for data in enterprises:
        enterprise = data.enterprise.id
        if replayed.count_quarantine(enterprise):
            differences.append(f"{enterprise}: quarantined {replayed.count_quarantine(enterprise)}")
        for meter in (m.id for m in data.enterprise.meters):
            want = direct.read_readings(enterprise, meter)[["ts", "value", "quality"]]
            if not replayed.read_readings(enterprise, meter)[["ts", "value", "quality"]].equals(want):
                differences.append(f"{enterprise}/{meter} readings")
            for resolution in ("PT15M", "PT1H", "P1D", "P1M"):
                columns = ["start", "value", "minimum", "maximum", "count", "quality"]
                want = direct.read_aggregates(enterprise, meter, resolution)[columns]
                compared += len(want)
                if not replayed.read_aggregates(enterprise, meter, resolution)[columns].equals(want):
                    differences.append(f"{enterprise}/{meter} {resolution}")
    if differences:
        return f"**no**: {len(differences)} differ, e.g. {', '.join(differences[:3])}"
    return f"yes: every reading and all {compared:,} aggregate rows"


def measure(
    backend: str, args: argparse.Namespace, tmp: Path, data: Data, park_data: ParkData | None
) -> list[str]:
    """Every measurement on one backend; return the result lines."""
    park, one, rows = data
    enterprise = one.enterprise.id

    def store() -> contextlib.AbstractContextManager[Store]:
        return fresh_store(backend, tmp, park, [one], args.postgres)

    with store() as s:  # the best of three: a raw insert of a few 10 000 rows is quick and noisy
        baseline = max(raw_baseline(s, one, rows, tmp) for _ in range(3))
    name = "raw sqlite3 executemany" if backend == "sqlite" else "raw binary COPY"
    lines = [
        f"- **{backend}** baseline, {name} of the {len(rows):,} rows: {baseline:,.0f} rows/s",
        "",
        "  | path | readings | s | readings/s (best run) | ratio to raw | every run, readings/s |",
        "  |---|---:|---:|---:|---:|---|",
    ]

    def line(what: str, *runs: tuple[int, float]) -> None:
        """A row: the best of the runs (readings, seconds), and every run's rate."""
        rates = [n / seconds for n, seconds in runs]
        n, seconds = runs[rates.index(max(rates))]
        every = ", ".join(f"{r:,.0f}" for r in rates)
        lines.append(
            f"  | {what} | {n:,} | {seconds:.2f} | {max(rates):,.0f} | {max(rates) / baseline:.3f} | {every} |"
        )
        print(f"{backend}: {what}: {every} readings/s", flush=True)

    def repeated(measure: Callable[[], tuple[int, float]]) -> list[tuple[int, float]]:
        """``args.repeats`` runs of a measurement, each on a fresh store of its own."""
        return [measure() for _ in range(args.repeats)]

    def http(clients: int) -> tuple[int, float]:
        with store() as s:
            return http_rate(s, enterprise, rows, clients)

    def gateway_mqtt(size: int, workers: int) -> tuple[int, float]:
        with store() as s:
            return mqtt_rate(
                s, partial(payloads, enterprise, rows, size), [[]] * workers, args.budget, broker
            )

    def park_mqtt(
        messages: Callable[..., list[tuple[str, bytes, int]]], workers: list[list[str]]
    ) -> tuple[int, float]:
        with fresh_store(backend, tmp, whole_park, enterprises, args.postgres) as s:
            return mqtt_rate(s, partial(messages, slots), workers, args.budget, broker)

    for batch in () if args.only else BATCHES:
        with store() as s:
            line(
                f"`Pipeline.ingest`, batches of {batch:,}",
                pipeline_rate(s, enterprise, rows, batch, args.budget),
            )
    if not args.only:
        with store() as s:
            line("CSV file import (`import_file`, 50 000-record chunks)", file_rate(s, enterprise, rows, tmp))
    if not args.no_http and not args.only:
        for clients in (1, 2):
            what = (
                f"HTTP JSON bodies of {HTTP_BATCH:,} readings, {clients} client{'s' if clients > 1 else ''}"
            )
            line(what, *repeated(partial(http, clients)))
    if park_data is None:
        return lines
    host, port = args.broker.rsplit(":", 1)
    broker = (host, int(port))
    for size, workers in ((1, 1), (100, 1), (100, 2)):
        what = f"{size} reading{'s' if size > 1 else ''}/message from one gateway (its 38 meters)"
        runs = [gateway_mqtt(size, workers)] if size == 1 else repeated(partial(gateway_mqtt, size, workers))
        line(f"MQTT end to end, {what}, {workers} worker{'s' if workers > 1 else ''}", *runs)
    whole_park, enterprises, slots = park_data
    halves = halves_by_meters(enterprises)
    groups: list[tuple[list[list[str]], str]] = [
        ([[]], "1 worker"),
        ([[], []], "2 workers sharing every enterprise"),
        (halves, f"2 workers with half the enterprises each ({' / '.join(map(', '.join, halves))})"),
    ]
    meters = sum(len(d.series) for d in enterprises)
    for members, how in groups:
        what = f"{len(enterprises)} gateways (the park's {meters} meters), one message each per 15 min"
        line(f"MQTT end to end, {what}, {how}", *repeated(partial(park_mqtt, gateways_of, members)))
    for members, how in groups[:2]:
        what = f"the park's {meters} meters, each its own reading per 15 min on its own topic"
        line(f"MQTT end to end, {what}, {how}", *repeated(partial(park_mqtt, meters_of, members)))
    return lines


def halves_by_meters(enterprises: list[EnterpriseData]) -> list[list[str]]:
    """Split the enterprises between two workers, largest first to the one with fewer meters so far."""
    halves: list[list[str]] = [[], []]
    meters = [0, 0]
    for data in sorted(enterprises, key=lambda d: -len(d.series)):
        lighter = meters.index(min(meters))
        halves[lighter].append(data.enterprise.id)
        meters[lighter] += len(data.series)
    return [sorted(half) for half in halves]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--days", type=int, default=30, help="days of readings (38 meters at 15 min; 30: eleven HTTP bodies)"
    )
    parser.add_argument("--budget", type=float, default=6.0, help="seconds for each time-boxed measurement")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each HTTP and MQTT measurement (but one gateway's single readings), each on a fresh store "
        "(the best is the row's rate)",
    )
    parser.add_argument(
        "--postgres", default=POSTGRES, help="PostgreSQL server (a database is created there)"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker host:port")
    parser.add_argument("--no-mqtt", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument(
        "--only",
        choices=("mqtt",),
        help="run only these measurements (and the raw baseline they are compared with)",
    )
    parser.add_argument(
        "--park-days", type=int, default=2, help="days of the whole park for the gateway runs"
    )
    parser.add_argument(
        "--replay-days",
        type=int,
        default=0,
        metavar="N",
        help="instead of the throughput runs: replay N days of the demo (365: its year) through HTTP and MQTT "
        "and compare what is stored with direct generation",
    )
    parser.add_argument(
        "--replay-enterprises",
        type=int,
        default=6,
        metavar="K",
        help="enterprises replayed (default 6: the park)",
    )
    parser.add_argument("--label", default="", help="a note for the results section (e.g. before/after)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only == "mqtt" and args.no_mqtt:
        parser.error("--only mqtt and --no-mqtt exclude each other")
    if args.worker:
        run_worker(*args.worker)
        return
    if args.serve:
        run_server(*args.serve)
        return
    started = time.perf_counter()
    if args.replay_days:
        with tempfile.TemporaryDirectory() as tmp:
            lines = replay(args, Path(tmp))
        lines.append(f"- whole run: {time.perf_counter() - started:.0f} s")
        if args.label:
            lines.insert(0, f"- {args.label}")
        print("\n".join(lines) if args.no_record else record("ingest_replay", lines))
        return
    data = dataset(args.days)
    park, one, rows = data
    park_data = None if args.no_mqtt else park_dataset(args.park_days)
    lines = [
        f"- data: demo enterprise {one.enterprise.id}, {len(one.series)} meters, {args.days} days at 15 min: "
        f"{len(rows):,} readings in time order; aggregates (15 min, hour, day, month) maintained",
        f"- small batches and MQTT are time-boxed at {args.budget:g} s each; ratios are to the raw insert "
        "of the same backend measured in the same run",
    ]
    if park_data is not None:
        readings = sum(len(r) for _, r in park_data[2])
        lines.append(
            f"- gateway runs: the whole demo park, {len(park_data[1])} enterprises (one gateway each), "
            f"{args.park_days} days: {readings:,} readings in {len(park_data[2]):,} messages"
        )
    if args.label:
        lines.insert(0, f"- {args.label}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("sqlite", *(() if args.no_postgres else ("postgresql",))):
            lines += measure(backend, args, Path(tmp), data, park_data)
            lines.append("")
    lines.append(f"- whole run: {time.perf_counter() - started:.0f} s")
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("ingest_throughput", lines))


if __name__ == "__main__":
    main()
