"""Reading a published log (checkpoint, tiles, entry and batch bundles) from a directory or over HTTP(S).

A log node publishes itself as static files (:mod:`shuixiao.notary.publish`);
a witness, a mirror or an auditor reads them from a directory (a shared or
synchronised folder) or from any web server that serves that directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from shuixiao.errors import ConfigurationError
from shuixiao.ledger import TILE_WIDTH, TileKey, TileReader, tile_path, tile_width

__all__ = ["DirectorySource", "HttpSource", "LogSource", "open_source", "tile_reader"]


class LogSource(Protocol):
    """Where a published log (or a witness's output) can be read."""

    @property
    def location(self) -> str:
        """The directory or URL, for messages."""

    def read(self, path: str) -> bytes | None:
        """Return the file at ``path`` (relative, e.g. ``checkpoint``), or None if there is none.

        Raises
        ------
        ConfigurationError
            If the location cannot be reached at all.
        """


class DirectorySource:
    """A log published in a local directory.

    Parameters
    ----------
    root : pathlib.Path
        The directory holding ``checkpoint`` and ``tile/``.
    """

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def location(self) -> str:
        """The directory."""
        return str(self._root)

    def read(self, path: str) -> bytes | None:
        """Return the file's bytes, or None if it does not exist."""
        if not self._root.is_dir():
            raise ConfigurationError(f"{self._root} is not a directory; check the log location")
        try:
            return (self._root / path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise ConfigurationError(f"cannot read {self._root / path}: {err.strerror}") from err


class HttpSource:
    """A log served over HTTP(S) (any static web server in front of the published directory).

    Parameters
    ----------
    base_url : str
        URL of the published directory, e.g. ``https://ledger.example.org/log/``.
    client : httpx.Client, optional
        The client to use (a transport can be injected for tests); a new one
        with a 10 s timeout when omitted.
    """

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self._base = base_url.rstrip("/") + "/"
        self._client = client if client is not None else httpx.Client(timeout=10.0, follow_redirects=True)

    @property
    def location(self) -> str:
        """The URL."""
        return self._base

    def read(self, path: str) -> bytes | None:
        """GET ``<base>/<path>``; None on 404."""
        url = self._base + path
        try:
            response = self._client.get(url)
        except httpx.HTTPError as err:
            raise ConfigurationError(f"cannot reach {url}: {err}") from err
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ConfigurationError(f"{url} answered HTTP {response.status_code}")
        return response.content

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


def open_source(location: str) -> DirectorySource | HttpSource:
    """Return the source at ``location``: an ``http://`` or ``https://`` URL, else a directory.

    Examples
    --------
    >>> open_source("https://ledger.example.org/log").location
    'https://ledger.example.org/log/'
    """
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    return DirectorySource(Path(location))


def tile_reader(source: LogSource, size: int) -> TileReader:
    """Return a :data:`~shuixiao.ledger.TileReader` reading the tiles of a tree of ``size`` leaves from ``source``.

    A partial tile is read at the width the tree of ``size`` leaves gives it;
    if that file is gone, the full tile is read instead (c2sp.org/tlog-tiles
    allows clients to do so).
    """

    def read(keys: Sequence[TileKey]) -> Mapping[TileKey, bytes]:
        found: dict[TileKey, bytes] = {}
        for level, index in keys:
            width = tile_width(size, level, index)
            if width == 0:
                continue
            data = source.read(tile_path(level, index, width))
            if data is None and width < TILE_WIDTH:
                data = source.read(tile_path(level, index))
            if data is not None:
                found[(level, index)] = data
        return found

    return read
