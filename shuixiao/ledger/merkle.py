"""RFC 9162 Merkle tree hashing, proof generation and proof verification.

The log is the Merkle tree of RFC 9162 §2.1 (unchanged from RFC 6962 §2.1)
with SHA-256: a leaf is hashed as ``SHA-256(0x00 || data)``, an interior node
as ``SHA-256(0x01 || left || right)``, and the tree over ``n`` leaves splits at
the largest power of two smaller than ``n`` (left-balanced, the last node is
never duplicated).

This module only computes. Proof *generation* asks a :class:`SubtreeHasher`
for the hash of complete (perfect) subtrees, so the same code serves an
in-memory tree (:class:`shuixiao.ledger.MemoryTree`) and, later, node hashes
kept in a database or in tlog-tiles files. Proof *verification* needs nothing
but the proof.

Conventions
-----------
* Sizes and indexes are non-negative Python ints; leaf indexes are 0-based.
* A hash is 32 bytes. Every hash that verification feeds into SHA-256 must be
  exactly 32 bytes long; anything else is refused as malformed.
* A *subtree* ``[start, end)`` is valid when ``0 <= start < end`` and
  ``start`` is a multiple of the smallest power of two ``>= end - start``
  (draft-ietf-plants-merkle-tree-certs §4.1). Its hash is the Merkle tree hash
  of ``D[start:end]`` taken as a tree on its own; every range a proof refers
  to is such a subtree. A *complete* subtree is a valid subtree whose size is
  a power of two: one node of the tree.
* Failed verification raises :class:`~shuixiao.errors.LedgerVerificationError`:
  with ``expected``/``calculated`` set when a recomputed root differs from the
  given one, without them when the proof is malformed (wrong number of hashes,
  a hash that is not 32 bytes, an index outside the tree). No other exception
  escapes for bad proof content.
* Generating a proof for arguments that do not describe a tree position (an
  index beyond the size, ``size1 > size2``) raises
  :class:`~shuixiao.errors.InvalidInputError`.

Policies where the RFC is silent
--------------------------------
* A consistency proof between equal sizes (``size1 == size2 >= 1``) must be
  empty and holds when the two roots are byte-for-byte equal; as nothing is
  hashed, the roots are compared as given (as transparency-dev/merkle does).
* A consistency proof from the empty tree (``size1 == 0``) is refused: it
  proves nothing (RFC 9162 §2.1.4.2 requires ``0 < first``). A witness whose
  previous size is 0 takes the checkpoint on its signature alone
  (c2sp.org/tlog-witness).
* An empty subtree ``[s, s)`` (``s <= size``) is consistent with any tree when
  its hash is the empty-tree hash and the proof is empty, as in the subtree
  consistency vectors of transparency-dev/merkle.

References
----------
.. [1] B. Laurie, E. Messeri, R. Stradling, "Certificate Transparency
   Version 2.0", RFC 9162, §2.1, Dec. 2021. :doi:`10.17487/RFC9162`
.. [2] B. Laurie, A. Langley, E. Kasper, "Certificate Transparency",
   RFC 6962, §2.1, Jun. 2013. :doi:`10.17487/RFC6962`
.. [3] D. Benjamin et al., "Merkle Tree Certificates",
   draft-ietf-plants-merkle-tree-certs, §4 (subtrees and subtree proofs).
.. [4] transparency-dev/merkle, ``proof/verify.go`` and ``testdata/``,
   https://github.com/transparency-dev/merkle
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from shuixiao.errors import InvalidInputError, LedgerVerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SubtreeHasher",
    "consistency_proof",
    "inclusion_proof",
    "is_valid_subtree",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_subtree_consistency_proof",
    "subtree_consistency_proof",
    "subtree_inclusion_proof",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]

HASH_SIZE = 32
"""Length of every hash in the log (SHA-256). [bytes]"""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree, ``SHA-256()`` (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256


class SubtreeHasher(Protocol):
    """Source of the hash of a complete subtree, given as a callable.

    ``subtree_hash(start, end)`` returns the hash of the complete subtree
    ``[start, end)``: ``end - start`` is a power of two and ``start`` a
    multiple of it, so the range is one node of the tree (a leaf hash when
    ``end - start == 1``). Proof generators ask only for such nodes, which is
    exactly what a log stores (tlog-tiles keeps these hashes, 256 to a tile);
    ragged subtrees on the right edge are folded from them by the caller.

    :meth:`shuixiao.ledger.MemoryTree.subtree_hash` is one implementation.
    """

    def __call__(self, start: int, end: int, /) -> bytes:
        """Return the hash of the complete subtree ``[start, end)``. [32 bytes]"""


# ------------------------------------------------------------------ hashing


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of one leaf, ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1).

    Parameters
    ----------
    data : bytes
        The leaf data (for shuixiao's log, a batch hash).

    Returns
    -------
    bytes
        The leaf hash. [32 bytes]

    Examples
    --------
    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node, ``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1).

    Parameters
    ----------
    left, right : bytes
        Hashes of the two children. [32 bytes each]

    Returns
    -------
    bytes
        The node hash. [32 bytes]
    """
    return _sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle tree hash of a list of leaf hashes (RFC 9162 §2.1.1).

    Runs in one pass with O(log n) memory, like
    :class:`shuixiao.ledger.CompactRange`.

    Parameters
    ----------
    leaf_hashes : iterable of bytes
        Leaf hashes in log order, as returned by :func:`leaf_hash`.

    Returns
    -------
    bytes
        The root hash; :data:`EMPTY_ROOT` for no leaves. [32 bytes]

    Examples
    --------
    >>> merkle_root([]) == EMPTY_ROOT
    True
    >>> merkle_root([leaf_hash(b"")]) == leaf_hash(b"")
    True
    """
    stack: list[bytes] = []
    size = 0
    for h in leaf_hashes:
        n = size
        while n & 1:
            h = _sha256(b"\x01" + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)
        size += 1
    return _fold_right(stack) if stack else EMPTY_ROOT


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Fold the roots of consecutive complete subtrees (largest first) into one hash."""
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = _sha256(b"\x01" + h + root).digest()
    return root


# ------------------------------------------------------------------ subtrees


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n``; requires ``n >= 2``."""
    return 1 << ((n - 1).bit_length() - 1)


def is_valid_subtree(start: int, end: int) -> bool:
    """Return whether ``[start, end)`` is a valid subtree (draft-ietf-plants-merkle-tree-certs §4.1).

    A valid subtree satisfies ``0 <= start < end`` and ``start`` is a multiple
    of the smallest power of two greater than or equal to ``end - start``. Its
    leaves sit under one node of any tree with at least ``end`` leaves.

    Parameters
    ----------
    start, end : int
        First leaf and one past the last leaf.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_valid_subtree(4, 7), is_valid_subtree(2, 5), is_valid_subtree(3, 3)
    (True, False, False)
    """
    if not 0 <= start < end:
        return False
    ceiling = 1 << (end - start - 1).bit_length()
    return start % ceiling == 0


def _require_subtree(start: int, end: int, what: str) -> None:
    if not is_valid_subtree(start, end):
        raise InvalidInputError(
            f"[{start}, {end}) is not a valid {what}: it needs 0 <= start < end and start a multiple "
            f"of the smallest power of two >= end - start"
        )


def _complete_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up a valid subtree ``[start, end)``, largest first."""
    pieces = []
    length = end - start
    position = start
    for level in reversed(range(length.bit_length())):
        if length >> level & 1:
            pieces.append((position, position + (1 << level)))
            position += 1 << level
    return pieces


def subtree_root(start: int, end: int, subtree_hash: SubtreeHasher) -> bytes:
    """Return the hash of the valid subtree ``[start, end)``, folded from complete subtrees.

    Parameters
    ----------
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)``; ``[0, n)`` is
        always valid and gives the root of the tree of size ``n``.
    subtree_hash : SubtreeHasher
        Source of complete subtree hashes; asked O(log n) times.

    Returns
    -------
    bytes
        ``MTH(D[start:end])``. [32 bytes]

    Raises
    ------
    InvalidInputError
        If ``[start, end)`` is not a valid subtree.
    """
    _require_subtree(start, end, "subtree")
    return _fold_right([subtree_hash(a, b) for a, b in _complete_pieces(start, end)])


_Step = tuple[int, int, bool, bool]


def _proof_plan(start: int, end: int, size: int) -> tuple[bool, int, list[_Step]]:
    """Walk SUBTREE_PROOF(start, end, D[size]) from the root down.

    Returns ``(known, base, steps)``. ``steps`` lists, top-down, one sibling
    per level: ``(lo, hi, sibling_is_left, sibling_in_subtree)``. The
    recursion ends at the node ``[base, end)``; ``known`` is the flag of that
    base case: when false, the node is part of ``[start, end)`` but not the
    whole of it, and the proof starts with its hash.

    This is RFC 9162 §2.1.4.1 ``SUBPROOF`` generalised to a subtree whose
    first leaf need not be 0 (draft-ietf-plants-merkle-tree-certs §4.4.1);
    with ``start == 0`` it is ``SUBPROOF(end, D[size], true)``, and with
    ``end == start + 1`` it is the inclusion path ``PATH(start, D[size])``.
    Requires a valid subtree with ``end <= size``.
    """
    steps: list[_Step] = []
    lo, hi = 0, size
    known = True
    while not (start == lo and end == hi):
        k = lo + _split(hi - lo)
        if end <= k:  # the subtree lies in the left child; sibling is the right child
            steps.append((k, hi, False, False))
            hi = k
        elif start >= k:  # in the right child; sibling is the left child, outside the subtree
            steps.append((lo, k, True, False))
            lo = k
        else:  # straddles k, so start == lo: the left child is inside the subtree
            steps.append((lo, k, True, True))
            lo = k
            start = k
            known = False
    return known, lo, steps


def _node_range_hash(lo: int, hi: int, subtree_hash: SubtreeHasher) -> bytes:
    return _fold_right([subtree_hash(a, b) for a, b in _complete_pieces(lo, hi)])


def _proof(start: int, end: int, size: int, subtree_hash: SubtreeHasher) -> list[bytes]:
    known, base, steps = _proof_plan(start, end, size)
    proof = [] if known else [_node_range_hash(base, end, subtree_hash)]
    proof += [_node_range_hash(lo, hi, subtree_hash) for lo, hi, _, _ in reversed(steps)]
    return proof


# ------------------------------------------------------------------ generation


def inclusion_proof(index: int, size: int, subtree_hash: SubtreeHasher) -> list[bytes]:
    """Return the inclusion proof (audit path) of leaf ``index`` in the tree of ``size`` leaves.

    Implements ``PATH(m, D[n])`` of RFC 9162 §2.1.3.1 iteratively: one hash per
    level, the sibling nearest the leaf first.

    Parameters
    ----------
    index : int
        The leaf. Requires ``0 <= index < size``.
    size : int
        Size of the tree the proof is for (may be smaller than the log).
    subtree_hash : SubtreeHasher
        Source of complete subtree hashes within ``[0, size)``.

    Returns
    -------
    list of bytes
        The audit path; empty for a tree of one leaf.

    Raises
    ------
    InvalidInputError
        If ``index`` is not a leaf of a tree of ``size`` leaves.

    Examples
    --------
    >>> from shuixiao.ledger import MemoryTree
    >>> tree = MemoryTree()
    >>> tree.extend([b"a", b"b", b"c"])
    >>> proof = inclusion_proof(2, 3, tree.subtree_hash)
    >>> verify_inclusion(2, 3, leaf_hash(b"c"), proof, tree.root())
    """
    if not 0 <= index < size:
        raise InvalidInputError(f"leaf {index} is not in a tree of size {size}")
    return _proof(index, index + 1, size, subtree_hash)


def consistency_proof(size1: int, size2: int, subtree_hash: SubtreeHasher) -> list[bytes]:
    """Return the consistency proof from the tree of ``size1`` leaves to the tree of ``size2`` leaves.

    Implements ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`` of RFC 9162
    §2.1.4.1 iteratively.

    Parameters
    ----------
    size1, size2 : int
        The older and the newer tree size. Requires ``0 < size1 <= size2``;
        the proof is empty when they are equal.
    subtree_hash : SubtreeHasher
        Source of complete subtree hashes within ``[0, size2)``.

    Returns
    -------
    list of bytes
        The consistency proof.

    Raises
    ------
    InvalidInputError
        If not ``0 < size1 <= size2``.
    """
    if not 0 < size1 <= size2:
        raise InvalidInputError(f"a consistency proof needs 0 < size1 <= size2, got {size1} and {size2}")
    return _proof(0, size1, size2, subtree_hash)


def subtree_inclusion_proof(index: int, start: int, end: int, subtree_hash: SubtreeHasher) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the valid subtree ``[start, end)``.

    A valid subtree has the shape of a tree of ``end - start`` leaves, so this
    is :func:`inclusion_proof` of ``index - start`` within it
    (draft-ietf-plants-merkle-tree-certs §4.3).

    Parameters
    ----------
    index : int
        The leaf. Requires ``start <= index < end``.
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)``.
    subtree_hash : SubtreeHasher
        Source of complete subtree hashes.

    Returns
    -------
    list of bytes

    Raises
    ------
    InvalidInputError
        If the subtree is not valid or ``index`` is outside it.
    """
    _require_subtree(start, end, "subtree")
    if not start <= index < end:
        raise InvalidInputError(f"leaf {index} is not in the subtree [{start}, {end})")
    return _proof(index - start, index - start + 1, end - start, _Shifted(subtree_hash, start))


class _Shifted:
    """A SubtreeHasher seen from a subtree starting at ``offset`` (which keeps alignment)."""

    def __init__(self, subtree_hash: SubtreeHasher, offset: int) -> None:
        self._hash = subtree_hash
        self._offset = offset

    def __call__(self, start: int, end: int, /) -> bytes:
        return self._hash(start + self._offset, end + self._offset)


def subtree_consistency_proof(start: int, end: int, size: int, subtree_hash: SubtreeHasher) -> list[bytes]:
    """Return the proof that the valid subtree ``[start, end)`` is part of the tree of ``size`` leaves.

    Implements ``SUBTREE_PROOF(start, end, D[n])`` of
    draft-ietf-plants-merkle-tree-certs §4.4.1; with ``start == 0`` it equals
    :func:`consistency_proof` ``(end, size)``.

    Parameters
    ----------
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)``.
    size : int
        The tree. Requires ``end <= size``.
    subtree_hash : SubtreeHasher
        Source of complete subtree hashes within ``[0, size)``.

    Returns
    -------
    list of bytes

    Raises
    ------
    InvalidInputError
        If the subtree is not valid or does not fit in the tree.
    """
    _require_subtree(start, end, "subtree")
    if end > size:
        raise InvalidInputError(f"subtree [{start}, {end}) does not fit in a tree of size {size}")
    return _proof(start, end, size, subtree_hash)


# ------------------------------------------------------------------ verification


def _check_hash(value: bytes, what: str) -> bytes:
    value = bytes(value)
    if len(value) != HASH_SIZE:
        raise LedgerVerificationError(f"{what} is {len(value)} bytes long, a hash is {HASH_SIZE}")
    return value


def _check_proof(proof: Sequence[bytes] | None, expected_length: int, what: str) -> list[bytes]:
    hashes = [] if proof is None else list(proof)
    if len(hashes) != expected_length:
        raise LedgerVerificationError(
            f"{what} has {len(hashes)} hashes, {expected_length} expected; the proof is malformed"
        )
    return [_check_hash(h, f"{what} hash {i}") for i, h in enumerate(hashes)]


def _check_size(value: int, what: str) -> None:
    if value < 0:
        raise LedgerVerificationError(f"{what} {value} is negative")


def _match(calculated: bytes, expected: bytes, what: str) -> None:
    if calculated != bytes(expected):
        raise LedgerVerificationError(what, expected=bytes(expected), calculated=calculated)


def _inclusion_length(index: int, size: int) -> int:
    # levels below the point where the paths to `index` and `size - 1` meet, plus one
    # left sibling per level above it where the path turns right
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes] | None
) -> bytes:
    """Return the root hash implied by an inclusion proof (RFC 9162 §2.1.3.2, steps 1-4).

    Parameters
    ----------
    index : int
        The leaf. Requires ``0 <= index < size``.
    size : int
        Size of the tree the proof is for. Requires ``size >= 1``.
    leaf_hash : bytes
        Hash of the leaf (:func:`leaf_hash` of its data). Requires 32 bytes.
    proof : sequence of bytes or None
        The audit path. Requires exactly as many 32-byte hashes as the
        position of the leaf calls for; ``None`` is an empty path.

    Returns
    -------
    bytes
        The root the proof leads to. [32 bytes]

    Raises
    ------
    LedgerVerificationError
        If a precondition does not hold: the proof is malformed.
    """
    _check_size(index, "leaf index")
    if index >= size:
        raise LedgerVerificationError(f"leaf {index} is not in a tree of size {size}")
    r = _check_hash(leaf_hash, "leaf hash")
    path = _check_proof(proof, _inclusion_length(index, size), f"inclusion proof for leaf {index} of {size}")
    # RFC 9162 §2.1.3.2
    fn, sn = index, size - 1
    for p in path:
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes] | None, root: bytes
) -> None:
    """Verify that leaf ``index`` with hash ``leaf_hash`` is in the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2.

    Parameters
    ----------
    index : int
        The leaf. Requires ``0 <= index < size``.
    size : int
        Size of the tree. Requires ``size >= 1``.
    leaf_hash : bytes
        Hash of the leaf. Requires 32 bytes.
    proof : sequence of bytes or None
        The audit path, as made by :func:`inclusion_proof`.
    root : bytes
        Root hash of the tree of ``size`` leaves (from a verified checkpoint).

    Raises
    ------
    LedgerVerificationError
        If the proof is malformed, or leads to another root (then
        ``expected`` is ``root`` and ``calculated`` the root it leads to).
    """
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    _match(
        calculated,
        root,
        f"inclusion proof of leaf {index} in the tree of size {size} does not match the root",
    )


def _consistency_length(size1: int, size2: int) -> int:
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1
    inner = (((size1 - 1) ^ (size2 - 1)).bit_length()) - shift
    border = ((size1 - 1) >> (inner + shift)).bit_count()
    return inner + border + (0 if size1 == 1 << shift else 1)


def root_from_consistency_proof(size1: int, size2: int, proof: Sequence[bytes] | None, root1: bytes) -> bytes:
    """Return the root of the newer tree implied by a consistency proof (RFC 9162 §2.1.4.2).

    Also checks that the proof leads back to ``root1``.

    Parameters
    ----------
    size1, size2 : int
        The older and the newer tree size. Requires ``0 < size1 <= size2``.
    proof : sequence of bytes or None
        The consistency proof. Requires exactly as many 32-byte hashes as the
        two sizes call for: none when ``size1 == size2``.
    root1 : bytes
        Root hash of the older tree. Requires 32 bytes unless the sizes are
        equal (then it is returned unchanged).

    Returns
    -------
    bytes
        The root of the tree of ``size2`` leaves the proof leads to.

    Raises
    ------
    LedgerVerificationError
        If a precondition does not hold, or the proof does not lead back to
        ``root1`` (``expected`` is ``root1``).
    """
    _check_size(size1, "size1")
    if size1 == 0:
        raise LedgerVerificationError("a consistency proof from the empty tree proves nothing")
    if size2 < size1:
        raise LedgerVerificationError(f"size2 {size2} is smaller than size1 {size1}")
    if size1 == size2:
        _check_proof(proof, 0, f"consistency proof from {size1} to {size2}")
        return bytes(root1)
    first_hash = _check_hash(root1, "root1")
    path = _check_proof(
        proof, _consistency_length(size1, size2), f"consistency proof from {size1} to {size2}"
    )
    # RFC 9162 §2.1.4.2
    if size1 & (size1 - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    _match(fr, first_hash, f"consistency proof from {size1} to {size2} does not lead back to root1")
    return sr


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes] | None, root1: bytes, root2: bytes
) -> None:
    """Verify that the tree of ``size2`` leaves with ``root2`` extends the tree of ``size1`` with ``root1``.

    RFC 9162 §2.1.4.2: the older tree is a prefix of the newer one, so the
    log has only appended.

    Parameters
    ----------
    size1, size2 : int
        The older and the newer tree size. Requires ``0 < size1 <= size2``.
    proof : sequence of bytes or None
        The consistency proof, as made by :func:`consistency_proof`; empty
        when the sizes are equal.
    root1, root2 : bytes
        The two root hashes. When ``size1 == size2`` they must be equal.

    Raises
    ------
    LedgerVerificationError
        If the proof is malformed or does not lead to ``root1`` and ``root2``.
    """
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    _match(calculated, root2, f"consistency proof from {size1} to {size2} does not lead to root2")


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf_hash: bytes, proof: Sequence[bytes] | None, subtree_root: bytes
) -> None:
    """Verify that leaf ``index`` is in the valid subtree ``[start, end)`` with hash ``subtree_root``.

    draft-ietf-plants-merkle-tree-certs §4.3: the inclusion proof of leaf
    ``index - start`` in a tree of ``end - start`` leaves.

    Parameters
    ----------
    index : int
        The leaf. Requires ``start <= index < end``.
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)``.
    leaf_hash : bytes
        Hash of the leaf. Requires 32 bytes.
    proof : sequence of bytes or None
        The audit path within the subtree.
    subtree_root : bytes
        Hash of the subtree.

    Raises
    ------
    LedgerVerificationError
        If a precondition does not hold or the proof leads to another hash.
    """
    if not is_valid_subtree(start, end):
        raise LedgerVerificationError(f"[{start}, {end}) is not a valid subtree")
    if not start <= index < end:
        raise LedgerVerificationError(f"leaf {index} is not in the subtree [{start}, {end})")
    calculated = root_from_inclusion_proof(index - start, end - start, leaf_hash, proof)
    _match(
        calculated,
        subtree_root,
        f"inclusion proof of leaf {index} in subtree [{start}, {end}) does not match",
    )


def root_from_subtree_consistency_proof(
    start: int, end: int, size: int, proof: Sequence[bytes] | None, subtree_root: bytes
) -> bytes:
    """Return the root of the tree of ``size`` leaves implied by a subtree consistency proof.

    Follows the recursion that defines ``SUBTREE_PROOF`` in
    draft-ietf-plants-merkle-tree-certs §4.4 from the leaves up: the proof's
    hashes are folded into two values, the hash of the subtree (which must
    equal ``subtree_root``) and the root of the tree, which is returned.

    Parameters
    ----------
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)``, or
        ``start == end`` (an empty subtree, see the module notes).
    size : int
        The tree. Requires ``end <= size``.
    proof : sequence of bytes or None
        The proof. Requires exactly as many 32-byte hashes as the positions
        call for: none when ``[start, end) == [0, size)``.
    subtree_root : bytes
        Hash of the subtree. Requires 32 bytes when anything is hashed.

    Returns
    -------
    bytes
        The root of the tree of ``size`` leaves. For ``[0, size)`` this is
        ``subtree_root``. An empty subtree does not constrain the tree root:
        :data:`EMPTY_ROOT` is returned.

    Raises
    ------
    LedgerVerificationError
        If a precondition does not hold or the proof does not lead back to
        ``subtree_root``.
    """
    _check_size(start, "start")
    if end > size:
        raise LedgerVerificationError(f"subtree [{start}, {end}) does not fit in a tree of size {size}")
    what = f"subtree consistency proof of [{start}, {end}) in {size}"
    if start == end:
        _check_proof(proof, 0, what)
        _match(bytes(subtree_root), EMPTY_ROOT, "an empty subtree must have the empty-tree hash")
        return EMPTY_ROOT
    if not is_valid_subtree(start, end):
        raise LedgerVerificationError(f"[{start}, {end}) is not a valid subtree")
    if start == 0 and end == size:
        _check_proof(proof, 0, what)
        return bytes(subtree_root)
    node = _check_hash(subtree_root, "subtree root")
    known, _, steps = _proof_plan(start, end, size)
    path = _check_proof(proof, len(steps) + (0 if known else 1), what)
    if known:
        fr = sr = node
    else:
        fr = sr = path.pop(0)
    for (_, _, sibling_is_left, sibling_in_subtree), c in zip(reversed(steps), path, strict=True):
        if not sibling_is_left:
            sr = _sha256(b"\x01" + sr + c).digest()
            continue
        if sibling_in_subtree:
            fr = _sha256(b"\x01" + c + fr).digest()
        sr = _sha256(b"\x01" + c + sr).digest()
    _match(fr, node, f"{what} does not lead back to the subtree root")
    return sr


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes] | None, subtree_root: bytes, root: bytes
) -> None:
    """Verify that the valid subtree ``[start, end)`` with ``subtree_root`` is part of the tree with ``root``.

    draft-ietf-plants-merkle-tree-certs §4.4.3. With ``start == 0`` this is
    :func:`verify_consistency` from ``end`` to ``size``.

    Parameters
    ----------
    start, end : int
        The subtree. Requires ``is_valid_subtree(start, end)`` or
        ``start == end``.
    size : int
        The tree. Requires ``end <= size``.
    proof : sequence of bytes or None
        The proof, as made by :func:`subtree_consistency_proof`.
    subtree_root, root : bytes
        Hashes of the subtree and of the tree of ``size`` leaves. For an
        empty subtree, ``subtree_root`` must be :data:`EMPTY_ROOT` and
        ``root`` is not checked.

    Raises
    ------
    LedgerVerificationError
        If a precondition does not hold or the proof does not lead to both
        hashes.
    """
    calculated = root_from_subtree_consistency_proof(start, end, size, proof, subtree_root)
    if start == end:
        return
    _match(
        calculated, root, f"subtree consistency proof of [{start}, {end}) in {size} does not lead to the root"
    )
