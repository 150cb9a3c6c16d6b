"""The durable outbox: append, acknowledge, reject, bound, signed batches, and kill -9."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shuixiao.errors import ConfigurationError
from shuixiao.field._records import FieldReading
from shuixiao.field.buffer import BUFFER_FILE, Buffer
from shuixiao.ledger import (
    Batch,
    ChainHead,
    ChainStatus,
    DeviceKey,
    Reading,
    check_batch,
    generate_ed25519_key,
    sign_batch,
)
from shuixiao.model import Quality

from ._servers import wait_for

pytestmark = pytest.mark.integration

T0 = 1_735_689_600  # 2025-01-01T08:00:00+08:00 [s]


def _readings(n: int, meter: str = "FT-101", start: int = 0) -> list[FieldReading]:
    return [FieldReading(meter, T0 + 900 * k, 100.0 + k, "m³") for k in range(start, start + n)]


@pytest.fixture
def buffer(tmp_path: Path) -> Buffer:
    buffer = Buffer(tmp_path / "buffer", capacity=100, clock=lambda: 1_800_000_000.0)
    yield buffer
    buffer.close()


def test_readings_wait_until_acknowledged(buffer: Buffer) -> None:
    result = buffer.append(_readings(5), {"demo.cursor.FT-101": str(T0 + 3600)})
    assert (result.added, result.duplicate, result.refused, result.rejected, result.depth) == (5, 0, 0, 0, 5)
    pending = buffer.pending(3)
    assert [p.reading for p in pending] == _readings(3)
    buffer.acknowledge([p.id for p in pending])
    assert [p.reading for p in buffer.pending(10)] == _readings(2, start=3)
    status = buffer.status()
    assert (status.depth, status.acknowledged, status.last_ack, status.oldest_ts) == (
        2,
        3,
        1_800_000_000.0,
        T0 + 2700,
    )
    assert status.state == {"demo.cursor.FT-101": str(T0 + 3600)}


def test_a_reading_taken_twice_waits_once(buffer: Buffer) -> None:
    buffer.append(_readings(3))
    again = buffer.append([*_readings(3), *_readings(1, "FT-102")])
    assert (again.added, again.duplicate) == (1, 3)
    assert buffer.status().depth == 4


def test_values_that_are_no_numbers_go_to_the_rejected_list(buffer: Buffer) -> None:
    result = buffer.append(
        [FieldReading("FT-101", T0, math.nan, "m³"), FieldReading("FT-101", T0 + 900, math.inf, "m³")]
    )
    assert (result.added, result.rejected) == (0, 2)
    rejected = buffer.rejected()
    assert [r.reason for r in rejected] == ["not_finite", "not_finite"]
    assert math.isnan(rejected[0].reading.value) and "the device sent no number" in rejected[0].message


def test_platform_rejections_leave_the_outbox_with_their_reason(buffer: Buffer) -> None:
    buffer.append(_readings(3))
    first, second, third = buffer.pending(3)
    buffer.acknowledge([first.id])
    buffer.reject([(second.id, "unknown_meter", "no meter FT-101", 17), (999, "conflict", "gone", None)])
    assert [p.id for p in buffer.pending(10)] == [third.id]
    (entry,) = buffer.rejected()
    assert (entry.reading, entry.reason, entry.quarantine_id) == (second.reading, "unknown_meter", 17)
    assert buffer.status().rejected == 1
    assert buffer.clear_rejected([entry.id]) == 1 and buffer.rejected() == []


def test_a_full_outbox_refuses_new_readings_and_counts_them(buffer: Buffer) -> None:
    buffer.append(_readings(90))
    result = buffer.append(_readings(20, start=90))
    assert (result.added, result.refused, result.depth) == (10, 10, 100)
    assert [p.reading.ts for p in buffer.pending(200)][-1] == T0 + 900 * 99  # the oldest are kept
    assert buffer.status().refused == 10
    buffer.acknowledge([p.id for p in buffer.pending(50)])
    assert buffer.append(_readings(5, start=200)).added == 5


def test_the_buffer_survives_closing_and_reopening(tmp_path: Path) -> None:
    first = Buffer(tmp_path)
    first.append(_readings(4), {"last_slot": "1.0"})
    first.reject([(first.pending(1)[0].id, "wrong_unit", "m³ is not a flow rate", None)])
    first.close()
    second = Buffer(tmp_path)
    assert [p.reading for p in second.pending(10)] == _readings(3, start=1)
    assert second.state()["last_slot"] == "1.0" and len(second.rejected()) == 1
    second.close()
    assert Buffer.exists(tmp_path) and not Buffer.exists(tmp_path / "nowhere")


def test_an_unusable_directory_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot open the agent buffer"):
        Buffer(blocker / "buffer")
    with pytest.raises(ConfigurationError, match="capacity must be at least 1"):
        Buffer(tmp_path, capacity=0)


def test_signed_batches_form_a_chain_that_verifies(buffer: Buffer) -> None:
    private_key, public_key = generate_ed25519_key()
    keys = [DeviceKey(public_key, valid_from=0)]
    signed: list[tuple[Batch, bytes]] = []

    def make(sequence: int, previous: bytes, readings: list[FieldReading]) -> tuple[bytes, dict[str, object]]:
        batch = Batch(
            "gw-01",
            sequence,
            previous,
            tuple(Reading(r.meter, r.ts, r.value, r.unit, Quality[r.quality.upper()]) for r in readings),
            1_800_000_000,
        )
        signature = sign_batch(batch, private_key)
        signed.append((batch, signature))
        return batch.hash(), {"sequence": sequence, "signature": signature.hex()}

    buffer.append([*_readings(5), FieldReading("FT-102", T0, 1.0, "m³", "bad")])
    first = buffer.seal(3, make)
    second = buffer.seal(3, make)
    assert buffer.seal(3, make) is None
    assert first is not None and second is not None
    assert (first.sequence, first.readings, second.sequence, second.readings) == (0, 3, 1, 3)
    assert buffer.pending(10) == []  # every reading sealed, the flagged one too
    head = None
    for batch, signature in signed:
        check = check_batch(batch, signature, keys, head)
        assert check.status is ChainStatus.OK, check.message
        head = ChainHead(batch.sequence, batch.hash())
    assert [b.sequence for b in buffer.batches(10)] == [0, 1]
    assert buffer.batches(10)[0].document == {"sequence": 0, "signature": signed[0][1].hex()}
    assert buffer.acknowledge_batch(0) == 3
    assert buffer.reject_batch(1, "bad_signature", "no key valid") == 3
    assert buffer.batches(10) == [] and buffer.status().depth == 0
    assert {r.reason for r in buffer.rejected()} == {"bad_signature"}
    assert buffer.state()["chain.sequence"] == "1"  # the chain goes on from the last sequence


WRITER = """
import sys
from shuixiao.field.buffer import Buffer
from shuixiao.field._records import FieldReading
buffer = Buffer(sys.argv[1])
k = int(buffer.state().get("cursor", "-1")) + 1
print("ready", flush=True)
while True:
    buffer.append([FieldReading("FT-101", 1735689600 + 900 * k, float(k), "m³")], {"cursor": str(k)})
    k += 1
"""


@pytest.mark.slow
def test_kill_9_while_appending_keeps_readings_and_state_together(tmp_path: Path) -> None:
    for round_ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.2 * round_)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
        process.stdout.close()
        buffer = Buffer(tmp_path)
        try:
            cursor = int(buffer.state()["cursor"])
            values = [p.reading.value for p in buffer.pending(10**6)]
        finally:
            buffer.close()
        assert values == [
            float(k) for k in range(cursor + 1)
        ]  # every committed reading, none beyond the state
    assert cursor > 10


def test_status_reads_while_another_process_writes(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        reader = Buffer(tmp_path)
        depths = []
        for _ in range(5):
            depths.append(reader.status().depth)
            time.sleep(0.05)
        wait_for(lambda: reader.status().depth > depths[-1], "more readings")
        reader.close()
    finally:
        process.kill()
        process.wait(10)
        assert process.stdout is not None
        process.stdout.close()
    assert depths == sorted(depths)


def test_opening_a_buffer_another_process_is_writing_waits_for_it(tmp_path: Path) -> None:
    """The agent starting and ``shuixiao agent status`` opening the buffer at once: SQLite refuses the
    switch to write-ahead logging at once while the other holds a write transaction; the opener waits."""
    other = sqlite3.connect(tmp_path / BUFFER_FILE, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE early (x)")  # a file not yet in WAL mode, being written
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, other.execute, ("COMMIT",)).start()
    buffer = Buffer(tmp_path)
    try:
        assert buffer.status().depth == 0
        check = sqlite3.connect(tmp_path / BUFFER_FILE)
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        check.close()
    finally:
        buffer.close()
        other.close()
