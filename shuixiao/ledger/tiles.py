"""C2SP tlog-tiles: the log's node hashes stored 256 to a tile, and proofs computed from tiles.

A *tile* at level ``L`` and index ``N`` holds the hashes of the tree nodes at
height ``8 L`` with indexes ``256 N`` to ``256 N + W - 1``, 32 bytes each:
level 0 tiles hold leaf hashes, a level 1 tile the roots of 256 level 0
tiles, and so on. A *full* tile has ``W = 256`` hashes (8,192 bytes) and never
changes; the tile at the right edge of a level is *partial* (``W < 256``) and
grows as leaves are appended. Every hash a proof needs is either stored in a
tile or computed from at most 128 hashes of one tile, so a log kept as tiles
(in a database or as static files) appends in bulk and serves proofs with
O(log n) reads and no recomputation of the tree. A store may also keep each
tile's complete inner nodes (the ``inner`` output of :func:`append_to_tiles`,
or :func:`tile_nodes` of a stored tile; not part of the C2SP layout): given
them, :class:`TileHasher` computes no hash at all.

This module only computes: :func:`append_to_tiles` returns the tiles an
append changes, :class:`TileHasher` serves complete-subtree hashes (a
:class:`~shuixiao.ledger.SubtreeHasher`) from tiles that a caller reads, and
:func:`tile_path` / :func:`entries_path` name the files of the static
layout::

    <prefix>/checkpoint
    <prefix>/tile/<L>/<N>[.p/<W>]           node hashes
    <prefix>/tile/entries/<N>[.p/<W>]       the entries (leaf data), 256 to a bundle

where ``N`` is written in groups of three digits, all but the last prefixed
with ``x`` (``1234067`` → ``x001/x234/067``). An entry bundle is the
concatenation of its entries, each preceded by its length as a big-endian
``uint16``.

References
----------
.. [1] C2SP, "Transparency Log Tiles", https://c2sp.org/tlog-tiles
.. [2] R. Cox, "Transparent Logs for Skeptical Clients", 2019,
   https://research.swtch.com/tlog (tiles and their proofs)
.. [3] RFC 9162, §2.1. :doi:`10.17487/RFC9162`
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    consistency_proof,
    inclusion_proof,
    subtree_root,
)

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileHasher",
    "TileKey",
    "TileReader",
    "append_to_tiles",
    "decode_entry_bundle",
    "edge_tiles",
    "encode_entry_bundle",
    "entries_path",
    "tile_nodes",
    "tile_path",
    "tile_width",
    "tiles_of_subtrees",
]

TILE_HEIGHT = 8
"""Tree levels one tile spans (c2sp.org/tlog-tiles)."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes (or entries) in a full tile (or entry bundle): 256."""

TileKey = tuple[int, int]
"""A tile's ``(level, index)``."""

TileReader = Callable[[Sequence[TileKey]], Mapping[TileKey, bytes | tuple[bytes, bytes]]]
"""Reads tiles: given keys, returns the data of each tile found (its ``W`` hashes, concatenated).

A tile may be returned longer than needed (a later, wider version of a partial
tile): only its prefix is used. A tile may come as ``(data, nodes)`` with its
inner nodes as :func:`append_to_tiles` gives them in ``inner`` for that same
``data`` (empty: none), which spares :class:`TileHasher` hashing them. Missing
tiles may be left out of the result.
"""

_NODE_PREFIX = hashlib.sha256(b"\x01")  # RFC 9162 interior node: SHA-256(0x01 || left || right)
_U16 = struct.Struct(">H")


def _index_path(index: int) -> str:
    if index < 0:
        raise InvalidInputError(f"a tile index cannot be negative, got {index}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def _width_suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise InvalidInputError(f"a tile holds 1 to {TILE_WIDTH} hashes, not {width}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of a tile relative to the log prefix, e.g. ``tile/0/x001/234.p/7``.

    Parameters
    ----------
    level : int
        Tile level, 0 to 63 (level ``L`` holds nodes of height ``8 L``).
    index : int
        Tile index within the level.
    width : int, default 256
        Number of hashes; below 256 the tile is partial.

    Raises
    ------
    InvalidInputError
        If a coordinate is out of range.

    Examples
    --------
    >>> tile_path(0, 1234067), tile_path(1, 5, 17)
    ('tile/0/x001/x234/067', 'tile/1/005.p/17')
    """
    if not 0 <= level < 64:
        raise InvalidInputError(f"a tile level is 0 to 63, not {level}")
    return f"tile/{level}/{_index_path(index)}{_width_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of an entry bundle, e.g. ``tile/entries/000.p/3``.

    Examples
    --------
    >>> entries_path(1000), entries_path(0, 3)
    ('tile/entries/x001/000', 'tile/entries/000.p/3')
    """
    return f"tile/entries/{_index_path(index)}{_width_suffix(width)}"


def tile_width(size: int, level: int, index: int) -> int:
    """Return how many hashes tile ``(level, index)`` holds in a tree of ``size`` leaves (0: none yet).

    Examples
    --------
    >>> tile_width(300, 0, 0), tile_width(300, 0, 1), tile_width(300, 1, 0), tile_width(300, 0, 2)
    (256, 44, 1, 0)
    """
    count = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def edge_tiles(size: int) -> dict[int, tuple[int, int]]:
    """Return, per level, the ``(index, width)`` of the partial tile at the right edge of a tree of ``size`` leaves.

    Levels whose node count is a multiple of 256 have no partial tile and are left out.

    Examples
    --------
    >>> edge_tiles(300), edge_tiles(256)
    ({0: (1, 44), 1: (0, 1)}, {1: (0, 1)})
    """
    edges = {}
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            edges[level] = (count // TILE_WIDTH, count % TILE_WIDTH)
        level += 1
    return edges


def _rows_above(row: bytes | memoryview) -> list[bytes]:
    """The rows of complete nodes above the bottom row ``row``, lowest first (a row of ``w`` hashes has
    ``w >> h`` complete nodes at height ``h``; an odd last node has no parent yet).

    For a power of two of hashes the last row is the root; a bottom row of one hash has none above it.
    """
    level = bytes(row)
    rows = []
    while len(level) >= 2 * HASH_SIZE:
        view = memoryview(level)
        hashes = []
        for i in range(0, len(level) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE):
            node = _NODE_PREFIX.copy()  # SHA-256 state after 0x01: no concatenated copy of the children
            node.update(view[i : i + 2 * HASH_SIZE])
            hashes.append(node.digest())
        level = b"".join(hashes)
        rows.append(level)
    return rows


def _inner_nodes(above: Sequence[bytes]) -> bytes:
    """A tile's inner nodes from the rows above its own (:func:`_rows_above`): heights 1 to 7, lowest first."""
    return b"".join(above[: TILE_HEIGHT - 1])


def tile_nodes(data: bytes | memoryview) -> bytes:
    """Return the inner node hashes of a tile, as :func:`append_to_tiles` gives them in ``inner``.

    Parameters
    ----------
    data : bytes or memoryview
        The tile's hashes, concatenated (1 to 256 of them). [32 bytes each]

    Returns
    -------
    bytes
        The complete node hashes of heights 1 to 7 inside the tile, lowest
        height first and left to right: ``w >> 1``, then ``w >> 2``, …
        hashes for a tile of ``w`` hashes (254 hashes, 8,128 bytes, for a
        full tile; none for a tile of one hash).

    Raises
    ------
    InvalidInputError
        If ``data`` is not 1 to 256 whole hashes.

    Examples
    --------
    >>> from shuixiao.ledger import leaf_hash, node_hash
    >>> hashes = [leaf_hash(bytes([i])) for i in range(3)]
    >>> tile_nodes(b"".join(hashes)) == node_hash(hashes[0], hashes[1])
    True
    >>> full = b"".join(leaf_hash(i.to_bytes(2, "big")) for i in range(256))
    >>> len(tile_nodes(full)) // 32, tile_nodes(full[:32])
    (254, b'')
    """
    if not 0 < len(data) <= TILE_WIDTH * HASH_SIZE or len(data) % HASH_SIZE:
        raise InvalidInputError(
            f"a tile holds 1 to {TILE_WIDTH} hashes of {HASH_SIZE} bytes, not {len(data)} bytes"
        )
    return _inner_nodes(_rows_above(data))


def _perfect_root(row: bytes | memoryview) -> bytes:
    """Root of a perfect tree whose bottom row (a power of two of hashes) is ``row``."""
    above = _rows_above(row)
    return above[-1] if above else bytes(row)


def append_to_tiles(
    size: int,
    edges: Mapping[int, bytes],
    leaf_hashes: Sequence[bytes],
    *,
    inner: dict[TileKey, bytes] | None = None,
) -> dict[TileKey, bytes]:
    """Append leaves to a tree kept as tiles; return every tile that changed, with its new data.

    Parameters
    ----------
    size : int
        Number of leaves in the tree before the append.
    edges : mapping of int to bytes
        For each level of :func:`edge_tiles` ``(size)``, the data of that
        partial tile (its ``width`` hashes). Other levels may be omitted.
    leaf_hashes : sequence of bytes
        The new leaves' hashes, in order. [32 bytes each]
    inner : dict, optional
        When given, receives the inner nodes of each tile that changed:
        ``{(level, index): nodes}``, the complete node hashes of heights 1 to
        7 inside the tile, lowest height first and left to right (``w >> 1``,
        then ``w >> 2``, … hashes for a tile of ``w`` hashes: 254 hashes,
        8,128 bytes, for a full tile). A full tile's are computed anyway, for
        its entry one level up; stored, they spare a proof hashing them again.

    Returns
    -------
    dict
        ``{(level, index): data}`` of each tile that is new or grew; full
        tiles have 8,192 bytes. About one node hash is computed per leaf.

    Raises
    ------
    InvalidInputError
        If ``size`` is negative, an edge tile has the wrong length, or a leaf
        hash is not 32 bytes.

    Examples
    --------
    >>> from shuixiao.ledger import leaf_hash, merkle_root
    >>> hashes = [leaf_hash(i.to_bytes(2, "big")) for i in range(300)]
    >>> tiles = append_to_tiles(0, {}, hashes[:200])
    >>> sorted((k, len(v) // 32) for k, v in tiles.items())
    [((0, 0), 200)]
    >>> tiles = append_to_tiles(200, {0: tiles[(0, 0)]}, hashes[200:])
    >>> sorted((k, len(v) // 32) for k, v in tiles.items())
    [((0, 0), 256), ((0, 1), 44), ((1, 0), 1)]
    >>> tiles[(1, 0)] == merkle_root(hashes[:256])
    True
    """
    if size < 0:
        raise InvalidInputError(f"a tree size cannot be negative, got {size}")
    new = b"".join(leaf_hashes)
    if len(new) != HASH_SIZE * len(leaf_hashes):
        raise InvalidInputError(f"every leaf hash is {HASH_SIZE} bytes")
    changed: dict[TileKey, bytes] = {}
    level = 0
    full_tile = TILE_WIDTH * HASH_SIZE
    while new:
        count = size >> (TILE_HEIGHT * level)
        index, filled = divmod(count, TILE_WIDTH)
        edge = bytes(edges.get(level, b"")) if filled else b""
        if len(edge) != filled * HASH_SIZE:
            raise InvalidInputError(
                f"the edge tile at level {level} holds {len(edge) // HASH_SIZE} hashes; a tree of {size} "
                f"leaves has {filled} there"
            )
        row = edge + new
        completed = []
        with memoryview(row) as view:
            for offset in range(0, len(row), full_tile):
                data = bytes(view[offset : offset + full_tile])
                changed[(level, index)] = data
                if len(data) == full_tile or inner is not None:
                    above = _rows_above(data)
                    if len(data) == full_tile:
                        completed.append(above[-1])
                    if inner is not None:
                        inner[(level, index)] = _inner_nodes(above)
                index += 1
        new = b"".join(completed)
        level += 1
    return changed


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Return an entry bundle: each entry preceded by its length as a big-endian ``uint16``.

    Raises
    ------
    InvalidInputError
        If an entry is longer than 65,535 bytes.

    Examples
    --------
    >>> encode_entry_bundle([b"ab", b""]).hex()
    '000261620000'
    """
    parts = []
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise InvalidInputError(
                f"an entry of {len(entry)} bytes does not fit in a bundle (at most 65535)"
            )
        parts += [_U16.pack(len(entry)), bytes(entry)]
    return b"".join(parts)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into its entries (the inverse of :func:`encode_entry_bundle`).

    Raises
    ------
    LedgerVerificationError
        If the bundle is truncated.
    """
    entries = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise LedgerVerificationError("malformed entry bundle: truncated length")
        (length,) = _U16.unpack_from(data, position)
        position += 2
        if position + length > len(data):
            raise LedgerVerificationError("malformed entry bundle: truncated entry")
        entries.append(bytes(data[position : position + length]))
        position += length
    return entries


def tiles_of_subtrees(ranges: Iterable[tuple[int, int]]) -> list[TileKey]:
    """Return the tiles that hold the complete subtrees ``[start, end)``, without repeats, sorted.

    Examples
    --------
    >>> tiles_of_subtrees([(0, 1), (300, 301), (256, 512), (0, 65536), (300, 302)])
    [(0, 0), (0, 1), (1, 0), (2, 0)]
    """
    keys = set()
    for start, end in ranges:
        height = (end - start).bit_length() - 1
        level = height // TILE_HEIGHT
        keys.add((level, (start >> (TILE_HEIGHT * level)) // TILE_WIDTH))
    return sorted(keys)


class TileHasher:
    """Complete-subtree hashes, roots and proofs of a tree kept as tiles.

    The hasher asks ``read`` for the tiles a computation needs, all at once,
    and keeps recently used tiles in a small cache. A node inside a tile is
    hashed from the tile's row when first asked for (and kept): an inclusion
    proof hashes only the siblings on its path, not every node of every tile
    it touches. Calling it as ``hasher(start, end)`` makes it a
    :class:`~shuixiao.ledger.SubtreeHasher`.

    Parameters
    ----------
    read : TileReader
        Reads tiles by ``(level, index)``; see :data:`TileReader`.
    cache_size : int, default 256
        Tiles kept in memory.

    Examples
    --------
    >>> from shuixiao.ledger import MemoryTree, leaf_hash
    >>> tree = MemoryTree()
    >>> tree.extend(bytes([i % 256, i // 256]) for i in range(1000))
    >>> tiles = append_to_tiles(0, {}, [tree.leaf_hash(i) for i in range(1000)])
    >>> hasher = TileHasher(lambda keys: {k: tiles[k] for k in keys if k in tiles})
    >>> hasher.root(1000) == tree.root(), hasher.root(300) == tree.root(300)
    (True, True)
    >>> hasher.inclusion_proof(777, 1000) == tree.inclusion_proof(777)
    True
    >>> hasher.consistency_proof(300, 1000) == tree.consistency_proof(300)
    True
    """

    def __init__(self, read: TileReader, cache_size: int = 256) -> None:
        self._read = read
        # per tile: its row of hashes, the nodes above the row computed so far by (height, offset), and
        # the tile's stored inner nodes (empty when the reader gave none)
        self._cache: OrderedDict[TileKey, tuple[bytes, dict[tuple[int, int], bytes], bytes]] = OrderedDict()
        self._cache_size = max(1, cache_size)

    def clear(self) -> None:
        """Forget the cached tiles (after the stored tiles changed in a way appends cannot)."""
        self._cache.clear()

    def _tile(self, key: TileKey, needed: int) -> tuple[bytes, dict[tuple[int, int], bytes], bytes]:
        tile = self._cache.get(key)
        if tile is not None and len(tile[0]) >= needed:
            self._cache.move_to_end(key)
            return tile
        self.prefetch([key], needed=needed)
        tile = self._cache.get(key)
        if tile is None or len(tile[0]) < needed:
            level, index = key
            have = 0 if tile is None else len(tile[0]) // HASH_SIZE
            raise InvalidInputError(
                f"tile {tile_path(level, index)} holds {have} hashes, {needed // HASH_SIZE} needed: the tree "
                "is smaller than the position asked for, or the tile is missing"
            )
        return tile

    def prefetch(self, keys: Sequence[TileKey], *, needed: int = 0) -> None:
        """Read the tiles ``keys`` that are not cached (or shorter than ``needed`` bytes) in one call."""
        wanted = [k for k in keys if k not in self._cache or len(self._cache[k][0]) < max(needed, 1)]
        if not wanted:
            return
        found = self._read(wanted)
        for key in wanted:
            data = found.get(key)
            if data is None:
                continue
            row, stored = (bytes(data[0]), bytes(data[1])) if isinstance(data, tuple) else (bytes(data), b"")
            self._cache[key] = (row[: len(row) - len(row) % HASH_SIZE], {}, stored)
            self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def __call__(self, start: int, end: int) -> bytes:
        """Return the hash of the complete subtree ``[start, end)`` (a SubtreeHasher).

        Raises
        ------
        InvalidInputError
            If ``[start, end)`` is not a complete subtree, or the tiles do not hold it.
        """
        length = end - start
        if start < 0 or length <= 0 or length & (length - 1) or start % length:
            raise InvalidInputError(f"[{start}, {end}) is not a complete subtree")
        height = length.bit_length() - 1
        level, inner = divmod(height, TILE_HEIGHT)
        bottom = start >> (TILE_HEIGHT * level)
        index, offset = divmod(bottom, TILE_WIDTH)
        row, nodes, stored = self._tile((level, index), (offset + (1 << inner)) * HASH_SIZE)
        if inner == 0:
            return row[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]
        if stored:  # heights 1 to 7 of the tile, each row after the ones below it
            width = len(row) // HASH_SIZE
            at = (sum(width >> h for h in range(1, inner)) + (offset >> inner)) * HASH_SIZE
            return stored[at : at + HASH_SIZE]
        node = nodes.get((inner, offset))
        if node is None:
            node = nodes[(inner, offset)] = _perfect_root(
                memoryview(row)[offset * HASH_SIZE : (offset + (1 << inner)) * HASH_SIZE]
            )
        return node

    def _with_prefetch(self, plan: Callable[[Callable[[int, int], bytes]], object]) -> None:
        """Run ``plan`` once with a recorder to learn which tiles it needs, and read them in one call."""
        asked: list[tuple[int, int]] = []

        def record(start: int, end: int) -> bytes:
            asked.append((start, end))
            return bytes(HASH_SIZE)

        plan(record)
        self.prefetch(tiles_of_subtrees(asked))

    def root(self, size: int) -> bytes:
        """Return the root hash of the tree of ``size`` leaves. [32 bytes]

        Raises
        ------
        InvalidInputError
            If the tiles do not hold a tree of ``size`` leaves.
        """
        if size < 0:
            raise InvalidInputError(f"a tree size cannot be negative, got {size}")
        if size == 0:
            return EMPTY_ROOT
        self._with_prefetch(lambda h: subtree_root(0, size, h))
        return subtree_root(0, size, self)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
        self._with_prefetch(lambda h: inclusion_proof(index, size, h))
        return inclusion_proof(index, size, self)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Return the consistency proof from ``size1`` to ``size2`` leaves (RFC 9162 §2.1.4.1)."""
        self._with_prefetch(lambda h: consistency_proof(size1, size2, h))
        return consistency_proof(size1, size2, self)

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Return the leaf hashes ``start`` to ``end - 1``, read from the level 0 tiles.

        Raises
        ------
        InvalidInputError
            If the range is empty or reversed, or the tiles do not hold it.
        """
        if not 0 <= start <= end:
            raise InvalidInputError(f"[{start}, {end}) is not a range of leaves")
        keys = [(0, i) for i in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH)]
        self.prefetch(keys)
        hashes: list[bytes] = []
        for level, index in keys:
            first = max(start, index * TILE_WIDTH)
            last = min(end, (index + 1) * TILE_WIDTH)
            row = self._tile((level, index), (last - index * TILE_WIDTH) * HASH_SIZE)[0]
            offset = (first - index * TILE_WIDTH) * HASH_SIZE
            hashes += [
                row[i : i + HASH_SIZE] for i in range(offset, offset + (last - first) * HASH_SIZE, HASH_SIZE)
            ]
        return hashes
