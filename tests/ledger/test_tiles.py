"""Tests of shuixiao.ledger.tiles: C2SP tlog-tiles paths, appends kept as tiles, proofs from tiles.

The paths are checked against the examples of c2sp.org/tlog-tiles; roots and
proofs against :class:`~shuixiao.ledger.MemoryTree` and against the naive
reference of ``_reference.py`` (RFC 9162 §2.1 written straight from the definitions).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import (
    EMPTY_ROOT,
    TILE_WIDTH,
    MemoryTree,
    TileHasher,
    append_to_tiles,
    decode_entry_bundle,
    edge_tiles,
    encode_entry_bundle,
    entries_path,
    leaf_hash,
    tile_nodes,
    tile_path,
    tile_width,
    tiles_of_subtrees,
)

from . import _reference as ref

pytestmark = pytest.mark.unit


def test_paths_follow_the_spec() -> None:
    # c2sp.org/tlog-tiles: "the index 1234067 is encoded as x001/x234/067"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(3, 0) == "tile/3/000"
    assert tile_path(1, 999, 255) == "tile/1/999.p/255"
    assert tile_path(2, 1000) == "tile/2/x001/000"
    assert entries_path(1234067, 1) == "tile/entries/x001/x234/067.p/1"
    for bad in [(-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]:
        with pytest.raises(InvalidInputError):
            tile_path(*bad)


def test_widths_and_edges() -> None:
    assert [tile_width(70_000, 0, i) for i in (0, 272, 273, 274)] == [256, 256, 112, 0]
    assert [tile_width(70_000, 1, i) for i in (0, 1)] == [256, 17]
    assert tile_width(70_000, 2, 0) == 1
    assert edge_tiles(0) == {}
    assert edge_tiles(70_000) == {0: (273, 112), 1: (1, 17), 2: (0, 1)}
    assert edge_tiles(65_536) == {2: (0, 1)}


def _tiles_from_scratch(tree: MemoryTree) -> dict[tuple[int, int], bytes]:
    """Every tile of a memory tree, read level by level from its nodes."""
    tiles = {}
    level = 0
    while tree.size >> (8 * level):
        count = tree.size >> (8 * level)
        for index in range((count + 255) // 256):
            width = min(256, count - 256 * index)
            tiles[(level, index)] = b"".join(tree.node(8 * level, 256 * index + i) for i in range(width))
        level += 1
    return tiles


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=6), st.integers(0, 2**32))
def test_appending_in_chunks_gives_the_tiles_of_the_whole_tree(chunks: list[int], seed: int) -> None:
    rng = random.Random(seed)
    tree = MemoryTree()
    tiles: dict[tuple[int, int], bytes] = {}
    for chunk in chunks:
        hashes = [leaf_hash(rng.randbytes(4)) for _ in range(chunk)]
        edges = {level: tiles[(level, index)] for level, (index, _) in edge_tiles(tree.size).items()}
        changed = append_to_tiles(tree.size, edges, hashes)
        tree.extend_leaf_hashes(hashes)
        for key, data in changed.items():
            assert data.startswith(tiles.get(key, b""))  # tiles only ever grow
        tiles.update(changed)
    assert tiles == _tiles_from_scratch(tree)


def test_append_refuses_a_wrong_edge_or_hash() -> None:
    first = append_to_tiles(0, {}, [leaf_hash(b"a")] * 3)
    with pytest.raises(InvalidInputError, match="edge tile at level 0 holds 2 hashes"):
        append_to_tiles(3, {0: first[(0, 0)][:64]}, [leaf_hash(b"b")])
    with pytest.raises(InvalidInputError, match="32 bytes"):
        append_to_tiles(0, {}, [b"short"])
    with pytest.raises(InvalidInputError, match="negative"):
        append_to_tiles(-1, {}, [])
    assert append_to_tiles(3, {0: first[(0, 0)]}, []) == {}


def test_the_inner_nodes_of_every_tile_are_its_subtrees_height_by_height() -> None:
    tree = MemoryTree()
    tree.extend(i.to_bytes(3, "big") for i in range(70_000))  # full and partial tiles on levels 0 and 1
    inner: dict[tuple[int, int], bytes] = {}
    tiles = append_to_tiles(0, {}, [tree.leaf_hash(i) for i in range(tree.size)], inner=inner)
    assert inner.keys() == tiles.keys()
    for (level, index), data in tiles.items():
        width = len(data) // 32
        expected = b"".join(
            tree.node(8 * level + height, ((256 * index) >> height) + offset)
            for height in range(1, 8)
            for offset in range(width >> height)
        )
        assert tile_nodes(data) == inner[(level, index)] == expected, (level, index)
    assert len(tile_nodes(tiles[(0, 0)])) == 254 * 32
    assert tile_nodes(tiles[(2, 0)]) == b""  # one hash: no node above it


@pytest.mark.parametrize("length", [0, 31, 33, 257 * 32])
def test_tile_nodes_refuses_a_row_that_is_not_a_tile(length: int) -> None:
    with pytest.raises(InvalidInputError, match=f"1 to 256 hashes of 32 bytes, not {length} bytes"):
        tile_nodes(bytes(length))


def _hasher(
    tiles: dict[tuple[int, int], bytes], reads: list[int] | None = None, cache: int = 256
) -> TileHasher:
    def read(keys: object) -> dict[tuple[int, int], bytes]:
        if reads is not None:
            reads.append(len(keys))  # type: ignore[arg-type]
        return {k: tiles[k] for k in keys if k in tiles}  # type: ignore[union-attr]

    return TileHasher(read, cache)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 255, 256, 257, 300, 511, 513])
def test_roots_and_proofs_from_tiles_agree_with_the_naive_reference(size: int) -> None:
    entries = [i.to_bytes(3, "big") for i in range(size)]
    tiles = append_to_tiles(0, {}, [leaf_hash(e) for e in entries])
    hasher = _hasher(tiles)
    assert hasher.root(size) == ref.mth(entries)
    for index in sorted({0, size // 2, size - 1}):
        assert hasher.inclusion_proof(index, size) == ref.path(index, entries)
    for old in sorted({1, size // 3 or 1, size - 1 or 1}):
        assert hasher.consistency_proof(old, size) == ref.proof(old, entries)


def test_a_large_tree_needs_few_reads() -> None:
    tree = MemoryTree()
    tree.extend(i.to_bytes(4, "big") for i in range(70_000))
    tiles = _tiles_from_scratch(tree)
    reads: list[int] = []
    hasher = _hasher(tiles, reads, cache=4)
    rng = random.Random(1)
    for _ in range(20):
        index = rng.randrange(70_000)
        size = rng.randrange(index + 1, 70_001)
        assert hasher.inclusion_proof(index, size) == tree.inclusion_proof(index, size)
        old = rng.randrange(1, size + 1)
        assert hasher.consistency_proof(old, size) == tree.consistency_proof(old, size)
    assert hasher.root(0) == EMPTY_ROOT
    assert max(reads) <= 6  # one read per proof, a handful of tiles each
    assert hasher.leaf_hashes(250, 520) == [tree.leaf_hash(i) for i in range(250, 520)]


def test_a_stale_partial_tile_is_read_again_and_a_missing_one_is_named() -> None:
    tiles = append_to_tiles(0, {}, [leaf_hash(bytes([i])) for i in range(10)])
    hasher = _hasher(tiles)
    assert hasher.root(10) == ref.mth([bytes([i]) for i in range(10)])
    tiles.update(append_to_tiles(10, {0: tiles[(0, 0)]}, [leaf_hash(bytes([i])) for i in range(10, 20)]))
    assert hasher.root(20) == ref.mth(
        [bytes([i]) for i in range(20)]
    )  # the cached 10-wide tile was read again
    with pytest.raises(InvalidInputError, match="holds 20 hashes, 32 needed"):
        hasher(0, 32)
    with pytest.raises(InvalidInputError, match="tile/0/001 holds 0 hashes"):
        hasher(256, 257)
    with pytest.raises(InvalidInputError, match="not a complete subtree"):
        hasher(0, 3)
    with pytest.raises(InvalidInputError, match="negative"):
        hasher.root(-1)
    with pytest.raises(InvalidInputError, match="range of leaves"):
        hasher.leaf_hashes(5, 2)
    hasher.clear()


def test_tiles_of_subtrees() -> None:
    assert tiles_of_subtrees([]) == []
    assert tiles_of_subtrees([(0, 256), (256, 512), (0, 1 << 16), (5, 6)]) == [(0, 0), (1, 0), (2, 0)]


def test_entry_bundles_round_trip_and_refuse_truncation() -> None:
    entries = [b"", b"x" * 32, bytes(range(200))]
    data = encode_entry_bundle(entries)
    assert decode_entry_bundle(data) == entries
    assert len(data) == 2 * 3 + 232
    for cut in (1, len(data) - 1):
        with pytest.raises(LedgerVerificationError, match="truncated"):
            decode_entry_bundle(data[:cut])
    with pytest.raises(InvalidInputError, match="65535"):
        encode_entry_bundle([bytes(70_000)])
    assert TILE_WIDTH == 256
