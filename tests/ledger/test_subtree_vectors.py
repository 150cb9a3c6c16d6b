"""The accumulated subtree-hash vector of draft-ietf-plants-merkle-tree-certs, recomputed independently.

Two values of this vector circulate, and both are right for what they enumerate:

* ``94a95384…`` rolls up the lines ``[start, end) <hash>`` of every valid
  *non-empty* subtree, ``end`` from 1 to 130 and ``start < end``. This is
  what transparency-dev/merkle ``testonly/vectors_test.go``
  (``TestSubtreeHashVectors``, at the commit stored in the reference index,
  1c243046) and draft revision -05 appendix C.1 publish, and what
  ``test_merkle.py`` pins for the engine.
* ``b82806ad…`` (quoted by the shared reference, ``ledger_ingest.md`` §1.2)
  runs ``end`` from 0 and ``start`` up to ``end`` inclusive, so it also rolls
  up the 131 *empty* subtrees ``[s, s)`` with the hash of the empty tree
  ``SHA-256("")``; this is the enumeration of draft revision -06 §C.1.1.

Neither value is stale: they differ only in whether empty subtrees are
listed. The check below computes both from the naive reference of
``_reference.py`` (no engine code), with the validity rule written out again.
"""

from __future__ import annotations

import hashlib

import pytest

from shuixiao.ledger import MemoryTree, is_valid_subtree, subtree_root

from . import _reference as ref

pytestmark = pytest.mark.unit

ENTRIES = [bytes([i]) for i in range(130)]
WITHOUT_EMPTY = "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"
WITH_EMPTY = "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"


def _valid(start: int, end: int) -> bool:
    """draft-ietf-plants-merkle-tree-certs §4.1, spelled out: start a multiple of the bit ceiling of the size."""
    if start == end:
        return True
    ceiling = 1
    while ceiling < end - start:
        ceiling *= 2
    return 0 <= start < end and start % ceiling == 0


def _rolled(*, empty: bool) -> str:
    digest = hashlib.sha256()
    for end in range(0 if empty else 1, 131):
        for start in range(end + 1 if empty else end):
            if _valid(start, end):
                digest.update(f"[{start}, {end}) {ref.mth(ENTRIES[start:end]).hex()}\n".encode())
    return digest.hexdigest()


def test_both_published_values_are_reproduced_independently() -> None:
    assert _rolled(empty=False) == WITHOUT_EMPTY
    assert _rolled(empty=True) == WITH_EMPTY


def test_the_engine_agrees_with_the_independent_enumeration() -> None:
    tree = MemoryTree()
    tree.extend(ENTRIES)
    digest = hashlib.sha256()
    for end in range(1, 131):
        for start in range(end):
            assert is_valid_subtree(start, end) == _valid(start, end)
            if _valid(start, end):
                digest.update(
                    f"[{start}, {end}) {subtree_root(start, end, tree.subtree_hash).hex()}\n".encode()
                )
    assert digest.hexdigest() == WITHOUT_EMPTY
