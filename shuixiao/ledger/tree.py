"""Incremental Merkle trees: an O(log n) compact range and an in-memory tree.

:class:`CompactRange` is all a log needs to append: the roots of the complete
subtrees that cover ``[0, size)`` (at most 64 hashes). Appending a leaf merges
equal-sized subtrees like a binary counter (amortised one node hash per
leaf), and the root folds them together. It knows nothing of storage: a
caller that persists the tree passes a :data:`NodeVisitor` and is told every
node hash that becomes final, which is exactly what tlog-tiles or a node
table stores; restarting from stored state is ``CompactRange(size, nodes)``.

:class:`MemoryTree` keeps every level of the tree in one ``bytearray`` per
level (32 bytes a node, about 64 bytes a leaf in all), serves
:class:`~shuixiao.ledger.SubtreeHasher` for proof generation, and computes
the root of any earlier size. Ten million leaves take about 640 MB.

References
----------
.. [1] RFC 9162, §2.1.1 (Merkle tree hash). :doi:`10.17487/RFC9162`
.. [2] transparency-dev/merkle, ``compact/range.go`` and
   ``docs/compact_ranges.md``, https://github.com/transparency-dev/merkle
.. [3] C2SP, "tlog-tiles", https://c2sp.org/tlog-tiles
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from shuixiao.errors import InvalidInputError
from shuixiao.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    consistency_proof,
    inclusion_proof,
    subtree_root,
)

__all__ = ["CompactRange", "MemoryTree", "NodeVisitor"]

NodeVisitor = Callable[[int, int, bytes], None]
"""Called as ``visit(level, index, hash)`` for each node that becomes final.

Level 0 is the leaves; node ``index`` at ``level`` covers the leaves
``[index << level, (index + 1) << level)``.
"""

_sha256 = hashlib.sha256


def _fold(nodes: Sequence[bytes]) -> bytes:
    if not nodes:
        return EMPTY_ROOT
    root = nodes[-1]
    for h in reversed(nodes[:-1]):
        root = _sha256(b"\x01" + h + root).digest()
    return root


class CompactRange:
    """The compact range ``[0, size)``: roots of the complete subtrees covering the first leaves.

    Parameters
    ----------
    size : int, default 0
        Number of leaves already in the tree.
    nodes : sequence of bytes, default ()
        Roots of the complete subtrees covering ``[0, size)``, largest (left)
        first: one per set bit of ``size``, as :attr:`nodes` returns them.

    Raises
    ------
    InvalidInputError
        If ``size`` is negative, or ``nodes`` does not have one 32-byte hash
        per set bit of ``size``.

    Examples
    --------
    >>> from shuixiao.ledger import leaf_hash, merkle_root
    >>> hashes = [leaf_hash(bytes([i])) for i in range(5)]
    >>> cr = CompactRange()
    >>> cr.extend(hashes)
    >>> cr.size, len(cr.nodes), cr.root() == merkle_root(hashes)
    (5, 2, True)
    >>> resumed = CompactRange(cr.size, cr.nodes)
    >>> resumed.append(leaf_hash(b"more"))
    >>> resumed.root() == merkle_root([*hashes, leaf_hash(b"more")])
    True
    """

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise InvalidInputError(f"a tree size cannot be negative, got {size}")
        stored = [bytes(h) for h in nodes]
        if len(stored) != size.bit_count():
            raise InvalidInputError(
                f"a compact range of size {size} has {size.bit_count()} nodes, {len(stored)} given"
            )
        if any(len(h) != HASH_SIZE for h in stored):
            raise InvalidInputError(f"every node of a compact range is a {HASH_SIZE}-byte hash")
        self._size = size
        self._nodes = stored

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """Roots of the complete subtrees covering ``[0, size)``, largest first."""
        return tuple(self._nodes)

    def append(self, leaf_hash: bytes, visit: NodeVisitor | None = None) -> None:
        """Append one leaf hash; O(1) amortised, O(log n) at worst.

        Parameters
        ----------
        leaf_hash : bytes
            Hash of the new leaf (:func:`shuixiao.ledger.leaf_hash`). [32 bytes]
        visit : NodeVisitor, optional
            Told the leaf (level 0) and every node the leaf completes.

        Raises
        ------
        InvalidInputError
            If ``leaf_hash`` is not 32 bytes.
        """
        h = bytes(leaf_hash)
        if len(h) != HASH_SIZE:
            raise InvalidInputError(f"a leaf hash is {HASH_SIZE} bytes, got {len(h)}")
        index = self._size
        level = 0
        if visit is not None:
            visit(0, index, h)
        while index & 1:
            h = _sha256(b"\x01" + self._nodes.pop() + h).digest()
            index >>= 1
            level += 1
            if visit is not None:
                visit(level, index, h)
        self._nodes.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes], visit: NodeVisitor | None = None) -> None:
        """Append leaf hashes in order; see :meth:`append`."""
        for h in leaf_hashes:
            self.append(h, visit)

    def root(self) -> bytes:
        """Return the root hash of the tree of :attr:`size` leaves. [32 bytes]"""
        return _fold(self._nodes)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


class MemoryTree:
    """A Merkle tree held in memory with every level stored; proofs for any earlier size.

    Level ``L`` is one ``bytearray`` holding the ``size >> L`` complete nodes
    of that level, 32 bytes each. Appending is amortised one leaf hash and one
    node hash per leaf; every proof and historical root needs O(log n) node
    lookups.

    Examples
    --------
    >>> tree = MemoryTree()
    >>> tree.extend([b"a", b"b", b"c"])
    >>> tree.size
    3
    >>> proof = tree.inclusion_proof(1)
    >>> from shuixiao.ledger import leaf_hash, verify_inclusion
    >>> verify_inclusion(1, 3, leaf_hash(b"b"), proof, tree.root())
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    def append(self, data: bytes) -> int:
        """Append one leaf given by its data; return its index."""
        index = self._size
        levels = self._levels
        levels[0] += _sha256(b"\x00" + data).digest()
        level = 0
        position = index
        while position & 1:  # a right child completes its parent
            if level + 1 == len(levels):
                levels.append(bytearray())
            offset = (position - 1) * HASH_SIZE
            levels[level + 1] += _sha256(b"\x01" + levels[level][offset : offset + 2 * HASH_SIZE]).digest()
            position >>= 1
            level += 1
        self._size = index + 1
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        """Append leaves given by their data, in order."""
        self.extend_leaf_hashes([_sha256(b"\x00" + d).digest() for d in entries])

    def extend_leaf_hashes(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves given by their hashes, in order.

        Parameters
        ----------
        leaf_hashes : iterable of bytes
            Leaf hashes (:func:`shuixiao.ledger.leaf_hash`). [32 bytes each]

        Raises
        ------
        InvalidInputError
            If a hash is not 32 bytes; nothing is appended then.
        """
        hashes = list(leaf_hashes)
        if any(len(h) != HASH_SIZE for h in hashes):
            raise InvalidInputError(f"every leaf hash is {HASH_SIZE} bytes")
        self._levels[0] += b"".join(hashes)
        self._size += len(hashes)
        # complete the levels above, one level at a time
        level = 0
        while self._size >> (level + 1):
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            above = self._levels[level + 1]
            first = len(above) // HASH_SIZE
            last = self._size >> (level + 1)
            if first == last:  # nothing new here, so nothing new above
                break
            with memoryview(self._levels[level]) as below:
                above += b"".join(
                    [_sha256(b"\x01" + below[64 * j : 64 * j + 64]).digest() for j in range(first, last)]
                )
            level += 1

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of complete node ``index`` at ``level`` (level 0: leaf hashes).

        Raises
        ------
        InvalidInputError
            If the node is not complete in the current tree.
        """
        if level < 0 or index < 0 or level >= len(self._levels) or (index + 1) << level > self._size:
            raise InvalidInputError(
                f"node {index} at level {level} is not complete in a tree of size {self._size}"
            )
        offset = index * HASH_SIZE
        return bytes(self._levels[level][offset : offset + HASH_SIZE])

    def leaf_hash(self, index: int) -> bytes:
        """Return the hash of leaf ``index``."""
        return self.node(0, index)

    def subtree_hash(self, start: int, end: int) -> bytes:
        """Return the hash of the complete subtree ``[start, end)``; a :class:`~shuixiao.ledger.SubtreeHasher`.

        Parameters
        ----------
        start, end : int
            Requires ``end - start`` a power of two, ``start`` a multiple of it
            and ``end <= size``.

        Raises
        ------
        InvalidInputError
            If ``[start, end)`` is not a complete subtree of the tree.
        """
        length = end - start
        if length <= 0 or length & (length - 1) or start % length:
            raise InvalidInputError(f"[{start}, {end}) is not a complete subtree")
        level = length.bit_length() - 1
        return self.node(level, start >> level)

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree of ``size`` leaves (default: all of them).

        Raises
        ------
        InvalidInputError
            If ``size`` is negative or larger than the tree.
        """
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise InvalidInputError(f"size {size} is outside 0..{self._size}")
        if size == 0:
            return EMPTY_ROOT
        return subtree_root(0, size, self.subtree_hash)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in the tree of ``size`` leaves (default: all).

        See :func:`shuixiao.ledger.inclusion_proof`.
        """
        size = self._size if size is None else size
        self._check_size(size)
        return inclusion_proof(index, size, self.subtree_hash)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the consistency proof from ``size1`` to ``size2`` leaves (default: all).

        See :func:`shuixiao.ledger.consistency_proof`.
        """
        size2 = self._size if size2 is None else size2
        self._check_size(size2)
        return consistency_proof(size1, size2, self.subtree_hash)

    def compact_range(self, size: int | None = None) -> CompactRange:
        """Return the compact range of the tree of ``size`` leaves (default: all), to resume appending."""
        size = self._size if size is None else size
        self._check_size(size)
        nodes = []
        start = 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                nodes.append(self.node(level, start >> level))
                start += 1 << level
        return CompactRange(size, nodes)

    def _check_size(self, size: int) -> None:
        if size > self._size:
            raise InvalidInputError(f"size {size} is larger than the tree ({self._size} leaves)")

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"MemoryTree(size={self._size})"
