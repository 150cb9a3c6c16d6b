"""``ledger verify``'s audit: any change to the stored data is caught and named."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import BATCH_LABELS, Batch, Reading, generate_ed25519_key
from shuixiao.model import Origin, Quality
from shuixiao.notary import AuditReport, audit, audit_store
from shuixiao.notary.audit import _Expected, _page_rows, _parse, _Rows, _Signed
from shuixiao.storage import Store, schema
from shuixiao.storage.ledger import (
    ledger_batch_exceptions,
    ledger_batches,
    ledger_checkpoints,
    ledger_device_keys,
    ledger_tiles,
)

from ._helpers import T0, Device, E, LogNode, Node

pytestmark = pytest.mark.integration


@pytest.fixture
def log(node: Node, device: Device, tmp_path: Path) -> LogNode:
    logged = LogNode(node, device, tmp_path / "log-data", tmp_path / "published")
    logged.grow(6)
    assert audit_store(node.store).ok
    return logged


def _at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _execute(node: Node, statement: sa.Executable) -> None:
    with node.store.transaction("tampering", write=True) as connection:
        connection.execute(statement)


def _problems(node: Node) -> list[tuple[str, str]]:
    report = audit_store(node.store)
    assert not report.ok
    return [(p.kind, p.subject) for p in report.problems]


def test_a_changed_reading_is_named(log: LogNode) -> None:
    key = log.node.store.meter_keys(E)["FT-101"]
    r = schema.readings
    _execute(
        log.node, sa.update(r).where(r.c.meter_key == key, r.c.ts == _at(T0 + 1800)).values(value=17_000.0)
    )
    report = audit_store(log.node.store)
    assert [(p.kind, p.subject) for p in report.problems] == [
        ("reading_changed", f"reading {E}/FT-101 at {T0 + 1800}")
    ]
    assert "stored 17000.0, but batch gw-01#2 (leaf 2) signed 18025.0 m3" in report.problems[0].message


def test_a_changed_quality_flag_is_named(log: LogNode) -> None:
    key = log.node.store.meter_keys(E)["FT-101"]
    r = schema.readings
    _execute(
        log.node,
        sa.update(r).where(r.c.meter_key == key, r.c.ts == _at(T0 + 1800)).values(quality=int(Quality.BAD)),
    )
    report = audit_store(log.node.store)
    assert [(p.kind, p.subject) for p in report.problems] == [
        ("reading_changed", f"reading {E}/FT-101 at {T0 + 1800}")
    ]
    assert report.problems[0].message == "stored with quality bad, but batch gw-01#2 (leaf 2) signed good"


def test_a_deleted_reading_is_named(log: LogNode) -> None:
    key = log.node.store.meter_keys(E)["PT-201"]
    r = schema.readings
    _execute(log.node, sa.delete(r).where(r.c.meter_key == key, r.c.ts == _at(T0 + 900)))
    assert _problems(log.node) == [("reading_missing", f"reading {E}/PT-201 at {T0 + 900}")]


def test_an_inserted_reading_is_named_unless_unsigned_ingestion_is_allowed(log: LogNode) -> None:
    keys = log.node.store.meter_keys(E)
    log.node.store.write_readings(keys["PT-201"], [T0 + 450], [5.0], [int(Quality.GOOD)], int(Origin.MANUAL))
    assert _problems(log.node) == [("reading_unnotarised", f"reading {E}/PT-201 at {T0 + 450}")]
    log.node.ledger.set_meters(E, ["PT-201"], unsigned_allowed=True)
    report = audit_store(log.node.store)
    assert report.ok and report.unnotarised == 1


def test_reordered_batches_are_named(log: LogNode) -> None:
    b = ledger_batches
    ids = {bb.leaf_index: bb.id for bb in log.node.ledger.iter_batches(1)}
    _execute(log.node, sa.update(b).where(b.c.id == ids[1]).values(leaf_index=-1))
    _execute(log.node, sa.update(b).where(b.c.id == ids[2]).values(leaf_index=1))
    _execute(log.node, sa.update(b).where(b.c.id == ids[1]).values(leaf_index=2))
    assert set(_problems(log.node)) == {
        ("tree", "leaf 1"),
        ("tree", "leaf 2"),
        ("checkpoint", "checkpoint of size 6"),
    }


def test_a_swapped_device_key_is_named(log: LogNode) -> None:
    _, other = generate_ed25519_key()
    _execute(log.node, sa.update(ledger_device_keys).values(public_key=other))
    problems = _problems(log.node)
    assert problems == [("signature", f"batch gw-01#{i} (leaf {i})") for i in range(6)]


def test_a_changed_batch_and_a_changed_tree_are_named(log: LogNode) -> None:
    b = ledger_batches
    batch = next(bb for bb in log.node.ledger.iter_batches(1) if bb.sequence == 3)
    changed = batch.encoding[:-1] + bytes([batch.encoding[-1] ^ 1])
    _execute(log.node, sa.update(b).where(b.c.id == batch.id).values(encoding=changed))
    assert ("batch", "batch gw-01#3 (leaf 3)") in _problems(log.node)
    _execute(log.node, sa.update(b).where(b.c.id == batch.id).values(encoding=batch.encoding))
    tile = log.node.ledger.read_tiles(1, [(0, 0)])[(0, 0)]
    forged = tile[: 32 * 4] + bytes(32) + tile[32 * 5 :]
    _execute(log.node, sa.update(ledger_tiles).where(ledger_tiles.c.level == 0).values(hashes=forged))
    assert _problems(log.node) == [("tree", "leaf 4")]  # the signed roots still match the batches


def test_a_deleted_batch_and_a_changed_checkpoint_are_named(log: LogNode) -> None:
    c = ledger_checkpoints
    _execute(log.node, sa.update(c).values(root=bytes(32)))
    assert ("checkpoint", "checkpoint of size 6") in _problems(log.node)
    _execute(log.node, sa.update(c).values(root=log.node.ledger.tile_hasher(1).root(6)))
    victim = next(bb for bb in log.node.ledger.iter_batches(1) if bb.sequence == 2)
    _execute(log.node, sa.delete(ledger_batches).where(ledger_batches.c.id == victim.id))
    problems = _problems(log.node)
    assert ("tree", "leaf 2") in problems
    assert ("chain", "batch gw-01#3") not in problems  # the link is checked between batches still there
    assert {("reading_unnotarised", f"reading {E}/FT-101 at {T0 + 1800}")} <= set(problems)


def test_a_rejected_reading_must_still_be_in_the_quarantine(log: LogNode) -> None:
    batch = next(iter(log.node.ledger.iter_batches(1)))
    key = log.node.store.meter_keys(E)["FT-101"]
    r = schema.readings
    _execute(log.node, sa.delete(r).where(r.c.meter_key == key, r.c.ts == _at(T0)))
    _execute(
        log.node,
        sa.insert(ledger_batch_exceptions).values(
            batch_id=batch.id, position=0, meter_key=key, ts=_at(T0), outcome=2, quarantine_id=999
        ),
    )
    report = audit_store(log.node.store)
    assert [(p.kind, "quarantine entry 999 is gone" in p.message) for p in report.problems] == [
        ("reading_missing", True)
    ]


def test_the_audit_trusts_a_given_log_key_over_the_recorded_one(log: LogNode) -> None:
    from shuixiao.ledger import NoteSigner

    stranger = NoteSigner.generate(log.signer.name).verifier_key
    report = audit_store(log.node.store, log_key=stranger)
    assert [(p.kind, p.subject) for p in report.problems] == [("checkpoint", "checkpoint of size 6")]
    assert audit_store(log.node.store, log_key=log.vkey, enterprise=E).ok


@pytest.mark.parametrize(
    "readings",
    [
        # one record layout, 100 readings: read as one byte matrix
        tuple(Reading(f"FT-{i % 10:03d}", T0 + 900 * (i // 10), i - 50.25, "m3") for i in range(100)),
        # the same layout but a few readings: record by record
        (Reading("FT-101", T0, 1.5, "m3"), Reading("FT-102", T0, -2.0, "m3")),
        # layouts differ (meter id length, a unit left out; multi-byte UTF-8): record by record
        tuple(Reading(f"FT-{i}", T0 + i, 1.5, None if i % 3 else "m3") for i in range(100)),
        (Reading("水表-1", T0, 0.0), Reading("水表-1", T0 + 900, 1e300)),
        # one layout each, read as a matrix: ids of 8 bytes (compared as integers), of 11 bytes in
        # multi-byte UTF-8 (as byte strings), units of 1 to 6 bytes
        tuple(Reading(f"FLOW-{i % 4:03d}", T0 + 900 * (i // 4), float(i), "kWh") for i in range(96)),
        tuple(Reading(f"进水口-{i % 3}", T0 + 900 * (i // 3), float(i), "m³/h") for i in range(96)),
        tuple(Reading(f"FT-{i % 4}", T0 + 900 * (i // 4), float(i), "t") for i in range(96)),
        tuple(Reading(f"FT-{i % 4}", T0 + 900 * (i // 4), float(i), "万元") for i in range(96)),
    ],
)
def test_the_audit_reads_a_batch_encoding_as_the_reference_decoder_does(
    readings: tuple[Reading, ...],
) -> None:
    """The audit's column reader against ``Batch.decode`` (the canonical decoder of docs/ledger.md)."""
    data = Batch("gw-01", 3, bytes(32), readings, T0 + 1000).encode()
    device, sequence, previous, created, rows = _parse(data)
    decoded = Batch.decode(data)
    assert (device, sequence, previous, created) == ("gw-01", 3, bytes(32), T0 + 1000)
    got = [
        (rows.meters[m], t, v, rows.units[u])
        for m, t, v, u in zip(rows.meter_codes, rows.ts, rows.values, rows.unit_codes, strict=True)
    ]
    assert got == [(r.meter, r.ts, r.value, r.unit) for r in decoded.readings]


@pytest.mark.parametrize("cut", [1, 17, 40])
def test_the_audit_refuses_a_truncated_or_padded_encoding(cut: int) -> None:
    readings = tuple(Reading("FT-101", T0 + 900 * i, 1.5, "m3") for i in range(100))  # read as a matrix
    data = Batch("gw-01", 0, bytes(32), readings, T0).encode()
    for bad in (data[:-cut], data + bytes(cut)):
        with pytest.raises(LedgerVerificationError):
            _parse(bad)


def test_changed_inner_nodes_of_a_full_tile_are_named(log: LogNode) -> None:
    log.grow(256 - 6)  # the first level 0 tile is full: its inner nodes are stored with it
    t = ledger_tiles
    with log.node.store.transaction("reading") as connection:
        nodes = connection.execute(sa.select(t.c.nodes).where(t.c.level == 0, t.c.idx == 0)).scalar_one()
    assert len(nodes) == 254 * 32
    assert audit_store(log.node.store).ok
    forged = nodes[:32] + bytes(32) + nodes[64:]
    _execute(log.node, sa.update(t).where(t.c.level == 0, t.c.idx == 0).values(nodes=forged))
    assert _problems(log.node) == [("tree", "tile 0/0")]
    _execute(log.node, sa.update(t).where(t.c.level == 0, t.c.idx == 0).values(nodes=None))
    assert audit_store(log.node.store).ok  # without nodes, proofs hash them from the row


def _findings(report: AuditReport) -> tuple[object, ...]:
    return (
        report.problems,
        report.batches,
        report.readings,
        report.unnotarised,
        report.checkpoints,
        report.warnings,
    )


def test_worker_processes_find_what_one_process_finds(log: LogNode) -> None:
    log.grow(34)  # 40 batches: with 2 workers, 8 ranges of 5 leaves (leaves 0..4, 5..9, ...)
    assert _findings(audit_store(log.node.store, workers=2)) == _findings(audit_store(log.node.store))
    keys = log.node.store.meter_keys(E)
    r, b = schema.readings, ledger_batches
    _execute(
        log.node,
        sa.update(r).where(r.c.meter_key == keys["FT-101"], r.c.ts == _at(T0 + 900 * 7)).values(value=1.0),
    )
    _execute(log.node, sa.delete(r).where(r.c.meter_key == keys["PT-201"], r.c.ts == _at(T0 + 900 * 30)))
    log.node.store.write_readings(keys["PT-201"], [T0 + 450], [5.0], [int(Quality.GOOD)], int(Origin.MANUAL))
    batches = {bb.leaf_index: bb for bb in log.node.ledger.iter_batches(1)}
    # leaves 9 and 10 on either side of a range boundary, and leaf 39, the last
    _execute(log.node, sa.delete(b).where(b.c.id.in_([batches[9].id, batches[10].id, batches[39].id])))
    changed = batches[22].encoding[:-1] + bytes([batches[22].encoding[-1] ^ 1])
    _execute(log.node, sa.update(b).where(b.c.id == batches[22].id).values(encoding=changed))
    _execute(log.node, sa.update(b).where(b.c.id == batches[30].id).values(leaf_index=45))
    one = audit_store(log.node.store, workers=1)
    kinds = {p.kind for p in one.problems}
    assert {
        "tree",
        "batch",
        "signature",
        "reading_changed",
        "reading_missing",
        "reading_unnotarised",
    } <= kinds
    assert ("tree", "leaf 9") in [(p.kind, p.subject) for p in one.problems]
    for workers in (2, 3):
        assert _findings(audit_store(log.node.store, workers=workers)) == _findings(one)


def test_the_audit_refuses_a_number_of_workers_that_is_not_one_or_more() -> None:
    with pytest.raises(InvalidInputError, match="workers must be a whole number"):
        audit_store(Store.open("sqlite://"), workers=0)


def _columns(rows: Any) -> list[tuple[str, int, float, str | None]]:
    return [
        (rows.meters[m], int(t), float(v), rows.units[u])
        for m, t, v, u in zip(rows.meter_codes, rows.ts, rows.values, rows.unit_codes, strict=True)
    ]


def test_a_page_of_batches_is_read_as_its_batches_are_one_by_one() -> None:
    encodings = [
        Batch(
            "gw-01",
            s,
            bytes(32),
            tuple(Reading(f"FT-10{i % 2}", T0 + 900 * (10 * s + i), 1.5 * i, "m3") for i in range(10)),
            T0,
        ).encode()
        for s in range(8)
    ]
    read = _page_rows(encodings)
    assert read is not None
    headers, rows, counts = read
    assert [h[2] for h in headers] == list(range(8)) and counts.tolist() == [10] * 8
    assert _columns(rows) == [c for e in encodings for c in _columns(_parse(e)[4])]
    # 11 and 9 records under counts of 10 add up for the page, not for the batches: read one by one
    at = len(BATCH_LABELS[2]) + 1 + len("gw-01") + 8 + 32 + 8
    shifted = [
        e[:at] + (10 + d).to_bytes(4, "big") + e[at + 4 :]
        for e, d in zip(encodings[:2], (1, -1), strict=True)
    ]
    assert _page_rows(shifted + encodings[2:]) is None


def test_where_batches_repeat_a_time_the_last_logged_reading_is_checked() -> None:
    expected = _Expected()
    for label, times in (("a", [T0, T0 + 900]), ("b", [T0 + 900, T0 + 1800])):
        rows = _Rows(
            ["FT-101"],
            np.zeros(2, dtype=np.intp),
            np.array(times, dtype=np.int64),
            np.array([1.0, 2.0]),
            np.zeros(2, dtype=np.int8),
            ["m3"],
            np.zeros(2, dtype=np.intp),
        )
        expected.add(rows, np.array([2], dtype=np.intp), [(0, label, {})])
    signed = _Signed(expected)
    assert signed.latest("FT-101").tolist() == [0, 2, 3]  # T0 from a, T0 + 900 and T0 + 1800 from b
    assert signed.latest("PT-201").tolist() == []


def test_by_default_the_audit_takes_a_worker_per_core_for_a_large_log_where_it_can(
    log: LogNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = audit_store(log.node.store, workers=1)
    started: list[int] = []
    pool = audit.ProcessPoolExecutor

    def counted(**options: Any) -> Any:
        started.append(options["max_workers"])
        return pool(**options)

    monkeypatch.setattr(audit, "ProcessPoolExecutor", counted)
    monkeypatch.setattr(audit, "_POOL_BATCHES", dict.fromkeys(("fork", "forkserver", "spawn"), 7))
    assert _findings(audit_store(log.node.store)) == _findings(one) and started == []  # 6 batches
    monkeypatch.setattr(audit, "_POOL_BATCHES", dict.fromkeys(("fork", "forkserver", "spawn"), 6))
    assert _findings(audit_store(log.node.store)) == _findings(one)
    assert started == [len(os.sched_getaffinity(0))]
    with Store.open("sqlite://") as memory:  # no other process can open it: checked here
        memory.upgrade()
        monkeypatch.setattr(audit, "_POOL_BATCHES", dict.fromkeys(("fork", "forkserver", "spawn"), 0))
        assert audit_store(memory).ok and started == [len(os.sched_getaffinity(0))]


def test_workers_started_from_a_server_find_what_one_process_finds(
    log: LogNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the workers cannot be forked (a caller with threads, not Linux) they come from a forkserver."""
    monkeypatch.setattr(audit, "_start_method", lambda: "forkserver")
    key = log.node.store.meter_keys(E)["FT-101"]
    r = schema.readings
    _execute(log.node, sa.update(r).where(r.c.meter_key == key, r.c.ts == _at(T0 + 1800)).values(value=1.0))
    one = audit_store(log.node.store, workers=1)
    assert not one.ok and _findings(audit_store(log.node.store, workers=2)) == _findings(one)
