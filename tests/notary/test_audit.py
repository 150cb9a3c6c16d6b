"""``ledger verify``'s audit: any change to the stored data is caught and named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from shuixiao.errors import LedgerVerificationError
from shuixiao.ledger import Batch, Reading, generate_ed25519_key
from shuixiao.model import Origin, Quality
from shuixiao.notary import audit_store
from shuixiao.notary.audit import _parse
from shuixiao.storage import schema
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
    assert audit_store(log.node.store).ok  # a tile written before migration 0007 holds none
