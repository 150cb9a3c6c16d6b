"""Extended-period EPANET 2.2 runs through wntr's toolkit binding, step by step.

Why the toolkit and not ``wntr.sim.EpanetSimulator``: a leak is an EPANET *emitter*
(:math:`Q = C\\,p^{0.5}`), because EpanetSimulator ignores ``Junction.add_leak``, and
the coefficient of an incipient leak must grow between hydraulic steps, which only the
toolkit allows.  Demands with noise are set the same way, one value per junction and
step.  Everything is in the project's units: the model is written in CMH, so flows are
m³/h, pressures m and emitter coefficients m³/h per √m.

wntr's binding reports EPANET warnings (e.g. negative pressures) through its logger;
they are silenced while a run lasts and returned in :attr:`Session.warnings`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError

_EN_BASEDEMAND = 1
_EN_EMITTER = 3
_EN_DEMAND = 9
_EN_PRESSURE = 11
_EN_FLOW = 8
_EN_TANKLEVEL = 8
_EN_INITSTATUS = 4
_EN_STATUS = 11
_EN_PATTERNSTART = 4
_FLAT = "SX-FLAT"


@contextlib.contextmanager
def _quiet_toolkit() -> Iterator[None]:
    """Silence wntr's toolkit logger for the duration of a run (warnings are kept on the session)."""
    logger = logging.getLogger("wntr.epanet.toolkit")
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


class _Project:
    """An EPANET project opened on a copy of a prepared wntr model; the common part of the runners.

    Subclasses set their own options on the model, then call :meth:`_open`; :meth:`close` (or
    leaving a ``with`` block) closes the project and deletes its files.
    """

    warnings: list[str]

    def _open(self, wn: Any, stem: str, *, flat_demands: bool, emitter_nodes: Sequence[str]) -> None:
        """Set the options both runners share, write the model and open it in EPANET.

        With ``flat_demands`` every junction's demands become one base demand with a flat
        pattern, to be set by the runner; the ``emitter_nodes`` start with no emitter.
        """
        import wntr  # optional heavy dependency, loaded only for hydraulic runs
        from wntr.epanet.toolkit import ENepanet

        options = wn.options
        options.quality.parameter = "NONE"
        # a tighter convergence than EPANET's 0.001 keeps solver noise well below a leak's signal
        options.hydraulic.accuracy = min(float(options.hydraulic.accuracy), 1e-5)
        options.hydraulic.trials = max(int(options.hydraulic.trials), 200)
        if flat_demands:
            wn.add_pattern(_FLAT, [1.0])
            options.hydraulic.demand_multiplier = 1.0
            for name in wn.junction_name_list:
                junction = wn.get_node(name)
                junction.demand_timeseries_list.clear()
                junction.add_demand(base=0.0, pattern_name=_FLAT)
        for name in emitter_nodes:
            wn.get_node(name).emitter_coefficient = 0.0

        self.warnings = []
        self._folder = tempfile.TemporaryDirectory()
        inp = os.path.join(self._folder.name, f"{stem}.inp")
        wntr.network.write_inpfile(wn, inp, units="CMH")
        self._en = ENepanet()
        with _quiet_toolkit():
            self._en.ENopen(inp, os.path.join(self._folder.name, f"{stem}.rpt"), "")
        self._node = {n: self._en.ENgetnodeindex(n) for n in wn.node_name_list}
        self._link = {k: self._en.ENgetlinkindex(k) for k in wn.link_name_list}

    def _collect_warnings(self) -> None:
        en = self._en
        self.warnings += [str(w) for w in en.errcodelist]
        en.errcodelist = []

    def set_emitter(self, node: str, coefficient: float) -> None:
        """Set the emitter coefficient of ``node`` for the following runs. [m³/h/√m]"""
        with _quiet_toolkit():
            self._en.ENsetnodevalue(self._node[node], _EN_EMITTER, float(coefficient))

    def close(self) -> None:
        """Close the EPANET project and delete its files."""
        with _quiet_toolkit(), contextlib.suppress(Exception):
            self._en.ENclose()
        self._folder.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session(_Project):
    """One EPANET project opened on a prepared copy of a wntr model.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The model; it is modified (time options, demands, emitters), so pass a copy.
    step : int
        Recording interval. [s]
    steps : int
        Number of recorded instants, at 0, step, …, (steps − 1)·step.
    flat_demands : bool
        Replace every junction's demands by one base demand with a flat pattern, to be set
        each step by :meth:`run`; otherwise the model's own demand patterns apply.
    emitter_nodes : sequence of str
        Junctions whose emitter coefficient :meth:`run` may set (initially 0).
    """

    def __init__(
        self,
        wn: Any,
        *,
        step: int,
        steps: int,
        flat_demands: bool,
        emitter_nodes: Sequence[str] = (),
    ) -> None:
        self.step = int(step)
        self.steps = int(steps)
        self.junctions: list[str] = list(wn.junction_name_list)
        self.emitter_nodes = list(emitter_nodes)
        self.flat = flat_demands
        options = wn.options
        options.time.duration = (self.steps - 1) * self.step
        options.time.hydraulic_timestep = min(self.step, int(options.time.hydraulic_timestep) or self.step)
        options.time.report_timestep = self.step
        options.time.report_start = 0
        if flat_demands:
            options.time.pattern_timestep = self.step
            options.time.pattern_start = 0
        self._open(wn, "run", flat_demands=flat_demands, emitter_nodes=self.emitter_nodes)

    def run(
        self,
        *,
        demands: npt.NDArray[np.float64] | None = None,
        emitters: npt.NDArray[np.float64] | None = None,
        pressure: Sequence[str] = (),
        flow: Sequence[str] = (),
        outflow: Sequence[str] = (),
        status: Sequence[str] = (),
    ) -> dict[str, npt.NDArray[np.float64]]:
        """Run the hydraulics over all steps and record the chosen values.

        Parameters
        ----------
        demands : ndarray, shape (steps, junctions), optional
            Demand of every junction at every step, in :attr:`junctions` order; only with
            ``flat_demands``. [m³/h]
        emitters : ndarray, shape (steps, emitter nodes), optional
            Emitter coefficient of every emitter node at every step. [m³/h/√m]
        pressure : sequence of str
            Nodes whose pressure to record. [m]
        flow : sequence of str
            Links whose flow to record (positive from start to end node). [m³/h]
        outflow : sequence of str
            Nodes whose EPANET demand to record: consumption plus emitter flow at a
            junction, the negative of the supply at a reservoir or tank. [m³/h]
        status : sequence of str
            Links whose status to record: 1 open, 0 closed.

        Returns
        -------
        dict
            ``"pressure"``, ``"flow"``, ``"outflow"``, ``"status"``: arrays of shape (steps, n).
        """
        if demands is not None and not self.flat:
            raise ValueError("demands can only be set on a session with flat_demands")
        en = self._en
        p_idx = [self._node[n] for n in pressure]
        f_idx = [self._link[k] for k in flow]
        o_idx = [self._node[n] for n in outflow]
        s_idx = [self._link[k] for k in status]
        j_idx = [self._node[n] for n in self.junctions]
        e_idx = [self._node[n] for n in self.emitter_nodes]
        out = {
            "pressure": np.full((self.steps, len(p_idx)), np.nan),
            "flow": np.full((self.steps, len(f_idx)), np.nan),
            "outflow": np.full((self.steps, len(o_idx)), np.nan),
            "status": np.full((self.steps, len(s_idx)), np.nan),
        }
        current = -1

        def apply(k: int) -> None:
            if demands is not None:
                row = demands[k]
                for i, v in zip(j_idx, row, strict=True):
                    en.ENsetnodevalue(i, _EN_BASEDEMAND, float(v))
            if emitters is not None:
                for i, v in zip(e_idx, emitters[k], strict=True):
                    en.ENsetnodevalue(i, _EN_EMITTER, float(v))

        with _quiet_toolkit():
            en.ENopenH()
            try:
                en.ENinitH(0)
                t = 0
                while True:
                    k = min(t // self.step, self.steps - 1)
                    if k != current:  # values hold over [k·step, (k + 1)·step)
                        apply(k)
                        current = k
                    t = en.ENrunH()
                    if t % self.step == 0 and t // self.step < self.steps:
                        row = t // self.step
                        for c, i in enumerate(p_idx):
                            out["pressure"][row, c] = en.ENgetnodevalue(i, _EN_PRESSURE)
                        for c, i in enumerate(f_idx):
                            out["flow"][row, c] = en.ENgetlinkvalue(i, _EN_FLOW)
                        for c, i in enumerate(o_idx):
                            out["outflow"][row, c] = en.ENgetnodevalue(i, _EN_DEMAND)
                        for c, i in enumerate(s_idx):
                            out["status"][row, c] = en.ENgetlinkvalue(i, _EN_STATUS)
                    dt = en.ENnextH()
                    if dt <= 0:
                        break
                    t += dt
            except Exception as err:
                raise InvalidInputError(f"EPANET could not solve the network: {err}") from err
            finally:
                self._collect_warnings()
                en.ENcloseH()
        return out


class Snapshots(_Project):
    """Steady states of a wntr model at chosen instants, with tank levels and pump states given.

    An EPANET run of zero duration solves one steady state in which every tank is a fixed head
    at its initial level.  A leak's effect on such a snapshot is the *instantaneous* one: what
    the sensors show at once, before the tanks drain over hours.  That is what a detector which
    takes the measured tank levels and pump states as given (as its regressors) sees, so the
    leak signatures of a network with tanks and pumps come from snapshots.  Controls and rules
    are removed; the pump states are set for each snapshot instead.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel
        The model; it is modified (controls, times, emitters), so pass a copy.
    emitter_nodes : sequence of str
        Junctions whose emitter coefficient may be set (initially 0).
    flat_demands : bool
        Replace every junction's demands by one base demand with a flat pattern, to be set
        by :meth:`set_demands`; otherwise the model's own demand patterns apply.

    Notes
    -----
    The links whose state is set are :func:`switched_links`: the pumps and the pipes that
    controls open and close.  Valves keep their own setting (a PRV stays active).
    """

    def __init__(self, wn: Any, *, emitter_nodes: Sequence[str] = (), flat_demands: bool = False) -> None:
        self.links = switched_links(wn)
        self.junctions: list[str] = list(wn.junction_name_list)
        for name in list(wn.control_name_list):
            wn.remove_control(name)
        options = wn.options
        self._pattern_start = float(options.time.pattern_start)
        options.time.duration = 0
        self.tanks: list[str] = list(wn.tank_name_list)
        self._limits = {
            t: (float(wn.get_node(t).min_level), float(wn.get_node(t).max_level)) for t in self.tanks
        }
        self._solver_open = False
        self._open(wn, "snapshot", flat_demands=flat_demands, emitter_nodes=emitter_nodes)
        self._junction_index = [self._node[n] for n in self.junctions]

    def set_demands(self, demands: npt.NDArray[np.float64]) -> None:
        """Set the demand of every junction, in :attr:`junctions` order (``flat_demands`` only). [m³/h]"""
        en = self._en
        with _quiet_toolkit():
            for i, v in zip(self._junction_index, demands, strict=True):
                en.ENsetnodevalue(i, _EN_BASEDEMAND, float(v))

    def set_state(
        self,
        time: float,
        levels: Sequence[float] | npt.NDArray[np.float64],
        states: Sequence[float] | npt.NDArray[np.float64],
    ) -> None:
        """Set the instant and the state of the next snapshots.

        Parameters
        ----------
        time : float
            Time since the start of the model's patterns (before its ``PATTERN START``). [s]
        levels : sequence of float
            Level of every tank, in :attr:`tanks` order, kept within its limits. [m]
        states : sequence of float
            State of every switched link, in :attr:`links` order: open when > 0.5.
        """
        en = self._en
        with _quiet_toolkit():
            en.ENsettimeparam(_EN_PATTERNSTART, int(round(self._pattern_start + time)))
            for tank, level in zip(self.tanks, levels, strict=True):
                low, high = self._limits[tank]
                en.ENsetnodevalue(self._node[tank], _EN_TANKLEVEL, float(min(max(level, low), high)))
            for link, state in zip(self.links, states, strict=True):
                en.ENsetlinkvalue(self._link[link], _EN_INITSTATUS, 1.0 if state > 0.5 else 0.0)

    def solve(
        self, *, pressure: Sequence[str] = (), flow: Sequence[str] = (), outflow: Sequence[str] = ()
    ) -> dict[str, npt.NDArray[np.float64]]:
        """Solve the steady state and return the chosen values, as :meth:`Session.run` names them.

        The hydraulic solver stays open between snapshots and starts from the previous
        snapshot's flows, so a snapshot close to the previous one takes few iterations.
        """
        en = self._en
        with _quiet_toolkit():
            try:
                if not self._solver_open:
                    en.ENopenH()
                    self._solver_open = True
                en.ENinitH(0)  # 0: keep the last solution's flows as the starting point
                en.ENrunH()
                out = {
                    "pressure": np.array([en.ENgetnodevalue(self._node[n], _EN_PRESSURE) for n in pressure]),
                    "flow": np.array([en.ENgetlinkvalue(self._link[k], _EN_FLOW) for k in flow]),
                    "outflow": np.array([en.ENgetnodevalue(self._node[n], _EN_DEMAND) for n in outflow]),
                }
            except Exception as err:
                raise InvalidInputError(f"EPANET could not solve the network: {err}") from err
            finally:
                self._collect_warnings()
        return out

    def close(self) -> None:
        """Close the hydraulic solver, if open, then the EPANET project, and delete its files."""
        if self._solver_open:
            with _quiet_toolkit(), contextlib.suppress(Exception):
                self._en.ENcloseH()
            self._solver_open = False
        super().close()


def switched_links(wn: Any) -> list[str]:
    """Links whose open/closed state changes in an extended run: pumps and pipes named by controls.

    Parameters
    ----------
    wn : wntr.network.WaterNetworkModel

    Returns
    -------
    list of str
        The pumps, then the pipes that a control or rule acts on, in model order.
    """
    import wntr  # optional heavy dependency, loaded only for hydraulic runs

    targets: set[str] = set()
    for name in wn.control_name_list:
        control = wn.get_control(name)
        actions = list(control.actions()) + list(getattr(control, "else_actions", list)())
        for action in actions:
            target = action.target()[0]
            if isinstance(target, wntr.network.elements.Pipe):
                targets.add(target.name)
    pipes = [k for k in wn.pipe_name_list if k in targets]
    return list(wn.pump_name_list) + pipes
