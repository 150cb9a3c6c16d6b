"""A deliberately naive Merkle tree, written straight from the definitions, to cross-check the engine.

Every function works on the list of leaf *data* and recurses on list slices,
exactly as RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH), §2.1.4.1 (PROOF, SUBPROOF)
and draft-ietf-plants-merkle-tree-certs §4.4.1 (SUBTREE_PROOF) state them.
It is slow (O(n) hashing per call) and shares no code with
``shuixiao.ledger``; the hashing is spelled out again on purpose.
"""

from __future__ import annotations

import hashlib


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 §2.1.1."""
    n = len(entries)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + entries[0])
    k = _k(n)
    return _h(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1."""
    n = len(entries)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


def subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if b else [mth(entries)]
    k = _k(n)
    if m <= k:
        return subproof(m, entries[:k], b) + [mth(entries[k:])]
    return subproof(m - k, entries[k:], False) + [mth(entries[:k])]


def proof(m: int, entries: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1."""
    return subproof(m, entries, True)


def subtree_subproof(start: int, end: int, entries: list[bytes], b: bool) -> list[bytes]:
    """SUBTREE_SUBPROOF(start, end, D[n], b), draft-ietf-plants-merkle-tree-certs §4.4.1."""
    n = len(entries)
    if start == 0 and end == n:
        return [] if b else [mth(entries)]
    k = _k(n)
    if end <= k:
        return subtree_subproof(start, end, entries[:k], b) + [mth(entries[k:])]
    if start >= k:
        return subtree_subproof(start - k, end - k, entries[k:], b) + [mth(entries[:k])]
    return subtree_subproof(0, end - k, entries[k:], False) + [mth(entries[:k])]


def subtree_proof(start: int, end: int, entries: list[bytes]) -> list[bytes]:
    """SUBTREE_PROOF(start, end, D[n])."""
    return subtree_subproof(start, end, entries, True)
