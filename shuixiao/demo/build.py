"""Write the demo park into a store and its files into a directory.

The one module of :mod:`shuixiao.demo` that touches storage: it takes what
:func:`shuixiao.demo.build_park` and :func:`shuixiao.demo.simulate` generate and
writes, enterprise by enterprise, the model, the readings converted to
canonical units, the interval aggregates, the meter events and the monthly
water-use plans (:mod:`shuixiao.demo.plans`).  Beside the
database it leaves, under ``directory``:

* ``models/<enterprise>.yaml`` — each plant as an editable model file;
* ``networks/<enterprise>.inp`` — each plant's EPANET supply network;
* ``networks/<enterprise>.sensors.yaml`` — its leak-monitoring sensors, the workshop meters
  among them, for ``shuixiao leak simulate``, ``detect`` and ``zones``;
* ``networks/<enterprise>.meters.yaml`` — its own fresh-water totalizers placed on the network,
  by meter id, for ``shuixiao leak readings`` (the stored data as leak readings) and then
  ``leak detect`` and ``leak zones``;
* ``truth.json`` — the ground truth of the simulation (injected events, true
  volumes and indicators), for tests and for checking the engines.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shuixiao.demo import DemoConfig, EnterpriseData, build_park, enterprise_ids, simulate
from shuixiao.demo._network import meter_sensors, network_sensors
from shuixiao.demo.plans import demo_plans
from shuixiao.io import ModelDocument, write_model_file
from shuixiao.leaks import network_from_text, write_sensors
from shuixiao.storage import Store
from shuixiao.storage.plans import PlanStore
from shuixiao.units import to_canonical

__all__ = ["BuildReport", "build_demo", "demo_exists"]


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_demo` wrote.

    Parameters
    ----------
    enterprises, meters, readings, aggregates : int
        Counts written to the store (aggregates: rows at all resolutions).
    seconds : float
        Wall-clock duration of the build. [s]
    directory : pathlib.Path
        Where the model files, networks and ground truth were written.
    """

    enterprises: int
    meters: int
    readings: int
    aggregates: int
    seconds: float
    directory: Path


def demo_exists(store: Store, config: DemoConfig) -> int:
    """Return how many of the demo's enterprises are already in ``store`` (0 when none)."""
    wanted = set(enterprise_ids(config))
    return sum(1 for s in store.list_enterprises() if s.id in wanted)


def build_demo(store: Store, config: DemoConfig, directory: Path, *, replace: bool = False) -> BuildReport:
    """Generate the demo park and write it to ``store`` and ``directory``.

    Parameters
    ----------
    store : Store
        A migrated store.
    config : DemoConfig
        Size, period and seed of the demo.
    directory : pathlib.Path
        Directory for model files, networks and ground truth (created if needed).
    replace : bool
        Delete demo enterprises that already exist (with their readings) first.

    Returns
    -------
    BuildReport

    Raises
    ------
    InvalidInputError
        If a demo enterprise exists and ``replace`` is false.
    """
    started = time.perf_counter()
    park = build_park(config)
    present = {s.id for s in store.list_enterprises()}
    if replace:
        for enterprise in park.enterprises:
            if enterprise.id in present:
                store.delete_enterprise(enterprise.id)
    store.save_model(park.regions, (park.park,), ())

    (directory / "models").mkdir(parents=True, exist_ok=True)
    (directory / "networks").mkdir(parents=True, exist_ok=True)
    for enterprise in park.enterprises:
        inp = park.networks[enterprise.id]
        (directory / "networks" / f"{enterprise.id}.inp").write_text(inp, encoding="utf-8")
        network = network_from_text(inp, name=enterprise.id)
        write_sensors(
            network_sensors(enterprise, network), directory / "networks" / f"{enterprise.id}.sensors.yaml"
        )
        write_sensors(
            meter_sensors(enterprise, network), directory / "networks" / f"{enterprise.id}.meters.yaml"
        )

    truth: dict[str, Any] = {"config": _config_json(config), "enterprises": {}}
    meters = readings = aggregates = 0
    for data in simulate(park, config):
        new_readings, new_aggregates = _write_enterprise(store, data)
        PlanStore(store).set_plans(demo_plans(data), by="demo")
        readings += new_readings
        aggregates += new_aggregates
        meters += len(data.enterprise.meters)
        truth["enterprises"][data.enterprise.id] = data.truth
        document = ModelDocument(regions=park.regions, parks=(park.park,), enterprises=(data.enterprise,))
        write_model_file(document, directory / "models" / f"{data.enterprise.id}.yaml")
    (directory / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return BuildReport(
        enterprises=len(park.enterprises),
        meters=meters,
        readings=readings,
        aggregates=aggregates,
        seconds=time.perf_counter() - started,
        directory=directory,
    )


def _write_enterprise(store: Store, data: EnterpriseData) -> tuple[int, int]:
    """Save one enterprise's model, readings, aggregates and events; return the rows written."""
    enterprise = data.enterprise
    store.save_enterprise(enterprise)
    keys = store.meter_keys(enterprise.id)
    meters = {m.id: m for m in enterprise.meters}
    written = aggregated = 0
    with store.bulk() as writer:
        for series in data.series:
            meter = meters[series.meter_id]
            value = to_canonical(
                series.value, meter.unit, meter.quantity
            )  # the boundary: meter unit → canonical
            written += writer.write_readings(
                keys[series.meter_id], series.ts, value, series.quality, series.origin
            )
        for a in data.aggregates:
            aggregated += writer.write_aggregates(
                keys[a.meter_id], a.resolution, a.start, a.value, a.minimum, a.maximum, a.count, a.quality
            )
    for event in data.events:
        store.add_meter_event(
            enterprise.id,
            event.meter_id,
            dt.datetime.fromtimestamp(event.ts, dt.UTC),
            event.kind,
            event.detail,
        )
    return written, aggregated


def _config_json(config: DemoConfig) -> dict[str, Any]:
    return {
        "enterprises": config.enterprises,
        "days": config.days,
        "interval": config.interval,
        "seed": config.seed,
        "start": config.start.isoformat(),
    }
