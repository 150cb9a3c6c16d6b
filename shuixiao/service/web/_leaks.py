"""Leak pages: the leak events of an enterprise, and one event on the map of its supply network.

* ``GET /enterprises/{id}/leaks`` — the enterprise's leak events, newest detection first;
* ``GET /enterprises/{id}/leaks/{event}`` — one event: its facts, the workflow (suspected →
  confirmed → repaired → verified, or dismissed) with its history, the ranked suspects with
  their scores, and the network drawn with ECharts from the node coordinates of its EPANET
  file, the suspects highlighted and the pipes within the stated distance uncertainty of the
  best suspect shaded;
* ``POST /enterprises/{id}/leaks/{event}/transition`` — a workflow step (``action`` and an
  optional ``note``) by a principal who may write to the enterprise; audited like every write.

The network of an event is the file ``<data dir>/networks/<name>.inp`` (``shuixiao leak detect
--store`` keeps a copy there), else the demo's ``<data dir>/demo/networks/<name>.inp``; without
it the page lists the suspects without a map.  Scope and tenancy follow the other pages: an
enterprise the principal may not read answers 404.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shuixiao.alarms import LEAK_ACTIONS, AlarmStateError, LeakState
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks import Location, PipeNetwork, read_network
from shuixiao.service.auth import Principal, can_write
from shuixiao.service.deps import get_store, page_principal
from shuixiao.service.web._common import Page, page_context
from shuixiao.service.web._format import format_number, format_time
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._render import path
from shuixiao.storage import Store
from shuixiao.storage.accounts import AccountStore
from shuixiao.storage.alarms import LeakEventRecord, LeakEventStore

__all__ = ["LeakMap", "map_data", "network_file", "router"]

router = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(page_principal)]

WORKFLOW = (LeakState.SUSPECTED, LeakState.CONFIRMED, LeakState.REPAIRED, LeakState.VERIFIED)
"""The states of a leak event in their order; dismissed leaves the line."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_LIST_LIMIT = 200


def network_file(data_dir: Path, name: str | None) -> Path | None:
    """The EPANET file of the network ``name``, or None.

    Parameters
    ----------
    data_dir : pathlib.Path
        The instance's data directory.
    name : str or None
        The network name stored with the event (the file's stem); names with path
        separators or a leading dot are refused.

    Returns
    -------
    pathlib.Path or None
        ``<data_dir>/networks/<name>.inp``, else ``<data_dir>/demo/networks/<name>.inp``.

    Examples
    --------
    >>> network_file(Path("/nonexistent"), "../etc/passwd") is None
    True
    """
    if not name or not _NAME.fullmatch(name):
        return None
    for folder in (data_dir / "networks", data_dir / "demo" / "networks"):
        candidate = folder / f"{name}.inp"
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=8)
def _network(file: str, modified_ns: int) -> PipeNetwork:  # noqa: ARG001 (modified_ns is the cache key)
    """The network of ``file``, read once per version of the file (``modified_ns``)."""
    return read_network(file)


@dataclass
class LeakMap:
    """What the map of an event draws (the ``leak_map`` entry of the page's chart data).

    Parameters
    ----------
    nodes : list
        ``[x, y, id, kind]`` of every node with coordinates, in the file's units.
    pipes : list
        ``{"id", "kind", "coords": [[x, y], [x, y]], "zone"}`` of every link whose two ends have
        coordinates; ``zone`` is True for pipes within the distance uncertainty of the best
        suspect.
    suspects : list
        ``{"rank", "kind", "id", "score", "coords"}``, best first; ``coords`` are the pipe's ends
        or the node.
    labels : dict
        Legend and tooltip texts in the page's language.
    """

    nodes: list[list[Any]] = field(default_factory=list)
    pipes: list[dict[str, Any]] = field(default_factory=list)
    suspects: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def map_data(network: PipeNetwork, record: LeakEventRecord, labels: dict[str, str]) -> LeakMap | None:
    """Draw an event's suspects on its network; None when the file has no coordinates (all at one point).

    Parameters
    ----------
    network : PipeNetwork
    record : LeakEventRecord
    labels : dict of str to str
        Translated legend texts.

    Notes
    -----
    The shaded zone holds every pipe whose BattLeDIM pipe distance from the best suspect
    (:meth:`PipeNetwork.distance`) is within the event's stated uncertainty [m]; suspects the
    network does not have (another version of the file) are left out of the map.
    """
    xy = network.coordinates
    if len(set(xy.values())) < 2:  # wntr puts nodes without coordinates at (0, 0)
        return None
    best = _location(network, record.suspects[0].kind, record.suspects[0].id) if record.suspects else None
    radius = (
        record.uncertainty if record.uncertainty is not None and math.isfinite(record.uncertainty) else 0.0
    )
    pipes = []
    for link in network.links:
        a, b = network.link_nodes(link)
        if a not in xy or b not in xy:
            continue
        kind = network.link_kind(link)
        zone = False
        if best is not None and kind == "pipe":
            zone = network.distance(best, Location("pipe", link)) <= radius
        pipes.append({"id": link, "kind": kind, "coords": [list(xy[a]), list(xy[b])], "zone": zone})
    suspects = []
    for rank, suspect in enumerate(record.suspects, start=1):
        where = _location(network, suspect.kind, suspect.id)
        if where is None:
            continue
        ends = network.link_nodes(where.id) if where.kind == "pipe" else (where.id,)
        if not all(n in xy for n in ends):
            continue
        coords = [list(xy[n]) for n in ends]
        suspects.append(
            {"rank": rank, "kind": where.kind, "id": where.id, "score": suspect.score, "coords": coords}
        )
    nodes = [[x, y, n, network.node_kind(n)] for n, (x, y) in xy.items()]
    return LeakMap(nodes, pipes, suspects, labels)


def _location(network: PipeNetwork, kind: str, id: str) -> Location | None:
    try:
        return network.location(kind, id)
    except (NotFoundError, InvalidInputError):
        return None


def _event_or_none(store: Store, enterprise_id: str, event_id: int) -> LeakEventRecord | None:
    try:
        record = LeakEventStore(store).get(event_id)
    except NotFoundError:
        return None
    return record if record.enterprise == enterprise_id else None


def _enterprise_name(page: Page, enterprise_id: str) -> str | None:
    try:
        enterprise = page.store.load_enterprise(enterprise_id)
    except NotFoundError:
        return None
    return page.t.pick(enterprise.name, enterprise.name_en)


def _suspect(t: Translator, kind: str, id: str) -> str:
    """``管段 P-1`` / ``pipe P-1``, or the node form."""
    return t("leaks.suspect_pipe", id=id) if kind == "pipe" else t("leaks.suspect_node", id=id)


def _row(page: Page, record: LeakEventRecord, now: dt.datetime) -> dict[str, Any]:
    t, zone = page.t, page.zone
    best = record.suspects[0] if record.suspects else None
    return {
        "id": record.id,
        "href": path("enterprises", record.enterprise, "leaks", str(record.id)),
        "state": record.state.value,
        "start": format_time(record.start, zone),
        "detected": format_time(record.detected, zone),
        "end": format_time(record.end, zone) if record.end else "–",
        "flow": format_number(record.flow),
        "uncertainty": format_number(record.uncertainty) if record.uncertainty is not None else "–",
        "loss": format_number(record.loss(now)),
        "best": _suspect(t, best.kind, best.id) if best else "–",
        "score": format_number(best.score) if best else "–",
    }


@router.get("/enterprises/{enterprise_id}/leaks")
def read_leaks(request: Request, enterprise_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """The leak events of an enterprise, newest detection first."""
    page = page_context(request, store, principal)
    if enterprise_id not in page.visible:
        return page.not_found()
    name = _enterprise_name(page, enterprise_id)
    if name is None:
        return page.not_found()
    now = dt.datetime.now(dt.UTC)
    rows = [_row(page, r, now) for r in LeakEventStore(store).list_events([enterprise_id], limit=_LIST_LIMIT)]
    here = path("enterprises", enterprise_id)
    return page.render(
        "leaks.html",
        title=f"{page.t('leaks.title')} · {name}",
        page="leaks",
        current=here,
        enterprise_name=name,
        back_href=here,
        rows=rows,
    )


@router.get("/enterprises/{enterprise_id}/leaks/{event_id}")
def read_leak(
    request: Request, enterprise_id: str, event_id: int, store: StoreDep, principal: PrincipalDep
) -> Response:
    """One leak event: facts, workflow and history, ranked suspects and the network map."""
    page = page_context(request, store, principal)
    if enterprise_id not in page.visible:
        return page.not_found()
    name = _enterprise_name(page, enterprise_id)
    record = _event_or_none(store, enterprise_id, event_id)
    if name is None or record is None:
        return page.not_found()
    t, zone = page.t, page.zone
    events = LeakEventStore(store)
    history = events.history(event_id)
    reached = {h.to_state for h in history if h.to_state}
    steps = [
        {
            "state": s.value,
            "label": t("leak_state." + s.value),
            "current": record.state is s,
            "done": s.value in reached and record.state is not s,
        }
        for s in WORKFLOW
    ]
    may_write = can_write(principal, enterprise_id)
    actions = [a for a, (origins, _) in LEAK_ACTIONS.items() if record.state in origins] if may_write else []
    labels = {
        "pipes": t("leaks.map_pipes"),
        "zone": t("leaks.map_zone"),
        "suspects": t("leaks.map_suspects"),
        "best": t("leaks.map_best"),
        "nodes": t("leaks.map_nodes"),
        "score": t("leaks.map_score"),
        "rank": t("leaks.map_rank"),
    }
    leak_map = None
    file = network_file(page.settings.data_dir, record.network)
    if file is not None:
        leak_map = map_data(_network(str(file), file.stat().st_mtime_ns), record, labels)
    row = _row(page, record, dt.datetime.now(dt.UTC))
    suspects = [
        {"rank": i, "label": _suspect(t, s.kind, s.id), "score": format_number(s.score)}
        for i, s in enumerate(record.suspects, start=1)
    ]
    log = [
        {
            "at": format_time(h.at, zone),
            "actor": h.actor,
            "action": t("leak_action." + h.action),
            "change": (
                f"{t('leak_state.' + h.from_state) if h.from_state else '–'} → {t('leak_state.' + h.to_state)}"
                if h.to_state
                else ""
            ),
            "note": h.note or "",
        }
        for h in history
    ]
    here = path("enterprises", enterprise_id, "leaks", str(event_id))
    return page.render(
        "leak.html",
        title=f"{t('leaks.event', id=event_id)} · {name}",
        page="leak",
        current=path("enterprises", enterprise_id),
        charts=leak_map is not None,
        enterprise_name=name,
        back_href=path("enterprises", enterprise_id, "leaks"),
        event=row,
        record=record,
        steps=steps,
        dismissed=record.state is LeakState.DISMISSED,
        actions=actions,
        action_href=here + "/transition",
        suspects=suspects,
        history=log,
        network_name=record.network or "–",
        has_map=leak_map is not None,
        chart_data={"leak_map": leak_map.__dict__} if leak_map is not None else {},
    )


@router.post("/enterprises/{enterprise_id}/leaks/{event_id}/transition")
def transition_leak(
    request: Request,
    enterprise_id: str,
    event_id: int,
    store: StoreDep,
    principal: PrincipalDep,
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Move a leak event one step along its workflow, then show the event again."""
    page = page_context(request, store, principal)
    if enterprise_id not in page.visible or _event_or_none(store, enterprise_id, event_id) is None:
        return page.not_found()
    accounts = AccountStore(store)
    client = request.client.host if request.client else None
    target = f"leak_event:{event_id}"
    kind = f"leak.{action}" if action in LEAK_ACTIONS else "leak.transition"
    if not can_write(principal, enterprise_id):
        accounts.audit(principal, kind, target, None, client, "denied", enterprise=enterprise_id)
        return page.forbidden()
    if action not in LEAK_ACTIONS:
        return page.error(400, "error.title", "leaks.bad_action")
    try:
        LeakEventStore(store).transition(event_id, action, principal.login, note or None)
        outcome, detail = "success", None
    except AlarmStateError as err:  # the state changed meanwhile: show it as it is
        outcome, detail = "failure", {"reason": err.diagnostics()}
    accounts.audit(principal, kind, target, detail, client, outcome, enterprise=enterprise_id)
    return RedirectResponse(path("enterprises", enterprise_id, "leaks", str(event_id)), status_code=303)
