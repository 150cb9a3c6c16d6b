"""Tests of shuixiao.ledger.merkle: RFC 9162 hashing, proofs and their verification.

Published values come from transparency-dev/merkle (Apache-2.0): the hasher
vectors of ``rfc6962/rfc6962_test.go``, the 8-leaf set of
``testonly/constants.go`` and ``proof/verify_test.go``, the JSON corpus of
``testdata/`` (copied to ``tests/data/rfc9162-vectors/``) and the accumulated
subtree vectors of draft-ietf-plants-merkle-tree-certs as reproduced in
``testonly/vectors_test.go``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    is_valid_subtree,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_from_subtree_consistency_proof,
    subtree_consistency_proof,
    subtree_inclusion_proof,
    subtree_root,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

from . import _reference as ref

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent.parent / "data" / "rfc9162-vectors"

# --------------------------------------------------------------- the 8-leaf reference set

# transparency-dev/merkle testonly/constants.go, LeafInputs() and RootHashes()
LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
# testonly/constants.go NodeHashes(), by level
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
# proof/verify_test.go @ 022f84c, converted to 0-based leaf indexes
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (5, 8, ["bc1a0643", "ca854ea1", "d37ee418"]),
    (2, 3, ["fac54203"]),
    (1, 5, ["6e340b9c", "5f083f0a", "bc1a0643"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (6, 8, ["0ebc5d34", "ca854ea1", "d37ee418"]),
    (2, 5, ["5f083f0a", "bc1a0643"]),
    (6, 7, ["0ebc5d34", "b08693ec", "d37ee418"]),
]


@pytest.fixture(scope="module")
def eight() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(LEAVES)
    return tree


def test_hasher_vectors() -> None:
    # transparency-dev/merkle rfc6962/rfc6962_test.go
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_reference_set(eight: MemoryTree, size: int) -> None:
    assert eight.root(size) == ROOTS[size]
    assert merkle_root(leaf_hash(d) for d in LEAVES[:size]) == ROOTS[size]


def test_node_hashes_of_the_reference_set(eight: MemoryTree) -> None:
    for level, hashes in enumerate(NODES):
        assert [eight.node(level, i).hex() for i in range(len(hashes))] == hashes


def _expand(prefixes: list[str]) -> list[bytes]:
    every = [bytes.fromhex(h) for level in NODES for h in level]
    return [next(h for h in every if h.hex().startswith(p)) for p in prefixes]


@pytest.mark.parametrize(("index", "size", "prefixes"), INCLUSION)
def test_inclusion_proofs_of_the_reference_set(
    eight: MemoryTree, index: int, size: int, prefixes: list[str]
) -> None:
    proof = eight.inclusion_proof(index, size)
    assert proof == _expand(prefixes)
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, ROOTS[size])


@pytest.mark.parametrize(("size1", "size2", "prefixes"), CONSISTENCY)
def test_consistency_proofs_of_the_reference_set(
    eight: MemoryTree, size1: int, size2: int, prefixes: list[str]
) -> None:
    proof = eight.consistency_proof(size1, size2)
    assert proof == _expand(prefixes)
    verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])


# --------------------------------------------------------------- the JSON corpus


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _hashes(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


def _vector_files(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(f, id=str(f.relative_to(VECTORS))) for f in files]


def _check(vector: dict[str, Any], verify: Any) -> None:
    if vector["wantErr"]:
        with pytest.raises(LedgerVerificationError):
            verify()
    else:
        verify()


def test_the_corpus_is_complete() -> None:
    counts = {
        kind: len(_vector_files(kind))
        for kind in ["inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"]
    }
    assert counts == {"inclusion": 98, "consistency": 98, "subtreeinclusion": 204, "subtreeconsistency": 118}


@pytest.mark.parametrize("path", _vector_files("inclusion"))
def test_inclusion_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    _check(
        v,
        lambda: verify_inclusion(
            v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _hashes(v["proof"]), _b64(v["root"])
        ),
    )


@pytest.mark.parametrize("path", _vector_files("consistency"))
def test_consistency_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    _check(
        v,
        lambda: verify_consistency(
            v["size1"], v["size2"], _hashes(v["proof"]), _b64(v["root1"]), _b64(v["root2"])
        ),
    )


@pytest.mark.parametrize("path", _vector_files("subtreeinclusion"))
def test_subtree_inclusion_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    _check(
        v,
        lambda: verify_subtree_inclusion(
            v["leafIdx"], v["start"], v["end"], _b64(v["leafHash"]), _hashes(v["proof"]), _b64(v["root"])
        ),
    )


@pytest.mark.parametrize("path", _vector_files("subtreeconsistency"))
def test_subtree_consistency_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    _check(
        v,
        lambda: verify_subtree_consistency(
            v["start"], v["end"], v["size"], _hashes(v["proof"]), _b64(v["root1"]), _b64(v["root2"])
        ),
    )


# --------------------------------------------------------------- draft-ietf-plants-merkle-tree-certs vectors


@pytest.fixture(scope="module")
def tree130() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(bytes([i]) for i in range(130))
    return tree


def _valid_subtrees(limit: int) -> list[tuple[int, int]]:
    return [(s, e) for e in range(1, limit + 1) for s in range(e) if is_valid_subtree(s, e)]


def _proof_line(prefix: str, proof: list[bytes]) -> bytes:
    return (prefix + "".join(" " + h.hex() for h in proof) + "\n").encode()


def test_accumulated_subtree_hash_vector(tree130: MemoryTree) -> None:
    h = hashlib.sha256()
    for start, end in _valid_subtrees(130):
        h.update(f"[{start}, {end}) {subtree_root(start, end, tree130.subtree_hash).hex()}\n".encode())
    assert h.hexdigest() == "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"


def test_accumulated_subtree_inclusion_vector(tree130: MemoryTree) -> None:
    h = hashlib.sha256()
    for start, end in _valid_subtrees(130):
        for index in range(start, end):
            proof = subtree_inclusion_proof(index, start, end, tree130.subtree_hash)
            h.update(_proof_line(f"{index} [{start}, {end})", proof))
    assert h.hexdigest() == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def test_accumulated_subtree_consistency_vector(tree130: MemoryTree) -> None:
    h = hashlib.sha256()
    subtrees = _valid_subtrees(130)
    for size in range(131):
        for start, end in subtrees:
            if end <= size:
                proof = subtree_consistency_proof(start, end, size, tree130.subtree_hash)
                h.update(_proof_line(f"[{start}, {end}) {size}", proof))
    assert h.hexdigest() == "c586ebbb73a5621baf2140095d87dde934e3b6503a562a1a5215b8209edd083d"


# --------------------------------------------------------------- cross-check with the naive reference

ENTRIES = [bytes([i % 251]) * (i % 7) + i.to_bytes(4, "big") for i in range(300)]


@pytest.fixture(scope="module")
def tree300() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(ENTRIES)
    return tree


@pytest.mark.parametrize("size", range(71))
def test_every_proof_agrees_with_the_reference(tree300: MemoryTree, size: int) -> None:
    entries = ENTRIES[:size]
    root = ref.mth(entries)
    assert tree300.root(size) == root
    assert merkle_root(leaf_hash(e) for e in entries) == root
    for index in range(size):
        proof = tree300.inclusion_proof(index, size)
        assert proof == ref.path(index, entries)
        verify_inclusion(index, size, leaf_hash(entries[index]), proof, root)
    for size1 in range(1, size + 1):
        proof = tree300.consistency_proof(size1, size)
        assert proof == ref.proof(size1, entries)
        verify_consistency(size1, size, proof, tree300.root(size1), root)
        verify_subtree_consistency(0, size1, size, proof, tree300.root(size1), root)


@pytest.mark.parametrize("size", [1, 2, 3, 8, 13, 64, 65, 70])
def test_every_subtree_proof_agrees_with_the_reference(tree300: MemoryTree, size: int) -> None:
    entries = ENTRIES[:size]
    root = ref.mth(entries)
    for start, end in _valid_subtrees(size):
        sub = ref.mth(entries[start:end])
        assert subtree_root(start, end, tree300.subtree_hash) == sub
        proof = subtree_consistency_proof(start, end, size, tree300.subtree_hash)
        assert proof == ref.subtree_proof(start, end, entries)
        verify_subtree_consistency(start, end, size, proof, sub, root)
        for index in (start, end - 1):
            proof = subtree_inclusion_proof(index, start, end, tree300.subtree_hash)
            assert proof == ref.path(index - start, entries[start:end])
            verify_subtree_inclusion(index, start, end, leaf_hash(entries[index]), proof, sub)


def test_random_larger_trees_agree_with_the_reference(tree300: MemoryTree) -> None:
    rng = random.Random(9162)
    for _ in range(25):
        size = rng.randrange(71, 301)
        entries = ENTRIES[:size]
        root = ref.mth(entries)
        assert tree300.root(size) == root
        index = rng.randrange(size)
        assert tree300.inclusion_proof(index, size) == ref.path(index, entries)
        size1 = rng.randrange(1, size + 1)
        assert tree300.consistency_proof(size1, size) == ref.proof(size1, entries)


# --------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(size1=st.integers(1, 3000), extra=st.integers(0, 3000), seed=st.integers(0, 2**32))
def test_appending_keeps_the_tree_consistent(size1: int, extra: int, seed: int) -> None:
    rng = random.Random(seed)
    tree = MemoryTree()
    tree.extend(rng.randbytes(8) for _ in range(size1))
    root1 = tree.root()
    tree.extend(rng.randbytes(8) for _ in range(extra))
    size2 = tree.size
    proof = tree.consistency_proof(size1)
    verify_consistency(size1, size2, proof, root1, tree.root())
    assert tree.root(size1) == root1
    if proof:
        with pytest.raises(LedgerVerificationError):
            verify_consistency(size1, size2, proof, leaf_hash(b"other"), tree.root())


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.binary(max_size=12), min_size=1, max_size=400), data=st.data())
def test_every_leaf_is_included(entries: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree()
    tree.extend(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    proof = tree.inclusion_proof(index)
    verify_inclusion(index, len(entries), leaf_hash(entries[index]), proof, tree.root())
    assert root_from_inclusion_proof(index, len(entries), leaf_hash(entries[index]), proof) == tree.root()
    with pytest.raises(LedgerVerificationError):
        verify_inclusion(index, len(entries), leaf_hash(entries[index] + b"x"), proof, tree.root())


# --------------------------------------------------------------- mutations and malformed input


# Sizes off by one are not in these lists: an inclusion or consistency proof does not commit to the
# tree size (the signed checkpoint does), and for many positions the tree of size n +/- 1 has the same
# shape along the proof's path, so the same hashes verify. The corpus mutates sizes by x2 and /2.


def _flip(h: bytes, bit: int) -> bytes:
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]


@pytest.mark.parametrize(("index", "size"), [(0, 2), (5, 8), (6, 7), (12, 13), (21, 100), (99, 100)])
def test_any_change_to_an_inclusion_proof_is_caught(tree300: MemoryTree, index: int, size: int) -> None:
    lh = leaf_hash(ENTRIES[index])
    root = tree300.root(size)
    proof = tree300.inclusion_proof(index, size)
    bad: list[tuple[int, int, list[bytes]]] = [(index, size, proof[:-1]), (index, size, [*proof, root])]
    bad += [
        (index, size, [lh, *proof]),
        (index + 1, size, proof),
        (index - 1, size, proof),
        (index, 2 * size, proof),
    ]
    bad += [
        (index, size, [*proof[:i], _flip(p, b), *proof[i + 1 :]])
        for i, p in enumerate(proof)
        for b in (0, 100, 255)
    ]
    for i, n, p in bad:
        with pytest.raises(LedgerVerificationError):
            verify_inclusion(i, n, lh, p, root)


@pytest.mark.parametrize(("size1", "size2"), [(1, 2), (3, 7), (4, 8), (6, 8), (7, 100), (64, 65)])
def test_any_change_to_a_consistency_proof_is_caught(tree300: MemoryTree, size1: int, size2: int) -> None:
    root1, root2 = tree300.root(size1), tree300.root(size2)
    proof = tree300.consistency_proof(size1, size2)
    bad: list[tuple[int, int, list[bytes], bytes, bytes]] = [
        (size1, size2, proof[:-1], root1, root2),
        (size1, size2, [*proof, root1], root1, root2),
        (size1, size2, [root1, *proof], root1, root2),
        (size1 + 1, size2, proof, root1, root2),
        (size1 - 1, size2, proof, root1, root2),
        (size1, 2 * size2, proof, root1, root2),
        (size1, size2, proof, root2, root1),
    ]
    bad += [
        (size1, size2, [*proof[:i], _flip(p, b), *proof[i + 1 :]], root1, root2)
        for i, p in enumerate(proof)
        for b in (0, 255)
    ]
    for n1, n2, p, r1, r2 in bad:
        with pytest.raises(LedgerVerificationError):
            verify_consistency(n1, n2, p, r1, r2)


def test_a_consistency_mismatch_reports_expected_and_calculated(tree300: MemoryTree) -> None:
    proof = tree300.consistency_proof(5, 9)
    with pytest.raises(LedgerVerificationError) as caught:
        verify_consistency(5, 9, proof, tree300.root(5), tree300.root(8))
    assert caught.value.expected == tree300.root(8)
    assert caught.value.calculated == tree300.root(9)
    with pytest.raises(LedgerVerificationError) as caught:
        verify_consistency(5, 9, proof, tree300.root(4), tree300.root(9))
    assert caught.value.expected == tree300.root(4)
    assert caught.value.calculated == tree300.root(5)


def test_an_inclusion_mismatch_reports_expected_and_calculated(tree300: MemoryTree) -> None:
    with pytest.raises(LedgerVerificationError, match="expected") as caught:
        verify_inclusion(3, 10, leaf_hash(ENTRIES[3]), tree300.inclusion_proof(3, 10), tree300.root(11))
    assert (caught.value.expected, caught.value.calculated) == (tree300.root(11), tree300.root(10))


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof", "root"),
    [
        (-1, 4, bytes(32), [bytes(32)] * 2, bytes(32)),
        (4, 4, bytes(32), [bytes(32)] * 2, bytes(32)),
        (0, 0, bytes(32), [], bytes(32)),
        (0, 4, bytes(31), [bytes(32)] * 2, bytes(32)),
        (0, 4, bytes(32), [bytes(32), bytes(33)], bytes(32)),
        (0, 4, bytes(32), [bytes(32), b""], bytes(32)),
        (0, 4, bytes(32), None, bytes(32)),
        (0, 1, bytes(32), [b"garbage"], bytes(32)),
        (0, 2, bytes(32), [bytes(32)], b"short root"),
    ],
)
def test_malformed_inclusion_input_is_a_verification_error(
    index: int, size: int, leaf: bytes, proof: list[bytes] | None, root: bytes
) -> None:
    with pytest.raises(LedgerVerificationError):
        verify_inclusion(index, size, leaf, proof, root)


@pytest.mark.parametrize(
    ("size1", "size2", "proof", "root1", "root2"),
    [
        (-1, 4, [bytes(32)], bytes(32), bytes(32)),
        (0, 0, [], EMPTY_ROOT, EMPTY_ROOT),
        (0, 4, [], EMPTY_ROOT, bytes(32)),
        (5, 4, [bytes(32)], bytes(32), bytes(32)),
        (4, 4, [bytes(32)], bytes(32), bytes(32)),
        (4, 4, [], bytes(32), bytes(31)),
        (3, 4, [bytes(32)] * 2, bytes(31), bytes(32)),
        (3, 4, [bytes(32), b"x"], bytes(32), bytes(32)),
        (3, 4, None, bytes(32), bytes(32)),
    ],
)
def test_malformed_consistency_input_is_a_verification_error(
    size1: int, size2: int, proof: list[bytes] | None, root1: bytes, root2: bytes
) -> None:
    with pytest.raises(LedgerVerificationError):
        verify_consistency(size1, size2, proof, root1, root2)


def test_equal_sizes_compare_the_roots_as_given() -> None:
    verify_consistency(7, 7, [], b"any root", b"any root")
    verify_consistency(7, 7, None, bytearray(32), bytes(32))
    assert root_from_consistency_proof(3, 3, [], bytes(32)) == bytes(32)


def test_bytes_like_inputs_are_accepted(tree300: MemoryTree) -> None:
    proof = [bytearray(h) for h in tree300.inclusion_proof(3, 10)]
    verify_inclusion(3, 10, memoryview(leaf_hash(ENTRIES[3])), proof, bytearray(tree300.root(10)))


@pytest.mark.parametrize(
    ("start", "end", "size", "proof", "sub", "root"),
    [
        (-2, -1, 4, [], EMPTY_ROOT, bytes(32)),
        (0, 5, 4, [], bytes(32), bytes(32)),
        (2, 5, 8, [], bytes(32), bytes(32)),
        (1, 1, 4, [bytes(32)], EMPTY_ROOT, bytes(32)),
        (1, 1, 4, [], bytes(32), bytes(32)),
        (0, 4, 4, [bytes(32)], bytes(32), bytes(32)),
        (4, 6, 8, [bytes(32)], bytes(31), bytes(32)),
        (4, 6, 8, [bytes(32)] * 5, bytes(32), bytes(32)),
    ],
)
def test_malformed_subtree_consistency_input_is_a_verification_error(
    start: int, end: int, size: int, proof: list[bytes], sub: bytes, root: bytes
) -> None:
    with pytest.raises(LedgerVerificationError):
        verify_subtree_consistency(start, end, size, proof, sub, root)


def test_an_empty_subtree_is_consistent_with_any_tree() -> None:
    verify_subtree_consistency(3, 3, 5, [], EMPTY_ROOT, b"not checked")
    assert root_from_subtree_consistency_proof(0, 0, 0, None, EMPTY_ROOT) == EMPTY_ROOT


def test_a_subtree_mismatch_names_the_subtree_root(tree300: MemoryTree) -> None:
    proof = subtree_consistency_proof(8, 14, 20, tree300.subtree_hash)
    with pytest.raises(LedgerVerificationError, match="back to the subtree root") as caught:
        verify_subtree_consistency(8, 14, 20, proof, bytes(32), tree300.root(20))
    assert caught.value.expected == bytes(32)
    sub = subtree_root(8, 14, tree300.subtree_hash)
    with pytest.raises(LedgerVerificationError, match="to the root"):
        verify_subtree_consistency(8, 14, 20, proof, sub, tree300.root(19))


@pytest.mark.parametrize(
    ("index", "start", "end"), [(0, 0, 0), (3, 3, 5), (0, 1, 2), (2, 0, 2), (1, 1, 9223372036854775810)]
)
def test_invalid_subtree_inclusion_input_is_a_verification_error(index: int, start: int, end: int) -> None:
    with pytest.raises(LedgerVerificationError):
        verify_subtree_inclusion(index, start, end, bytes(32), [], bytes(32))


# --------------------------------------------------------------- generation


def test_subtrees() -> None:
    assert [e for e in range(1, 17) if is_valid_subtree(8, e)] == [9, 10, 11, 12, 13, 14, 15, 16]
    assert not is_valid_subtree(-1, 0)
    assert not is_valid_subtree(5, 4)
    assert is_valid_subtree(0, 2**70 + 1)


def test_generation_refuses_positions_outside_the_tree(tree300: MemoryTree) -> None:
    h = tree300.subtree_hash
    for call in [
        lambda: inclusion_proof(5, 5, h),
        lambda: inclusion_proof(-1, 5, h),
        lambda: consistency_proof(0, 5, h),
        lambda: consistency_proof(6, 5, h),
        lambda: subtree_inclusion_proof(2, 2, 5, h),
        lambda: subtree_inclusion_proof(8, 4, 8, h),
        lambda: subtree_consistency_proof(4, 8, 7, h),
        lambda: subtree_consistency_proof(3, 5, 7, h),
        lambda: subtree_root(3, 5, h),
    ]:
        with pytest.raises(InvalidInputError):
            call()


def test_generation_asks_only_for_complete_subtrees(tree300: MemoryTree) -> None:
    asked: list[tuple[int, int]] = []

    def subtree_hash(start: int, end: int) -> bytes:
        asked.append((start, end))
        return tree300.subtree_hash(start, end)

    proof = inclusion_proof(200, 299, subtree_hash) + consistency_proof(77, 299, subtree_hash)
    proof += subtree_consistency_proof(96, 107, 299, subtree_hash)
    assert proof
    for start, end in asked:
        size = end - start
        assert size & (size - 1) == 0 and start % size == 0
