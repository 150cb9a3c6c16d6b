"""Tests of shuixiao.ledger.tree: the compact range and the in-memory tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuixiao.errors import InvalidInputError
from shuixiao.ledger import EMPTY_ROOT, CompactRange, MemoryTree, leaf_hash, merkle_root

from . import _reference as ref

pytestmark = pytest.mark.unit


def _entries(n: int) -> list[bytes]:
    return [i.to_bytes(3, "big") for i in range(n)]


def test_an_empty_compact_range_has_the_empty_root() -> None:
    cr = CompactRange()
    assert (cr.size, cr.nodes, cr.root()) == (0, (), EMPTY_ROOT)
    assert repr(cr) == f"CompactRange(size=0, root={EMPTY_ROOT.hex()})"


@pytest.mark.parametrize("size", range(40))
def test_compact_range_roots_match_the_reference(size: int) -> None:
    cr = CompactRange()
    cr.extend(leaf_hash(e) for e in _entries(size))
    assert cr.size == size
    assert len(cr.nodes) == size.bit_count()
    assert cr.root() == ref.mth(_entries(size))


def test_the_visitor_sees_every_node_once() -> None:
    seen: dict[tuple[int, int], bytes] = {}

    def visit(level: int, index: int, h: bytes) -> None:
        assert (level, index) not in seen
        seen[(level, index)] = h

    cr = CompactRange()
    cr.extend((leaf_hash(e) for e in _entries(37)), visit)
    tree = MemoryTree()
    tree.extend(_entries(37))
    expected = {(lv, i): tree.node(lv, i) for lv in range(6) for i in range(37 >> lv)}
    assert seen == expected


def test_a_compact_range_resumes_from_stored_nodes() -> None:
    hashes = [leaf_hash(e) for e in _entries(100)]
    first = CompactRange()
    first.extend(hashes[:61])
    resumed = CompactRange(first.size, first.nodes)
    resumed.extend(hashes[61:])
    assert resumed.root() == merkle_root(hashes)


@pytest.mark.parametrize(
    ("size", "nodes"), [(-1, []), (3, [bytes(32)]), (1, [bytes(32), bytes(32)]), (1, [bytes(31)])]
)
def test_a_compact_range_refuses_inconsistent_state(size: int, nodes: list[bytes]) -> None:
    with pytest.raises(InvalidInputError):
        CompactRange(size, nodes)


def test_a_compact_range_refuses_a_short_leaf_hash() -> None:
    cr = CompactRange()
    with pytest.raises(InvalidInputError):
        cr.append(b"not a hash")
    assert cr.size == 0


@settings(max_examples=40, deadline=None)
@given(chunks=st.lists(st.integers(0, 300), max_size=8))
def test_appending_in_any_chunks_gives_the_same_tree(chunks: list[int]) -> None:
    total = sum(chunks)
    entries = _entries(total)
    tree = MemoryTree()
    cr = CompactRange()
    position = 0
    for n in chunks:
        tree.extend(entries[position : position + n])
        cr.extend(leaf_hash(e) for e in entries[position : position + n])
        position += n
        assert tree.root() == cr.root()
    one_go = MemoryTree()
    one_go.extend(entries)
    assert tree.root() == one_go.root() == merkle_root(leaf_hash(e) for e in entries)
    assert tree.compact_range().nodes == cr.nodes


def test_the_memory_tree_keeps_every_level() -> None:
    tree = MemoryTree()
    assert (tree.size, len(tree), tree.root()) == (0, 0, EMPTY_ROOT)
    assert tree.append(b"first") == 0
    assert tree.append(b"second") == 1
    tree.extend(_entries(11))
    assert tree.size == 13
    assert repr(tree) == "MemoryTree(size=13)"
    assert tree.leaf_hash(0) == leaf_hash(b"first")
    assert tree.node(3, 0) == tree.subtree_hash(0, 8)
    assert tree.node(2, 2) == tree.subtree_hash(8, 12)
    entries = [b"first", b"second", *_entries(11)]
    for size in range(14):
        assert tree.root(size) == ref.mth(entries[:size])
        assert tree.compact_range(size).root() == tree.root(size)


def test_leaf_hashes_can_be_appended_directly() -> None:
    tree = MemoryTree()
    tree.extend_leaf_hashes(leaf_hash(e) for e in _entries(5))
    assert tree.root() == ref.mth(_entries(5))
    with pytest.raises(InvalidInputError):
        tree.extend_leaf_hashes([bytes(32), bytes(31)])
    assert tree.size == 5


@pytest.mark.parametrize(("level", "index"), [(0, 13), (-1, 0), (0, -1), (2, 3), (4, 0), (9, 0)])
def test_nodes_outside_the_tree_are_refused(level: int, index: int) -> None:
    tree = MemoryTree()
    tree.extend(_entries(13))
    with pytest.raises(InvalidInputError):
        tree.node(level, index)


@pytest.mark.parametrize(("start", "end"), [(0, 0), (0, 3), (2, 6), (5, 4), (8, 16), (12, 14)])
def test_only_complete_subtrees_are_served(start: int, end: int) -> None:
    tree = MemoryTree()
    tree.extend(_entries(13))
    with pytest.raises(InvalidInputError):
        tree.subtree_hash(start, end)


def test_sizes_beyond_the_tree_are_refused() -> None:
    tree = MemoryTree()
    tree.extend(_entries(4))
    for call in [
        lambda: tree.root(5),
        lambda: tree.root(-1),
        lambda: tree.inclusion_proof(0, 5),
        lambda: tree.consistency_proof(1, 5),
        lambda: tree.compact_range(5),
    ]:
        with pytest.raises(InvalidInputError):
            call()
    assert tree.consistency_proof(4) == []


def test_appending_one_leaf_at_a_time_builds_the_same_levels() -> None:
    one_by_one = MemoryTree()
    for i, entry in enumerate(_entries(100)):
        assert one_by_one.append(entry) == i
    in_bulk = MemoryTree()
    in_bulk.extend(_entries(100))
    for level in range(7):
        assert [one_by_one.node(level, i) for i in range(100 >> level)] == [
            in_bulk.node(level, i) for i in range(100 >> level)
        ]
    assert one_by_one.root() == ref.mth(_entries(100))
