"""The ledger tables and their repository on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import shuixiao.storage.ledger  # noqa: F401 - defines the ledger tables on the metadata
from shuixiao.errors import ConfigurationError, InvalidInputError, NotFoundError, StorageError
from shuixiao.ledger import MemoryTree, leaf_hash, merkle_root, verify_inclusion
from shuixiao.model import Enterprise, Park, Region
from shuixiao.storage import Store, schema
from shuixiao.storage.ledger import (
    BatchReadingRow,
    LedgerStore,
    NewBatch,
    StoredCosignature,
    group_batch_readings,
)
from shuixiao.storage.store import _alembic_config

pytestmark = pytest.mark.integration

LEDGER_TABLES = {name for name in schema.metadata.tables if name.startswith("ledger_")}
T0 = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def test_the_migration_builds_exactly_the_ledger_tables(store: Store) -> None:
    assert LEDGER_TABLES == {
        "ledger_batch_exceptions",
        "ledger_batch_meters",
        "ledger_batches",
        "ledger_checkpoints",
        "ledger_cosignatures",
        "ledger_device_keys",
        "ledger_incidents",
        "ledger_logs",
        "ledger_meters",
        "ledger_tiles",
    }
    options = {"compare_type": True, "include_object": _ledger_only}
    with store._engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts=options), schema.metadata)
    assert differences == []


def _ledger_only(item: object, _name: object, kind: str, _reflected: bool, _compare_to: object) -> bool:
    """Compare only the ledger tables (other capabilities test their own)."""
    table = item if kind == "table" else getattr(item, "table", None)
    return str(getattr(table, "name", "")) in LEDGER_TABLES


def test_the_ledger_migration_downgrades(store: Store) -> None:
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0003")
    with store._engine.connect() as connection:
        left = set(sa.inspect(connection).get_table_names())
    assert not left & LEDGER_TABLES
    store.upgrade()
    assert LedgerStore(store).local_log().size == 0


def test_one_local_log_bound_once_and_mirrors(store: Store) -> None:
    ledger = LedgerStore(store)
    local = ledger.local_log()
    assert ledger.local_log() == local and local.origin is None
    bound = ledger.bind_local_log("log.example/a", "log.example/a+00000000+AQ")
    assert (bound.origin, ledger.bind_local_log("log.example/a", "log.example/a+00000000+AQ").origin) == (
        "log.example/a",
        "log.example/a",
    )
    with pytest.raises(ConfigurationError, match="a log keeps one key for life"):
        ledger.bind_local_log("log.example/a", "log.example/a+11111111+AQ")
    mirror = ledger.mirror_log("log.example/b", "vkey-b")
    assert mirror.kind == "mirror" and ledger.mirror_log("log.example/b", "vkey-b") == mirror
    with pytest.raises(ConfigurationError, match="made for key vkey-b"):
        ledger.mirror_log("log.example/b", "other")
    with pytest.raises(ConfigurationError, match="own log"):
        ledger.mirror_log("log.example/a", "log.example/a+00000000+AQ")
    assert [log.kind for log in ledger.logs()] == ["local", "mirror"]
    with pytest.raises(NotFoundError):
        ledger.log(999)


def test_appends_in_bulk_keep_the_tree_of_a_memory_tree(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    tree = MemoryTree()
    rng = random.Random(7)
    for chunk in (1, 255, 1, 300, 0, 1024, 17, 66_000 - 1598):
        hashes = [leaf_hash(rng.randbytes(8)) for _ in range(chunk)]
        assert ledger.append_leaves(log.id, hashes) == tree.size
        tree.extend_leaf_hashes(hashes)
    assert ledger.log(log.id).size == tree.size == 66_000
    hasher = ledger.tile_hasher(log.id)
    for size in (1, 256, 257, 65_536, 66_000):
        assert hasher.root(size) == tree.root(size)
    for index in (0, 255, 256, 65_535, 65_999):
        assert hasher.inclusion_proof(index, 66_000) == tree.inclusion_proof(index)
    assert hasher.consistency_proof(300, 66_000) == tree.consistency_proof(300)
    tiles = ledger.read_tiles(log.id, [(0, 0), (1, 0), (2, 0), (0, 257)])
    assert sorted((k, len(v) // 32) for k, v in tiles.items()) == [
        ((0, 0), 256),
        ((0, 257), 208),
        ((1, 0), 256),
        ((2, 0), 1),
    ]


def test_device_keys_have_a_history(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    store.save_model(regions, parks, [make_enterprise(), make_enterprise("other")])
    ledger = LedgerStore(store)
    first = ledger.add_device_key("xg-steel", "gw-1", bytes([1]) * 32, T0)
    with pytest.raises(InvalidInputError, match="rotate it|keys rotate"):
        ledger.add_device_key("xg-steel", "gw-1", bytes([2]) * 32, T0)
    with pytest.raises(InvalidInputError, match="belongs to enterprise 'xg-steel'"):
        ledger.add_device_key("other", "gw-1", bytes([3]) * 32, T0)
    with pytest.raises(InvalidInputError, match="32 bytes"):
        ledger.add_device_key("xg-steel", "gw-2", b"short", T0)
    with pytest.raises(InvalidInputError, match="after the current key's start"):
        ledger.rotate_device_key("gw-1", bytes([2]) * 32, T0)
    second = ledger.rotate_device_key(
        "gw-1", bytes([2]) * 32, T0 + dt.timedelta(days=30), overlap=dt.timedelta(hours=1)
    )
    history = ledger.device_keys(device="gw-1")
    assert [k.id for k in history] == [first.id, second.id]
    assert history[0].valid_to == T0 + dt.timedelta(days=30, hours=1) and history[1].valid_to is None
    revoked = ledger.revoke_device_key("gw-1", T0 + dt.timedelta(days=40), "stolen")
    assert revoked.id == second.id and revoked.reason == "stolen"
    assert revoked.to_device_key().revoked_at == int((T0 + dt.timedelta(days=40)).timestamp())
    with pytest.raises(NotFoundError, match="no current key"):
        ledger.rotate_device_key("gw-1", bytes([4]) * 32, T0 + dt.timedelta(days=50))
    with pytest.raises(NotFoundError):
        ledger.revoke_device_key("gw-1", T0, "x", public_key=bytes([9]) * 32)
    assert ledger.device_keys(enterprise="other") == []


def test_meter_policies(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    ledger = LedgerStore(store)
    ledger.set_meters("xg-steel", ["FT-101", "PT-201"], device="gw-1")
    ledger.set_meters("xg-steel", ["PT-201", "FT-102"], unsigned_allowed=True)
    policies = {(p.meter, p.device, p.unsigned_allowed) for p in ledger.meter_policies("xg-steel")}
    assert policies == {("FT-101", "gw-1", False), ("PT-201", "gw-1", True), ("FT-102", None, True)}
    with pytest.raises(NotFoundError, match="no meter 'FT-999'"):
        ledger.set_meters("xg-steel", ["FT-999"], device="gw-1")


def _batch(sequence: int, leaf_data: bytes, readings: int = 0, device: str = "gw-1") -> NewBatch:
    return NewBatch(
        enterprise="xg-steel",
        device=device,
        sequence=sequence,
        previous_hash=bytes(32),
        batch_hash=leaf_data,
        created=1_717_200_000 + sequence,
        received=1_717_200_100,
        signature=bytes(64),
        key_id=None,
        status="linked",
        encoding=b"e" + leaf_data,
        count=readings,
        meters=group_batch_readings([1] * readings, [1_717_200_000 + i for i in range(readings)]),
    )


def test_batches_are_logged_with_their_readings_and_never_twice(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    hashes = [bytes([i]) * 32 for i in range(4)]
    assert ledger.commit_batches(
        log.id, [_batch(0, hashes[0], 2), _batch(1, hashes[1]), _batch(1, hashes[2])]
    ) == [0, 1, None]
    assert ledger.commit_batches(log.id, [_batch(1, hashes[3]), _batch(2, hashes[3], 1)]) == [None, 2]
    same, before, after = ledger.chain(log.id, "gw-1", 1)
    assert (same.leaf_index, before.sequence, after.sequence) == (1, 0, 2)  # type: ignore[union-attr]
    assert ledger.tile_hasher(log.id).root(3) == _memory_root([hashes[0], hashes[1], hashes[3]])
    assert [b.sequence for b in ledger.iter_batches(log.id, page=2)] == [0, 1, 2]
    rows = ledger.batch_readings([same.id, before.id])  # type: ignore[union-attr]
    assert [len(rows[same.id]), len(rows[before.id])] == [0, 2]  # type: ignore[union-attr]
    assert [b.sequence for b, _ in ledger.batches_with_reading(1, 1_717_200_001)] == [0]
    assert ledger.notarised_times(1) == {1_717_200_000: 0, 1_717_200_001: 0}
    assert ledger.count_sequences(log.id, "gw-1", 0, 5) == 3
    assert ledger.devices(log.id) == ["gw-1"]
    ledger.set_batch_status(same.id, "gap")  # type: ignore[union-attr]
    assert ledger.batch(same.id).status == "gap"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        ledger.batch(10_000)


T1 = 1_717_200_000
# two meters (keys 1 and 2) read at three times, interleaved; position 3 a duplicate, 4 rejected
INTERLEAVED_KEYS = [1, 2, 1, 2, 1, 2]
INTERLEAVED_TIMES = [T1, T1, T1 + 900, T1 + 900, T1 + 1800, T1 + 1800]
INTERLEAVED_EXCEPTIONS = [BatchReadingRow(3, 2, T1 + 900, 1), BatchReadingRow(4, 1, T1 + 1800, 2, 77)]


def _interleaved(sequence: int, leaf_data: bytes, keys: list[int], times: list[int]) -> NewBatch:
    return NewBatch(
        enterprise="xg-steel",
        device="gw-1",
        sequence=sequence,
        previous_hash=bytes(32),
        batch_hash=leaf_data,
        created=T1 + 3600,
        received=T1 + 3700,
        signature=bytes(64),
        key_id=None,
        status="linked",
        encoding=b"e" + leaf_data,
        count=len(keys),
        meters=group_batch_readings(keys, times),
        exceptions=INTERLEAVED_EXCEPTIONS if sequence == 0 else (),
    )


def _expected_rows() -> list[tuple[int, int, int, int, int | None]]:
    odd = {r.position: r for r in INTERLEAVED_EXCEPTIONS}
    return [
        tuple(odd[n]) if n in odd else (n, k, t, 0, None)  # type: ignore[misc]
        for n, (k, t) in enumerate(zip(INTERLEAVED_KEYS, INTERLEAVED_TIMES, strict=True))
    ]


@pytest.mark.parametrize(
    ("keys", "times"),
    [
        (INTERLEAVED_KEYS, INTERLEAVED_TIMES),  # the regular layout: a stride per meter
        ([2, 1, 1, 2, 1, 2], [T1, T1, T1 + 900, T1 + 900, T1 + 1800, T1 + 1800]),  # no stride
    ],
)
def test_batch_readings_are_kept_per_meter_with_the_exceptions(
    store: Store, keys: list[int], times: list[int]
) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    assert ledger.commit_batches(
        log.id, [_interleaved(0, bytes([1]) * 32, keys, times), _interleaved(1, bytes([2]) * 32, [2], [T1])]
    ) == [0, 1]
    first, second = ledger.iter_batches(log.id)
    rows = ledger.batch_readings([first.id, second.id])
    odd = {r.position: r for r in INTERLEAVED_EXCEPTIONS}
    assert [tuple(r) for r in rows[first.id]] == [
        tuple(odd[n]) if n in odd else (n, k, t, 0, None)
        for n, (k, t) in enumerate(zip(keys, times, strict=True))
    ]
    assert rows[second.id] == [BatchReadingRow(0, 2, T1, 0)]
    assert ledger.reading_outcomes([first.id, second.id]) == {
        first.id: (6, {3: (1, None), 4: (2, 77)}),
        second.id: (1, {}),
    }
    where = [n for n, (k, t) in enumerate(zip(keys, times, strict=True)) if (k, t) == (2, T1 + 900)]
    assert [(b.sequence, p) for b, p in ledger.batches_with_reading(2, T1 + 900)] == [(0, where[0])]
    assert [(b.sequence, p) for b, p in ledger.batches_with_reading(2, T1)] == [(0, keys.index(2)), (1, 0)]
    assert ledger.batches_with_reading(2, T1 + 450) == []  # inside the batch's span, not one of its times
    # the rejected reading is not notarised; the duplicate is; a reading in two batches gets the first leaf
    assert ledger.notarised_times(1) == {T1: 0, T1 + 900: 0}
    assert ledger.notarised_times(2) == {T1: 0, T1 + 900: 0, T1 + 1800: 0}
    assert ledger.notarised_times(2, T1 + 900, T1 + 1800) == {T1 + 900: 0}


def test_the_batch_meters_migration_converts_the_rows_both_ways(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    ledger.commit_batches(log.id, [_interleaved(0, bytes([1]) * 32, INTERLEAVED_KEYS, INTERLEAVED_TIMES)])
    (batch,) = ledger.iter_batches(log.id)
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0007")
    with store._engine.connect() as connection:
        stored = connection.execute(
            sa.text(
                "SELECT position, meter_key, ts, outcome, quarantine_id FROM ledger_batch_readings "
                "WHERE batch_id = :batch ORDER BY position"
            ),
            {"batch": batch.id},
        ).fetchall()
        assert "ledger_batch_meters" not in sa.inspect(connection).get_table_names()
    assert [
        (p, k, schema.utc_seconds(t) if not isinstance(t, int) else t, o, q) for p, k, t, o, q in stored
    ] == (_expected_rows())
    store.upgrade()
    assert [tuple(r) for r in ledger.batch_readings([batch.id])[batch.id]] == _expected_rows()
    assert ledger.reading_outcomes([batch.id]) == {batch.id: (6, {3: (1, None), 4: (2, 77)})}
    assert [(b.id, p) for b, p in ledger.batches_with_reading(1, T1 + 900)] == [(batch.id, 2)]


def _memory_root(data: list[bytes]) -> bytes:
    tree = MemoryTree()
    tree.extend(data)
    return tree.root()


def test_checkpoints_and_cosignatures(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    first = ledger.add_checkpoint(log.id, 1, bytes(32), "note 1\n", T0)
    assert ledger.add_checkpoint(log.id, 1, bytes(32), "note 1\n", T0).id == first.id
    ledger.add_checkpoint(log.id, 3, bytes([1]) * 32, "note 3\n", T0)
    assert ledger.latest_checkpoint(log.id).size == 3  # type: ignore[union-attr]
    assert ledger.add_cosignatures(first.id, [StoredCosignature("w1", 7, 100, b"s" * 72)]) == 1
    assert (
        ledger.add_cosignatures(first.id, [StoredCosignature("w1", 7, 90, b"o" * 72)]) == 0
    )  # older: kept out
    assert ledger.add_cosignatures(first.id, [StoredCosignature("w1", 7, 120, b"n" * 72)]) == 1
    kept = ledger.checkpoints(log.id, size=1)[0].cosignatures
    assert [(c.witness, c.timestamp, c.signature[:1]) for c in kept] == [("w1", 120, b"n")]
    assert [c.size for c in ledger.checkpoints(log.id, min_size=2)] == [3]


def test_incidents_are_not_repeated_and_resolve(store: Store) -> None:
    ledger = LedgerStore(store)
    first = ledger.add_incident("fork", "m", {"sequence": 1}, device="gw-1", enterprise="e")
    assert ledger.add_incident("fork", "m", {"sequence": 1}, device="gw-1").id == first.id
    second = ledger.add_incident("fork", "m", {"sequence": 2}, device="gw-1")
    assert [i.id for i in ledger.incidents(kind="fork")] == [second.id, first.id]
    ledger.resolve_incident(first.id)
    assert [i.id for i in ledger.incidents(open_only=True)] == [second.id]
    assert [i.id for i in ledger.incidents(enterprise="e")] == [first.id]
    assert len(ledger.incidents(limit=1)) == 1


def test_a_mirror_advances_only_from_the_size_it_had(store: Store) -> None:
    ledger = LedgerStore(store)
    mirror = ledger.mirror_log("log.example/a", "vkey")
    leaves = [leaf_hash(bytes([i])) for i in range(3)]

    def accept(_hasher: object) -> None:
        return None

    stored = ledger.advance_mirror(
        mirror.id, 0, leaves, [], (3, b"r" * 32, "note\n"), StoredCosignature("w", 1, 5, b"s" * 72), accept
    )
    assert stored.size == 3 and len(stored.cosignatures) == 1
    with pytest.raises(StorageError, match="moved from 0 to 3"):
        ledger.advance_mirror(mirror.id, 0, leaves, [], (6, b"r" * 32, "note\n"), None, accept)

    def refuse(_hasher: object) -> None:
        raise ValueError("root differs")

    with pytest.raises(ValueError, match="root differs"):
        ledger.advance_mirror(mirror.id, 3, leaves, [], (6, b"x" * 32, "note\n"), None, refuse)
    assert ledger.log(mirror.id).size == 3  # nothing of the refused run was kept


def test_tiles_keep_their_inner_nodes_and_proofs_read_them(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    tree = MemoryTree()
    tree.extend(i.to_bytes(4, "big") for i in range(600))
    hashes = [tree.leaf_hash(i) for i in range(600)]
    ledger.append_leaves(log.id, hashes[:200])
    ledger.append_leaves(log.id, hashes[200:])  # completes tile 0/0 and fills tile 0/1
    t = shuixiao.storage.ledger.ledger_tiles
    with store.transaction("reading") as connection:
        nodes = dict(connection.execute(sa.select(t.c.idx, t.c.nodes).where(t.c.level == 0)).all())
    assert len(nodes[0]) == len(nodes[1]) == 254 * 32
    assert len(nodes[2]) == (44 + 22 + 11 + 5 + 2 + 1) * 32  # the complete nodes of the 88 hashes of tile 0/2
    # height 1 comes first: the parent of leaves 0 and 1; height 7 last: the parent of leaves 128..255
    assert bytes(nodes[0][:32]) == tree.root(2) and bytes(nodes[0][-32:]) == merkle_root(hashes[128:256])
    assert ledger.read_tiles_and_nodes(log.id, [(0, 0)])[(0, 0)] == (
        ledger.read_tiles(log.id, [(0, 0)])[(0, 0)],
        nodes[0],
    )
    for index in (0, 1, 77, 255, 256, 511, 599):
        assert ledger.tile_hasher(log.id).inclusion_proof(index, 600) == tree.inclusion_proof(index)
    forged = bytes(32) + bytes(nodes[0][32:])  # the stored nodes are what a fresh reader's proofs use
    with store.transaction("forging", write=True) as connection:
        connection.execute(sa.update(t).where(t.c.level == 0, t.c.idx == 0).values(nodes=forged))
    assert ledger.tile_hasher(log.id).inclusion_proof(2, 600)[1] == bytes(32)


def _tile_rows(store: Store) -> dict[tuple[int, int, int], tuple[bytes, bytes | None]]:
    t = shuixiao.storage.ledger.ledger_tiles
    with store.transaction("reading") as connection:
        rows = connection.execute(sa.select(t.c.log_id, t.c.level, t.c.idx, t.c.hashes, t.c.nodes)).all()
    return {
        (log_id, level, index): (bytes(hashes), None if nodes is None else bytes(nodes))
        for log_id, level, index, hashes, nodes in rows
    }


@pytest.mark.parametrize("below", ["0008", "0006"])  # 0006: no nodes column at all
def test_the_tile_nodes_migration_fills_the_rows_written_without_them(store: Store, below: str) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    mirror = ledger.mirror_log("log.example/a", "vkey")
    # 1,100 full level 0 tiles and a partial one: more rows than the migration reads at a time
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1_100 * 256 + 77)]
    ledger.append_leaves(log.id, hashes)
    ledger.append_leaves(mirror.id, hashes[:300])
    written = _tile_rows(store)
    assert len(written) == 1_101 + 5 + 1 + 2 + 1  # levels 0, 1 and 2 of the local log; 0 and 1 of the mirror
    assert len(written[(log.id, 0, 0)][1] or b"") == 254 * 32
    assert written[(mirror.id, 1, 0)][1] == b""  # a tile of one hash has no inner node
    t = shuixiao.storage.ledger.ledger_tiles
    damaged = (mirror.id, 0, 1)  # its hashes are not a whole tile: it keeps no nodes
    with store.transaction("forgetting the nodes, as before migration 0007", write=True) as connection:
        connection.execute(sa.update(t).values(nodes=None))
        connection.execute(
            sa.update(t)
            .where(t.c.log_id == damaged[0], t.c.level == damaged[1], t.c.idx == damaged[2])
            .values(hashes=written[damaged][0] + b"\x00")
        )
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), below)
    assert store.schema_version() == below
    store.upgrade()
    assert store.schema_version() == "0010"
    filled = _tile_rows(store)
    assert filled.pop(damaged) == (written.pop(damaged)[0] + b"\x00", None)
    assert filled == written
    root = merkle_root(hashes)
    for index in (0, 255, 256, 140_000, len(hashes) - 1):
        proof = ledger.tile_hasher(log.id).inclusion_proof(index, len(hashes))
        verify_inclusion(index, len(hashes), hashes[index], proof, root)


def test_the_tile_nodes_migration_with_nothing_to_fill(store: Store) -> None:
    ledger = LedgerStore(store)
    ledger.local_log()
    ledger.mirror_log("log.example/a", "vkey")
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0008")
    store.upgrade()  # logs without tiles
    assert store.schema_version() == "0010"
    assert _tile_rows(store) == {}
    assert [g.size for g in ledger.logs()] == [0, 0]
    mirror = ledger.mirror_log("log.example/b", "vkey")
    ledger.append_leaves(mirror.id, [leaf_hash(b"a"), leaf_hash(b"b")])
    t = shuixiao.storage.ledger.ledger_tiles
    with store.transaction("damaging the only tile", write=True) as connection:
        connection.execute(sa.update(t).values(hashes=bytes(65), nodes=None))
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0008")
    store.upgrade()  # a page of damaged rows only
    assert _tile_rows(store) == {(mirror.id, 0, 0): (bytes(65), None)}


def test_pages_of_batches_hold_what_each_batch_holds(store: Store) -> None:
    ledger = LedgerStore(store)
    log = ledger.local_log()
    batches = [_batch(s, bytes([s + 1]) * 32, 2, device=f"gw-{s % 2}") for s in range(5)]
    assert ledger.commit_batches(log.id, batches) == [0, 1, 2, 3, 4]
    page = ledger.batches(log.id, after_leaf=0, limit=3)
    assert [b.leaf_index for b in page] == [1, 2, 3]
    assert page == [ledger.batch(b.id) for b in page]
    first = page[0]
    assert (first.device, first.sequence, first.created, first.received, first.readings) == (
        "gw-1",
        1,
        1_717_200_001,
        1_717_200_100,
        2,
    )
    assert (first.encoding, first.key_id, first.enterprise) == (b"e" + bytes([2]) * 32, None, "xg-steel")
    assert [b.leaf_index for b in ledger.batches(log.id, device="gw-0")] == [0, 2, 4]
    assert [b.leaf_index for b in ledger.batches(log.id, after_leaf=2, device="gw-0", limit=1)] == [4]
    assert ledger.batches(log.id, after_leaf=4) == []


def test_stored_readings_are_read_per_meter_by_time(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    keys = store.meter_keys("xg-steel")
    first, second = keys["FT-101"], keys["PT-201"]
    start = 1_717_200_000
    store.write_readings(first, [start + 120, start, start + 60], [3.0, 1.0, 2.0], [0, 1, 3], 1)
    store.write_readings(second, [start], [0.5], [2], 1)
    found = LedgerStore(store).stored_readings([second, first, second, 10_000])
    assert [[c.tolist() for c in columns] for columns in found] == [
        [[start], [0.5], [2]],
        [[start, start + 60, start + 120], [1.0, 2.0, 3.0], [1, 3, 0]],
        [[start], [0.5], [2]],
        [[], [], []],  # no such meter: nothing stored
    ]
    assert [c.dtype.name for c in found[1]] == ["int64", "float64", "int8"]
    assert LedgerStore(store).stored_readings([]) == []
