"""``shuixiao leak``: simulate leak scenarios, detect and localise leaks, score detections, zones, leak events.

``simulate``, ``detect``, ``score`` and ``zones`` work on files only: they open no database and need no
network access.  ``readings`` exports an enterprise's stored meter data as the readings file those
commands read; ``detect --store --enterprise E`` also records the leaks found as leak events
with their alarms, and ``leak event`` follows those events from suspicion to a verified repair.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from shuixiao.alarms import LeakState, load_rules, resolve_rules
from shuixiao.cli._alarm import actor, local_time, notify_config
from shuixiao.cli._context import Context
from shuixiao.cli._demo import interval_seconds
from shuixiao.errors import InvalidInputError
from shuixiao.leaks import (
    DetectorSettings,
    LeakEvent,
    ScenarioSettings,
    detect_leaks,
    interval_readings,
    place_sensors,
    random_leaks,
    read_events,
    read_network,
    read_readings,
    read_sensors,
    read_truth,
    score_events,
    simulate_scenario,
    write_events,
    write_readings,
    write_sensors,
    write_truth,
)
from shuixiao.leaks.zones import ZoneBalance, district_metered_areas, zone_balance
from shuixiao.notify import make_outbox
from shuixiao.series.aggregate import iso_duration
from shuixiao.storage import AlarmStore, LeakEventRecord, LeakEventStore
from shuixiao.units import from_canonical


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number > 0")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def register(nouns: Any) -> None:
    """Add the ``leak`` command and its verbs to ``nouns``."""
    leak = nouns.add_parser(
        "leak",
        help="pipe-network leaks: simulate, detect, score, zones, readings, events",
        description=(
            "Leak monitoring on EPANET networks from files: simulate scenarios with ground truth, "
            "detect and localise leaks in flow and pressure readings, score detections "
            "with the BattLeDIM 2020 rules, and split the network into district-metered areas; "
            "these use no database. `readings` exports an enterprise's stored meter data as such a "
            "readings file, `detect --store` records the leaks found and `event` follows them. "
            "See docs/leaks.md."
        ),
    )
    verbs = leak.add_subparsers(dest="verb", metavar="<verb>", required=True)

    det = verbs.add_parser(
        "detect",
        help="detect and localise leaks in readings",
        description=(
            "Learn normal behaviour on a leak-free training window at the start of the readings, "
            "detect leaks after it and rank suspected pipes. Pressure in m head, flow and demand "
            "in m³/h. Writes EVENTS.json: events {start, detected, end, flow_m3h, uncertainty_m, "
            "candidates: [{pipe|node: ID, score}]}, best candidate first."
        ),
    )
    det.add_argument("--network", required=True, type=Path, metavar="NET.inp", help="EPANET network")
    det.add_argument("--sensors", required=True, type=Path, metavar="SENSORS.yaml", help="sensor file")
    det.add_argument(
        "--readings", required=True, type=Path, metavar="READINGS.csv", help="CSV timestamp,sensor,value"
    )
    det.add_argument("--out", required=True, type=Path, metavar="EVENTS.json", help="events file to write")
    det.add_argument(
        "--train-days",
        type=_positive_float,
        metavar="D",
        help="leak-free days at the start (default 7 if the readings span 14 days, else a third)",
    )
    det.add_argument(
        "--adapt-days",
        type=float,
        default=(DetectorSettings().adaptation or dt.timedelta(0)) / dt.timedelta(days=1),
        metavar="D",
        help=(
            "re-centre normal behaviour daily on the median of this many days, ending two days before, "
            "so a long record follows seasons and absorbs leaks found long ago; 0: keep the training "
            "window's (default %(default)s)"
        ),
    )
    det.add_argument(
        "--min-flow",
        type=_positive_float,
        default=DetectorSettings().minimum_flow,
        metavar="Q",
        help="smallest leak to look for, m³/h (default %(default)s)",
    )
    det.add_argument(
        "--threshold", type=_positive_float, metavar="H", help="CUSUM alarm threshold (default: calibrated)"
    )
    det.add_argument(
        "--candidates", type=int, default=10, metavar="N", help="candidates per event (default 10)"
    )
    det.add_argument("--nodes", action="store_true", help="rank junctions instead of pipes")
    det.add_argument(
        "--flow-detection",
        action="store_true",
        help="raise alarms from flow meters only (a water balance); localise with all sensors",
    )
    det.add_argument(
        "--hydraulic-baseline",
        choices=("auto", "on", "off"),
        default="auto",
        help=(
            "subtract what the hydraulic model expects from the measured tank levels, pump states and "
            "customer demands before learning normal behaviour (auto: on networks with tanks)"
        ),
    )
    det.add_argument(
        "--no-cache", action="store_true", help="do not cache leak signatures in the data directory"
    )
    det.add_argument(
        "--store",
        action="store_true",
        help="also record the events in the database as leak events with alarms (needs --enterprise)",
    )
    det.add_argument("--enterprise", metavar="ID", help="with --store: the enterprise the network belongs to")
    det.add_argument(
        "--notify-config",
        metavar="FILE",
        help="with --store: notification channels for the alarms (env SHUIXIAO_NOTIFY_CONFIG)",
    )
    det.set_defaults(handler=detect)
    _register_events(verbs)

    rea = verbs.add_parser(
        "readings",
        help="export stored meter data as leak readings (READINGS.csv)",
        description=(
            "Write the readings file of `leak detect` and `leak zones` from the store: for every sensor "
            "of SENSORS.yaml, the enterprise's meter of the same id, one value per base interval of the "
            "aggregates — totalizers as the interval's mean flow [m³/h], flow-rate meters as their mean "
            "[m³/h], pressure meters as their mean head [m] and level meters as their mean level [m]. "
            "Gaps stay empty. Times in the instance's time zone."
        ),
    )
    rea.add_argument(
        "--enterprise", required=True, metavar="ID", help="the enterprise whose meters these are"
    )
    rea.add_argument(
        "--sensors",
        required=True,
        type=Path,
        metavar="SENSORS.yaml",
        help="sensor file; sensor ids are meter ids",
    )
    rea.add_argument(
        "--from", dest="start", required=True, metavar="TIME", help="from this ISO date or date-time"
    )
    rea.add_argument(
        "--to", dest="end", required=True, metavar="TIME", help="to this ISO date or date-time (excluded)"
    )
    rea.add_argument(
        "--interval",
        type=interval_seconds,
        default=900,
        metavar="SECONDS",
        help="base interval of the stored aggregates (default 900 = 15 min)",
    )
    rea.add_argument("--out", required=True, type=Path, metavar="READINGS.csv", help="readings file to write")
    rea.set_defaults(handler=readings)

    sim = verbs.add_parser(
        "simulate",
        help="simulate a leak scenario with ground truth",
        description=(
            "Simulate a network with EPANET 2.2 (leaks as emitters) with random leaks after a "
            "leak-free training window, demand and model uncertainty and sensor noise. Writes "
            "DIR/readings.csv, DIR/sensors.yaml and DIR/truth.yaml. Deterministic from --seed."
        ),
    )
    sim.add_argument("--network", required=True, type=Path, metavar="NET.inp", help="EPANET network")
    sim.add_argument("--out", required=True, type=Path, metavar="DIR", help="directory to write")
    sim.add_argument("--days", type=_positive_float, default=7.0, metavar="D", help="days (default 7)")
    sim.add_argument("--leaks", type=int, default=3, metavar="N", help="number of leaks (default 3)")
    sim.add_argument("--seed", type=int, default=2025, metavar="N", help="random seed (default 2025)")
    sim.add_argument(
        "--interval", type=int, default=300, metavar="SECONDS", help="reading interval (default 300)"
    )
    sim.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2025, 1, 1),
        metavar="YYYY-MM-DD",
        help="first day, local midnight (default 2025-01-01)",
    )
    sim.add_argument(
        "--min-flow",
        type=_positive_float,
        default=2.0,
        metavar="Q",
        help="smallest peak leak flow, m³/h (default 2)",
    )
    sim.add_argument(
        "--max-flow",
        type=_positive_float,
        default=20.0,
        metavar="Q",
        help="largest peak leak flow, m³/h (default 20)",
    )
    sim.add_argument(
        "--sensors", type=Path, metavar="SENSORS.yaml", help="use these sensors instead of placing them"
    )
    sim.add_argument(
        "--pressure-sensors",
        type=int,
        metavar="N",
        help="pressure sensors to place (default √junctions, at least 3)",
    )
    sim.add_argument(
        "--demand-meters",
        type=_share,
        default=1.0,
        metavar="SHARE",
        help="share of consumers with a demand meter, largest first (default 1)",
    )
    defaults = ScenarioSettings()
    sim.add_argument(
        "--demand-noise",
        type=float,
        default=defaults.demand_noise,
        metavar="X",
        help=f"relative demand noise (default {defaults.demand_noise})",
    )
    sim.add_argument(
        "--roughness",
        type=float,
        default=defaults.roughness_uncertainty,
        metavar="X",
        help=f"spread of pipe roughness against the model (default {defaults.roughness_uncertainty})",
    )
    sim.set_defaults(handler=simulate)

    sco = verbs.add_parser(
        "score",
        help="score detected events against the ground truth",
        description=(
            "BattLeDIM 2020 score (true detection: during the leak and within 300 m of pipe distance; "
            "water saved at 0.80 €/m³ less a distance penalty; 500 € per false positive), with "
            "detection rate, false alarms per month, time to detection and localisation distance."
        ),
    )
    sco.add_argument("--truth", required=True, type=Path, metavar="TRUTH", help="ground truth (YAML or JSON)")
    sco.add_argument("--events", required=True, type=Path, metavar="EVENTS.json", help="detected events")
    sco.add_argument("--network", required=True, type=Path, metavar="NET.inp", help="EPANET network")
    sco.add_argument("--json", action="store_true", help="machine-readable JSON")
    sco.set_defaults(handler=score)

    zon = verbs.add_parser(
        "zones",
        help="district-metered areas from the flow meters, with their balance",
        description=(
            "Split the network into district-metered areas (zones) at its flow meters: each zone's "
            "junctions, pipe length, boundary meters with their sign (+ into the zone), customer meters, "
            "and whether it is closed (every way in metered) or open (and why). With --readings, the "
            "balance of every closed zone: net inflow − customer meters − tank storage = losses + "
            "unmetered use [m³], the minimum night flow and the ILI. Same file formats as detect."
        ),
    )
    zon.add_argument("--network", required=True, type=Path, metavar="NET.inp", help="EPANET network")
    zon.add_argument("--sensors", required=True, type=Path, metavar="SENSORS.yaml", help="sensor file")
    zon.add_argument("--readings", type=Path, metavar="READINGS.csv", help="CSV timestamp,sensor,value")
    zon.add_argument(
        "--names", type=Path, metavar="ZONES.yaml", help="zone names: zone id or a junction of it → name"
    )
    zon.add_argument(
        "--screening",
        action="store_true",
        help="give UARL and ILI outside the UARL formula's range (plant networks), as screening values",
    )
    zon.add_argument("--json", action="store_true", help="machine-readable JSON")
    zon.set_defaults(handler=zones)


def detect(ctx: Context, args: argparse.Namespace) -> int:
    """Detect and localise leaks; write the events file (and record them with --store)."""
    if args.store and not args.enterprise:
        raise InvalidInputError("--store needs --enterprise ID: the enterprise whose network this is")
    if args.enterprise and not args.store:
        raise InvalidInputError("--enterprise is used with --store only")
    if args.candidates < 1:
        raise InvalidInputError("--candidates must be at least 1")
    if not 0 <= args.adapt_days < math.inf:
        raise InvalidInputError(
            f"--adapt-days is a number of days ≥ 0 (0 keeps the training window), not {args.adapt_days}"
        )
    settings = DetectorSettings(
        training=dt.timedelta(days=args.train_days) if args.train_days else None,
        minimum_flow=args.min_flow,
        threshold=args.threshold,
        candidates=args.candidates,
        candidate_kind="node" if args.nodes else "pipe",
        detection_sensors="flow" if args.flow_detection else "all",
        hydraulic_baseline=args.hydraulic_baseline,
        adaptation=dt.timedelta(days=args.adapt_days) if args.adapt_days else None,
    )
    network = read_network(args.network)
    sensors = read_sensors(args.sensors)
    readings = read_readings(args.readings, sensors)
    cache = None if args.no_cache else ctx.settings.data_dir / "cache" / "leaks"
    result = detect_leaks(network, sensors, readings, settings=settings, cache_dir=cache)
    if result.sensors_without_readings:
        ctx.out.print(ctx.t("leak.unread", sensors=", ".join(result.sensors_without_readings)))
    write_events(
        result.events,
        args.out,
        network=network.name,
        training_end=result.training_end.isoformat(),
        threshold=round(result.threshold, 3),
        noise_m3h=round(result.noise, 4) if math.isfinite(result.noise) else None,
    )
    ctx.out.print(ctx.t("leak.training", end=result.training_end.isoformat()))
    for event in result.events:
        best = event.best
        ctx.out.print(
            ctx.t(
                "leak.event",
                detected=event.detected.isoformat(),
                flow=event.flow,
                where=f"{best.kind} {best.id}" if best else "—",
                uncertainty=f"{event.uncertainty:.0f}" if math.isfinite(event.uncertainty) else "—",
            )
        )
    ctx.out.print(ctx.t("leak.detected", events=len(result.events), path=args.out))
    if args.store:
        _keep_network(ctx, network.name, network.inp_text)
        _record(ctx, args, result.events, network.name)
    return 0


# quantity of a meter → (sensor types it can be, unit of the readings file, taken as a mean)
_EXPORTABLE = {
    "volume": (("flow", "demand"), "m³", False),
    "flow_rate": (("flow", "demand"), "m³/h", True),
    "pressure": (("pressure",), "m", True),
    "level": (("pressure",), "m", True),
}


def readings(ctx: Context, args: argparse.Namespace) -> int:
    """Export an enterprise's stored meter aggregates as leak readings."""
    tz = ctx.settings.timezone
    start, end = local_time(args.start, tz, "--from"), local_time(args.end, tz, "--to")
    if start is None or end is None or start >= end:
        raise InvalidInputError(f"--from {args.start} must be before --to {args.end}")
    sensors = read_sensors(args.sensors)
    store = ctx.store()
    meters = {m.id: m for m in store.load_enterprise(args.enterprise).meters}
    unknown = sorted(set(sensors) - set(meters))
    if unknown:
        raise InvalidInputError(
            f"{args.sensors}: {', '.join(unknown)} are not meters of enterprise {args.enterprise}; "
            "name each sensor after the meter that reads it (shuixiao demo build writes such a file, "
            "networks/<enterprise>.meters.yaml)"
        )
    resolution = iso_duration(args.interval)
    aggregates, means = {}, []
    for sid, sensor in sensors.items():
        quantity = str(meters[sid].quantity)
        types, unit, mean = _EXPORTABLE.get(quantity, ((), "", False))
        if sensor.type not in types:
            raise InvalidInputError(
                f"{args.sensors}: sensor {sid} is a {sensor.type} sensor but meter {sid} measures {quantity}; "
                "flow and demand sensors need totalizers or flow-rate meters, pressure sensors pressure or level meters"
            )
        frame = store.read_aggregates(args.enterprise, sid, resolution, start, end)
        frame["value"] = from_canonical(frame["value"].to_numpy(dtype=float), unit, quantity)
        aggregates[sid] = frame
        if mean:
            means.append(sid)
    table = interval_readings(aggregates, dt.timedelta(seconds=args.interval), ctx.settings.zone, means=means)
    if table.empty:
        raise InvalidInputError(
            f"enterprise {args.enterprise} has no {resolution} aggregates of these meters from {args.start} "
            f"to {args.end}; check the period, or --interval if its meters report at another interval"
        )
    write_readings(table, args.out)
    ctx.out.print(
        ctx.t("leak.readings", sensors=len(aggregates), rows=len(table), path=str(args.out)), markup=False
    )
    return 0


def _keep_network(ctx: Context, name: str, text: str) -> None:
    """Keep a copy of the network file as ``<data dir>/networks/<name>.inp`` for the leak event pages."""
    folder = ctx.settings.data_dir / "networks"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.inp"
    if not target.exists() or target.read_text(encoding="utf-8", errors="replace") != text:
        temporary = target.with_name(target.name + ".part")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)


def simulate(ctx: Context, args: argparse.Namespace) -> int:
    """Simulate a scenario and write readings, sensors and truth."""
    if args.leaks < 0:
        raise InvalidInputError("--leaks must be 0 or more")
    if args.min_flow > args.max_flow:
        raise InvalidInputError("--min-flow must not exceed --max-flow")
    network = read_network(args.network)
    sensors = (
        read_sensors(args.sensors)
        if args.sensors
        else place_sensors(network, pressure=args.pressure_sensors, demand_share=args.demand_meters)
    )
    settings = ScenarioSettings(
        interval=args.interval, demand_noise=args.demand_noise, roughness_uncertainty=args.roughness
    )
    zone = ctx.settings.zone
    start = dt.datetime.combine(args.start, dt.time(0), tzinfo=zone)
    end = start + dt.timedelta(days=args.days)
    training = dt.timedelta(days=7) if args.days >= 14 else dt.timedelta(days=args.days / 3)
    leaks = random_leaks(
        network,
        args.leaks,
        start=start + training + dt.timedelta(hours=1),
        end=end,
        seed=args.seed,
        flow_range=(args.min_flow, args.max_flow),
    )
    scenario = simulate_scenario(
        network, sensors, leaks, start=start, days=args.days, seed=args.seed, settings=settings
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_readings(scenario.readings, args.out / "readings.csv")
    write_sensors(scenario.sensors, args.out / "sensors.yaml")
    write_truth(
        scenario.leaks,
        args.out / "truth.yaml",
        period=(start + training, scenario.end),
        network=network.name,
        extra={"seed": args.seed, "interval": args.interval, "training_end": (start + training).isoformat()},
    )
    ctx.out.print(
        ctx.t(
            "leak.simulated",
            days=args.days,
            sensors=len(scenario.sensors),
            leaks=len(scenario.leaks),
            path=args.out,
        )
    )
    if scenario.warnings:
        ctx.out.print(ctx.t("leak.epanet_warnings", count=len(scenario.warnings), first=scenario.warnings[0]))
    return 0


def score(ctx: Context, args: argparse.Namespace) -> int:
    """Score an events file against a truth file."""
    network = read_network(args.network)
    leaks, period = read_truth(args.truth)
    events = read_events(args.events)
    if period is None:
        if not leaks and not events:
            raise InvalidInputError(
                f"{args.truth}: give a period {{start, end}}; there is nothing to date it by"
            )
        times = [leak.start for leak in leaks] + [e.detected for e in events]
        ends = [leak.end for leak in leaks if leak.end] + [e.detected for e in events]
        period = (min(times), max(ends + times) + dt.timedelta(seconds=1))
    report = score_events(leaks, events, network, period=period)
    if args.json:
        ctx.print_json(report.to_dict())
        return 0
    ctx.out.print(
        ctx.t(
            "leak.score",
            score=report.total,
            tp=report.true_positives,
            fp=report.false_positives,
            fn=report.false_negatives,
            repeats=report.repeats,
            detected=len(report.detected_in_time),
            leaks=report.leaks,
            alarms=_number(report.false_alarms_per_month),
            delay=_number(report.median_delay),
            distance=_number(report.median_distance, 0),
            within=report.within(300.0),
        )
    )
    table = Table(title=ctx.t("title.leaks"))
    for key in ("col.leak", "col.distance", "col.delay"):
        table.add_column(ctx.t(key), justify="left" if key == "col.leak" else "right")
    for leak_id, distance in sorted(report.detected_in_time.items()):
        table.add_row(leak_id, _number(distance, 0), _number(report.delays[leak_id], 1))
    ctx.out.print(table)
    return 0


def _number(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "—"


def _zone_names(path: Path) -> dict[str, str]:
    """Read a zone-name file: a YAML mapping of zone id or junction id to the zone's name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InvalidInputError(f"{path}: cannot read it ({err.strerror or err})") from err
    except yaml.YAMLError as err:
        raise InvalidInputError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(data, dict) or not all(isinstance(v, str | int) for v in data.values()):
        raise InvalidInputError(f"{path}: expected a mapping of zone id or junction id to a name")
    return {str(k): str(v) for k, v in data.items()}


def zones(ctx: Context, args: argparse.Namespace) -> int:
    """Print the district-metered areas of a network and, with readings, their balances."""
    network = read_network(args.network)
    sensors = read_sensors(args.sensors)
    names = _zone_names(args.names) if args.names else None
    zoning = district_metered_areas(network, sensors, names=names)
    balances: dict[str, ZoneBalance] = {}
    skipped: dict[str, str] = {}
    if args.readings:
        readings = read_readings(args.readings, sensors)
        for zone in zoning.zones:
            if not zone.closed:
                skipped[zone.id] = f"open ({zone.reason})"
                continue
            try:
                balances[zone.id] = zone_balance(zone, readings, check_validity=not args.screening)
            except InvalidInputError as err:
                skipped[zone.id] = str(err)
    if args.json:
        document = zoning.to_dict()
        if args.readings:
            document["screening"] = bool(args.screening)
            document["balances"] = [b.to_dict() for b in balances.values()]
            document["not_balanced"] = skipped
        ctx.print_json(document)
        return 0
    closed = sum(z.closed for z in zoning.zones)
    ctx.out.print(
        ctx.t("zones.summary", network=network.name, zones=len(zoning.zones), closed=closed), markup=False
    )
    table = Table(title=ctx.t("zones.title"))
    for key in (
        "zones.col.zone",
        "zones.col.state",
        "zones.col.nodes",
        "zones.col.length",
        "zones.col.connections",
        "zones.col.meters",
        "zones.col.customers",
        "zones.col.tanks",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for zone in zoning.zones:
        table.add_row(
            zone.id,
            ctx.t("zones.closed" if zone.closed else "zones.open"),
            str(len(zone.nodes)),
            f"{zone.length / 1000:.2f}",
            str(zone.connections),
            ", ".join(f"{'+' if m.sign > 0 else '−'}{m.sensor}" for m in zone.meters) or "—",
            str(len(zone.customer_meters)),
            ", ".join(f"{t.tank} ({t.sensor})" for t in zone.tanks) or "—",
        )
    ctx.out.print(table)
    for zone in zoning.zones:
        if not zone.closed:
            ctx.out.print(ctx.t("zones.open_reason", zone=zone.id, reason=zone.reason), markup=False)
    for sensor, reason in sorted(zoning.unused_meters.items()):
        ctx.out.print(ctx.t("zones.unused", sensor=sensor, reason=reason), markup=False)
    if not args.readings:
        return 0
    if balances:
        table = Table(title=ctx.t("zones.balance_title"))
        for key in (
            "zones.col.zone",
            "zones.col.hours",
            "zones.col.input",
            "zones.col.consumption",
            "zones.col.storage",
            "zones.col.residual",
            "zones.col.mean_residual",
            "zones.col.mnf",
            "zones.col.nnf",
            "zones.col.ili",
        ):
            table.add_column(ctx.t(key), justify="left" if key == "zones.col.zone" else "right")
        for b in balances.values():
            table.add_row(
                b.zone,
                _number(b.hours, 1),
                _number(b.system_input_volume, 1),
                _number(b.consumption_volume, 1),
                _number(b.storage_volume, 1),
                _number(b.residual_volume, 1),
                _number(b.residual_volume / b.hours if b.hours > 0 else math.nan),
                _number(float(b.minimum_night_flow.mean()) if len(b.minimum_night_flow) else math.nan),
                _number(float(b.net_night_flow.mean()) if len(b.net_night_flow) else math.nan),
                _number(b.infrastructure_leakage_index),
            )
        ctx.out.print(table)
        if args.screening:
            ctx.out.print(ctx.t("zones.screening"))
    for zone_id, reason in skipped.items():
        ctx.out.print(ctx.t("zones.not_balanced", zone=zone_id, reason=reason), markup=False)
    return 0


# --- leak events --------------------------------------------------------------------------------

_ACTIONS = {
    "confirm": "confirm a suspected leak (found on site)",
    "repair": "report a leak repaired",
    "verify": "verify a repair (the data show the leak gone)",
    "reopen": "reopen a repaired leak (the repair did not hold)",
    "dismiss": "dismiss a suspected leak (not a leak)",
}


def _register_events(verbs: Any) -> None:
    events = verbs.add_parser(
        "event",
        help="leak events: list, show, confirm, repair, verify, dismiss, note",
        description=(
            "Leak events recorded by `leak detect --store`: suspected → confirmed → repaired → verified "
            "(or dismissed), each step with who, when and a note; the linked alarm follows. See docs/leaks.md."
        ),
    )
    actions = events.add_subparsers(dest="action", metavar="<action>", required=True)
    listing = actions.add_parser("list", help="list leak events", description="Leak events, newest first.")
    listing.add_argument(
        "--enterprise", action="append", metavar="ID", help="only this enterprise (repeatable)"
    )
    listing.add_argument(
        "--state",
        choices=("open", "all", *(s.value for s in LeakState)),
        default="open",
        help="open (suspected or confirmed; default), all, or one state",
    )
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50; 0: all)")
    listing.add_argument("--json", action="store_true", help="machine-readable JSON")
    listing.set_defaults(handler=list_events)
    show = actions.add_parser(
        "show", help="one leak event with its history", description="A leak event and its history."
    )
    show.add_argument("id", type=int, help="leak event id")
    show.add_argument("--json", action="store_true", help="machine-readable JSON")
    show.set_defaults(handler=show_event)
    for name, text in _ACTIONS.items():
        sub = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("id", type=int, help="leak event id")
        sub.add_argument("--note", metavar="TEXT", help="a note for the history")
        sub.add_argument("--at", metavar="TIME", help="when it happened (ISO date-time, local; default now)")
        sub.add_argument("--by", metavar="LOGIN", help="who does it (default: the OS user)")
        sub.add_argument(
            "--notify-config", metavar="FILE", help="notification channels (env SHUIXIAO_NOTIFY_CONFIG)"
        )
        sub.set_defaults(handler=event_action, leak_action=name)
    note = actions.add_parser(
        "note", help="add a note to a leak event", description="Add a note in any state."
    )
    note.add_argument("id", type=int, help="leak event id")
    note.add_argument("text", help="the note")
    note.add_argument("--by", metavar="LOGIN", help="who writes it (default: the OS user)")
    note.set_defaults(handler=event_note)


def _events(ctx: Context, args: argparse.Namespace) -> LeakEventStore:
    config = notify_config(args)
    return LeakEventStore(ctx.store(), outbox=make_outbox(config) if config else None)


def _record(ctx: Context, args: argparse.Namespace, events: Sequence[LeakEvent], network: str) -> None:
    store = ctx.store()
    model = store.load_enterprise(args.enterprise)
    rule = next(
        r
        for r in resolve_rules(load_rules(), model, AlarmStore(store).rule_overrides(args.enterprise))
        if r.kind == "leak_suspected"
    )
    if not rule.enabled:
        ctx.out.print(ctx.t("leak.rule_disabled", enterprise=args.enterprise), markup=False)
        return
    recorder = _events(ctx, args)
    new = updated = 0
    for event in events:
        record, created = recorder.record_detection(
            args.enterprise, event, rule, network=network, source=str(args.readings)
        )
        new, updated = new + created, updated + (not created)
        ctx.out.print(f"  #{record.id} {record.state.value} {record.flow:.2f} m³/h", markup=False)
    ctx.out.print(ctx.t("leak.stored", new=new, updated=updated, enterprise=args.enterprise), markup=False)


def _event_dict(record: LeakEventRecord) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "id": record.id,
        "enterprise": record.enterprise,
        "network": record.network,
        "source": record.source,
        "state": record.state.value,
        "state_at": record.state_at.isoformat(),
        "start": record.start.isoformat(),
        "detected": record.detected.isoformat(),
        "end": record.end.isoformat() if record.end else None,
        "flow_m3h": record.flow,
        "uncertainty_m": record.uncertainty,
        "loss_m3": round(record.loss(now), 3),
        "suspects": [{s.kind: s.id, "score": s.score} for s in record.suspects],
        "alarm": record.alarm_id,
    }


def list_events(ctx: Context, args: argparse.Namespace) -> int:
    """List leak events."""
    if args.state == "open":
        states: list[LeakState] | None = [LeakState.SUSPECTED, LeakState.CONFIRMED]
    else:
        states = None if args.state == "all" else [LeakState(args.state)]
    found = LeakEventStore(ctx.store()).list_events(args.enterprise, states, limit=args.limit or None)
    if args.json:
        ctx.print_json([_event_dict(r) for r in found])
        return 0
    if not found:
        ctx.out.print(ctx.t("leak.no_events"))
        return 0
    zone = ctx.settings.zone
    now = dt.datetime.now(dt.UTC)
    table = Table(title=ctx.t("leak.events"))
    for key in (
        "col.id",
        "col.enterprise",
        "alarm.col.state",
        "alarm.col.start",
        "alarm.col.flow",
        "alarm.col.loss",
        "alarm.col.suspects",
        "alarm.col.alarm",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for r in found:
        table.add_row(
            str(r.id),
            r.enterprise,
            ctx.t("leakstate." + r.state.value),
            r.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            f"{r.flow:.2f}",
            f"{r.loss(now):,.0f}",
            ", ".join(f"{s} ({s.score:.2f})" for s in r.suspects[:3]),
            str(r.alarm_id or "—"),
        )
    ctx.out.print(table)
    return 0


def show_event(ctx: Context, args: argparse.Namespace) -> int:
    """Show a leak event with its history."""
    events = LeakEventStore(ctx.store())
    record = events.get(args.id)
    history = events.history(args.id)
    if args.json:
        document = _event_dict(record)
        document["history"] = [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "action": h.action,
                "from": h.from_state,
                "to": h.to_state,
                "note": h.note,
            }
            for h in history
        ]
        ctx.print_json(document)
        return 0
    zone = ctx.settings.zone
    now = dt.datetime.now(dt.UTC)
    ctx.out.print(
        ctx.t(
            "leak.event_facts",
            id=record.id,
            enterprise=record.enterprise,
            state=ctx.t("leakstate." + record.state.value),
            start=record.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            flow=record.flow,
            loss=record.loss(now),
            alarm=record.alarm_id or "—",
        ),
        markup=False,
    )
    for s in record.suspects:
        ctx.out.print(f"  {s} {s.score:.3f}", markup=False)
    table = Table(title=ctx.t("alarm.history"))
    for key in ("alarm.col.time", "alarm.col.actor", "alarm.col.action", "alarm.col.state", "alarm.col.note"):
        table.add_column(ctx.t(key), overflow="fold")
    for h in history:
        table.add_row(
            h.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            h.actor,
            h.action,
            h.to_state or "",
            h.note or "",
        )
    ctx.out.print(table)
    return 0


def event_action(ctx: Context, args: argparse.Namespace) -> int:
    """Move a leak event along its workflow."""
    at = local_time(args.at, ctx.settings.timezone, "--at")
    record = _events(ctx, args).transition(args.id, args.leak_action, actor(args), args.note, at=at)
    ctx.out.print(
        ctx.t("leak.moved", id=record.id, state=ctx.t("leakstate." + record.state.value), by=actor(args)),
        markup=False,
    )
    return 0


def event_note(ctx: Context, args: argparse.Namespace) -> int:
    """Add a note to a leak event."""
    LeakEventStore(ctx.store()).add_note(args.id, actor(args), args.text)
    ctx.out.print(ctx.t("leak.noted", id=args.id), markup=False)
    return 0
