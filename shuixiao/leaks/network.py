"""A pipe network read from an EPANET ``.inp`` file: topology, pipe lengths and distances.

:class:`PipeNetwork` keeps what the leak engine needs from a network model in plain Python
and numpy form (node and link ids, pipe ends and lengths, mean junction demands) together
with the INP text, from which a fresh ``wntr`` model is built whenever a hydraulic run is
needed.  Lengths are metres and flows m³/h, whatever the units of the file.

Distances follow the BattLeDIM 2020 scoring code (``nodeTopologicalDistance.m`` and
``scoring_function.m``): shortest paths over the pipes weighted by their lengths; pumps and
valves, which EPANET gives no length, carry no path.  The distance between two pipes is the
smallest end-to-end node distance plus half of each pipe's length, and zero for the same pipe.

``wntr`` is imported inside :func:`read_network` and :meth:`PipeNetwork.model` only.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError, NotFoundError

__all__ = ["Location", "PipeNetwork", "read_network"]

_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, order=True)
class Location:
    """A place in a network: a pipe (its midpoint) or a node.

    Parameters
    ----------
    kind : {"pipe", "node"}
        What ``id`` names.
    id : str
        The pipe or node id, as in the INP file.
    """

    kind: Literal["pipe", "node"]
    id: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"pipe": id}`` or ``{"node": id}``, the form used in the leak files."""
        return {self.kind: self.id}

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclass(frozen=True)
class _Link:
    start: str
    end: str
    kind: str  # "pipe", "pump" or "valve"
    length: float  # [m], 0 for pumps and valves


class PipeNetwork:
    """A water network read from an EPANET INP file.

    Build it with :func:`read_network`.

    Parameters
    ----------
    name : str
        A name for reports, usually the file stem.
    inp_text : str
        The INP text; every hydraulic run builds its model from it.
    nodes : mapping of str to str
        Node id → ``"junction"``, ``"reservoir"`` or ``"tank"``, in file order.
    links : mapping of str to tuple
        Link id → (start node, end node, ``"pipe"``/``"pump"``/``"valve"``, length [m]).
    demand : mapping of str to float
        Mean expected demand of every junction over the model's pattern cycle. [m³/h]
    coordinates : mapping of str to tuple of float, optional
        Node coordinates from the file, in its units.
    tanks : mapping of str to tuple, optional
        Tank id → (water levels [m], stored volumes [m³]), increasing: the tank's volume
        table, from its volume curve or its diameter between its minimum and maximum level.
    """

    def __init__(
        self,
        name: str,
        inp_text: str,
        nodes: Mapping[str, str],
        links: Mapping[str, tuple[str, str, str, float]],
        demand: Mapping[str, float],
        coordinates: Mapping[str, tuple[float, float]] | None = None,
        tanks: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    ) -> None:
        self.name = name
        self.inp_text = inp_text
        self._nodes = dict(nodes)
        self._links = {k: _Link(*v) for k, v in links.items()}
        self._demand = dict(demand)
        self.coordinates = dict(coordinates or {})
        self._tanks = {
            k: (np.asarray(levels, dtype=np.float64), np.asarray(volumes, dtype=np.float64))
            for k, (levels, volumes) in (tanks or {}).items()
        }
        self._index = {n: i for i, n in enumerate(self._nodes)}
        self._rows: dict[int, npt.NDArray[np.float64]] = {}

    # --- what is in it -------------------------------------------------------------------------

    @property
    def nodes(self) -> list[str]:
        """Ids of all nodes, in file order."""
        return list(self._nodes)

    @property
    def junctions(self) -> list[str]:
        """Ids of the junctions."""
        return [n for n, k in self._nodes.items() if k == "junction"]

    @property
    def sources(self) -> list[str]:
        """Ids of the reservoirs and tanks."""
        return [n for n, k in self._nodes.items() if k != "junction"]

    @property
    def links(self) -> list[str]:
        """Ids of all links (pipes, pumps, valves)."""
        return list(self._links)

    @property
    def pipes(self) -> list[str]:
        """Ids of the pipes."""
        return [k for k, v in self._links.items() if v.kind == "pipe"]

    def node_kind(self, node: str) -> str:
        """Return ``"junction"``, ``"reservoir"`` or ``"tank"``."""
        self._check_node(node)
        return self._nodes[node]

    def link_kind(self, link: str) -> str:
        """Return ``"pipe"``, ``"pump"`` or ``"valve"``."""
        self._check_link(link)
        return self._links[link].kind

    def link_nodes(self, link: str) -> tuple[str, str]:
        """Return the start and end node of ``link``."""
        self._check_link(link)
        item = self._links[link]
        return item.start, item.end

    def length(self, pipe: str) -> float:
        """Length of ``pipe``; 0 for pumps and valves. [m]"""
        self._check_link(pipe)
        return self._links[pipe].length

    def demand(self, junction: str) -> float:
        """Mean expected demand of ``junction`` over the pattern cycle. [m³/h]"""
        self._check_node(junction)
        return self._demand.get(junction, 0.0)

    def tank_table(self, tank: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Volume table of ``tank``: water levels [m] and the volumes stored at them [m³].

        Raises
        ------
        InvalidInputError
            If ``tank`` is not a tank, or the network was built without tank geometry.
        """
        self._check_node(tank)
        if self._nodes[tank] != "tank":
            raise InvalidInputError(f"node {tank!r} is a {self._nodes[tank]}, not a tank")
        if tank not in self._tanks:
            raise InvalidInputError(
                f"network {self.name!r} has no geometry for tank {tank!r}; read it with read_network"
            )
        levels, volumes = self._tanks[tank]
        return levels.copy(), volumes.copy()

    @property
    def total_length(self) -> float:
        """Total length of the pipes. [m]"""
        return sum(v.length for v in self._links.values() if v.kind == "pipe")

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the INP text, hex: names cached results computed from this network."""
        return hashlib.sha256(self.inp_text.encode("utf-8")).hexdigest()

    def pipes_at(self, node: str) -> list[str]:
        """Ids of the pipes that start or end at ``node``."""
        self._check_node(node)
        return [k for k, v in self._links.items() if v.kind == "pipe" and node in (v.start, v.end)]

    def has_node(self, node: str) -> bool:
        """Whether ``node`` is a node of the network."""
        return node in self._nodes

    def has_link(self, link: str) -> bool:
        """Whether ``link`` is a link of the network."""
        return link in self._links

    def inflow_links(self) -> list[str]:
        """Links through which water enters the junctions from reservoirs and tanks.

        Returns
        -------
        list of str
            Every link with a reservoir or tank at one end and a junction at the other.
        """
        out = []
        for k, v in self._links.items():
            kinds = {self._nodes[v.start], self._nodes[v.end]}
            if "junction" in kinds and len(kinds) == 2:
                out.append(k)
        return out

    # --- distances -----------------------------------------------------------------------------

    def node_distances(self, node: str) -> npt.NDArray[np.float64]:
        """Shortest-path pipe length from ``node`` to every node, in :attr:`nodes` order. [m]

        Unreachable nodes are ``inf``.
        """
        self._check_node(node)
        i = self._index[node]
        if i not in self._rows:
            from scipy.sparse.csgraph import dijkstra

            row = dijkstra(self._graph, directed=False, indices=i)
            self._rows[i] = np.asarray(row, dtype=np.float64)
        return self._rows[i]

    def node_distance(self, a: str, b: str) -> float:
        """Shortest-path pipe length between two nodes. [m]"""
        self._check_node(b)
        return float(self.node_distances(a)[self._index[b]])

    def distance(self, a: Location, b: Location) -> float:
        """Distance between two locations along the pipes, as BattLeDIM scores it. [m]

        Parameters
        ----------
        a, b : Location
            Pipes stand for their midpoints, nodes for themselves.

        Returns
        -------
        float
            0 for the same pipe or node; otherwise the shortest node-to-node path between
            the ends, plus half the length of each pipe. [m]

        Notes
        -----
        For two pipes this is exactly the BattLeDIM rule (``scoring_function.m``): the
        minimum over the four end-node pairs of the shortest-path distance, plus
        :math:`L_a/2 + L_b/2`.  A node counts as a pipe of zero length.
        """
        if a == b:
            return 0.0
        ends_a, half_a = self._ends(a)
        ends_b, half_b = self._ends(b)
        best = min(self.node_distance(x, y) for x in ends_a for y in ends_b)
        return best + half_a + half_b

    def _ends(self, where: Location) -> tuple[tuple[str, ...], float]:
        if where.kind == "node":
            self._check_node(where.id)
            return (where.id,), 0.0
        self._check_link(where.id)
        link = self._links[where.id]
        return (link.start, link.end), link.length / 2.0

    @cached_property
    def _graph(self) -> Any:
        from scipy.sparse import coo_matrix

        rows, cols, weights = [], [], []
        for link in self._links.values():
            if link.kind != "pipe":
                continue
            rows.append(self._index[link.start])
            cols.append(self._index[link.end])
            # a zero-length pipe still connects; scipy drops explicit zeros, so use a tiny length
            weights.append(max(link.length, 1e-9))
        n = len(self._nodes)
        return coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()

    # --- models --------------------------------------------------------------------------------

    def model(self) -> Any:
        """Return a fresh ``wntr`` WaterNetworkModel built from the INP text."""
        return _parse(self.inp_text)

    def location(self, kind: str, id: str) -> Location:
        """Return the :class:`Location` of a pipe or node, checking that it exists.

        Raises
        ------
        NotFoundError
            If the network has no such pipe or node.
        InvalidInputError
            If ``kind`` is neither ``"pipe"`` nor ``"node"``.
        """
        if kind == "pipe":
            self._check_link(id)
            if self._links[id].kind != "pipe":
                raise InvalidInputError(f"link {id!r} is a {self._links[id].kind}, not a pipe")
            return Location("pipe", id)
        if kind == "node":
            self._check_node(id)
            return Location("node", id)
        raise InvalidInputError(f"a location is a pipe or a node, not {kind!r}")

    def _check_node(self, node: str) -> None:
        if node not in self._nodes:
            raise NotFoundError(f"network {self.name!r} has no node {node!r}")

    def _check_link(self, link: str) -> None:
        if link not in self._links:
            raise NotFoundError(f"network {self.name!r} has no link {link!r}")

    def __repr__(self) -> str:
        return (
            f"PipeNetwork({self.name!r}: {len(self._nodes)} nodes, {len(self.pipes)} pipes, "
            f"{self.total_length / 1000:.1f} km)"
        )


def _parse(text: str) -> Any:
    """Build a wntr model from INP text (wntr reads files only)."""
    import wntr  # optional heavy dependency, loaded only when a model is needed

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.inp")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return wntr.network.WaterNetworkModel(path)


def _mean_demands(wn: Any) -> dict[str, float]:
    """Mean expected demand of every junction over one pattern cycle (at most a week). [m³/h]"""
    step = int(wn.options.time.pattern_timestep) or 3600
    lengths = [len(p.multipliers) for _, p in wn.patterns()] or [1]
    cycle = min(max(lengths) * step, 7 * 86400)
    times = np.arange(0, max(cycle, step), step)
    out = {}
    for name in wn.junction_name_list:
        out[name] = float(np.mean(_junction_demand(wn, name, times))) * _SECONDS_PER_HOUR
    return out


def _junction_demand(wn: Any, name: str, times: Iterable[float]) -> npt.NDArray[np.float64]:
    """Expected demand of junction ``name`` at ``times`` [s], all categories, with the multiplier. [m³/s]"""
    junction = wn.get_node(name)
    multiplier = float(wn.options.hydraulic.demand_multiplier)
    t = np.asarray(list(times), dtype=np.float64)
    total = np.zeros_like(t)
    step = float(wn.options.time.pattern_timestep) or 3600.0
    start = float(wn.options.time.pattern_start)
    default = wn.options.hydraulic.pattern
    for entry in junction.demand_timeseries_list:
        pattern = entry.pattern
        if pattern is None and default and default in wn.pattern_name_list:
            pattern = wn.get_pattern(default)
        if pattern is None or len(pattern.multipliers) == 0:
            factors = np.ones_like(t)
        else:
            values = np.asarray(pattern.multipliers, dtype=np.float64)
            index = ((t + start) // step).astype(np.int64) % len(values)
            factors = values[index]
        total += float(entry.base_value) * factors
    return total * multiplier


def read_network(path: str | os.PathLike[str]) -> PipeNetwork:
    """Read an EPANET INP file into a :class:`PipeNetwork`.

    Parameters
    ----------
    path : path-like
        The ``.inp`` file, in any EPANET flow unit.

    Returns
    -------
    PipeNetwork

    Raises
    ------
    InvalidInputError
        If the file cannot be read or is not a valid INP file.

    Examples
    --------
    >>> from importlib import resources
    >>> net = read_network(resources.files("wntr").joinpath("library/networks/Net3.inp"))
    >>> len(net.junctions), len(net.pipes), round(net.total_length / 1000, 1)
    (92, 117, 65.7)
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise InvalidInputError(f"cannot read network file {file}: {err.strerror or err}") from err
    return network_from_text(text, name=file.stem)


def network_from_text(text: str, name: str = "network") -> PipeNetwork:
    """Build a :class:`PipeNetwork` from INP text (see :func:`read_network`)."""
    try:
        wn = _parse(text)
    except Exception as err:  # wntr raises many kinds of errors for a bad file
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InvalidInputError(f"{name}: not a valid EPANET INP file ({message})") from err
    if wn.num_junctions == 0:
        raise InvalidInputError(f"{name}: the network has no junctions")
    nodes: dict[str, str] = {}
    for node_name, node in wn.nodes():
        nodes[node_name] = {"Junction": "junction", "Reservoir": "reservoir", "Tank": "tank"}[node.node_type]
    links: dict[str, tuple[str, str, str, float]] = {}
    for link_name, link in wn.links():
        kind = {"Pipe": "pipe", "Pump": "pump", "Valve": "valve"}[link.link_type]
        length = float(link.length) if kind == "pipe" else 0.0
        links[link_name] = (link.start_node_name, link.end_node_name, kind, length)
    coordinates = {
        n: (float(node.coordinates[0]), float(node.coordinates[1]))
        for n, node in wn.nodes()
        if node.coordinates is not None and all(math.isfinite(c) for c in node.coordinates)
    }
    return PipeNetwork(name, text, nodes, links, _mean_demands(wn), coordinates, _tank_tables(wn))


def _tank_tables(wn: Any) -> dict[str, tuple[list[float], list[float]]]:
    """Volume table of every tank: its volume curve, or a cylinder from minimum to maximum level."""
    out = {}
    for name, tank in wn.tanks():
        if tank.vol_curve is not None and len(tank.vol_curve.points) >= 2:
            points = sorted((float(h), float(v)) for h, v in tank.vol_curve.points)
            out[name] = ([h for h, _ in points], [v for _, v in points])
        else:
            area = math.pi * float(tank.diameter) ** 2 / 4.0  # cylinder: V = π D²/4 · h
            low, high = float(tank.min_level), float(tank.max_level)
            out[name] = ([low, high], [area * low, area * high])
    return out
